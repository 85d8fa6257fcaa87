package bpfvm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cilium/ebpf/btf"
)

// Graph objects: bpf_obj_new / bpf_obj_drop, bpf_refcount, and the
// intrusive red-black trees (graph_rbtree.go) and linked lists
// (graph_list.go) that programs build out of them, with the semantics of
// kernel/bpf/helpers.c of Linux 6.12-6.16 (the accessors bpf_list_front/back
// are 6.15, bpf_rbtree_root/left/right 6.16).
//
// Everything lives in linear memory (DESIGN.md, "Memory model"): an object
// is an allocation of Memory with a small header in front of it, and a tree
// or list is nothing but the bytes of its struct bpf_rb_root /
// bpf_list_head and of the node fields of the objects in it, exactly as in
// the kernel. Go keeps no state about trees, lists or objects, so every
// engine (and a dump of memory) sees the same thing.
//
// Layouts (the kernel's, include/linux/rbtree_types.h, list.h, and
// kernel/bpf/helpers.c struct bpf_rb_node_kern / bpf_list_node_kern):
//
//	struct bpf_rb_root (16)   = struct rb_root_cached
//	    +0  rb_node           root of the tree, 0 if empty
//	    +8  rb_leftmost       first node (bpf_rbtree_first), 0 if empty
//	struct bpf_rb_node (32)   = struct bpf_rb_node_kern
//	    +0  __rb_parent_color parent address | colour (bit 0: 0 red, 1 black);
//	                          the node's own address when in no tree (RB_CLEAR_NODE)
//	    +8  rb_right
//	    +16 rb_left
//	    +24 owner             address of the bpf_rb_root holding it, or 0
//	struct bpf_list_head (16) = struct list_head; all zero = empty
//	    +0  next, +8 prev     (the head itself when empty)
//	struct bpf_list_node (24) = struct bpf_list_node_kern
//	    +0  next, +8 prev     (the node itself when in no list)
//	    +16 owner             address of the bpf_list_head holding it, or 0
//	struct bpf_refcount (4)   = refcount_t, a u32
//
// The kernel's verifier rewrites the meta__ign and off arguments of these
// kfuncs with the object's btf_record and the node's offset; schedsim's does
// not, so the record travels with the object instead: a header in the 16
// or more bytes before it (see objHeader).

// Helper ids served by RegisterGraph.
const (
	HelperKptrXchg = 194 // BPF_FUNC_kptr_xchg
)

// Sizes of the graph structures, as in the kernel's uapi (bpf.h).
const (
	RbRootSize   = 16
	RbNodeSize   = 32
	ListHeadSize = 16
	ListNodeSize = 24
	RefcountSize = 4
)

// MaxObjSize is the largest object bpf_obj_new allocates; larger ones get
// NULL, as from the kernel's bpf_mem_alloc (whose largest unit is 4096).
const MaxObjSize = 4096

// maxObjFields bounds the special fields an object may have (the kernel's
// BTF_FIELDS_MAX is 11; schedsim is more lenient).
const maxObjFields = 32

// ptrPoison is the owner of a node being added (the kernel's
// BPF_PTR_POISON): an address never inside linear memory.
const ptrPoison = 0xeb9f

// objMagic, xored with the object's offset in linear memory, marks a live
// object header; it is cleared when the object is freed.
const objMagic = 0x4f424a21

// fieldKind is a special field of an allocated object (the kernel's
// enum btf_field_type, the part that matters at run time).
type fieldKind uint8

const (
	fieldRefcount fieldKind = iota + 1
	fieldRbNode
	fieldListNode
	fieldRbRoot
	fieldListHead
	fieldKptr // a referenced __kptr: dropped with the object if it points to an object
)

func (k fieldKind) String() string {
	switch k {
	case fieldRefcount:
		return "bpf_refcount"
	case fieldRbNode:
		return "bpf_rb_node"
	case fieldListNode:
		return "bpf_list_node"
	case fieldRbRoot:
		return "bpf_rb_root"
	case fieldListHead:
		return "bpf_list_head"
	case fieldKptr:
		return "__kptr"
	}
	return fmt.Sprintf("field kind %d", uint8(k))
}

// noNodeOff marks a root or head whose contained type is unknown (no
// __contains tag): its nodes cannot be dropped with it.
const noNodeOff = 0xffff

