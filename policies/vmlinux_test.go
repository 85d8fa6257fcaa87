package policies

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// The committed include/vmlinux.h is what the generator writes now.
func TestVmlinuxHeaderCommitted(t *testing.T) {
	want, err := VmlinuxHeader()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("include", "vmlinux.h"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(ls []string) string {
			if i < len(ls) {
				return ls[i]
			}
			return "<end of file>"
		}
		t.Errorf("policies/include/vmlinux.h is stale (run `go generate ./policies/`); line %d:\ncommitted: %s\ngenerated: %s",
			i+1, line(gl), line(wl))
	}
}

func TestVmlinuxHeaderDeterministic(t *testing.T) {
	a, err := VmlinuxHeader()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		// A spec rebuilt from scratch, not the cached one.
		spec, err := buildKernelBTF()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteCHeader(&b, spec, "__VMLINUX_H__"); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(a, b.Bytes()) {
			t.Fatal("header differs between runs")
		}
	}
	for _, s := range []string{
		"#ifndef __VMLINUX_H__",
		"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)",
		"#pragma clang attribute pop",
		"\tconst struct cpumask *cpus_ptr;\n",
		"\ts32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);\n",
		"\tchar name[128];\n",
		"typedef struct cpumask cpumask_t;\n",
		"typedef struct {\n\tint counter;\n} atomic_t;\n",
		"\tSCX_DSQ_LOCAL_ON = 0xc000000000000000ULL,\n",
		"\tSCX_SLICE_DFL = 20000000,\n",
		"struct scx_dispatch_q;\n",
	} {
		if !bytes.Contains(a, []byte(s)) {
			t.Errorf("header lacks %q", s)
		}
	}
	// Every typedef and struct is declared before it is used by value.
	if i, j := bytes.Index(a, []byte("} atomic_t;")), bytes.Index(a, []byte("\tatomic_t refs;")); i < 0 || j < i {
		t.Error("atomic_t is used before its definition")
	}
	if i, j := bytes.Index(a, []byte("struct sched_ext_entity {")), bytes.Index(a, []byte("\tstruct sched_ext_entity scx;")); i < 0 || j < i {
		t.Error("sched_ext_entity is used before its definition")
	}
}

// testSpec builds a spec from types.
func testSpec(t *testing.T, types ...btf.Type) *btf.Spec {
	t.Helper()
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := b.Spec()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// Gaps in a layout become anonymous bit-field padding; a layout C cannot
// express without packing, or a struct used by value without a definition,
// is an error.
func TestVmlinuxCHeaderLayouts(t *testing.T) {
	u8 := &btf.Int{Name: "unsigned char", Size: 1}
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	u64 := &btf.Int{Name: "unsigned long long", Size: 8}
	gap := &btf.Struct{Name: "gap", Size: 32, Members: []btf.Member{
		{Name: "a", Type: u8, Offset: 0},
		{Name: "b", Type: u32, Offset: 8 * 8},
		{Name: "c", Type: u64, Offset: 16 * 8},
	}}
	var out bytes.Buffer
	if err := WriteCHeader(&out, testSpec(t, gap), "G"); err != nil {
		t.Fatal(err)
	}
	want := "struct gap {\n\tunsigned char a;\n\tchar: 8;\n\tshort: 16;\n\tint: 32;\n\tunsigned int b;\n" +
		"\tunsigned long long c;\n\tlong: 64;\n};\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("padding:\n%s\nwant\n%s", out.String(), want)
	}

	packed := &btf.Struct{Name: "packed", Size: 12, Members: []btf.Member{
		{Name: "a", Type: u32, Offset: 0},
		{Name: "b", Type: u64, Offset: 4 * 8},
	}}
	fwd := &btf.Fwd{Name: "opaque"}
	byValue := &btf.Struct{Name: "user", Size: 8, Members: []btf.Member{{Name: "o", Type: fwd}}}
	short := &btf.Struct{Name: "short", Size: 4, Members: []btf.Member{{Name: "a", Type: u64}}}
	for _, c := range []struct {
		typ  btf.Type
		want string
	}{
		{packed, "needs packing"},
		{byValue, "no definition"},
		{short, "size 4"},
	} {
		spec, err := func() (*btf.Spec, error) {
			b, err := btf.NewBuilder([]btf.Type{c.typ}, nil)
			if err != nil {
				return nil, err
			}
			return b.Spec()
		}()
		if err != nil {
			// cilium refuses to marshal it: also fine, but say so.
			t.Logf("%v: %v", c.typ, err)
			continue
		}
		err = WriteCHeader(&bytes.Buffer{}, spec, "G")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.typ, err, c.want)
		}
	}
}

