package bpfvm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
)

// ---- environment ----

type graphEnv struct {
	t    testing.TB
	vm   *VM
	reg  *Registry
	c    *Context
	spec *btf.Spec
	prog *Program // the assembled less callbacks, with spec as its BTF
	ty   map[string]btf.TypeID
}

func newGraphRegistry() *Registry {
	reg := NewRegistry()
	RegisterBase(reg)
	RegisterMapHelpers(reg)
	RegisterGraph(reg)
	// Stand-ins for the lead's bpf_spin_lock/unlock (package policies).
	nop := func(*Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }
	reg.AddHelper(&Helper{ID: 93, Name: "bpf_spin_lock", Fn: nop, Args: [5]ArgType{ArgPtrToSpinLock}, Ret: RetVoid})
	reg.AddHelper(&Helper{ID: 94, Name: "bpf_spin_unlock", Fn: nop, Args: [5]ArgType{ArgPtrToSpinLock}, Ret: RetVoid})
	return reg
}

// Less callbacks: r0 = key(a) < key(b), the key at +32 from the node
// (struct item) or at +56 (struct ritem).
const graphLessAsm = `
	r3 = *(u64 *)(r1 + 32)
	r4 = *(u64 *)(r2 + 32)
	r0 = 0
	if r3 >= r4 goto a
	r0 = 1
a:	exit
	r3 = *(u64 *)(r1 + 56)
	r4 = *(u64 *)(r2 + 56)
	r0 = 0
	if r3 >= r4 goto b
	r0 = 1
b:	exit`

const (
	lessItemPC  = 0
	lessRitemPC = 6
)

func newGraphEnv(t testing.TB, memSize uint64) *graphEnv {
	t.Helper()
	reg := newGraphRegistry()
	vm, err := NewVM(VMConfig{MemSize: memSize, NumCPUs: 1, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Close() })
	c, err := vm.NewContext(0)
	if err == nil {
		c.Engine = testEngine()
	}
	if err != nil {
		t.Fatal(err)
	}
	e := &graphEnv{t: t, vm: vm, reg: reg, c: c}
	e.buildTypes()
	insns, err := Assemble(graphLessAsm)
	if err != nil {
		t.Fatal(err)
	}
	e.prog = &Program{Name: "graph_less", Insns: insns, BTF: e.spec}
	c.Prog = e.prog
	return e
}

// buildTypes makes a program BTF with the object types the tests allocate.
func (e *graphEnv) buildTypes() {
	u8 := &btf.Int{Name: "unsigned char", Size: 1}
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	u64 := &btf.Int{Name: "long long unsigned int", Size: 8}
	s32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	opaque := func(name string, n uint32, elem *btf.Int) *btf.Struct {
		return &btf.Struct{Name: name, Size: n * elem.Size, Members: []btf.Member{
			{Name: "__opaque", Type: &btf.Array{Type: elem, Index: s32, Nelems: n}}}}
	}
	rbNode, rbRoot := opaque("bpf_rb_node", 4, u64), opaque("bpf_rb_root", 2, u64)
	listNode, listHead := opaque("bpf_list_node", 3, u64), opaque("bpf_list_head", 2, u64)
	refcount := opaque("bpf_refcount", 1, u32)
	lock := &btf.Struct{Name: "bpf_spin_lock", Size: 4, Members: []btf.Member{{Name: "val", Type: u32}}}
	mem := func(name string, t btf.Type, off uint32, tags ...string) btf.Member {
		return btf.Member{Name: name, Type: t, Offset: btf.Bits(off * 8), Tags: tags}
	}
	// struct item { struct bpf_rb_node rb; u64 key; u64 pad; }
	item := &btf.Struct{Name: "item", Size: 48, Members: []btf.Member{
		mem("rb", rbNode, 0), mem("key", u64, 32), mem("pad", u64, 40)}}
	// struct elem { u64 v; struct bpf_list_node ln; }
	elem := &btf.Struct{Name: "elem", Size: 32, Members: []btf.Member{
		mem("v", u64, 0), mem("ln", listNode, 8)}}
	// struct ritem { struct bpf_refcount ref; struct bpf_rb_node rb;
	//	struct bpf_list_node ln; u64 key; } (key at rb+56)
	ritem := &btf.Struct{Name: "ritem", Size: 72, Members: []btf.Member{
		mem("ref", refcount, 0), mem("rb", rbNode, 8), mem("ln", listNode, 40), mem("key", u64, 64)}}
	// struct holder { struct bpf_spin_lock lock; struct bpf_rb_root root
	//	__contains(item, rb); struct { struct bpf_list_head heads[2]
	//	__contains(elem, ln); } in; struct item __kptr *stash; u8 tail[5]; }
	inner := &btf.Struct{Name: "", Size: 32, Members: []btf.Member{
		mem("heads", &btf.Array{Type: listHead, Index: s32, Nelems: 2}, 0, "contains:elem:ln")}}
	kptr := &btf.Pointer{Target: &btf.TypeTag{Value: "kptr", Type: item}}
	holder := &btf.Struct{Name: "holder", Size: 80, Members: []btf.Member{
		mem("lock", lock, 0), mem("root", rbRoot, 8, "contains:item:rb"), mem("in", inner, 24),
		mem("stash", kptr, 56), mem("tail", &btf.Array{Type: u8, Index: s32, Nelems: 5}, 64)}}
	// struct untagged { struct bpf_list_head head; } (no __contains)
	untagged := &btf.Struct{Name: "untagged", Size: 16, Members: []btf.Member{mem("head", listHead, 0)}}
	big := &btf.Struct{Name: "big", Size: MaxObjSize + 8, Members: []btf.Member{
		mem("data", &btf.Array{Type: u8, Index: s32, Nelems: MaxObjSize + 8}, 0)}}
	maxed := &btf.Struct{Name: "maxed", Size: MaxObjSize, Members: []btf.Member{
		mem("data", &btf.Array{Type: u8, Index: s32, Nelems: MaxObjSize}, 0)}}
	empty := &btf.Struct{Name: "empty", Size: 0}
	types := []btf.Type{u8, u32, u64, s32, item, elem, ritem, holder, untagged, big, maxed, empty}
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	spec, err := b.Spec()
	if err != nil {
		e.t.Fatal(err)
	}
	e.spec = spec
	e.ty = map[string]btf.TypeID{}
	for _, name := range []string{"item", "elem", "ritem", "holder", "untagged", "big", "maxed", "empty"} {
		var s *btf.Struct
		if err := spec.TypeByName(name, &s); err != nil {
			e.t.Fatal(err)
		}
		id, err := spec.TypeID(s)
		if err != nil {
			e.t.Fatal(err)
		}
		e.ty[name] = id
	}
	var i *btf.Int
	if err := spec.TypeByName("int", &i); err != nil {
		e.t.Fatal(err)
	}
	id, _ := spec.TypeID(i)
	e.ty["int"] = id
}