type objField struct {
	kind fieldKind
	off  uint16
	// nodeOff is, for roots and heads, the offset of the node field in the
	// contained type (the kernel's field->graph_root.node_offset).
	nodeOff uint16
}

// objRecord is what the kernel keeps in a struct btf_record: the size of an
// object type and where its special fields are.
type objRecord struct {
	name   string // for messages: "struct node"
	size   uint32
	fields []objField
	hdr    []byte // header(), if built by buildRecord
}

func (r *objRecord) refcountOff() (uint64, bool) {
	for _, f := range r.fields {
		if f.kind == fieldRefcount {
			return uint64(f.off), true
		}
	}
	return 0, false
}

func (r *objRecord) has(kind fieldKind, off uint64) bool {
	for _, f := range r.fields {
		if f.kind == kind && uint64(f.off) == off {
			return true
		}
	}
	return false
}

// The object header, in the hdrLen bytes before the object (hdrLen a
// multiple of 16, objects are 16-byte aligned):
//
//	obj-hdrLen + 8*i  field i: u8 kind, u8 0, u16 off, u16 nodeOff, u16 0
//	obj-16            u32 size, u32 number of fields
//	obj-8             u32 objMagic ^ (obj - base), u32 hdrLen
func objHeaderLen(nfields int) uint64 { return (16 + 8*uint64(nfields) + 15) &^ 15 }

func writeObjHeader(m *Memory, obj uint64, rec *objRecord) {
	t := rec.hdr
	if t == nil {
		t = rec.header()
	}
	hl := uint64(len(t))
	h := m.MustBytes(obj-hl, hl)
	copy(h, t)
	binary.LittleEndian.PutUint32(h[hl-8:], objMagic^uint32(obj-m.base))
}

// header is the object header of rec with the magic 0 (writeObjHeader
// fills it in); buildRecord keeps it in rec.hdr.
func (r *objRecord) header() []byte {
	hl := objHeaderLen(len(r.fields))
	h := make([]byte, hl)
	for i, f := range r.fields {
		e := h[8*i:]
		e[0] = byte(f.kind)
		binary.LittleEndian.PutUint16(e[2:], f.off)
		binary.LittleEndian.PutUint16(e[4:], f.nodeOff)
	}
	binary.LittleEndian.PutUint32(h[hl-16:], r.size)
	binary.LittleEndian.PutUint32(h[hl-12:], uint32(len(r.fields)))
	binary.LittleEndian.PutUint32(h[hl-4:], uint32(hl))
	return h
}

// readObjHeader returns the record of the live object at obj, or an error
// saying why obj is not one.
func readObjHeader(m *Memory, obj uint64) (*objRecord, uint64, error) {
	var sc objScratch
	hl, err := sc.load(m, obj)
	if err != nil {
		return nil, 0, err
	}
	rec := &objRecord{size: sc.size, fields: sc.more}
	if rec.fields == nil {
		rec.fields = make([]objField, sc.n)
		copy(rec.fields, sc.buf[:sc.n])
	}
	return rec, hl, nil
}

// objScratch is readObjHeader's record in the caller's frame: loading the
// header of an object with up to 8 fields does not allocate (bpf_obj_drop
// and the rbtree kfuncs read one per call).
type objScratch struct {
	n    int
	size uint32
	buf  [8]objField
	more []objField // more than 8 fields
}

// load checks the header of the live object at obj, decodes its fields
// and returns the header's length.
func (s *objScratch) load(m *Memory, obj uint64) (uint64, error) {
	n, more, size, hl, err := checkObjHeader(m, obj, &s.buf)
	if err != nil {
		return 0, err
	}
	s.n, s.more, s.size = n, more, size
	return hl, nil
}

// fields are the fields of the last object loaded.
func (s *objScratch) fields() []objField {
	if s.more != nil {
		return s.more
	}
	return s.buf[:s.n]
}

