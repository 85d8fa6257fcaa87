package bpfvm

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf/btf"
)

// Object is a parsed BPF ELF object (a clang-built .bpf.o): its programs,
// maps, global variables, externs and struct_ops maps. It is produced by
// LoadObject and is immutable afterwards; VM.Load instantiates it into a VM
// as many times as wanted.
//
// The instructions of Object.Programs are linked (every bpf-to-bpf callee is
// appended, calls and PseudoFunc loads are pc-relative) but refer to the
// object's own tables, not to a VM:
//   - LD_IMM64 with Src PseudoMapFD / PseudoMapValue: Imm is an index into
//     Object.Maps (the value offset is in the second slot's Imm);
//   - CALL with Src CallKfunc and LD_IMM64 with Src PseudoBTFID: Imm is an
//     index into Object.Externs;
//   - CO-RE relocations are not applied yet (they need the kernel BTF).
//
// VM.Load resolves all of these (see Program for the loaded form).
type Object struct {
	// Name is the file name (or the name given to LoadObjectReader), used in
	// every message about the object.
	Name    string
	License string
	// BTF is the object's own BTF: types of maps, globals and functions.
	BTF *btf.Spec
	// Programs are the entry points, in ELF order (section, then offset).
	Programs []*Program
	// Maps lists every map: declarations in .maps (and legacy "maps"),
	// then global data sections (.rodata, .data, .bss, .data.*, ...), then
	// the .kconfig externs section. Their index is the object map index.
	Maps []*MapSpec
	// Vars are the global variables of the data sections, by section and
	// offset.
	Vars []GlobalVar
	// Externs are the object's extern declarations: kfuncs and kernel
	// symbols from .ksyms, kconfig values from .kconfig.
	Externs []Extern
	// StructOps are the struct_ops maps (SEC(".struct_ops.link") and
	// SEC(".struct_ops")), e.g. a sched_ext_ops.
	StructOps []*StructOps

	// CO-RE relocations of each program (parallel to Programs).
	relos [][]coreRelo
}

// coreRelo is a CO-RE relocation of instruction PC of a program.
type coreRelo struct {
	pc   int
	relo *btf.CORERelocation
}

// GlobalVar is a variable of a global data section.
type GlobalVar struct {
	Name    string
	Section string // ".data", ".rodata", ".bss", ".data.foo", ...
	Map     int    // index of the section's map in Object.Maps
	Offset  uint32 // byte offset in the section
	Size    uint32
	Type    btf.Type // the variable's type (not the btf.Var), nil without BTF
	Static  bool     // declared static (local linkage)
}

// ExternKind tells what an extern declaration refers to.
type ExternKind uint8

const (
	// ExternKfunc is a kernel function: extern ... __ksym.
	ExternKfunc ExternKind = iota + 1
	// ExternKsym is a kernel variable: extern void sym __ksym.
	ExternKsym
	// ExternKconfig is a kernel configuration value: extern ... __kconfig.
	ExternKconfig
)

func (k ExternKind) String() string {
	switch k {
	case ExternKfunc:
		return "kfunc"
	case ExternKsym:
		return "ksym"
	case ExternKconfig:
		return "kconfig"
	}
	return fmt.Sprintf("ExternKind(%d)", uint8(k))
}

// Extern is an extern declaration of the object.
type Extern struct {
	Name string
	Kind ExternKind
	// Weak externs (__weak) may be absent from the kernel: a missing weak
	// kfunc or ksym resolves to 0.
	Weak bool
	// Func is the declaration of a kfunc (ExternKfunc).
	Func *btf.Func
	// Type is the type of a kconfig value (ExternKconfig) or of a typed
	// kernel variable (ExternKsym: extern const int x __ksym; void for
	// extern void x __ksym).
	Type btf.Type
	// Offset and Size locate a kconfig value in the .kconfig map.
	Offset, Size uint32
}

// StructOps is a struct_ops map of the object, such as the sched_ext_ops a
// sched_ext scheduler defines with SCX_OPS_DEFINE.
type StructOps struct {
	// Name is the variable's name (the map name), e.g. "fifo_ops".
	Name string
	// TypeName is the struct's name, e.g. "sched_ext_ops".
	TypeName string
	// Section is ".struct_ops.link" or ".struct_ops".
	Section string
	// Type is the object's BTF of the struct: read fields with Field.
	Type *btf.Struct
	// Data is the initial value of the struct as the object defines it.
	// Function pointer members are zero here; see Funcs.
	Data []byte
	// Funcs are the function pointer members that are set, by offset.
	Funcs []StructOpsFunc
}