// kf calls a kfunc as the engine does (errors become *Fault).
func (e *graphEnv) kf(name string, args ...uint64) (uint64, error) {
	id, ok := e.reg.KfuncByName(name)
	if !ok {
		e.t.Fatalf("no kfunc %s", name)
	}
	var a [5]uint64
	copy(a[:], args)
	return e.c.CallFunc(true, id, a[0], a[1], a[2], a[3], a[4])
}

// must is kf that must succeed.
func (e *graphEnv) must(name string, args ...uint64) uint64 {
	e.t.Helper()
	r, err := e.kf(name, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return r
}

func (e *graphEnv) newObj(typ string) uint64 {
	e.t.Helper()
	p := e.must("bpf_obj_new_impl", uint64(e.ty[typ]), 0)
	if p == 0 {
		e.t.Fatalf("bpf_obj_new(struct %s) = NULL", typ)
	}
	return p
}

func (e *graphEnv) alloc(n uint64) uint64 {
	e.t.Helper()
	a, err := e.vm.Mem.Alloc(n, 16)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func wantGraphFault(t *testing.T, err error, parts ...string) {
	t.Helper()
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("error %v is not a *Fault", err)
	}
	wantErr(t, err, parts...)
}

// ---- invariant checkers ----

// checkRbtree checks the tree at root: parent links, no red node with a
// red child, equal black height on every path, depth within 2*log2(n+1),
// the leftmost cache, and (if owners) every node's owner. It returns the
// nodes in order.
func checkRbtree(m *Memory, root uint64, owners bool) ([]uint64, error) {
	var order []uint64
	var walk func(n, parent uint64, depth int) (int, error)
	maxDepth := 0
	walk = func(n, parent uint64, depth int) (int, error) {
		if n == 0 {
			return 1, nil
		}
		maxDepth = max(maxDepth, depth)
		if depth > 100 {
			return 0, errors.New("tree deeper than 100")
		}
		pc := m.Load64(n + rbParentColor)
		if pc&^3 != parent {
			return 0, fmt.Errorf("node %s: parent %s, want %s", m.Describe(n), m.Describe(pc&^3), m.Describe(parent))
		}
		red := pc&1 == rbRed
		if red && (parent == 0 || m.Load64(parent)&1 == rbRed) {
			return 0, fmt.Errorf("node %s: red with a red parent (or red root)", m.Describe(n))
		}
		if owners && m.Load64(n+rbOwner) != root {
			return 0, fmt.Errorf("node %s: owner %s", m.Describe(n), m.Describe(m.Load64(n+rbOwner)))
		}
		lb, err := walk(m.Load64(n+rbLeft), n, depth+1)
		if err != nil {
			return 0, err
		}
		order = append(order, n)
		rb, err := walk(m.Load64(n+rbRight), n, depth+1)
		if err != nil {
			return 0, err
		}
		if lb != rb {
			return 0, fmt.Errorf("node %s: black heights %d and %d", m.Describe(n), lb, rb)
		}
		if !red {
			lb++
		}
		return lb, nil
	}
	top := m.Load64(root + rbRootNode)
	if top != 0 && m.Load64(top)&1 != rbBlack {
		return nil, errors.New("red root")
	}
	if _, err := walk(top, 0, 1); err != nil {
		return nil, err
	}
	var first uint64
	if len(order) > 0 {
		first = order[0]
	}
	if lm := m.Load64(root + rbRootLeftmost); lm != first {
		return nil, fmt.Errorf("leftmost cache %s, first node %s", m.Describe(lm), m.Describe(first))
	}
	if limit := 2 * bits.Len(uint(len(order)+1)); maxDepth > limit {
		return nil, fmt.Errorf("depth %d for %d nodes", maxDepth, len(order))
	}
	return order, nil
}

// checkList checks the list at head both ways and every owner, and returns
// its nodes from the front.
func checkList(m *Memory, head uint64) ([]uint64, error) {
	next := m.Load64(head + listNext)
	if next == 0 {
		if m.Load64(head+listPrev) != 0 {
			return nil, errors.New("half-initialised head")
		}
		return nil, nil
	}
	var nodes []uint64
	prev := head
	for n := next; n != head; n = m.Load64(n + listNext) {
		if len(nodes) > 1<<20 {
			return nil, errors.New("list does not lead back to its head")
		}
		if m.Load64(n+listPrev) != prev {
			return nil, fmt.Errorf("node %s: prev %s, want %s", m.Describe(n), m.Describe(m.Load64(n+listPrev)), m.Describe(prev))
		}
		if m.Load64(n+listOwner) != head {
			return nil, fmt.Errorf("node %s: owner %s", m.Describe(n), m.Describe(m.Load64(n+listOwner)))
		}
		nodes = append(nodes, n)
		prev = n
	}
	if m.Load64(head+listPrev) != prev {
		return nil, errors.New("head's prev is not the last node")
	}
	return nodes, nil
}

// ---- trees ----

// TestRbtreeRandom inserts and removes random nodes (keys with many
// duplicates) thousands of times, and after every operation compares the
// tree in order with a sorted reference (equal keys in insertion order)
// and checks the red-black invariants and the leftmost cache. Once through
// the Go core with a Go comparison, once through the kfuncs with a BPF
// less callback (which also checks owners and bpf_rbtree_first).
func TestRbtreeRandom(t *testing.T) { onEngines(t, testRbtreeRandom) }

func testRbtreeRandom(t *testing.T) {
	for _, viaKfuncs := range []bool{false, true} {
		t.Run(map[bool]string{false: "core", true: "kfuncs"}[viaKfuncs], func(t *testing.T) {
			e := newGraphEnv(t, 64<<20)
			m := e.vm.Mem
			const pool, ops = 400, 6000
			root := e.alloc(RbRootSize)
			nodes := make([]uint64, pool)
			in := make([]bool, pool)
			for i := range nodes {
				nodes[i] = e.newObj("item") // rb at 0, key at 32
			}
			key := func(n uint64) uint64 { return m.Load64(n + 32) }
			g := newGmem(m)
			goLess := func(a, b uint64) (bool, error) { return key(a) < key(b), nil }
			var ref []uint64
			rng := rand.New(rand.NewPCG(1, 2))
			for op := 0; op < ops; op++ {
				i := rng.IntN(pool)
				n := nodes[i]
				what := ""
				switch {
				case !in[i]:
					what = "add"
					m.Store64(n+32, rng.Uint64N(64))
					if viaKfuncs {
						if r := e.must("bpf_rbtree_add_impl", root, n, FuncPtr(lessItemPC), 0, 0); r != 0 {
							t.Fatalf("op %d: add = %d", op, int64(r))
						}
					} else if err := g.rbAdd(root, n, goLess); err != nil {
						t.Fatal(err)
					}
					k := key(n) // after the equal keys already in
					ref = slices.Insert(ref, sort.Search(len(ref), func(j int) bool { return key(ref[j]) > k }), n)
					in[i] = true
				case viaKfuncs && rng.IntN(3) == 0:
					what = "first+remove"
					f := e.must("bpf_rbtree_first", root)
					if f != ref[0] {
						t.Fatalf("op %d: first = %s, want %s", op, m.Describe(f), m.Describe(ref[0]))
					}
					if r := e.must("bpf_rbtree_remove", root, f); r != f {
						t.Fatalf("op %d: remove = %s", op, m.Describe(r))
					}
					in[slices.Index(nodes, f)] = false
					ref = ref[1:]
				default:
					what = "remove"
					if viaKfuncs {
						if r := e.must("bpf_rbtree_remove", root, n); r != n {
							t.Fatalf("op %d: remove = %s", op, m.Describe(r))
						}
						if m.Load64(n+rbOwner) != 0 || m.Load64(n+rbParentColor) != n {
							t.Fatalf("op %d: removed node not cleared", op)
						}
					} else {
						if err := g.rbErase(root, n); err != nil {
							t.Fatal(err)
						}
					}
					ref = slices.DeleteFunc(ref, func(x uint64) bool { return x == n })
					in[i] = false
				}
				order, err := checkRbtree(m, root, viaKfuncs)
				if err != nil {
					t.Fatalf("op %d (%s): %v", op, what, err)
				}
				if !slices.Equal(order, ref) {
					t.Fatalf("op %d (%s): tree order differs from the reference", op, what)
				}
			}
			if len(ref) < 50 {
				t.Errorf("only %d nodes at the end: the test did not grow the tree", len(ref))
			}
		})
	}
}

// TestRbtreeAccessors walks a tree with bpf_rbtree_root/left/right and
// checks the children against the bytes, and the owner checks.
func TestRbtreeAccessors(t *testing.T) { onEngines(t, testRbtreeAccessors) }

func testRbtreeAccessors(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem
	root, other := e.alloc(RbRootSize), e.alloc(RbRootSize)
	if r := e.must("bpf_rbtree_root", root); r != 0 {
		t.Fatalf("root of an empty tree = %#x", r)
	}
	if r := e.must("bpf_rbtree_first", root); r != 0 {
		t.Fatalf("first of an empty tree = %#x", r)
	}
	for k := range 31 {
		n := e.newObj("item")
		m.Store64(n+32, uint64(k*7%31))
		e.must("bpf_rbtree_add_impl", root, n, FuncPtr(lessItemPC), 0, 0)
	}
	count := 0
	var walk func(n uint64, lo, hi uint64)
	walk = func(n uint64, lo, hi uint64) {
		if n == 0 {
			return
		}
		count++
		k := m.Load64(n + 32)
		if k < lo || k > hi {
			t.Errorf("key %d outside [%d, %d]", k, lo, hi)
		}
		l, r := e.must("bpf_rbtree_left", root, n), e.must("bpf_rbtree_right", root, n)
		if l != m.Load64(n+rbLeft) || r != m.Load64(n+rbRight) {
			t.Errorf("left/right of %s: %#x %#x", m.Describe(n), l, r)
		}
		if x := e.must("bpf_rbtree_left", other, n); x != 0 {
			t.Errorf("bpf_rbtree_left with another root = %#x, want NULL", x)
		}
		walk(l, lo, k)
		walk(r, k, hi)
	}
	walk(e.must("bpf_rbtree_root", root), 0, 30)
	if count != 31 {
		t.Errorf("walked %d nodes, want 31", count)
	}
	// Remove with the wrong root, or a node in no tree: NULL.
	f := e.must("bpf_rbtree_first", root)
	if r := e.must("bpf_rbtree_remove", other, f); r != 0 {
		t.Errorf("remove from another root = %#x, want NULL", r)
	}
	loose := e.newObj("item")
	if r := e.must("bpf_rbtree_remove", root, loose); r != 0 {
		t.Errorf("remove of a node in no tree = %#x, want NULL", r)
	}
	if _, err := checkRbtree(m, root, true); err != nil {
		t.Fatal(err)
	}
}

// TestRbtreeStableEqualKeys: equal keys come out in insertion order.
func TestRbtreeStableEqualKeys(t *testing.T) { onEngines(t, testRbtreeStableEqualKeys) }

func testRbtreeStableEqualKeys(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem
	root := e.alloc(RbRootSize)
	var want []uint64
	for i := range 100 {
		n := e.newObj("item")
		m.Store64(n+32, uint64(i%3))
		m.Store64(n+40, uint64(i)) // pad: the insertion number
		e.must("bpf_rbtree_add_impl", root, n, FuncPtr(lessItemPC), 0, 0)
	}
	for k := range 3 {
		for i := k; i < 100; i += 3 {
			want = append(want, uint64(i))
		}
	}
	var got []uint64
	for {
		f := e.must("bpf_rbtree_first", root)
		if f == 0 {
			break
		}
		e.must("bpf_rbtree_remove", root, f)
		got = append(got, m.Load64(f+40))
		e.must("bpf_obj_drop_impl", f, 0)
	}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// ---- lists ----

// TestListRandom pushes and pops at both ends against a reference deque,
// starting from an all-zero head (as a map leaves it).
func TestListRandom(t *testing.T) { onEngines(t, testListRandom) }

func testListRandom(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem
	head := e.alloc(ListHeadSize)
	if r := e.must("bpf_list_front", head); r != 0 {
		t.Fatalf("front of a zero head = %#x", r)
	}
	if r := e.must("bpf_list_pop_back", head); r != 0 {
		t.Fatalf("pop of a zero head = %#x", r)
	}
	const pool = 64
	var free, ref []uint64
	for range pool {
		free = append(free, e.newObj("elem")+8) // ln at 8
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for op := range 5000 {
		switch r := rng.IntN(6); {
		case r < 2 && len(free) > 0:
			n := free[len(free)-1]
			free = free[:len(free)-1]
			if r == 0 {
				e.must("bpf_list_push_front_impl", head, n, 0, 8)
				ref = slices.Insert(ref, 0, n)
			} else {
				e.must("bpf_list_push_back_impl", head, n, 0, 8)
				ref = append(ref, n)
			}
		case r < 4:
			want := uint64(0)
			name := "bpf_list_pop_front"
			if r == 3 {
				name = "bpf_list_pop_back"
			}
			if len(ref) > 0 {
				if r == 2 {
					want, ref = ref[0], ref[1:]
				} else {
					want, ref = ref[len(ref)-1], ref[:len(ref)-1]
				}
			}
			if got := e.must(name, head); got != want {
				t.Fatalf("op %d: %s = %s, want %s", op, name, m.Describe(got), m.Describe(want))
			}
			if want != 0 {
				if m.Load64(want+listOwner) != 0 || m.Load64(want+listNext) != want || m.Load64(want+listPrev) != want {
					t.Fatalf("op %d: popped node not cleared", op)
				}
				free = append(free, want)
			}
		default:
			var wf, wb uint64
			if len(ref) > 0 {
				wf, wb = ref[0], ref[len(ref)-1]
			}
			if f, b := e.must("bpf_list_front", head), e.must("bpf_list_back", head); f != wf || b != wb {
				t.Fatalf("op %d: front/back %#x %#x, want %#x %#x", op, f, b, wf, wb)
			}
		}
		got, err := checkList(m, head)
		if err != nil {
			t.Fatalf("op %d: %v", op, err)
		}
		if !slices.Equal(got, ref) {
			t.Fatalf("op %d: list differs from the reference", op)
		}
	}
}

// ---- objects ----

// TestObjNew checks sizes, alignment, zeroing and the initialisation of
// special fields (through nested structs and arrays), and the NULL cases.
func TestObjNew(t *testing.T) { onEngines(t, testObjNew) }

func testObjNew(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem

	// Reuse of freed memory must still give zeroed objects.
	scribble := e.newObj("holder")
	b := m.MustBytes(scribble, 80)
	for i := range b {
		b[i] = 0xa5
	}
	clear(b[8:64]) // the root, heads and kptr, so that the drop finds them empty
	e.must("bpf_obj_drop_impl", scribble, 0)

	h := e.newObj("holder")
	if h != scribble {
		t.Fatalf("the freed object's memory was not reused (%s, %s)", m.Describe(h), m.Describe(scribble))
	}
	if h&15 != 0 {
		t.Errorf("object at %s is not 16-byte aligned", m.Describe(h))
	}
	rec, _, err := readObjHeader(m, h)
	if err != nil {
		t.Fatal(err)
	}
	if rec.size != 80 {
		t.Errorf("size %d, want 80", rec.size)
	}
	want := []objField{
		{kind: fieldRbRoot, off: 8, nodeOff: 0},
		{kind: fieldListHead, off: 24, nodeOff: 8},
		{kind: fieldListHead, off: 40, nodeOff: 8},
		{kind: fieldKptr, off: 56},
	}
	if !slices.Equal(rec.fields, want) {
		t.Errorf("fields %+v, want %+v", rec.fields, want)
	}
	wantBytes := make([]byte, 80)
	binary.LittleEndian.PutUint64(wantBytes[24:], h+24) // heads[0]: INIT_LIST_HEAD
	binary.LittleEndian.PutUint64(wantBytes[32:], h+24)
	binary.LittleEndian.PutUint64(wantBytes[40:], h+40) // heads[1]
	binary.LittleEndian.PutUint64(wantBytes[48:], h+40)
	if got := m.MustBytes(h, 80); !slices.Equal(got, wantBytes) {
		t.Errorf("holder bytes\n%x\nwant\n%x", got, wantBytes)
	}

	r := e.newObj("ritem")
	if rc := m.Load32(r); rc != 1 {
		t.Errorf("refcount %d, want 1", rc)
	}
	if pc := m.Load64(r + 8); pc != r+8 {
		t.Errorf("rb_node parent_color %#x, want the node itself (RB_CLEAR_NODE)", pc)
	}
	if n, p := m.Load64(r+40), m.Load64(r+48); n != r+40 || p != r+40 {
		t.Errorf("list node %#x %#x, want itself", n, p)
	}
	for _, off := range []uint64{16, 24, 32, 56, 64} { // rb right/left/owner, ln owner, key
		if v := m.Load64(r + off); v != 0 {
			t.Errorf("ritem+%d = %#x, want 0", off, v)
		}
	}

	if p := e.must("bpf_obj_new_impl", uint64(e.ty["maxed"]), 0); p == 0 {
		t.Errorf("bpf_obj_new of %d bytes = NULL", MaxObjSize)
	}
	for _, ty := range []string{"big", "empty"} {
		if p := e.must("bpf_obj_new_impl", uint64(e.ty[ty]), 0); p != 0 {
			t.Errorf("bpf_obj_new(struct %s) = %s, want NULL", ty, m.Describe(p))
		}
	}
	_, err = e.kf("bpf_obj_new_impl", uint64(e.ty["int"]), 0)
	wantGraphFault(t, err, "bpf_obj_new_impl", "is int, not a struct")
	_, err = e.kf("bpf_obj_new_impl", 99999, 0)
	wantGraphFault(t, err, "local type id 99999")
	e.c.Prog = &Program{Name: "nobtf", Insns: e.prog.Insns}
	_, err = e.kf("bpf_obj_new_impl", uint64(e.ty["item"]), 0)
	wantGraphFault(t, err, "has no BTF")
}

// TestObjNewExhaustion: bpf_obj_new returns NULL, not an error, when
// linear memory runs out; dropping everything frees it all.
func TestObjNewExhaustion(t *testing.T) { onEngines(t, testObjNewExhaustion) }

func testObjNewExhaustion(t *testing.T) {
	e := newGraphEnv(t, 1<<20)
	m := e.vm.Mem
	base := m.InUse()
	var objs []uint64
	for {
		p := e.must("bpf_obj_new_impl", uint64(e.ty["item"]), 0)
		if p == 0 {
			break
		}
		objs = append(objs, p)
		if len(objs) > 1<<20 {
			t.Fatal("bpf_obj_new never returned NULL")
		}
	}
	if len(objs) < 1000 {
		t.Errorf("only %d objects in 1 MiB", len(objs))
	}
	for _, p := range objs {
		e.must("bpf_obj_drop_impl", p, 0)
	}
	if m.InUse() != base {
		t.Errorf("in use %d after dropping everything, want %d", m.InUse(), base)
	}
	if p := e.must("bpf_obj_new_impl", uint64(e.ty["item"]), 0); p == 0 {
		t.Error("no object after freeing")
	}
}

// TestObjDropContents: dropping an object frees the objects in its trees,
// lists and __kptr fields, recursively.
func TestObjDropContents(t *testing.T) { onEngines(t, testObjDropContents) }

func testObjDropContents(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem
	base := m.InUse()
	h := e.newObj("holder")
	for i := range 10 {
		it := e.newObj("item")
		m.Store64(it+32, uint64(i))
		e.must("bpf_rbtree_add_impl", h+8, it, FuncPtr(lessItemPC), 0, 0)
		el := e.newObj("elem")
		e.must("bpf_list_push_back_impl", h+24+16*uint64(i%2), el+8, 0, 8)
	}
	// An item in the __kptr field.
	stash := e.newObj("item")
	if old, err := e.c.CallFunc(false, HelperKptrXchg, h+56, stash, 0, 0, 0); err != nil || old != 0 {
		t.Fatalf("bpf_kptr_xchg = %#x, %v", old, err)
	}
	if m.InUse() == base {
		t.Fatal("nothing allocated")
	}
	e.must("bpf_obj_drop_impl", h, 0)
	if m.InUse() != base {
		t.Errorf("in use %d after dropping the holder, want %d", m.InUse(), base)
	}
	_, err := e.kf("bpf_obj_drop_impl", stash, 0)
	wantGraphFault(t, err, "not a live object")

	// A corrupted tree (a cycle) inside an object: the drop faults, it
	// does not loop.
	h2 := e.newObj("holder")
	var items []uint64
	for i := range 3 {
		it := e.newObj("item")
		m.Store64(it+32, uint64(i))
		e.must("bpf_rbtree_add_impl", h2+8, it, FuncPtr(lessItemPC), 0, 0)
		items = append(items, it)
	}
	m.Store64(items[1]+rbLeft, items[1])
	_, err = e.kf("bpf_obj_drop_impl", h2, 0)
	wantGraphFault(t, err, "corrupted")

	// A list head whose node type is unknown cannot be dropped with nodes.
	u := e.newObj("untagged")
	el := e.newObj("elem")
	e.must("bpf_list_push_back_impl", u, el+8, 0, 8)
	_, err = e.kf("bpf_obj_drop_impl", u, 0)
	wantGraphFault(t, err, "no __contains tag")
}

// TestRefcount: bpf_refcount_acquire and drops count references; the last
// drop frees; a refcounted node added twice fails with -EINVAL and drops
// one reference.
func TestRefcount(t *testing.T) { onEngines(t, testRefcount) }

func testRefcount(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem
	root, head := e.alloc(RbRootSize), e.alloc(ListHeadSize)
	base := m.InUse()
	r := e.newObj("ritem")
	if p := e.must("bpf_refcount_acquire_impl", r, 0); p != r {
		t.Fatalf("acquire = %#x", p)
	}
	e.must("bpf_refcount_acquire_impl", r, 0)
	if rc := m.Load32(r); rc != 3 {
		t.Fatalf("refcount %d, want 3", rc)
	}
	e.must("bpf_rbtree_add_impl", root, r+8, FuncPtr(lessRitemPC), 0, 0)
	e.must("bpf_list_push_back_impl", head, r+40, 0, 0) // off 0: found by its header
	if ret := e.must("bpf_rbtree_add_impl", root, r+8, FuncPtr(lessRitemPC), 0, 0); ret != retEINVAL {
		t.Errorf("second add = %d, want -EINVAL", int64(ret))
	}
	if ret := e.must("bpf_list_push_front_impl", head, r+40, 0, 40); ret != retEINVAL {
		t.Errorf("second push = %d, want -EINVAL", int64(ret))
	}
	if rc := m.Load32(r); rc != 1 {
		t.Fatalf("refcount %d after two failed adds, want 1", rc)
	}
	// The tree and the list hold one reference between them now; a drop
	// to zero while in both is a fault.
	e.must("bpf_rbtree_remove", root, r+8)
	_, err := e.kf("bpf_obj_drop_impl", r, 0)
	wantGraphFault(t, err, "still in the list at")
	m.Store32(r, 1)
	if n := e.must("bpf_list_pop_front", head); n != r+40 {
		t.Fatalf("pop = %#x", n)
	}
	e.must("bpf_obj_drop_impl", r, 0)
	if m.InUse() != base {
		t.Errorf("in use %d after the last drop, want %d", m.InUse(), base)
	}
	_, err = e.kf("bpf_refcount_acquire_impl", r, 0)
	wantGraphFault(t, err, "not a live object")
	it := e.newObj("item")
	_, err = e.kf("bpf_refcount_acquire_impl", it, 0)
	wantGraphFault(t, err, "no struct bpf_refcount")
	// refcount_inc_not_zero: a count of 0 gives NULL.
	r2 := e.newObj("ritem")
	m.Store32(r2, 0)
	if p := e.must("bpf_refcount_acquire_impl", r2, 0); p != 0 {
		t.Errorf("acquire at refcount 0 = %#x, want NULL", p)
	}
}

// TestGraphOwnershipErrors: what a verified program cannot do is a fault
// at run time that says what and where, never a panic or a corrupted tree.
func TestGraphOwnershipErrors(t *testing.T) { onEngines(t, testGraphOwnershipErrors) }

func testGraphOwnershipErrors(t *testing.T) {
	e := newGraphEnv(t, 16<<20)
	m := e.vm.Mem
	root, root2, head := e.alloc(RbRootSize), e.alloc(RbRootSize), e.alloc(ListHeadSize)
	less := FuncPtr(lessItemPC)
	it := e.newObj("item")
	e.must("bpf_rbtree_add_impl", root, it, less, 0, 0)

	_, err := e.kf("bpf_rbtree_add_impl", root2, it, less, 0, 0)
	wantGraphFault(t, err, "bpf_rbtree_add_impl", "already in a tree", "still in the rbtree at "+m.Describe(root))
	_, err = e.kf("bpf_obj_drop_impl", it, 0)
	wantGraphFault(t, err, "bpf_obj_drop_impl", "bpf_rb_node at offset 0 is still in the rbtree at "+m.Describe(root))
	if _, err := checkRbtree(m, root, true); err != nil {
		t.Fatal(err)
	}

	el := e.newObj("elem")
	e.must("bpf_list_push_back_impl", head, el+8, 0, 8)
	_, err = e.kf("bpf_list_push_front_impl", head, el+8, 0, 8)
	wantGraphFault(t, err, "already in a list", "still in the list at "+m.Describe(head))
	_, err = e.kf("bpf_obj_drop_impl", el, 0)
	wantGraphFault(t, err, "bpf_list_node at offset 8 is still in the list")

	// Dropping twice, or what is not an object.
	x := e.newObj("item")
	e.must("bpf_obj_drop_impl", x, 0)
	_, err = e.kf("bpf_obj_drop_impl", x, 0)
	wantGraphFault(t, err, "not a live object")
	_, err = e.kf("bpf_obj_drop_impl", root+16, 0)
	wantGraphFault(t, err, "not a live object")
	_, err = e.kf("bpf_obj_drop_impl", 0, 0)
	wantGraphFault(t, err, "NULL object")
	_, err = e.kf("bpf_obj_drop_impl", 12345, 0)
	wantGraphFault(t, err, "not an object from bpf_obj_new")

	// A node inside no object, already in a tree, added again.
	raw := e.alloc(RbNodeSize)
	m.Store64(raw+rbOwner, root)
	_, err = e.kf("bpf_rbtree_add_impl", root, raw, less, 0, 0)
	wantGraphFault(t, err, "is not in an object from bpf_obj_new")

	// Bad pointers.
	_, err = e.kf("bpf_rbtree_first", 0)
	wantGraphFault(t, err, "NULL struct bpf_rb_root")
	_, err = e.kf("bpf_rbtree_add_impl", root, it+4, less, 0, 0)
	wantGraphFault(t, err, "not 8-byte aligned")
	_, err = e.kf("bpf_list_pop_front", m.Base()+m.Size()-8)
	wantGraphFault(t, err, "outside linear memory")
	_, err = e.kf("bpf_rbtree_add_impl", root, e.newObj("item"), 12345, 0, 0)
	wantGraphFault(t, err, "less callback")
	_, err = e.c.CallFunc(false, HelperKptrXchg, 0, 0, 0, 0, 0)
	wantGraphFault(t, err, "bpf_kptr_xchg", "NULL kptr field")

	// A corrupted tree: a cycle. The walk is bounded.
	c1 := e.newObj("item")
	m.Store64(c1+32, 5)
	e.must("bpf_rbtree_add_impl", root2, c1, less, 0, 0)
	m.Store64(c1+rbLeft, c1)
	_, err = e.kf("bpf_rbtree_add_impl", root2, e.newObj("item"), less, 0, 0)
	wantGraphFault(t, err, "corrupted")
	// A corrupted list: a node whose owner is not the head.
	m.Store64(el+8+listOwner, root)
	_, err = e.kf("bpf_list_pop_front", head)
	wantGraphFault(t, err, "corrupted list")
}

// TestGraphGarbage calls every graph kfunc with garbage arguments over
// scribbled memory: errors, never a panic or a hang.
func TestGraphGarbage(t *testing.T) { onEngines(t, testGraphGarbage) }

func testGraphGarbage(t *testing.T) {
	e := newGraphEnv(t, 1<<20)
	m := e.vm.Mem
	rng := rand.New(rand.NewPCG(5, 6))
	var live []uint64
	for range 64 {
		live = append(live, e.newObj([]string{"item", "elem", "ritem", "holder"}[rng.IntN(4)]))
	}
	roots := []uint64{e.alloc(RbRootSize), e.alloc(RbRootSize), e.alloc(ListHeadSize)}
	names := []string{"bpf_obj_drop_impl", "bpf_refcount_acquire_impl", "bpf_rbtree_add_impl",
		"bpf_rbtree_first", "bpf_rbtree_remove", "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right",
		"bpf_list_push_front_impl", "bpf_list_push_back_impl", "bpf_list_pop_front", "bpf_list_pop_back",
		"bpf_list_front", "bpf_list_back", "bpf_obj_new_impl"}
	arg := func() uint64 {
		switch rng.IntN(8) {
		case 0:
			return 0
		case 1:
			return rng.Uint64()
		case 2:
			return m.Base() + rng.Uint64N(m.Size())
		case 3, 4:
			return roots[rng.IntN(len(roots))]
		case 5:
			return FuncPtr(lessItemPC)
		}
		return live[rng.IntN(len(live))] + 8*rng.Uint64N(6)
	}
	faults := 0
	for i := range 20000 {
		if rng.IntN(20) == 0 { // scribble on an object
			p := live[rng.IntN(len(live))] + 8*rng.Uint64N(8)
			if m.Contains(p, 8) {
				m.Store64(p, arg())
			}
		}
		name := names[rng.IntN(len(names))]
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("call %d: %s panicked: %v", i, name, r)
				}
			}()
			_, err := e.kf(name, arg(), arg(), arg(), arg(), arg())
			if err != nil {
				var f *Fault
				if !errors.As(err, &f) {
					t.Fatalf("call %d: %s: %v is not a *Fault", i, name, err)
				}
				faults++
			}
		}()
	}
	if faults == 0 {
		t.Error("no faults from garbage")
	}
}