// checkObjHeader checks the header of the live object at obj and decodes
// its n fields, into buf if they fit, else into more; it returns the
// object's size and the header's length.
func checkObjHeader(m *Memory, obj uint64, buf *[8]objField) (n int, more []objField, size uint32, hl uint64, err error) {
	if obj == 0 {
		return 0, nil, 0, 0, errors.New("NULL object")
	}
	if obj&15 != 0 || obj < m.base+16 || !m.Contains(obj-16, 16) {
		return 0, nil, 0, 0, fmt.Errorf("%s is not an object from bpf_obj_new", m.Describe(obj))
	}
	off := obj - m.base // Contains said off-16 and off are inside m.buf
	t := m.buf[off-16 : off]
	if binary.LittleEndian.Uint32(t[8:]) != objMagic^uint32(off) {
		return 0, nil, 0, 0, fmt.Errorf("%s is not a live object from bpf_obj_new (never allocated, or already dropped)", m.Describe(obj))
	}
	size, nf := binary.LittleEndian.Uint32(t[0:]), binary.LittleEndian.Uint32(t[4:])
	hl = uint64(binary.LittleEndian.Uint32(t[12:]))
	if size == 0 || size > MaxObjSize || nf > maxObjFields || hl != objHeaderLen(int(nf)) ||
		off < hl || !m.Contains(obj, uint64(size)) {
		return 0, nil, 0, 0, objCorrupted(m, obj)
	}
	h := m.buf[off-hl : off]
	out := buf[:]
	if nf > uint32(len(buf)) {
		more = make([]objField, nf)
		out = more
	}
	for i := range int(nf) {
		f := objFieldAt(h, i)
		if f.kind < fieldRefcount || f.kind > fieldKptr || uint32(f.off)+fieldSize(f.kind) > size {
			return 0, nil, 0, 0, objCorrupted(m, obj)
		}
		out[i] = f
	}
	return int(nf), more, size, hl, nil
}

func objCorrupted(m *Memory, obj uint64) error {
	return fmt.Errorf("the header of the object at %s is corrupted", m.Describe(obj))
}

// objFieldAt decodes field entry i of a header.
func objFieldAt(h []byte, i int) objField {
	e := h[8*i:]
	return objField{kind: fieldKind(e[0]), off: binary.LittleEndian.Uint16(e[2:]), nodeOff: binary.LittleEndian.Uint16(e[4:])}
}

func fieldSize(k fieldKind) uint32 {
	switch k {
	case fieldRefcount:
		return RefcountSize
	case fieldRbNode:
		return RbNodeSize
	case fieldListNode:
		return ListNodeSize
	case fieldRbRoot:
		return RbRootSize
	case fieldListHead:
		return ListHeadSize
	}
	return 8
}

// objectOf finds the live object holding the node field of the given kind
// at addr: at addr-off if the caller knows off (the kernel's verifier
// passes it), else by looking back for an object header that has such a
// field at the right offset (objects are 16-byte aligned, at most
// MaxObjSize bytes).
func objectOf(m *Memory, addr, off uint64, kind fieldKind) (uint64, bool) {
	try := func(k uint64) bool {
		var sc objScratch
		_, err := sc.load(m, addr-k)
		return err == nil && (&objRecord{fields: sc.fields()}).has(kind, k)
	}
	if off != 0 && off < MaxObjSize && addr >= off && try(off) {
		return addr - off, true
	}
	for k := (addr - m.base) & 15; k < MaxObjSize && addr-m.base >= k; k += 16 {
		if try(k) {
			return addr - k, true
		}
	}
	return 0, false
}

// ---- records from BTF ----

type recordKey struct {
	spec *btf.Spec
	id   btf.TypeID
}

// graphState is the per-Registry state of RegisterGraph: records computed
// from program BTF, by (spec, type id). It holds no VM state.
type graphState struct {
	mu      sync.Mutex
	records map[recordKey]*objRecord
}

func (g *graphState) record(spec *btf.Spec, id uint64) (*objRecord, error) {
	if spec == nil {
		return nil, errors.New("the program has no BTF, so local type ids mean nothing")
	}
	if id == 0 || id > 1<<31 {
		return nil, fmt.Errorf("local type id %d is not a type of the program's BTF", id)
	}
	key := recordKey{spec, btf.TypeID(id)}
	g.mu.Lock()
	rec, ok := g.records[key]
	g.mu.Unlock()
	if ok {
		return rec, nil
	}
	rec, err := buildRecord(spec, btf.TypeID(id))
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	if len(g.records) >= 4096 { // many objects loaded over time: start afresh
		clear(g.records)
	}
	g.records[key] = rec
	g.mu.Unlock()
	return rec, nil
}

