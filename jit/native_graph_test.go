package jit

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// graphTypes is a program BTF with the object types of
// TestNativeGraphSameAsKfuncs: struct item { struct bpf_rb_node rb; u64
// key; u64 pad; } and struct ritem { struct bpf_refcount ref; struct
// bpf_rb_node rb; struct bpf_list_node ln; u64 key; }.
func graphTypes(t *testing.T) (*btf.Spec, uint64, uint64) {
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	u64 := &btf.Int{Name: "long long unsigned int", Size: 8}
	s32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	opaque := func(name string, n uint32, elem *btf.Int) *btf.Struct {
		return &btf.Struct{Name: name, Size: n * elem.Size, Members: []btf.Member{
			{Name: "__opaque", Type: &btf.Array{Type: elem, Index: s32, Nelems: n}}}}
	}
	mem := func(name string, t btf.Type, off uint32) btf.Member {
		return btf.Member{Name: name, Type: t, Offset: btf.Bits(off * 8)}
	}
	rbNode, listNode, refcount := opaque("bpf_rb_node", 4, u64), opaque("bpf_list_node", 3, u64), opaque("bpf_refcount", 1, u32)
	item := &btf.Struct{Name: "item", Size: 48, Members: []btf.Member{mem("rb", rbNode, 0), mem("key", u64, 32), mem("pad", u64, 40)}}
	ritem := &btf.Struct{Name: "ritem", Size: 72, Members: []btf.Member{
		mem("ref", refcount, 0), mem("rb", rbNode, 8), mem("ln", listNode, 40), mem("key", u64, 64)}}
	b, err := btf.NewBuilder([]btf.Type{u32, u64, s32, item, ritem}, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := b.Spec()
	if err != nil {
		t.Fatal(err)
	}
	id := func(s *btf.Struct) uint64 {
		i, err := spec.TypeID(s)
		if err != nil {
			t.Fatal(err)
		}
		return uint64(i)
	}
	var it, rit *btf.Struct
	if spec.TypeByName("item", &it) != nil || spec.TypeByName("ritem", &rit) != nil {
		t.Fatal("types")
	}
	return spec, id(it), id(rit)
}

// TestNativeGraphSameAsKfuncs drives bpf_obj_new, bpf_obj_drop,
// bpf_rbtree_add, bpf_rbtree_remove (native on the JIT in their common
// cases) and bpf_refcount_acquire with random arguments (live, dropped and
// corrupted objects, trees empty or not, misaligned, NULL and outside
// pointers, scribbled headers and links) on the interpreter and on the
// JIT from the same state (one memory, put back between the two), and
// compares after every call r0, the fault, instructions, costs, the
// memory's bytes and its allocator (bpfvm.MemorySnapshot). It checks that
// the JIT served a good part of the calls natively, and that with a cost
// limit it called every kfunc.
func TestNativeGraphSameAsKfuncs(t *testing.T) {
	spec, itemID, ritemID := graphTypes(t)
	src := `
	r6 = r1
	r7 = r2
	r8 = r3
	r9 = r4
	if r6 == 0 goto newitem
	if r6 == 1 goto newritem
	if r6 == 2 goto drop
	if r6 == 3 goto add
	if r6 == 4 goto remove
	r1 = r7
	r2 = 0
	call kfunc bpf_refcount_acquire_impl
	exit
newitem:
	r1 = ` + fmt.Sprint(itemID) + ` ll
	r2 = 0
	call kfunc bpf_obj_new_impl
	exit
newritem:
	r1 = ` + fmt.Sprint(ritemID) + ` ll
	r2 = 0
	call kfunc bpf_obj_new_impl
	exit
drop:
	r1 = r7
	r2 = 0
	call kfunc bpf_obj_drop_impl
	r0 = 5
	exit
add:
	r1 = r7
	r2 = r8
	r3 = r9
	r4 = 0
	r5 = 0
	call kfunc bpf_rbtree_add_impl
	exit
remove:
	r1 = r7
	r2 = r8
	call kfunc bpf_rbtree_remove
	exit
less:
	r3 = *(u64 *)(r1 + 32)
	r4 = *(u64 *)(r2 + 32)
	r0 = 0
	if r3 >= r4 goto lt
	r0 = 1
lt:
	exit`
	names := []string{"bpf_obj_new_impl", "bpf_obj_drop_impl", "bpf_rbtree_add_impl", "bpf_rbtree_remove", "bpf_refcount_acquire_impl"}
	lessPC := uint64(strings.Count(strings.Split(src, "less:")[0], "\n") - 1)
	type side struct {
		vm    *bpfvm.VM
		c     *bpfvm.Context
		p     *bpfvm.Program
		calls int
		per   map[string]int
	}
	const memSize = 128 << 10
	setup := func(mem *bpfvm.Memory, e bpfvm.Engine, costLimit uint64) *side {
		s := &side{per: map[string]int{}}
		reg := bpfvm.NewRegistry()
		bpfvm.RegisterBase(reg)
		bpfvm.RegisterGraph(reg)
		for i, name := range names { // count the calls, charge a cost
			id, _ := reg.KfuncByName(name)
			k := *reg.Kfunc(id)
			fn := k.Fn
			k.Fn = func(c *bpfvm.Context, a, b, cc, d, e uint64) (uint64, error) {
				s.calls++
				s.per[k.Name]++
				return fn(c, a, b, cc, d, e)
			}
			k.Cost = uint64(i)
			reg.AddKfunc(&k)
		}
		insns, err := bpfvm.AssembleWith(src, reg)
		if err != nil {
			t.Fatal(err)
		}
		s.p = &bpfvm.Program{Name: "graph", Insns: insns, BTF: spec}
		s.vm = &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 1, Programs: []*bpfvm.Program{s.p}}
		if s.c, err = s.vm.NewContext(0); err != nil {
			t.Fatal(err)
		}
		s.c.Engine, s.c.CostLimit = e, costLimit
		return s
	}
	for _, costLimit := range []uint64{0, 1 << 40} {
		// both engines on one memory: each call runs on the interpreter,
		// the memory is put back as it was, the call runs on the JIT
		mem, err := bpfvm.NewMemory(memSize)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mem.Close() })
		a, b := setup(mem, bpfvm.NewInterpreter(), costLimit), setup(mem, New(), costLimit)
		base := mem.Base()
		var roots, objs []uint64 // objs: objects handed out (some dropped since)
		for range 2 {
			r, _ := mem.Alloc(64, 16)
			roots = append(roots, r)
		}
		rng := rand.New(rand.NewPCG(1, costLimit))
		pick := func(node bool) uint64 {
			switch k := rng.IntN(20); {
			case k < 16 && len(objs) > 0:
				o := objs[rng.IntN(len(objs))]
				if node && mem.Load32(o-16) == 72 { // a ritem: its node
					o += 8
				}
				return o
			case k < 17:
				return roots[rng.IntN(2)] // (as a node: overlaps the root)
			case k == 17:
				return 0
			case k == 18:
				return roots[0] + 4
			}
			return base + memSize - 8
		}
		for step := range 2000 {
			op := rng.IntN(12)
			var args [4]uint64
			if step < 400 {
				// first the common cases, in turn: an item added to an
				// empty tree, removed and dropped; a ritem acquired and
				// dropped twice
				newest := func(node bool) uint64 {
					o := objs[len(objs)-1]
					if node && mem.Load32(o-16) == 72 {
						o += 8
					}
					return o
				}
				switch step % 8 {
				case 0:
					op = 0
				case 1:
					op, args[1], args[2], args[3] = 3, roots[0], newest(true), 0xffff_fff0_0000_0000+lessPC
				case 2:
					op, args[1], args[2] = 4, roots[0], newest(true)
				case 3:
					op, args[1] = 2, newest(false)
				case 4:
					op = 1
				case 5:
					op, args[1] = 5, newest(false)
				case 6, 7:
					op, args[1] = 2, newest(false)
				}
				op = -op - 1
			}
			switch {
			case op < 0:
				op = -op - 1
			case op <= 1: // new
			case op <= 3:
				op, args[1] = 2, pick(false)
			case op <= 5:
				op, args[1], args[2] = 3, roots[rng.IntN(2)], pick(true)
				if rng.IntN(2) == 0 && len(objs) > 0 { // the newest object
					args[2] = objs[len(objs)-1]
					if mem.Load32(args[2]-16) == 72 {
						args[2] += 8
					}
				}
				args[3] = 0xffff_fff0_0000_0000 + lessPC
				if rng.IntN(30) == 0 {
					args[3] = lessPC
				}
			case op <= 9:
				op, args[1], args[2] = 4, roots[rng.IntN(2)], pick(true)
				if first := mem.Load64(args[1] + 8); first != 0 && rng.IntN(2) == 0 {
					args[2] = first // the leftmost node
				}
				if rng.IntN(10) == 0 {
					args[1] = pick(false)
				}
			case op == 10:
				op, args[1] = 5, pick(false)
			default: // scribble a word of an object
				if len(objs) == 0 || rng.IntN(4) != 0 {
					continue
				}
				v := uint64(rng.IntN(3))
				if rng.IntN(2) == 0 {
					v = pick(true)
				}
				mem.Store64(objs[rng.IntN(len(objs))]+uint64(rng.IntN(10))*8-32, v)
				continue
			}
			args[0] = uint64(op)
			before := mem.Snapshot()
			var res [2]string
			var after [2]*bpfvm.MemorySnapshot
			for i, s := range []*side{a, b} {
				if i == 1 {
					mem.Restore(before)
				}
				r0, err := s.c.Call(s.p, args[0], args[1], args[2], args[3])
				res[i] = fmt.Sprintf("r0 %#x err %v insns %d cost %d", r0, err, s.c.Insns, s.c.Cost)
				after[i] = mem.Snapshot()
				if i == 0 && err == nil && r0 != 0 && op <= 1 {
					objs = append(objs, r0)
				}
			}
			if res[0] != res[1] {
				t.Fatalf("limit %d step %d op %d args %x:\ninterp %s\njit    %s", costLimit, step, op, args, res[0], res[1])
			}
			if d := after[0].Diff(after[1]); d != "" {
				t.Fatalf("limit %d step %d op %d args %x (%s): memory differs: %s", costLimit, step, op, args, res[0], d)
			}
		}
		calls := [2]int{a.calls, b.calls}
		t.Logf("cost limit %d: kfunc calls on the interpreter %v, served in Go on the JIT %v", costLimit, a.per, b.per)
		for _, name := range names[:4] {
			if costLimit == 0 && b.per[name]+40 > a.per[name] {
				t.Errorf("the JIT called %s %d times of %d", name, b.per[name], a.per[name])
			}
		}
		if costLimit != 0 && calls[1] != calls[0] {
			t.Errorf("with a cost limit the JIT called the graph kfuncs %d times, the interpreter %d", calls[1], calls[0])
		}
	}
}
