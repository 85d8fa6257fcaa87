package policies

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/sim"
)

func kernelStruct(t *testing.T, name string) *btf.Struct {
	t.Helper()
	typ, err := KernelBTFTypeByName("struct " + name)
	if err != nil {
		t.Fatalf("struct %s: %v", name, err)
	}
	st, ok := typ.(*btf.Struct)
	if !ok {
		t.Fatalf("struct %s is a %T", name, typ)
	}
	return st
}

func member(t *testing.T, st *btf.Struct, name string) btf.Member {
	t.Helper()
	for _, m := range st.Members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("struct %s has no member %s", st.Name, name)
	return btf.Member{}
}

// Every field of the Go definitions is a member of the BTF struct at the
// same offset with the same size, and nothing else is.
func TestKernelBTFOffsetsMatchGo(t *testing.T) {
	for _, gs := range goKernelStructs {
		st := kernelStruct(t, gs.name)
		if uintptr(st.Size) != gs.typ.Size() {
			t.Errorf("struct %s: BTF size %d, Go %v size %d", gs.name, st.Size, gs.typ, gs.typ.Size())
		}
		var n int
		for i := 0; i < gs.typ.NumField(); i++ {
			f := gs.typ.Field(i)
			if f.Name == "_" {
				continue
			}
			n++
			m := member(t, st, f.Tag.Get("btf"))
			if m.Offset.Bytes() != uint32(f.Offset) || m.Offset%8 != 0 {
				t.Errorf("%s.%s: BTF offset %d bits, Go offset %d bytes", gs.name, m.Name, m.Offset, f.Offset)
			}
			if sz, err := btf.Sizeof(m.Type); err != nil || uintptr(sz) != f.Type.Size() {
				t.Errorf("%s.%s: BTF size %d (%v), Go size %d", gs.name, m.Name, sz, err, f.Type.Size())
			}
		}
		if len(st.Members) != n {
			t.Errorf("struct %s: %d BTF members, %d Go fields", gs.name, len(st.Members), n)
		}
	}

	// The accesses policies make most, spelled out with unsafe.Offsetof.
	var ts sim.TaskStruct
	var se sim.SchedExtEntity
	scx := member(t, kernelStruct(t, "task_struct"), "scx").Offset.Bytes()
	ses := kernelStruct(t, "sched_ext_entity")
	for _, c := range []struct {
		got  uint32
		want uintptr
		what string
	}{
		{member(t, kernelStruct(t, "task_struct"), "pid").Offset.Bytes(), unsafe.Offsetof(ts.Pid), "p->pid"},
		{member(t, kernelStruct(t, "task_struct"), "cpus_ptr").Offset.Bytes(), unsafe.Offsetof(ts.CpusPtr), "p->cpus_ptr"},
		{member(t, kernelStruct(t, "task_struct"), "comm").Offset.Bytes(), unsafe.Offsetof(ts.Comm), "p->comm"},
		{scx, unsafe.Offsetof(ts.Scx), "p->scx"},
		{scx + member(t, ses, "slice").Offset.Bytes(), unsafe.Offsetof(ts.Scx) + unsafe.Offsetof(se.Slice), "p->scx.slice"},
		{scx + member(t, ses, "dsq_vtime").Offset.Bytes(), unsafe.Offsetof(ts.Scx) + unsafe.Offsetof(se.DsqVtime), "p->scx.dsq_vtime"},
		{scx + member(t, ses, "weight").Offset.Bytes(), unsafe.Offsetof(ts.Scx) + unsafe.Offsetof(se.Weight), "p->scx.weight"},
		{scx + member(t, ses, "disallow").Offset.Bytes(), unsafe.Offsetof(ts.Scx) + unsafe.Offsetof(se.Disallow), "p->scx.disallow"},
	} {
		if uintptr(c.got) != c.want {
			t.Errorf("%s: BTF offset %d, Go %d", c.what, c.got, c.want)
		}
	}

	// ctype tags give the C types.
	for _, c := range []struct{ strct, field, want string }{
		{"task_struct", "cpus_ptr", "const struct cpumask *"},
		{"task_struct", "comm", "char[16]"},
		{"task_struct", "scx", "struct sched_ext_entity"},
		{"task_struct", "cpus_mask", "struct cpumask"},
		{"sched_ext_entity", "dsq", "struct scx_dispatch_q *"},
		{"sched_ext_entity", "disallow", "bool"},
		{"sched_ext_entity", "slice", "u64"},
		{"scx_exit_info", "kind", "enum scx_exit_kind"},
		{"scx_exit_info", "reason", "const char *"},
		{"cpumask", "bits", "u64[8]"},
	} {
		if got := spell(member(t, kernelStruct(t, c.strct), c.field).Type); got != c.want {
			t.Errorf("%s.%s: type %q, want %q", c.strct, c.field, got, c.want)
		}
	}
}