// buildRecord finds the special fields of type id of spec, through nested
// structs and arrays, as the kernel's btf_parse_fields does for the types
// of bpf_obj_new.
func buildRecord(spec *btf.Spec, id btf.TypeID) (*objRecord, error) {
	t, err := spec.TypeByID(id)
	if err != nil {
		return nil, fmt.Errorf("local type id %d is not a type of the program's BTF", id)
	}
	s, ok := btf.UnderlyingType(t).(*btf.Struct)
	if !ok {
		return nil, fmt.Errorf("local type id %d is %s, not a struct", id, typeName(t))
	}
	rec := &objRecord{name: "struct " + s.Name, size: s.Size}
	if s.Size > MaxObjSize {
		return rec, nil // bpf_obj_new returns NULL
	}
	var walk func(t btf.Type, off uint32, tags []string, depth int) error
	walk = func(t btf.Type, off uint32, tags []string, depth int) error {
		if depth > 16 {
			return fmt.Errorf("%s nests too deeply", rec.name)
		}
		add := func(kind fieldKind, off uint32, nodeOff uint16) error {
			if len(rec.fields) == maxObjFields {
				return fmt.Errorf("%s has more than %d special fields", rec.name, maxObjFields)
			}
			if uint64(off)+uint64(fieldSize(kind)) > uint64(s.Size) {
				return fmt.Errorf("%s: %s at offset %d lies outside the %d-byte struct", rec.name, kind, off, s.Size)
			}
			rec.fields = append(rec.fields, objField{kind: kind, off: uint16(off), nodeOff: nodeOff})
			return nil
		}
		switch u := btf.UnderlyingType(t).(type) {
		case *btf.Struct:
			kind := map[string]fieldKind{"bpf_refcount": fieldRefcount, "bpf_rb_node": fieldRbNode,
				"bpf_list_node": fieldListNode, "bpf_rb_root": fieldRbRoot, "bpf_list_head": fieldListHead}[u.Name]
			if kind != 0 {
				var nodeOff uint16
				if kind == fieldRbRoot || kind == fieldListHead {
					nodeOff = containedNodeOff(spec, tags)
				}
				return add(kind, off, nodeOff)
			}
			for _, m := range u.Members {
				if err := walk(m.Type, off+m.Offset.Bytes(), m.Tags, depth+1); err != nil {
					return err
				}
			}
		case *btf.Union:
			for _, m := range u.Members {
				if err := walk(m.Type, off+m.Offset.Bytes(), m.Tags, depth+1); err != nil {
					return err
				}
			}
		case *btf.Array:
			es, err := btf.Sizeof(u.Type)
			if err != nil || es <= 0 {
				return nil
			}
			for i := uint32(0); i < u.Nelems; i++ {
				n := len(rec.fields)
				if err := walk(u.Type, off+i*uint32(es), tags, depth+1); err != nil {
					return err
				}
				if len(rec.fields) == n {
					break // the element type has no special fields
				}
			}
		case *btf.Pointer:
			if isKptr(t) {
				return add(fieldKptr, off, 0)
			}
		}
		return nil
	}
	if err := walk(s, 0, nil, 0); err != nil {
		return nil, err
	}
	rec.hdr = rec.header()
	return rec, nil
}

// isKptr reports whether t is a pointer tagged __kptr (referenced), i.e.
// PTR -> TYPE_TAG "kptr" -> ...
func isKptr(t btf.Type) bool {
	for i := 0; i < 8; i++ {
		switch u := t.(type) {
		case *btf.Typedef:
			t = u.Type
		case *btf.Const:
			t = u.Type
		case *btf.Volatile:
			t = u.Type
		case *btf.Pointer:
			tt, ok := u.Target.(*btf.TypeTag)
			return ok && tt.Value == "kptr"
		default:
			return false
		}
	}
	return false
}

// containedNodeOff finds the node offset named by a "contains:type:field"
// tag (the __contains() macro), or noNodeOff.
func containedNodeOff(spec *btf.Spec, tags []string) uint16 {
	for _, tg := range tags {
		v, ok := strings.CutPrefix(tg, "contains:")
		if !ok {
			continue
		}
		name, field, ok := strings.Cut(v, ":")
		if !ok {
			continue
		}
		var s *btf.Struct
		if err := spec.TypeByName(name, &s); err != nil {
			continue
		}
		for _, m := range s.Members {
			if m.Name == field && m.Offset.Bytes() < MaxObjSize {
				return uint16(m.Offset.Bytes())
			}
		}
	}
	return noNodeOff
}

// ---- registration ----