// ---- the C program ----

func loadGraphObject(t testing.TB, nrKeys int) (*graphEnv, *Instance) {
	t.Helper()
	e := newGraphEnv(t, 64<<20)
	obj := loadTestObject(t, "graph")
	in, err := e.vm.Load(obj, LoadOptions{KernelBTF: testKernelBTF(t), Params: map[string]any{"nr_keys": nrKeys}})
	if err != nil {
		t.Fatal(err)
	}
	return e, in
}

func graphVar(t testing.TB, e *graphEnv, in *Instance, name string) []byte {
	t.Helper()
	v, addr, err := in.Var(name)
	if err != nil {
		t.Fatal(err)
	}
	return e.vm.Mem.MustBytes(addr, uint64(v.Size))
}

func u64s(b []byte, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out
}

// TestGraphProgramSort runs graph.bpf.c's rbtree_sort on the interpreter:
// N keys into an rbtree in a map value under a bpf_spin_lock, popped with
// first+remove in order and dropped. The output is the keys sorted, equal
// keys in insertion order, and every object is freed.
func TestGraphProgramSort(t *testing.T) { onEngines(t, testGraphProgramSort) }

func testGraphProgramSort(t *testing.T) {
	for _, n := range []int{0, 1, 2, 17, 1024} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e, in := loadGraphObject(t, n)
			keys := graphVar(t, e, in, "keys")
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			in0 := make([]uint64, n)
			for i := range in0 {
				in0[i] = rng.Uint64N(uint64(n/4 + 1)) // duplicates
				binary.LittleEndian.PutUint64(keys[8*i:], in0[i])
			}
			used := e.vm.Mem.InUse()
			r0, err := e.c.Call(in.Program("rbtree_sort"))
			if err != nil {
				t.Fatal(err)
			}
			if int64(r0) != int64(n) {
				t.Fatalf("rbtree_sort = %d, want %d", int64(r0), n)
			}
			got := u64s(graphVar(t, e, in, "out_keys"), n)
			seq := u64s(graphVar(t, e, in, "out_seq"), n)
			want := slices.Clone(in0)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("keys out of the tree\n%v\nwant\n%v", got, want)
			}
			for i := 1; i < n; i++ {
				if got[i] == got[i-1] && seq[i] <= seq[i-1] {
					t.Fatalf("equal keys %d out of insertion order: seq %d then %d", got[i], seq[i-1], seq[i])
				}
			}
			for i, s := range seq {
				if in0[s] != got[i] {
					t.Fatalf("out_seq[%d] = %d names key %d, not %d", i, s, in0[s], got[i])
				}
			}
			if e.vm.Mem.InUse() != used {
				t.Errorf("in use %d after the run, want %d (objects leaked)", e.vm.Mem.InUse(), used)
			}
		})
	}
}