// spell writes a type the way C spells an abstract declarator, for tests.
func spell(t btf.Type) string {
	h := &cHeader{state: map[btf.Type]uint8{}}
	return h.declarator(t, "", 0)
}

func TestKernelBTFEnums(t *testing.T) {
	for _, c := range []struct {
		enum, name string
		want       uint64
		size       uint32
	}{
		{"scx_public_consts", "SCX_OPS_NAME_LEN", 128, 8},
		{"scx_public_consts", "SCX_SLICE_DFL", sim.SliceDfl, 8},
		{"scx_public_consts", "SCX_SLICE_INF", sim.SliceInf, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_FLAG_BUILTIN", sim.DSQFlagBuiltin, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_FLAG_LOCAL_ON", sim.DSQFlagLocalOn, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_INVALID", sim.DSQInvalid, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_GLOBAL", sim.DSQGlobal, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_LOCAL", sim.DSQLocal, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_LOCAL_ON", sim.DSQLocalOn, 8},
		{"scx_dsq_id_flags", "SCX_DSQ_LOCAL_CPU_MASK", sim.DSQLocalCPUMask, 8},
		{"scx_ops_flags", "SCX_OPS_KEEP_BUILTIN_IDLE", sim.OpsKeepBuiltinIdle, 4},
		{"scx_ops_flags", "SCX_OPS_ENQ_LAST", sim.OpsEnqLast, 4},
		{"scx_ops_flags", "SCX_OPS_ENQ_EXITING", sim.OpsEnqExiting, 4},
		{"scx_ops_flags", "SCX_OPS_SWITCH_PARTIAL", sim.OpsSwitchPartial, 4},
		{"scx_enq_flags", "SCX_ENQ_WAKEUP", sim.EnqWakeup, 8},
		{"scx_enq_flags", "SCX_ENQ_HEAD", sim.EnqHead, 8},
		{"scx_enq_flags", "SCX_ENQ_CPU_SELECTED", sim.EnqCPUSelected, 8},
		{"scx_enq_flags", "SCX_ENQ_PREEMPT", sim.EnqPreempt, 8},
		{"scx_enq_flags", "SCX_ENQ_REENQ", sim.EnqReenq, 8},
		{"scx_enq_flags", "SCX_ENQ_LAST", sim.EnqLast, 8},
		{"scx_enq_flags", "SCX_ENQ_DSQ_PRIQ", sim.EnqDSQPriq, 8},
		{"scx_deq_flags", "SCX_DEQ_SLEEP", sim.DeqSleep, 8},
		{"scx_wake_flags", "SCX_WAKE_FORK", sim.WakeFork, 4},
		{"scx_wake_flags", "SCX_WAKE_TTWU", sim.WakeTTWU, 4},
		{"scx_wake_flags", "SCX_WAKE_SYNC", sim.WakeSync, 4},
		{"scx_kick_flags", "SCX_KICK_IDLE", sim.KickIdle, 4},
		{"scx_kick_flags", "SCX_KICK_PREEMPT", sim.KickPreempt, 4},
		{"scx_kick_flags", "SCX_KICK_WAIT", sim.KickWait, 4},
		{"scx_pick_idle_cpu_flags", "SCX_PICK_IDLE_CORE", sim.PickIdleCore, 4},
		{"scx_ent_flags", "SCX_TASK_QUEUED", uint64(sim.TaskQueued), 4},
		{"scx_ent_flags", "SCX_TASK_RESET_RUNNABLE_AT", uint64(sim.TaskResetRunnableAt), 4},
		{"scx_ent_flags", "SCX_TASK_DEQD_FOR_SLEEP", uint64(sim.TaskDeqdForSleep), 4},
		{"scx_exit_kind", "SCX_EXIT_NONE", sim.ExitNone, 4},
		{"scx_exit_kind", "SCX_EXIT_DONE", sim.ExitDone, 4},
		{"scx_exit_kind", "SCX_EXIT_UNREG", sim.ExitUnreg, 4},
		{"scx_exit_kind", "SCX_EXIT_UNREG_BPF", sim.ExitUnregBPF, 4},
		{"scx_exit_kind", "SCX_EXIT_UNREG_KERN", sim.ExitUnregKern, 4},
		{"scx_exit_kind", "SCX_EXIT_ERROR", sim.ExitError, 4},
		{"scx_exit_kind", "SCX_EXIT_ERROR_BPF", sim.ExitErrorBPF, 4},
		{"scx_exit_kind", "SCX_EXIT_ERROR_STALL", sim.ExitErrorStall, 4},
		{"bpf_map_type", "BPF_MAP_TYPE_HASH", 1, 4},
		{"bpf_map_type", "BPF_MAP_TYPE_PERCPU_ARRAY", 6, 4},
		{"bpf_map_type", "BPF_MAP_TYPE_QUEUE", 22, 4},
		{"bpf_map_type", "BPF_MAP_TYPE_STRUCT_OPS", 26, 4},
		{"bpf_map_type", "BPF_MAP_TYPE_TASK_STORAGE", 29, 4},
		{"bpf_map_type", "BPF_MAP_TYPE_ARENA", 33, 4},
	} {
		typ, err := KernelBTFTypeByName("enum " + c.enum)
		if err != nil {
			t.Errorf("enum %s: %v", c.enum, err)
			continue
		}
		e := typ.(*btf.Enum)
		if e.Size != c.size {
			t.Errorf("enum %s: size %d, want %d", c.enum, e.Size, c.size)
		}
		found := false
		for _, v := range e.Values {
			if v.Name == c.name {
				found = true
				if v.Value != c.want {
					t.Errorf("%s = %#x, want %#x", c.name, v.Value, c.want)
				}
			}
		}
		if !found {
			t.Errorf("enum %s has no %s", c.enum, c.name)
		}
	}

	// The anonymous uapi enums.
	want := map[string]uint64{
		"BPF_ANY": 0, "BPF_NOEXIST": 1, "BPF_EXIST": 2, "BPF_F_LOCK": 4,
		"BPF_F_NO_PREALLOC": 1, "BPF_F_RDONLY_PROG": 1 << 7, "BPF_F_MMAPABLE": 1 << 10,
		"BPF_F_CURRENT_CPU": 0xffffffff, "BPF_F_CTXLEN_MASK": 0xfffff << 32,
		"BPF_LOCAL_STORAGE_GET_F_CREATE": 1, "BPF_F_TIMER_ABS": 1, "BPF_F_TIMER_CPU_PIN": 2,
		"false": 0, "true": 1,
	}
	spec, err := KernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for typ, err := range spec.All() {
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := typ.(*btf.Enum); ok && e.Name == "" {
			for _, v := range e.Values {
				if w, ok := want[v.Name]; ok {
					seen[v.Name] = true
					if v.Value != w {
						t.Errorf("%s = %#x, want %#x", v.Name, v.Value, w)
					}
				}
			}
		}
	}
	for n := range want {
		if !seen[n] {
			t.Errorf("no enumerator %s", n)
		}
	}
}