// RegisterGraph registers the kfuncs of allocated objects, red-black trees
// and linked lists, and the helper bpf_kptr_xchg (194), with the kernel's
// prototypes and flags. In schedsim all of them may be called with locks
// held (KfLockSafe). Semantics: kernel/bpf/helpers.c, Linux 6.12-6.16.
func RegisterGraph(r *Registry) {
	g := &graphState{records: make(map[recordKey]*objRecord)}
	r.graph = g

	u64 := &btf.Int{Name: "long long unsigned int", Size: 8}
	s32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	boolT := &btf.Int{Name: "_Bool", Size: 1, Encoding: btf.Bool}
	void := &btf.Void{}
	voidp := &btf.Pointer{Target: void}
	opaque := func(name string, words uint32) *btf.Pointer {
		return &btf.Pointer{Target: &btf.Struct{Name: name, Size: 8 * words, Members: []btf.Member{
			{Name: "__opaque", Type: &btf.Array{Type: u64, Index: s32, Nelems: words}},
		}}}
	}
	rootp, nodep := opaque("bpf_rb_root", 2), opaque("bpf_rb_node", 4)
	headp, lnodep := opaque("bpf_list_head", 2), opaque("bpf_list_node", 3)
	param := func(name string, t btf.Type) btf.FuncParam { return btf.FuncParam{Name: name, Type: t} }
	proto := func(ret btf.Type, ps ...btf.FuncParam) *btf.FuncProto {
		return &btf.FuncProto{Return: ret, Params: ps}
	}
	add := func(name string, fn Func, flags KfuncFlags, p *btf.FuncProto, native ...Native) {
		k := &Kfunc{Name: name, Fn: fn, Flags: flags | KfLockSafe, Proto: p}
		if len(native) > 0 {
			k.Native = native[0]
		}
		r.AddKfunc(k)
	}

	add("bpf_obj_new_impl", g.objNew, KfAcquire|KfRetNull,
		proto(voidp, param("local_type_id__k", u64), param("meta__ign", voidp)), NativeObjNew)
	add("bpf_obj_drop_impl", objDrop, KfRelease,
		proto(void, param("p__alloc", voidp), param("meta__ign", voidp)), NativeObjDrop)
	add("bpf_refcount_acquire_impl", refcountAcquire, KfAcquire|KfRetNull|KfRCU,
		proto(voidp, param("p__refcounted_kptr", voidp), param("meta__ign", voidp)))

	less := &btf.Pointer{Target: proto(boolT, param("a", nodep), param("b", &btf.Pointer{Target: &btf.Const{Type: nodep.Target}}))}
	add("bpf_rbtree_add_impl", rbtreeAdd, 0,
		proto(s32, param("root", rootp), param("node", nodep), param("less", less), param("meta__ign", voidp), param("off", u64)), NativeRbAdd)
	add("bpf_rbtree_first", rbtreeFirst, KfRetNull, proto(nodep, param("root", rootp)), NativeRbFirst)
	add("bpf_rbtree_remove", rbtreeRemove, KfAcquire|KfRetNull, proto(nodep, param("root", rootp), param("node", nodep)), NativeRbRemove)
	add("bpf_rbtree_root", rbtreeRoot, KfRetNull, proto(nodep, param("root", rootp)))
	add("bpf_rbtree_left", rbtreeLeft, KfRetNull, proto(nodep, param("root", rootp), param("node", nodep)))
	add("bpf_rbtree_right", rbtreeRight, KfRetNull, proto(nodep, param("root", rootp), param("node", nodep)))

	pushParams := []btf.FuncParam{param("head", headp), param("node", lnodep), param("meta__ign", voidp), param("off", u64)}
	add("bpf_list_push_front_impl", listPushFront, 0, proto(s32, pushParams...))
	add("bpf_list_push_back_impl", listPushBack, 0, proto(s32, pushParams...))
	add("bpf_list_pop_front", listPopFront, KfAcquire|KfRetNull, proto(lnodep, param("head", headp)))
	add("bpf_list_pop_back", listPopBack, KfAcquire|KfRetNull, proto(lnodep, param("head", headp)))
	add("bpf_list_front", listFront, KfRetNull, proto(lnodep, param("head", headp)))
	add("bpf_list_back", listBack, KfRetNull, proto(lnodep, param("head", headp)))

	r.AddHelper(&Helper{
		ID:   HelperKptrXchg,
		Name: "bpf_kptr_xchg",
		Fn:   kptrXchg,
		// kernel: ARG_KPTR_XCHG_DEST (a __kptr field of a map value or of an
		// allocated object), ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE; the
		// BTF ids are the field's, found by the verifier.
		Args:       [5]ArgType{ArgAnything, ArgAnything},
		Ret:        RetPtrToBTFIDOrNull,
		Acquire:    true,
		Release:    true,
		ReleaseArg: 1,
		LockSafe:   true,
	})
}