// TestGraphProgramSearch: the program finds every key walking down with
// bpf_rbtree_root/left/right, no deeper than a red-black tree can be.
func TestGraphProgramSearch(t *testing.T) { onEngines(t, testGraphProgramSearch) }

func testGraphProgramSearch(t *testing.T) {
	const n = 1000
	e, in := loadGraphObject(t, n)
	keys := graphVar(t, e, in, "keys")
	perm := rand.New(rand.NewPCG(8, 9)).Perm(n)
	for i, k := range perm {
		binary.LittleEndian.PutUint64(keys[8*i:], uint64(k))
	}
	r0, err := e.c.Call(in.Program("rbtree_search"))
	if err != nil {
		t.Fatal(err)
	}
	if r0 != n {
		t.Errorf("found %d keys, want %d", int64(r0), n)
	}
	depth := binary.LittleEndian.Uint64(graphVar(t, e, in, "depth"))
	if depth < 10 || depth > 2*10 {
		t.Errorf("deepest search %d, want within [log2 n, 2 log2 n] = [10, 20]", depth)
	}
}

// TestGraphProgramList, TestGraphProgramRefcount, TestGraphProgramKptr:
// the list, bpf_refcount and bpf_kptr_xchg programs, leaking nothing.
func TestGraphProgramListRefcountKptr(t *testing.T) { onEngines(t, testGraphProgramListRefcountKptr) }