// The spec is deterministic and survives a round trip through the wire
// format unchanged.
func TestKernelBTFRoundTrip(t *testing.T) {
	raw1, err := KernelBTFRaw()
	if err != nil {
		t.Fatal(err)
	}
	raw2, err := KernelBTFRaw()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw1, raw2) {
		t.Fatal("KernelBTFRaw differs between two calls")
	}
	spec, err := KernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	var types []btf.Type
	for typ, err := range spec.All() {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
	}
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw3, err := b.Marshal(nil, &btf.MarshalOptions{Order: binary.LittleEndian})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw1, raw3) {
		t.Errorf("re-marshalled spec differs: %d bytes, first %d", len(raw3), len(raw1))
	}
	if n := len(KernelTypes()); n < 100 {
		t.Errorf("KernelTypes: %d types", n)
	}
}

func TestKernelBTFSchedExtOps(t *testing.T) {
	st := kernelStruct(t, "sched_ext_ops")
	if len(st.Members) != len(SchedExtOpsMembers) {
		t.Fatalf("%d members, want %d", len(st.Members), len(SchedExtOpsMembers))
	}
	// Number of parameters of each callback (kernel/sched/ext.c).
	arity := map[string]int{
		"select_cpu": 3, "enqueue": 2, "dequeue": 2, "dispatch": 2, "tick": 1,
		"runnable": 2, "running": 1, "stopping": 2, "quiescent": 2, "yield": 2,
		"core_sched_before": 2, "set_weight": 2, "set_cpumask": 2, "update_idle": 2,
		"cpu_acquire": 2, "cpu_release": 2, "init_task": 2, "exit_task": 2,
		"enable": 1, "disable": 1, "dump": 1, "dump_cpu": 3, "dump_task": 2,
		"cgroup_init": 2, "cgroup_exit": 1, "cgroup_prep_move": 3, "cgroup_move": 3,
		"cgroup_cancel_move": 3, "cgroup_set_weight": 2, "cpu_online": 1,
		"cpu_offline": 1, "init": 0, "exit": 1,
	}
	if len(arity) != SchedExtOpsCallbacks {
		t.Fatalf("arity table has %d callbacks", len(arity))
	}
	for i, m := range st.Members {
		if m.Name != SchedExtOpsMembers[i] {
			t.Errorf("member %d: %s, want %s", i, m.Name, SchedExtOpsMembers[i])
		}
		if i >= SchedExtOpsCallbacks {
			continue
		}
		if m.Offset.Bytes() != uint32(8*i) {
			t.Errorf("%s at %d, want %d", m.Name, m.Offset.Bytes(), 8*i)
		}
		ptr, ok := m.Type.(*btf.Pointer)
		if !ok {
			t.Errorf("%s: %v is not a pointer", m.Name, m.Type)
			continue
		}
		proto, ok := ptr.Target.(*btf.FuncProto)
		if !ok {
			t.Errorf("%s: %v is not a function pointer", m.Name, m.Type)
			continue
		}
		if want, ok := arity[m.Name]; !ok || len(proto.Params) != want {
			t.Errorf("%s: %d parameters, want %d", m.Name, len(proto.Params), want)
		}
	}
	for _, c := range []struct {
		member, typ string
		off         uint32
	}{
		{"select_cpu", "s32 (*)(struct task_struct *p, s32 prev_cpu, u64 wake_flags)", 0},
		{"stopping", "void (*)(struct task_struct *p, bool runnable)", 56},
		{"set_cpumask", "void (*)(struct task_struct *p, const struct cpumask *cpumask)", 96},
		{"init", "s32 (*)(void)", 248},
		{"exit", "void (*)(struct scx_exit_info *info)", 256},
		{"dispatch_max_batch", "u32", 264},
		{"flags", "u64", 272},
		{"timeout_ms", "u32", 280},
		{"exit_dump_len", "u32", 284},
		{"hotplug_seq", "u64", 288},
		{"name", "char[128]", 296},
	} {
		m := member(t, st, c.member)
		if got := spell(m.Type); got != c.typ || m.Offset.Bytes() != c.off {
			t.Errorf("%s: %q at %d, want %q at %d", c.member, got, m.Offset.Bytes(), c.typ, c.off)
		}
	}
	if st.Size != 424 {
		t.Errorf("sizeof(struct sched_ext_ops) = %d, want 424", st.Size)
	}
}

