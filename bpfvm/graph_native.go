package bpfvm

// Native graph kfuncs. An engine may serve bpf_obj_new_impl,
// bpf_obj_drop_impl, bpf_rbtree_add_impl and bpf_rbtree_remove
// (Kfunc.Native NativeObjNew, NativeObjDrop, NativeRbAdd, NativeRbRemove)
// without calling Fn in the cases where Fn's effects are these, and only
// these, on linear memory and the allocator (Memory), and calls Fn in every
// other case, before changing anything:
//
//   - bpf_obj_new of a type id known when the code is made (NativeObjNew
//     describes its record): a block of the record's size class popped
//     from its free list (an empty list, or a block above MemDenseSizes,
//     calls Fn), cleared, the header written (the record's words, the
//     magic of the address), the special fields initialised as newObject
//     does; r0 = the object.
//   - bpf_obj_drop of an object whose header is exactly that of one of the
//     records NativeObjDrops lists (simple records: no bpf_rb_root,
//     bpf_list_head or __kptr, so dropping frees nothing else), inside the
//     memory and aligned: a bpf_refcount above 1 is decremented; at 1 (or
//     without one), if every node field has no owner, the refcount and
//     the magic are cleared and the block is freed as Free does (a free
//     list at its capacity calls Fn, which grows it); r0 = 0.
//   - bpf_rbtree_add into an empty tree (no less call), root and node
//     inside the memory, aligned and apart, the node in no tree, less a
//     function address: the node becomes the black root and leftmost,
//     owned by the root; r0 = 0.
//   - bpf_rbtree_remove of a node the root does not own (r0 = 0, nothing
//     changes), or of a leaf without a parent (the tree's only node):
//     the tree is emptied and the node cleared; r0 = the node.
//
// These kfuncs touch nothing but linear memory and the allocator, so
// native forms are exact whatever the embedder does (interleaving,
// observers); a cost limit (Context.CostLimit) is checked by Fn only.

// Field kinds of NativeField.
const (
	ObjFieldRefcount = uint8(fieldRefcount)
	ObjFieldRbNode   = uint8(fieldRbNode)
	ObjFieldListNode = uint8(fieldListNode)
	ObjFieldRbRoot   = uint8(fieldRbRoot)
	ObjFieldListHead = uint8(fieldListHead)
	ObjFieldKptr     = uint8(fieldKptr)
)

// Offsets of the owner words, and the header's magic (see graph.go).
const (
	RbNodeOwner   = rbOwner
	ListNodeOwner = listOwner
	ObjMagic      = objMagic
)

// NativeField is a special field of an object type: its kind (ObjField*)
// and offset.
type NativeField struct {
	Kind uint8
	Off  uint64
}

// NativeObj describes the objects of one record (a type of a program's
// BTF) for generated code.
type NativeObj struct {
	Size   uint64 // the object's bytes, 1..MaxObjSize
	HdrLen uint64 // the header's bytes, before the object
	Class  int    // the allocation's size class: MinAlloc<<Class bytes
	// Header is the header's words with the magic 0 (the last word is
	// HdrLen<<32; the magic is ObjMagic ^ the object's offset in memory)
	Header []uint64
	// Fields are its special fields, in the record's order.
	Fields []NativeField
	// Simple: no bpf_rb_root, bpf_list_head or __kptr field.
	Simple bool
	rec    *objRecord
}

func nativeObj(rec *objRecord) (NativeObj, bool) {
	if rec == nil || rec.size == 0 || rec.size > MaxObjSize || len(rec.fields) > maxObjFields {
		return NativeObj{}, false
	}
	hdr := rec.hdr
	if hdr == nil {
		hdr = rec.header()
	}
	hl := uint64(len(hdr))
	cl := SizeClass(hl+uint64(rec.size), 16)
	if cl < 0 {
		return NativeObj{}, false
	}
	o := NativeObj{Size: uint64(rec.size), HdrLen: hl, Class: cl, Simple: true, rec: rec}
	for i := uint64(0); i < hl; i += 8 {
		var w uint64
		for k := range uint64(8) {
			w |= uint64(hdr[i+k]) << (8 * k)
		}
		o.Header = append(o.Header, w)
	}
	for _, f := range rec.fields {
		o.Fields = append(o.Fields, NativeField{Kind: uint8(f.kind), Off: uint64(f.off)})
		if f.kind == fieldRbRoot || f.kind == fieldListHead || f.kind == fieldKptr {
			o.Simple = false
		}
	}
	return o, true
}

// NativeObjNew describes the objects that bpf_obj_new_impl(typeID) called
// by p allocates, if the registry's bpf_obj_new_impl is RegisterGraph's
// and the call would allocate one (false: it faults or returns NULL).
func (vm *VM) NativeObjNew(p *Program, typeID uint64) (NativeObj, bool) {
	if vm == nil || vm.Registry == nil || vm.Registry.graph == nil || p == nil || p.BTF == nil {
		return NativeObj{}, false
	}
	rec, err := vm.Registry.graph.record(p.BTF, typeID)
	if err != nil {
		return NativeObj{}, false
	}
	return nativeObj(rec)
}

// NativeObjDrops lists the simple records whose objects p's
// bpf_obj_drop_impl calls may drop natively: those that the programs of
// the VM with p's BTF allocate with a constant type id (the LD_IMM64 or
// MOV into r1 before the call, in instruction order), at most max.
func (vm *VM) NativeObjDrops(p *Program, max int) []NativeObj {
	if vm == nil || vm.Registry == nil || p == nil || p.BTF == nil {
		return nil
	}
	reg := vm.Registry
	var out []NativeObj
	for _, q := range vm.Programs {
		if q.BTF != p.BTF {
			continue
		}
		var r1 uint64
		known := false
		for i := 0; i < len(q.Insns); i++ {
			in := q.Insns[i]
			switch {
			case in.IsLdImm64():
				if in.Dst == 1 {
					known = in.Src == 0 && i+1 < len(q.Insns)
					if known {
						r1 = uint64(uint32(in.Imm)) | uint64(q.Insns[i+1].Imm)<<32
					}
				}
				i++
				continue
			case in.Op == ClassALU64|SrcK|AluMOV && in.Dst == 1 && in.Off == 0:
				r1, known = uint64(int64(in.Imm)), true
				continue
			case in.Op == ClassJMP|JmpCALL && in.Src == CallKfunc:
				if k := reg.Kfunc(in.Imm); k != nil && k.Native == NativeObjNew && known {
					o, ok := vm.NativeObjNew(q, r1)
					if ok && o.Simple && !hasNativeObj(out, o) {
						if len(out) == max {
							return out
						}
						out = append(out, o)
					}
				}
			}
			if in.Dst == 1 && in.Class() != ClassST && in.Class() != ClassSTX && in.Class() != ClassJMP && in.Class() != ClassJMP32 {
				known = false
			}
		}
	}
	return out
}

func hasNativeObj(l []NativeObj, o NativeObj) bool {
	for _, x := range l {
		if x.rec == o.rec {
			return true
		}
	}
	return false
}