// graphErr makes a plain error (CallFunc turns it into a *Fault naming the
// kfunc and the instruction).
func graphErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// checkPtr checks that a program's pointer to a graph structure of n
// bytes (what, e.g. "struct bpf_rb_root") is non-NULL, 8-byte aligned and
// inside linear memory.
func checkPtr(m *Memory, addr, n uint64, what string) error {
	switch {
	case addr == 0:
		return graphErr("NULL %s", what)
	case addr&7 != 0:
		return graphErr("%s at %s is not 8-byte aligned", what, m.Describe(addr))
	case !m.Contains(addr, n):
		return graphErr("%s at %s (%d bytes) is outside linear memory", what, m.Describe(addr), n)
	}
	return nil
}

// ---- bpf_obj_new, bpf_obj_drop, bpf_refcount_acquire ----

// objNew is void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign):
// a zeroed object of the calling program's BTF type local_type_id__k (what
// bpf_core_type_id_local() gives), with its special fields initialised as
// the kernel's bpf_obj_init_field does (include/linux/bpf.h): bpf_refcount
// to 1, bpf_rb_node cleared (RB_CLEAR_NODE), bpf_list_node and
// bpf_list_head pointing at themselves, bpf_rb_root zero. NULL if memory
// is exhausted or the type is empty or larger than MaxObjSize. (The
// kernel's verifier rewrites the id to the size; schedsim's does not.)
func (g *graphState) objNew(c *Context, typeID, _, _, _, _ uint64) (uint64, error) {
	if c.Prog == nil {
		return 0, graphErr("no program is running")
	}
	// the context remembers the last record it used: a callback allocates
	// objects of one type, and g's table needs a lock (a Registry may
	// serve VMs on several goroutines)
	lr := &c.lastRec
	if lr.rec == nil || lr.spec != c.Prog.BTF || lr.id != typeID {
		rec, err := g.record(c.Prog.BTF, typeID)
		if err != nil {
			return 0, err
		}
		lr.spec, lr.id, lr.rec = c.Prog.BTF, typeID, rec
	}
	return newObject(c.VM.Mem, lr.rec), nil
}

// newObject allocates and initialises an object of record rec; 0 if it
// cannot.
func newObject(m *Memory, rec *objRecord) uint64 {
	if rec.size == 0 || rec.size > MaxObjSize {
		return 0
	}
	hl := objHeaderLen(len(rec.fields))
	base, err := m.Alloc(hl+uint64(rec.size), 16)
	if err != nil {
		return 0
	}
	obj := base + hl
	writeObjHeader(m, obj, rec)
	for _, f := range rec.fields {
		a := obj + uint64(f.off)
		switch f.kind {
		case fieldRefcount:
			m.Store32(a, 1)
		case fieldRbNode:
			m.Store64(a, a) // RB_CLEAR_NODE
		case fieldListNode, fieldListHead:
			m.Store64(a, a) // INIT_LIST_HEAD
			m.Store64(a+8, a)
		}
	}
	return obj
}

// objDrop is void bpf_obj_drop_impl(void *p__alloc, void *meta__ign).
func objDrop(c *Context, p, _, _, _, _ uint64) (uint64, error) {
	return 0, dropObject(c.VM.Mem, p)
}