// The BPF types have the kernel's sizes.
func TestKernelBTFSizes(t *testing.T) {
	for name, want := range map[string]uint32{
		"struct bpf_spin_lock":        4,
		"struct bpf_res_spin_lock":    4,
		"struct bpf_timer":            16,
		"struct bpf_wq":               16,
		"struct bpf_dynptr":           16,
		"struct bpf_list_head":        16,
		"struct bpf_list_node":        24,
		"struct bpf_rb_root":          16,
		"struct bpf_rb_node":          32,
		"struct bpf_refcount":         4,
		"struct bpf_iter_num":         8,
		"struct bpf_iter_scx_dsq":     48,
		"struct cpumask":              sim.NrCPUs / 8,
		"cpumask_t":                   sim.NrCPUs / 8,
		"struct bpf_cpumask":          sim.NrCPUs/8 + 8,
		"struct scx_exit_info":        uint32(unsafe.Sizeof(ScxExitInfo{})),
		"struct scx_init_task_args":   16, // bool fork; struct cgroup *cgroup
		"struct scx_exit_task_args":   1,
		"struct scx_cgroup_init_args": 32, // weight, bw_period_us, bw_quota_us, bw_burst_us (6.17)
		"struct sched_ext_ops":        424,
		"struct task_struct":          uint32(unsafe.Sizeof(sim.TaskStruct{})),
		"u64":                         8,
		"s32":                         4,
		"bool":                        1,
		"size_t":                      8,
		"pid_t":                       4,
		"__be32":                      4,
		"unsigned long long":          8,
		"char":                        1,
	} {
		got, err := KernelSizeof(name)
		if err != nil || got != want {
			t.Errorf("sizeof(%s) = %d (%v), want %d", name, got, err, want)
		}
	}
	if off, err := KernelFieldOffset("scx_exit_info", "msg"); err != nil || uintptr(off) != unsafe.Offsetof(ScxExitInfo{}.Msg) {
		t.Errorf("scx_exit_info.msg at %d (%v)", off, err)
	}
	if off, err := KernelFieldOffset("bpf_cpumask", "usage"); err != nil || off != sim.NrCPUs/8 {
		t.Errorf("bpf_cpumask.usage at %d (%v)", off, err)
	}
	if _, err := KernelFieldOffset("task_struct", "no_such_field"); err == nil {
		t.Error("KernelFieldOffset of a missing member succeeded")
	}
	if _, err := KernelBTFTypeByName("struct no_such_struct"); err == nil {
		t.Error("KernelBTFTypeByName of a missing struct succeeded")
	}
	if _, err := KernelBTFTypeByName("enum task_struct"); err == nil {
		t.Error(`KernelBTFTypeByName("enum task_struct") succeeded`)
	}
}