func testGraphProgramListRefcountKptr(t *testing.T) {
	e, in := loadGraphObject(t, 0)
	for _, tc := range []struct {
		prog string
		want int64
	}{{"list_ops", 5}, {"refcount_ops", 0}, {"kptr_stash", 7}} {
		used := e.vm.Mem.InUse()
		r0, err := e.c.Call(in.Program(tc.prog))
		if err != nil {
			t.Fatalf("%s: %v", tc.prog, err)
		}
		if int64(r0) != tc.want {
			t.Errorf("%s = %d, want %d", tc.prog, int64(r0), tc.want)
		}
		if e.vm.Mem.InUse() != used {
			t.Errorf("%s: in use %d after the run, want %d", tc.prog, e.vm.Mem.InUse(), used)
		}
	}
	if got := u64s(graphVar(t, e, in, "out_keys"), 5); !slices.Equal(got, []uint64{0, 4, 1, 3, 2}) {
		t.Errorf("list_ops popped %v, want [0 4 1 3 2]", got)
	}
}

// TestGraphProgramFault: a program dropping a node still in a tree faults
// at the call, with the source line.
func TestGraphProgramFault(t *testing.T) { onEngines(t, testGraphProgramFault) }

func testGraphProgramFault(t *testing.T) {
	e, in := loadGraphObject(t, 0)
	_, err := e.c.Call(in.Program("drop_in_tree"))
	wantGraphFault(t, err, "bpf_obj_drop_impl", "still in the rbtree", "graph.bpf.c")
	if !strings.Contains(err.Error(), "bpf_obj_drop(nd)") {
		t.Errorf("fault %q does not show the source line", err)
	}
}