// dropObject drops a reference to the object at obj, as the kernel's
// __bpf_obj_drop_impl: if it has a bpf_refcount that does not reach zero,
// that is all; otherwise its fields are freed (the nodes of its trees and
// lists, and objects in its __kptr fields, are dropped in turn, as
// bpf_obj_free_fields does) and its memory is freed. Dropping an object
// whose node is still in a tree or list is a fault here (the kernel's
// verifier makes it impossible; freeing it would corrupt the tree).
func dropObject(m *Memory, obj uint64) error {
	var wb [4]uint64
	work := append(wb[:0], obj)
	var sc objScratch
	for len(work) > 0 {
		o := work[len(work)-1]
		work = work[:len(work)-1]
		inner := o != obj
		hl, err := sc.load(m, o)
		rec := objRecord{fields: sc.fields()}
		if err != nil {
			if inner {
				return graphErr("dropping the contents of %s: %v", m.Describe(obj), err)
			}
			return graphErr("%v", err)
		}
		if roff, ok := rec.refcountOff(); ok {
			rc := m.Load32(o + roff)
			if rc == 0 {
				return graphErr("object at %s has reference count 0 (a dropped object used again)", m.Describe(o))
			}
			m.Store32(o+roff, rc-1)
			if rc > 1 {
				continue
			}
		}
		for _, f := range rec.fields {
			a := o + uint64(f.off)
			var owner uint64
			var where string
			switch f.kind {
			case fieldRbNode:
				owner, where = m.Load64(a+rbOwner), "rbtree"
			case fieldListNode:
				owner, where = m.Load64(a+listOwner), "list"
			default:
				continue
			}
			if owner == ptrPoison {
				return graphErr("object at %s is dropped while its %s at offset %d is being added to a %s", m.Describe(o), f.kind, f.off, where)
			}
			if owner != 0 {
				return graphErr("object at %s is dropped while its %s at offset %d is still in the %s at %s", m.Describe(o), f.kind, f.off, where, m.Describe(owner))
			}
		}
		for _, f := range rec.fields {
			a := o + uint64(f.off)
			switch f.kind {
			case fieldRbRoot:
				nodes, err := drainTree(m, a)
				if err != nil {
					return err
				}
				if len(nodes) > 0 && f.nodeOff == noNodeOff {
					return graphErr("object at %s: its bpf_rb_root at offset %d is not empty (%d nodes), and its node type is unknown (no __contains tag)", m.Describe(o), f.off, len(nodes))
				}
				for _, n := range nodes {
					work = append(work, n-uint64(f.nodeOff))
				}
			case fieldListHead:
				nodes, err := drainList(m, a)
				if err != nil {
					return err
				}
				if len(nodes) > 0 && f.nodeOff == noNodeOff {
					return graphErr("object at %s: its bpf_list_head at offset %d is not empty (%d nodes), and its node type is unknown (no __contains tag)", m.Describe(o), f.off, len(nodes))
				}
				for _, n := range nodes {
					work = append(work, n-uint64(f.nodeOff))
				}
			case fieldKptr:
				if p := m.Load64(a); p != 0 {
					m.Store64(a, 0)
					var sc2 objScratch
					if _, err := sc2.load(m, p); err == nil {
						work = append(work, p)
					}
				}
			}
		}
		m.Store32(o-8, 0) // the magic: o is no longer an object
		if err := m.Free(o - hl); err != nil {
			return graphErr("freeing the object at %s: %v", m.Describe(o), err)
		}
	}
	return nil
}

// refcountAcquire is void *bpf_refcount_acquire_impl(void
// *p__refcounted_kptr, void *meta__ign): a new reference to an object with
// a bpf_refcount field, or NULL if its count is already 0
// (refcount_inc_not_zero).
func refcountAcquire(c *Context, p, _, _, _, _ uint64) (uint64, error) {
	m := c.VM.Mem
	var sc objScratch
	if _, err := sc.load(m, p); err != nil {
		return 0, err
	}
	roff, ok := (&objRecord{fields: sc.fields()}).refcountOff()
	if !ok {
		return 0, graphErr("object at %s has no struct bpf_refcount field", m.Describe(p))
	}
	rc := m.Load32(p + roff)
	if rc == 0 {
		return 0, nil
	}
	if rc == ^uint32(0) {
		return 0, graphErr("reference count of the object at %s overflows", m.Describe(p))
	}
	m.Store32(p+roff, rc+1)
	return p, nil
}

// kptrXchg is the helper void *bpf_kptr_xchg(void *dst, void *ptr): store
// ptr in the 8-byte kptr field at dst and return what was there
// (kernel/bpf/helpers.c, an xchg; contexts run one at a time, so a load
// and a store are atomic here).
func kptrXchg(c *Context, dst, ptr, _, _, _ uint64) (uint64, error) {
	m := c.VM.Mem
	if err := checkPtr(m, dst, 8, "kptr field"); err != nil {
		return 0, err
	}
	old := m.Load64(dst)
	m.Store64(dst, ptr)
	return old, nil
}