func TestKernelBTFKfuncs(t *testing.T) {
	names := Kfuncs()
	if len(names) < 40 {
		t.Fatalf("Kfuncs: %d", len(names))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("kfunc %s declared twice", n)
		}
		seen[n] = true
		if _, err := KfuncProto(n); err != nil {
			t.Error(err)
		}
	}
	for _, c := range []struct{ name, proto string }{
		{"scx_bpf_dsq_insert", "void (struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)"},
		{"scx_bpf_select_cpu_dfl", "s32 (struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool *is_idle)"},
		{"scx_bpf_error_bstr", "void (char *fmt, unsigned long long *data, u32 data__sz)"},
		{"scx_bpf_exit_bstr", "void (s64 exit_code, char *fmt, unsigned long long *data, u32 data__sz)"},
		{"scx_bpf_get_idle_cpumask", "const struct cpumask *(void)"},
		{"bpf_obj_new_impl", "void *(u64 local_type_id__k, void *meta__ign)"},
		{"bpf_obj_drop_impl", "void (void *p__alloc, void *meta__ign)"},
		{"bpf_rbtree_add_impl", "int (struct bpf_rb_root *root, struct bpf_rb_node *node, " +
			"bool (*less)(struct bpf_rb_node *a, const struct bpf_rb_node *b), void *meta__ign, u64 off)"},
		{"bpf_iter_num_next", "int *(struct bpf_iter_num *it)"},
		{"bpf_cpumask_and", "bool (struct bpf_cpumask *dst, const struct cpumask *src1, const struct cpumask *src2)"},
	} {
		p, err := KfuncProto(c.name)
		if err != nil {
			t.Error(err)
			continue
		}
		if got := spell(p); got != c.proto {
			t.Errorf("%s: %s, want %s", c.name, got, c.proto)
		}
	}
	if _, err := KfuncProto("no_such_kfunc"); err == nil {
		t.Error("KfuncProto of a missing kfunc succeeded")
	}
}

// Inconsistent Go definitions are reported, not papered over.
func TestKernelBTFRejectsBadDefinitions(t *testing.T) {
	type noTag struct {
		A uint32
	}
	type badSize struct {
		A uint32 `btf:"a" ctype:"u64"`
	}
	type badCType struct {
		A uint64 `btf:"a" ctype:"struct no_such *"`
	}
	type badGoType struct {
		A float64 `btf:"a"`
	}
	for _, c := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[noTag](), "no btf tag"},
		{reflect.TypeFor[badSize](), "size"},
		{reflect.TypeFor[badCType](), "unknown type"},
		{reflect.TypeFor[badGoType](), "no C type"},
	} {
		k := &ktypes{byName: map[string]btf.Type{}, derived: map[string]btf.Type{}}
		k.integer("__ARRAY_SIZE_TYPE__", 4, btf.Unsigned)
		k.integer("unsigned int", 4, btf.Unsigned)
		k.typedef("u32", "unsigned int")
		k.integer("unsigned long long", 8, btf.Unsigned)
		k.typedef("u64", "unsigned long long")
		k.goStruct("bad", c.typ)
		if k.err == nil || !strings.Contains(k.err.Error(), c.want) {
			t.Errorf("%v: error %v, want one about %q", c.typ, k.err, c.want)
		}
	}
	k := &ktypes{byName: map[string]btf.Type{}, derived: map[string]btf.Type{}}
	k.decl("u32 a b")
	if k.err == nil {
		t.Error("decl of an unknown type succeeded")
	}
}