// StructOpsFunc ties a function pointer member of a struct_ops map to the
// program implementing it.
type StructOpsFunc struct {
	Member  string // e.g. "enqueue"
	Offset  uint32 // byte offset of the member
	Program string // name of the entry program in Object.Programs
}

// Func returns the name of the program implementing member.
func (s *StructOps) Func(member string) (string, bool) {
	for _, f := range s.Funcs {
		if f.Member == member {
			return f.Program, true
		}
	}
	return "", false
}

// Field returns the BTF member named name and its bytes in Data.
func (s *StructOps) Field(name string) (btf.Member, []byte, error) {
	for _, m := range s.Type.Members {
		if m.Name != name {
			continue
		}
		if m.BitfieldSize != 0 || m.Offset%8 != 0 {
			return m, nil, fmt.Errorf("bpfvm: struct_ops %s: member %s is a bitfield", s.Name, name)
		}
		size, err := btf.Sizeof(m.Type)
		if err != nil {
			return m, nil, fmt.Errorf("bpfvm: struct_ops %s: member %s: %w", s.Name, name, err)
		}
		off := uint64(m.Offset.Bytes())
		if off+uint64(size) > uint64(len(s.Data)) {
			return m, nil, fmt.Errorf("bpfvm: struct_ops %s: member %s lies outside the %d bytes of data", s.Name, name, len(s.Data))
		}
		return m, s.Data[off : off+uint64(size)], nil
	}
	return btf.Member{}, nil, fmt.Errorf("bpfvm: struct_ops %s: struct %s has no member %s", s.Name, s.TypeName, name)
}

// Uint returns the value of an integer (or enum) member, zero-extended.
func (s *StructOps) Uint(name string) (uint64, error) {
	m, b, err := s.Field(name)
	if err != nil {
		return 0, err
	}
	switch btf.UnderlyingType(m.Type).(type) {
	case *btf.Int, *btf.Enum:
	default:
		return 0, fmt.Errorf("bpfvm: struct_ops %s: member %s is a %s, not an integer", s.Name, name, typeName(m.Type))
	}
	return leUint(b)
}

// String returns the value of a char array member, up to its first NUL.
func (s *StructOps) String(name string) (string, error) {
	m, b, err := s.Field(name)
	if err != nil {
		return "", err
	}
	arr, ok := btf.UnderlyingType(m.Type).(*btf.Array)
	if !ok {
		return "", fmt.Errorf("bpfvm: struct_ops %s: member %s is a %s, not a char array", s.Name, name, typeName(m.Type))
	}
	if it, ok := btf.UnderlyingType(arr.Type).(*btf.Int); !ok || it.Size != 1 {
		return "", fmt.Errorf("bpfvm: struct_ops %s: member %s is a %s, not a char array", s.Name, name, typeName(m.Type))
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

func leUint(b []byte) (uint64, error) {
	switch len(b) {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	case 8:
		return binary.LittleEndian.Uint64(b), nil
	}
	return 0, fmt.Errorf("bpfvm: %d-byte integer", len(b))
}

// Program returns the entry program called name, or nil.
func (o *Object) Program(name string) *Program {
	for _, p := range o.Programs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// MapIndex returns the object map index of the map called name.
func (o *Object) MapIndex(name string) (int, bool) {
	for i, m := range o.Maps {
		if m.Name == name {
			return i, true
		}
	}
	return 0, false
}

// Var returns the global variable called name.
func (o *Object) Var(name string) (GlobalVar, bool) {
	for _, v := range o.Vars {
		if v.Name == name {
			return v, true
		}
	}
	return GlobalVar{}, false
}

// Extern returns the extern declaration called name.
func (o *Object) Extern(name string) (Extern, bool) {
	for _, e := range o.Externs {
		if e.Name == name {
			return e, true
		}
	}
	return Extern{}, false
}

// StructOpsMap returns the struct_ops map called name, or nil.
func (o *Object) StructOpsMap(name string) *StructOps {
	for _, s := range o.StructOps {
		if s.Name == name {
			return s
		}
	}
	return nil
}