// clang19 returns the path of clang-19, skipping the test if it is absent
// (failing it in CI, which installs it).
func clang19(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("clang-19")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("clang-19 is not installed (CI must install clang-19 and libbpf-dev)")
		}
		t.Skip("clang-19 is not installed")
	}
	return path
}

// compileBPF compiles src (C) against policies/include into an object.
func compileBPF(t *testing.T, src string, extra ...string) string {
	t.Helper()
	cc := clang19(t)
	inc, err := filepath.Abs("include")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, obj := filepath.Join(dir, "test.bpf.c"), filepath.Join(dir, "test.bpf.o")
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-O2", "-g", "-target", "bpf", "-mcpu=v4", "-Wall", "-Werror",
		"-I", inc, "-c", in, "-o", obj}, extra...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("clang-19: %v\n%s", err, out)
	}
	return obj
}

// Compiled by clang, vmlinux.h gives every struct the size and every member
// the offset of the BTF (hence of the Go definitions), and every
// enumerator its value.
func TestVmlinuxHeaderLayout(t *testing.T) {
	clang19(t)
	spec, err := KernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	src.WriteString("#include \"vmlinux.h\"\n#define A(c) _Static_assert(c, #c)\n")
	n := 0
	for typ, err := range spec.All() {
		if err != nil {
			t.Fatal(err)
		}
		switch typ := typ.(type) {
		case *btf.Struct:
			if typ.Name == "" {
				continue
			}
			fmt.Fprintf(&src, "A(sizeof(struct %s) == %d);\n", typ.Name, typ.Size)
			for _, m := range typ.Members {
				fmt.Fprintf(&src, "A(__builtin_offsetof(struct %s, %s) == %d);\n", typ.Name, m.Name, m.Offset.Bytes())
				n++
			}
		case *btf.Typedef:
			if sz, err := btf.Sizeof(typ); err == nil {
				fmt.Fprintf(&src, "A(sizeof(%s) == %d);\n", typ.Name, sz)
			}
		case *btf.Enum:
			if typ.Name != "" {
				fmt.Fprintf(&src, "A(sizeof(enum %s) == %d);\n", typ.Name, typ.Size)
			}
			for _, v := range typ.Values {
				want := v.Value
				if typ.Size == 4 {
					want = uint64(uint32(v.Value))
				}
				fmt.Fprintf(&src, "A((unsigned long long)%s == %dULL);\n", v.Name, want)
				n++
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d assertions", n)
	}
	compileBPF(t, src.String())
}

// A policy using every declaration of scx/common.bpf.h. Each kfunc is
// called (so that it appears in the object's BTF).
const allDeclsPolicy = `#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct node {
	struct bpf_rb_node rb;
	struct bpf_list_node ln;
	u64 key;
};

private(tree) struct bpf_spin_lock tree_lock;
private(tree) struct bpf_rb_root tree_root __contains(node, rb);
private(list) struct bpf_spin_lock list_lock;
private(list) struct bpf_list_head list_head __contains(node, ln);
private(res) struct bpf_res_spin_lock res_lock;

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4);
} arena SEC(".maps");

struct mask_wrapper {
	struct bpf_cpumask __kptr *mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct mask_wrapper);
} masks SEC(".maps");

u64 sink;

static bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct node *na = container_of(a, struct node, rb);
	struct node *nb = container_of(b, struct node, rb);

	return vtime_before(na->key, nb->key);
}

s32 BPF_STRUCT_OPS(all_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle)
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
	if (scx_bpf_test_and_clear_cpu_idle(cpu))
		sink++;
	cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, SCX_PICK_IDLE_CORE);
	if (cpu < 0)
		cpu = scx_bpf_pick_any_cpu(p->cpus_ptr, 0);
	return cpu;
}

void BPF_STRUCT_OPS(all_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (enq_flags & SCX_ENQ_HEAD)
		scx_bpf_dsq_insert_vtime(p, 1, SCX_SLICE_DFL, p->scx.dsq_vtime, enq_flags);
	else if (bpf_ksym_exists(scx_bpf_dispatch))
		scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, 0, enq_flags);
	else
		scx_bpf_dispatch_vtime(p, 1, 0, 0, enq_flags);
	scx_bpf_kick_cpu(scx_bpf_task_cpu(p), SCX_KICK_PREEMPT | SCX_KICK_IDLE);
}

void BPF_STRUCT_OPS(all_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;

	if (scx_bpf_dispatch_nr_slots() == 0)
		return;
	bpf_for_each(scx_dsq, p, 1, SCX_DSQ_ITER_REV) {
		sink += p->pid;
		break;
	}
	if (!scx_bpf_dsq_move_to_local(1) && !scx_bpf_consume(SCX_DSQ_GLOBAL))
		scx_bpf_dispatch_cancel();
}

void BPF_STRUCT_OPS(all_running, struct task_struct *p)
{
	const struct cpumask *idle = scx_bpf_get_idle_cpumask();
	const struct cpumask *smt = scx_bpf_get_idle_smtmask();

	sink += bpf_cpumask_weight(idle) + bpf_cpumask_first(smt);
	scx_bpf_put_idle_cpumask(idle);
	scx_bpf_put_idle_cpumask(smt);
	if (scx_bpf_task_running(p))
		sink += scx_bpf_now() + scx_bpf_nr_cpu_ids() + scx_bpf_dsq_nr_queued(1);
	sink += __COMPAT_ENUM_OR_ZERO(enum scx_ops_flags, SCX_OPS_SWITCH_PARTIAL);
	sink += p->scx.slice + p->scx.weight + READ_ONCE(p->scx.flags) + p->comm[0];
	if (likely(p->nr_cpus_allowed > 1) && !unlikely(p->scx.disallow))
		WRITE_ONCE(p->scx.dsq_vtime, max(min(p->scx.dsq_vtime, 10), 1));
}

void BPF_STRUCT_OPS(all_tick, struct task_struct *p)
{
	const struct cpumask *on = scx_bpf_get_online_cpumask();
	const struct cpumask *pos = scx_bpf_get_possible_cpumask();
	const struct cpumask *in = scx_bpf_get_idle_cpumask_node(0);
	const struct cpumask *sm = scx_bpf_get_idle_smtmask_node(0);
	struct bpf_iter_scx_dsq it;
	struct task_struct *q;
	struct rq *rq;

	bpf_rcu_read_lock();
	q = scx_bpf_cpu_curr(0);
	if (q)
		sink += q->pid;
	q = scx_bpf_dsq_peek(1);
	if (q)
		sink += q->pid;
	bpf_rcu_read_unlock();
	rq = scx_bpf_cpu_rq(0);
	if (rq)
		sink += rq->clock_task;
	rq = scx_bpf_locked_rq();
	if (rq)
		sink += rq->nr_running;
	bpf_preempt_disable();
	bpf_preempt_enable();
	sink += scx_bpf_cpuperf_cap(0) + scx_bpf_cpuperf_cur(0) + scx_bpf_nr_node_ids() + scx_bpf_cpu_node(0);
	scx_bpf_cpuperf_set(0, 1024);
	if (bpf_cpumask_subset(on, pos) && bpf_cpumask_equal(on, pos) && bpf_cpumask_full(on))
		sink += bpf_cpumask_first_zero(in) + bpf_cpumask_first_and(in, sm) +
			bpf_cpumask_any_and_distribute(on, pos);
	sink += scx_bpf_pick_idle_cpu_node(p->cpus_ptr, 0, 0) + scx_bpf_pick_any_cpu_node(p->cpus_ptr, 0, 0);
	sink += scx_bpf_select_cpu_and(p, 0, 0, p->cpus_ptr, 0);
	scx_bpf_put_cpumask(sm);
	scx_bpf_put_cpumask(in);
	scx_bpf_put_cpumask(pos);
	scx_bpf_put_cpumask(on);
	scx_bpf_task_set_slice(p, 1000);
	scx_bpf_task_set_dsq_vtime(p, 1000);
	sink += scx_bpf_reenqueue_local();
	if (!bpf_iter_scx_dsq_new(&it, 1, 0)) {
		q = bpf_iter_scx_dsq_next(&it);
		if (q) {
			scx_bpf_dsq_move_set_slice(&it, 1);
			scx_bpf_dsq_move_set_vtime(&it, 1);
			if (!scx_bpf_dsq_move(&it, q, SCX_DSQ_LOCAL, 0))
				scx_bpf_dsq_move_vtime(&it, q, 2, 0);
		}
	}
	bpf_iter_scx_dsq_destroy(&it);
	scx_bpf_dump_bstr("x", NULL, 0);
	{
		struct cgroup *cg = scx_bpf_task_cgroup(p), *a, *b;

		a = bpf_cgroup_ancestor(cg, 0);
		if (a) {
			b = bpf_cgroup_acquire(a);
			if (b)
				bpf_cgroup_release(b);
			bpf_cgroup_release(a);
		}
		sink += cg->level + cg->kn->id;
		{
			struct cgroup_subsys_state *pos;

			bpf_for_each(css, pos, &cg->self, BPF_CGROUP_ITER_ANCESTORS_UP)
				sink += pos->id;
		}
		bpf_cgroup_release(cg);
		cg = bpf_cgroup_from_id(1);
		if (cg)
			bpf_cgroup_release(cg);
	}
}

static s32 init_arena(void)
{
	u64 __arena *page = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);

	if (!page)
		return -ENOMEM;
	*page = 1;
	bpf_arena_free_pages(&arena, page, 1);
	return 0;
}

void BPF_STRUCT_OPS(all_stopping, struct task_struct *p, bool runnable)
{
	struct bpf_cpumask *m = bpf_cpumask_create(), *old;
	struct mask_wrapper *w;
	u32 key = 0;
	int i;

	if (!m)
		return;
	bpf_cpumask_set_cpu(1, m);
	bpf_cpumask_clear_cpu(2, m);
	if (bpf_cpumask_test_cpu(1, cast_mask(m)))
		sink++;
	bpf_cpumask_and(m, p->cpus_ptr, cast_mask(m));
	bpf_cpumask_or(m, p->cpus_ptr, cast_mask(m));
	bpf_cpumask_xor(m, p->cpus_ptr, cast_mask(m));
	bpf_cpumask_copy(m, p->cpus_ptr);
	bpf_cpumask_setall(m);
	bpf_cpumask_clear(m);
	if (bpf_cpumask_empty(cast_mask(m)) || bpf_cpumask_intersects(cast_mask(m), p->cpus_ptr))
		sink += bpf_cpumask_any_distribute(p->cpus_ptr);
	if (!bpf_cpumask_test_and_set_cpu(3, m))
		bpf_cpumask_test_and_clear_cpu(3, m);
	m = bpf_cpumask_acquire(m);
	bpf_cpumask_release(m);
	w = bpf_map_lookup_elem(&masks, &key);
	if (w) {
		old = bpf_kptr_xchg(&w->mask, m);
		if (old)
			bpf_cpumask_release(old);
	} else {
		bpf_cpumask_release(m);
	}
	bpf_for(i, 0, 4)
		sink += i;
	bpf_repeat(3)
		sink++;
}

void BPF_STRUCT_OPS(all_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct task_struct *t = bpf_task_from_pid(p->pid);
	struct node *n;
	struct bpf_rb_node *rb;
	struct bpf_list_node *ln;

	if (t) {
		struct task_struct *t2 = bpf_task_acquire(t);

		if (t2)
			bpf_task_release(t2);
		bpf_task_release(t);
	}
	n = bpf_obj_new(struct node);
	if (!n)
		return;
	n->key = p->scx.dsq_vtime;
	bpf_spin_lock(&tree_lock);
	bpf_rbtree_add(&tree_root, &n->rb, less);
	rb = bpf_rbtree_first(&tree_root);
	if (rb)
		rb = bpf_rbtree_remove(&tree_root, rb);
	bpf_spin_unlock(&tree_lock);
	if (rb)
		bpf_obj_drop(container_of(rb, struct node, rb));

	n = bpf_obj_new(struct node);
	if (!n)
		return;
	bpf_spin_lock(&list_lock);
	bpf_list_push_front(&list_head, &n->ln);
	ln = bpf_list_pop_back(&list_head);
	bpf_spin_unlock(&list_lock);
	if (ln)
		bpf_obj_drop(container_of(ln, struct node, ln));
	n = bpf_obj_new(struct node);
	if (!n)
		return;
	bpf_spin_lock(&list_lock);
	bpf_list_push_back(&list_head, &n->ln);
	ln = bpf_list_pop_front(&list_head);
	bpf_spin_unlock(&list_lock);
	if (ln)
		bpf_obj_drop(container_of(ln, struct node, ln));

	if (!bpf_res_spin_lock(&res_lock)) {
		sink++;
		bpf_res_spin_unlock(&res_lock);
	}
}

s32 BPF_STRUCT_OPS(all_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	return args->fork ? 0 : 1;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(all_init)
{
	s32 ret = scx_bpf_create_dsq(1, -1);

	if (!ret)
		ret = init_arena();
	if (ret)
		scx_bpf_error("create_dsq: %d", ret);
	return ret;
}

void BPF_STRUCT_OPS(all_exit, struct scx_exit_info *ei)
{
	scx_bpf_destroy_dsq(1);
	if (ei->kind == SCX_EXIT_ERROR_BPF)
		scx_bpf_exit(ei->exit_code, "%s %d %llu %d %d %d %d %d %d %d %d %d",
			     ei->reason, 1, 2ULL, 3, 4, 5, 6, 7, 8, 9, 10, 11);
	scx_bpf_error("no arguments");
}

SCX_OPS_DEFINE(all_ops,
	       .select_cpu = (void *)all_select_cpu,
	       .enqueue = (void *)all_enqueue,
	       .dispatch = (void *)all_dispatch,
	       .running = (void *)all_running,
	       .tick = (void *)all_tick,
	       .stopping = (void *)all_stopping,
	       .quiescent = (void *)all_quiescent,
	       .init_task = (void *)all_init_task,
	       .init = (void *)all_init,
	       .exit = (void *)all_exit,
	       .flags = SCX_OPS_ENQ_LAST,
	       .name = "all");
`

// canon spells a type for comparing an object's BTF with the kernel's:
// typedefs resolved, structs whether defined or forward-declared alike.
func canon(t btf.Type) string {
	switch t := t.(type) {
	case *btf.Typedef:
		return canon(t.Type)
	case *btf.Int:
		if t.Encoding&btf.Bool != 0 {
			return "bool"
		}
		if t.Encoding&btf.Signed != 0 {
			return fmt.Sprintf("s%d", 8*t.Size)
		}
		return fmt.Sprintf("u%d", 8*t.Size)
	case *btf.Pointer:
		return "*" + canon(t.Target)
	case *btf.Const:
		return "const " + canon(t.Type)
	case *btf.Volatile:
		return "volatile " + canon(t.Type)
	case *btf.Struct:
		return "struct " + t.Name
	case *btf.Union:
		return "union " + t.Name
	case *btf.Fwd:
		return t.Kind.String() + " " + t.Name
	case *btf.Enum:
		return "enum " + t.Name
	case *btf.Array:
		return fmt.Sprintf("[%d]%s", t.Nelems, canon(t.Type))
	case *btf.Void:
		return "void"
	case *btf.FuncProto:
		ps := make([]string, len(t.Params))
		for i, p := range t.Params {
			ps[i] = canon(p.Type)
		}
		return "fn(" + strings.Join(ps, ", ") + ") " + canon(t.Return)
	}
	return fmt.Sprintf("%T", t)
}

// scx/common.bpf.h compiles, declares exactly the kfuncs of the kernel's
// BTF with the kernel's prototypes (parameter types; clang records no
// parameter names for extern functions), its sched_ext_ops is the kernel's,
// and every CO-RE relocation of the policy resolves against the kernel's
// BTF.
func TestHeaderCommonBPF(t *testing.T) {
	obj := compileBPF(t, allDeclsPolicy, "-Wextra", "-Wno-unused-parameter")
	local, err := btf.LoadSpec(obj)
	if err != nil {
		t.Fatal(err)
	}
	var externs []string
	for typ, err := range local.All() {
		if err != nil {
			t.Fatal(err)
		}
		fn, ok := typ.(*btf.Func)
		if !ok || fn.Linkage != btf.ExternFunc {
			continue
		}
		externs = append(externs, fn.Name)
		want, err := KfuncProto(fn.Name)
		if err != nil {
			t.Errorf("the header declares %s, the kernel BTF does not: %v", fn.Name, err)
			continue
		}
		if got := fn.Type.(*btf.FuncProto); canon(got) != canon(want) {
			t.Errorf("%s: header %s, kernel %s", fn.Name, canon(got), canon(want))
		}
	}
	kfuncs := Kfuncs()
	slices.Sort(externs)
	slices.Sort(kfuncs)
	if !slices.Equal(externs, kfuncs) {
		t.Errorf("kfuncs the policy calls (header):\n%v\nkfuncs of the kernel BTF:\n%v", externs, kfuncs)
	}

	// struct sched_ext_ops as the header declares it.
	var ops *btf.Struct
	if err := local.TypeByName("sched_ext_ops", &ops); err != nil {
		t.Fatal(err)
	}
	kops := kernelStruct(t, "sched_ext_ops")
	if ops.Size != kops.Size || len(ops.Members) != len(kops.Members) {
		t.Fatalf("sched_ext_ops: %d bytes, %d members; kernel %d, %d", ops.Size, len(ops.Members), kops.Size, len(kops.Members))
	}
	for i, m := range ops.Members {
		k := kops.Members[i]
		if m.Name != k.Name || m.Offset != k.Offset || canon(m.Type) != canon(k.Type) {
			t.Errorf("sched_ext_ops member %d: %s %s at %d; kernel %s %s at %d",
				i, m.Name, canon(m.Type), m.Offset, k.Name, canon(k.Type), k.Offset)
		}
	}

	// CO-RE: field accesses were recorded (preserve_access_index) and all
	// resolve against the kernel.
	coll, err := ebpf.LoadCollectionSpec(obj)
	if err != nil {
		t.Fatal(err)
	}
	kspec, err := KernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(coll.Programs))
	for n := range coll.Programs {
		names = append(names, n)
	}
	slices.Sort(names)
	nrelos := 0
	for _, name := range names {
		prog := coll.Programs[name]
		var relos []*btf.CORERelocation
		for i := range prog.Instructions {
			if r := btf.CORERelocationMetadata(&prog.Instructions[i]); r != nil {
				relos = append(relos, r)
			}
		}
		if len(relos) == 0 {
			continue
		}
		nrelos += len(relos)
		fixups, err := btf.CORERelocate(relos, []*btf.Spec{kspec}, binary.LittleEndian, coll.Types.TypeID)
		if err != nil {
			t.Errorf("%s: CO-RE: %v", name, err)
			continue
		}
		for _, f := range fixups {
			if strings.Contains(f.String(), "poison") {
				t.Errorf("%s: CO-RE relocation does not resolve: %s", name, f.String())
			}
		}
	}
	if nrelos < 10 {
		t.Errorf("only %d CO-RE relocations: is preserve_access_index in effect?", nrelos)
	}
}