// ---- benchmark ----

// BenchmarkRbtreeAddRemove measures one remove of the first node plus one
// add (a new key) in a tree of 1000 nodes, as a scheduler's pick and
// requeue: through the Go core with a Go comparison, and through the
// kfuncs with graph.bpf.c's less callback on the interpreter.
func BenchmarkRbtreeAddRemove(b *testing.B) {
	const n = 1000
	b.Run("go-less", func(b *testing.B) {
		e := newGraphEnv(b, 16<<20)
		m := e.vm.Mem
		g := newGmem(m)
		less := func(a, b uint64) (bool, error) { return g.ld(a+32) < g.ld(b+32), nil }
		root := e.alloc(RbRootSize)
		rng := rand.New(rand.NewPCG(1, 1))
		for range n {
			p := e.newObj("item")
			m.Store64(p+32, rng.Uint64N(1<<20))
			if err := g.rbAdd(root, p, less); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for range b.N {
			f := m.Load64(root + rbRootLeftmost)
			if err := g.rbErase(root, f); err != nil {
				b.Fatal(err)
			}
			m.Store64(f+32, m.Load64(f+32)+rng.Uint64N(1<<20))
			if err := g.rbAdd(root, f, less); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bpf-less", func(b *testing.B) {
		e, in := loadGraphObject(b, 0)
		m := e.vm.Mem
		p := in.Program("rbtree_sort")
		lessPC := -1
		for _, f := range p.Funcs {
			if f.Name == "less" {
				lessPC = f.Start
			}
		}
		if lessPC < 0 {
			b.Fatal("no subprogram less")
		}
		var node *btf.Struct
		if err := p.BTF.TypeByName("node", &node); err != nil {
			b.Fatal(err)
		}
		id, _ := p.BTF.TypeID(node)
		e.c.Prog = p
		root := e.alloc(RbRootSize)
		rng := rand.New(rand.NewPCG(1, 1))
		for range n {
			obj := e.must("bpf_obj_new_impl", uint64(id), 0)
			m.Store64(obj+40, rng.Uint64N(1<<20))
			e.must("bpf_rbtree_add_impl", root, obj+8, FuncPtr(lessPC), 0, 0)
		}
		b.ResetTimer()
		for range b.N {
			f := e.must("bpf_rbtree_first", root)
			e.must("bpf_rbtree_remove", root, f)
			m.Store64(f+32, m.Load64(f+32)+rng.Uint64N(1<<20))
			e.must("bpf_rbtree_add_impl", root, f, FuncPtr(lessPC), 0, 0)
		}
	})
}
