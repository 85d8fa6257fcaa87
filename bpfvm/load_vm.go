package bpfvm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// VMConfig configures NewVM.
type VMConfig struct {
	// MemSize is the linear memory reserved, in bytes (pages are committed
	// lazily). 0 means DefaultMemSize.
	MemSize uint64
	// NumCPUs sizes per-CPU maps and bounds Context.CPU; 0 means 1.
	NumCPUs int
	// Registry holds the helpers and kfuncs the VM serves; nil means a new
	// registry with the map helpers (RegisterMapHelpers).
	Registry *Registry
	// InsnCost is the simulated cost of one instruction in picoseconds.
	InsnCost uint64
	// Timers serves bpf_timer on simulated time; may be set later on the VM.
	Timers TimerHost
}

// DefaultMemSize is the linear memory NewVM reserves when VMConfig.MemSize
// is 0.
const DefaultMemSize = 1 << 30

// NewVM creates a VM with its linear memory. Close releases it.
func NewVM(cfg VMConfig) (*VM, error) {
	if cfg.NumCPUs < 0 || cfg.NumCPUs > 1<<16 {
		return nil, fmt.Errorf("bpfvm: %d CPUs", cfg.NumCPUs)
	}
	if cfg.MemSize == 0 {
		cfg.MemSize = DefaultMemSize
	}
	if cfg.MemSize > 1<<46 {
		return nil, fmt.Errorf("bpfvm: %d bytes of linear memory is too large", cfg.MemSize)
	}
	mem, err := NewMemory(cfg.MemSize)
	if err != nil {
		return nil, err
	}
	reg := cfg.Registry
	if reg == nil {
		reg = NewRegistry()
		RegisterMapHelpers(reg)
	}
	return &VM{Mem: mem, Registry: reg, NumCPUs: max(cfg.NumCPUs, 1), InsnCost: cfg.InsnCost, Timers: cfg.Timers}, nil
}

// Close releases the VM's linear memory; the VM must not be used after.
func (vm *VM) Close() error {
	if vm.Mem == nil {
		return nil
	}
	return vm.Mem.Close()
}

// mapState is the VM's index of its maps by address (for the helpers,
// which receive map addresses) and its bpf_timer table.
type mapState struct {
	byAddr []mapRef // sorted by addr
	timers []*bpfTimer
}

type mapRef struct {
	addr uint64
	m    bpfMap
}

// NewMap creates a map in the VM (appended to VM.Maps) and returns it with
// its VM map index. Use it for maps that are not declared by an object.
func (vm *VM) NewMap(spec *MapSpec) (Map, int, error) {
	m, err := newMap(vm, spec)
	if err != nil {
		return nil, 0, err
	}
	vm.addMap(m)
	return m, len(vm.Maps) - 1, nil
}

func (vm *VM) addMap(m bpfMap) {
	vm.Maps = append(vm.Maps, m)
	a := m.Addr()
	i := sort.Search(len(vm.mapState.byAddr), func(i int) bool { return vm.mapState.byAddr[i].addr >= a })
	vm.mapState.byAddr = slices.Insert(vm.mapState.byAddr, i, mapRef{a, m})
}

// MapAt returns the map whose address (Map.Addr) is addr, or nil.
func (vm *VM) MapAt(addr uint64) Map {
	if m := vm.mapAt(addr); m != nil {
		return m
	}
	return nil
}

func (vm *VM) mapAt(addr uint64) bpfMap {
	// a binary search by hand: sort.Search's closure call per probe was
	// a measurable part of the interpreter's bpf_map_lookup_elem
	refs := vm.mapState.byAddr
	lo, hi := 0, len(refs)
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); refs[mid].addr < addr {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(refs) && refs[lo].addr == addr {
		return refs[lo].m
	}
	return nil
}

// LoadOptions configures VM.Load.
type LoadOptions struct {
	// KernelBTF holds the simulated kernel's types. CO-RE relocations are
	// resolved against it, and __SCX_* enum variables are filled from its
	// enumerators. Required if the object has CO-RE relocations.
	KernelBTF *btf.Spec
	// Params sets global variables (typically `const volatile` .rodata
	// parameters) by name before anything runs. Values are type-checked
	// against the variable's BTF: Go integers that fit an integer or enum
	// variable (size and sign), bool for _Bool, string for char arrays,
	// slices of integers for integer arrays.
	Params map[string]any
	// DataSizes resizes global data sections whose last variable is an
	// array (RESIZABLE_ARRAY(data, foo) puts `foo` in ".data.foo"): section
	// name -> new size in bytes, as libbpf's bpf_map__set_value_size (which
	// scx's RESIZE_ARRAY calls). The array's length becomes (size -
	// offset) / element size, which must divide exactly. Contents are
	// kept, truncated or zero-extended.
	DataSizes map[string]uint32
	// MaxEntries replaces declared maps' max_entries, by map name, as
	// libbpf's bpf_map__set_max_entries before load.
	MaxEntries map[string]uint32
	// Kconfig gives the values of .kconfig externs (e.g.
	// "LINUX_KERNEL_VERSION"), encoded like Params; "y"/"n"/"m" are also
	// accepted for bools, chars and tristates. A missing weak extern is
	// zero; a missing strong one is an error. Unused entries are ignored.
	Kconfig map[string]any
	// Ksyms gives the addresses of kernel variables (extern void sym
	// __ksym). A missing weak ksym is 0; a missing strong one is an error.
	Ksyms map[string]uint64
}

// Instance is an Object loaded into a VM.
type Instance struct {
	VM     *VM
	Object *Object
	// Programs are the loaded programs, parallel to Object.Programs, also
	// appended to VM.Programs.
	Programs []*Program
	// Maps are the object's maps, parallel to Object.Maps, and MapIndex
	// their indices in VM.Maps.
	Maps     []Map
	MapIndex []int
	// Vars are Object.Vars, with the sizes and types of resized arrays.
	Vars []GlobalVar
}

// Program returns the loaded program called name, or nil.
func (in *Instance) Program(name string) *Program {
	for _, p := range in.Programs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Map returns the loaded map called name (a declared map's name, or a
// section name such as ".bss"), or nil.
func (in *Instance) Map(name string) Map {
	for _, m := range in.Maps {
		if m.Spec().Name == name {
			return m
		}
	}
	return nil
}

// Var returns the global variable called name and its address.
func (in *Instance) Var(name string) (GlobalVar, uint64, error) {
	for _, v := range in.Vars {
		if v.Name != name {
			continue
		}
		if v.Map < 0 || v.Map >= len(in.Maps) {
			break
		}
		addr, ok := in.Maps[v.Map].ValueAddr(v.Offset)
		if !ok {
			break
		}
		return v, addr, nil
	}
	return GlobalVar{}, 0, fmt.Errorf("bpfvm: object %s: no global variable %s", in.Object.Name, name)
}

// StructOpsProgram returns the loaded program implementing member of the
// struct_ops map so, or nil if the member is not set.
func (in *Instance) StructOpsProgram(so *StructOps, member string) *Program {
	name, ok := so.Func(member)
	if !ok {
		return nil
	}
	return in.Program(name)
}

// loader is the state of one VM.Load.
type loader struct {
	vm    *VM
	obj   *Object
	opts  LoadOptions
	specs []*MapSpec // instance map specs (resized copies)
	data  [][]byte   // initial values of data maps
	vars  []GlobalVar
	base  int // VM index of the object's first map
}

func (l *loader) errorf(format string, args ...any) error {
	return fmt.Errorf("bpfvm: object %s: "+format, append([]any{l.obj.Name}, args...)...)
}

// wrap prefixes err (a "bpfvm: ..." error about a map) with the object.
func (l *loader) wrap(err error) error {
	return &wrappedErr{"bpfvm: object " + l.obj.Name + ": " + strings.TrimPrefix(err.Error(), "bpfvm: "), err}
}

type wrappedErr struct {
	msg string
	err error
}

func (e *wrappedErr) Error() string { return e.msg }
func (e *wrappedErr) Unwrap() error { return e.err }

// Load instantiates obj into the VM: it allocates the maps and global
// sections in linear memory (with Params, DataSizes, __SCX_* enums and
// Kconfig applied), and resolves the programs: map references become
// PseudoMapIdx / PseudoMapIdxValue with VM map indices, kfunc calls get
// Registry ids, ksym loads their values, CO-RE relocations are applied
// against opts.KernelBTF.
//
// A call to a weak kfunc missing from the Registry becomes a call to a
// placeholder kfunc (flag KfPoison) that faults with "call to unavailable
// kfunc X"; bpf_ksym_exists(X) loads 0, so a verifier prunes the call. A
// missing non-weak kfunc is an error. A CO-RE relocation whose field, type
// or enumerator does not exist in the kernel BTF poisons its instruction,
// as libbpf does: it becomes a call to a placeholder kfunc that faults
// with the relocation's description if reached (existence checks such as
// bpf_core_field_exists guard these). Relocations that cannot be computed
// at all (ambiguous or malformed) are load errors.
//
// Nothing is added to the VM if Load fails before allocating memory; a
// failure while allocating (memory exhausted) may leave memory used. The
// placeholder kfuncs are added to the VM's Registry (once per name): a
// Registry shared by several VMs must not see concurrent Loads.
func (vm *VM) Load(obj *Object, opts LoadOptions) (*Instance, error) {
	if obj == nil {
		return nil, errors.New("bpfvm: Load of a nil object")
	}
	if vm.Mem == nil {
		return nil, errors.New("bpfvm: Load into a VM without linear memory")
	}
	l := &loader{vm: vm, obj: obj, opts: opts, base: len(vm.Maps)}
	if err := l.layout(); err != nil {
		return nil, err
	}
	if err := l.params(); err != nil {
		return nil, err
	}
	if err := l.scxEnums(); err != nil {
		return nil, err
	}
	if err := l.kconfig(); err != nil {
		return nil, err
	}
	progs := make([]*Program, len(obj.Programs))
	for i, p := range obj.Programs {
		var relos []coreRelo
		if i < len(obj.relos) {
			relos = obj.relos[i]
		}
		rp, err := l.program(p, relos)
		if err != nil {
			return nil, err
		}
		progs[i] = rp
	}
	maps, err := l.allocate()
	if err != nil {
		return nil, err
	}
	in := &Instance{VM: vm, Object: obj, Programs: progs, Maps: make([]Map, len(maps)),
		MapIndex: make([]int, len(maps)), Vars: l.vars}
	for i, m := range maps {
		in.Maps[i] = m
		in.MapIndex[i] = l.base + i
	}
	vm.Programs = append(vm.Programs, progs...)
	return in, nil
}

// layout copies the map specs and data, applying DataSizes.
func (l *loader) layout() error {
	l.specs = make([]*MapSpec, len(l.obj.Maps))
	l.data = make([][]byte, len(l.obj.Maps))
	l.vars = slices.Clone(l.obj.Vars)
	for i, m := range l.obj.Maps {
		cp := *m
		l.specs[i] = &cp
		if m.Section != "" {
			l.data[i] = make([]byte, m.ValueSize)
			copy(l.data[i], m.Data)
		}
	}
	for _, spec := range l.specs {
		if !MapTypeModelled(spec.Type) {
			continue // a placeholder: its initial contents (programs of a program array...) are dropped
		}
		for _, c := range spec.Contents {
			inner, ok := l.obj.MapIndex(c.Map)
			if !ok {
				return l.errorf("map %s: slot %d holds unknown map %s", spec.Name, c.Key, c.Map)
			}
			if spec.Type != MapArrayOfMaps || spec.Inner == nil {
				return l.errorf("map %s: initial inner maps in a %s", spec.Name, mapTypeName(spec.Type))
			}
			if c.Key >= spec.MaxEntries {
				return l.errorf("map %s: initial inner map in slot %d of %d", spec.Name, c.Key, spec.MaxEntries)
			}
			in, tpl := l.specs[inner], spec.Inner
			if in.Type != tpl.Type || in.KeySize != tpl.KeySize || in.ValueSize != tpl.ValueSize {
				return l.errorf("map %s: inner map %s does not match the inner map template", spec.Name, in.Name)
			}
		}
	}
	for _, name := range sortedKeys(l.opts.MaxEntries) {
		i, ok := l.obj.MapIndex(name)
		if !ok || l.specs[i].Section != "" {
			return l.errorf("LoadOptions.MaxEntries[%q]: no declared map of that name", name)
		}
		l.specs[i].MaxEntries = l.opts.MaxEntries[name]
	}
	for _, sec := range sortedKeys(l.opts.DataSizes) {
		if err := l.resize(sec, l.opts.DataSizes[sec]); err != nil {
			return l.errorf("LoadOptions.DataSizes[%q]: %v", sec, err)
		}
	}
	return nil
}

func (l *loader) resize(sec string, size uint32) error {
	idx := -1
	for i, m := range l.specs {
		if m.Section == sec && sec != ".kconfig" {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("no global data section %s", sec)
	}
	spec := l.specs[idx]
	ds, ok := spec.Value.(*btf.Datasec)
	if !ok || len(ds.Vars) == 0 {
		return errors.New("the section has no BTF variables")
	}
	last := slices.MaxFunc(ds.Vars, func(a, b btf.VarSecinfo) int { return int(int64(a.Offset) - int64(b.Offset)) })
	v, ok := last.Type.(*btf.Var)
	if !ok {
		return errors.New("the last entry of the section is not a variable")
	}
	arr, ok := btf.UnderlyingType(v.Type).(*btf.Array)
	if !ok {
		return fmt.Errorf("the last variable, %s, is a %s, not an array", v.Name, typeName(v.Type))
	}
	esize, err := btf.Sizeof(arr.Type)
	if err != nil || esize <= 0 {
		return fmt.Errorf("array %s: element size: %v", v.Name, err)
	}
	if size <= last.Offset || (size-last.Offset)%uint32(esize) != 0 {
		return fmt.Errorf("size %d leaves %d bytes for array %s (at offset %d) of %d-byte elements, not a positive multiple",
			size, int64(size)-int64(last.Offset), v.Name, last.Offset, esize)
	}
	if size > 1<<30 {
		return fmt.Errorf("size %d is too large", size)
	}
	nelems := (size - last.Offset) / uint32(esize)
	newArr := &btf.Array{Index: arr.Index, Type: arr.Type, Nelems: nelems}
	newVar := &btf.Var{Name: v.Name, Type: newArr, Linkage: v.Linkage}
	newDS := &btf.Datasec{Name: ds.Name, Size: size, Vars: slices.Clone(ds.Vars)}
	for j := range newDS.Vars {
		if newDS.Vars[j].Type == last.Type {
			newDS.Vars[j].Type = newVar
			newDS.Vars[j].Size = size - last.Offset
		}
	}
	spec.Value, spec.ValueSize = newDS, size
	data := make([]byte, size)
	copy(data, l.data[idx])
	l.data[idx] = data
	for j := range l.vars {
		if l.vars[j].Map == idx && l.vars[j].Name == v.Name {
			l.vars[j].Size, l.vars[j].Type = size-last.Offset, newArr
		}
	}
	return nil
}

func (l *loader) findVar(name string) (int, bool) {
	for i, v := range l.vars {
		if v.Name == name {
			return i, true
		}
	}
	return 0, false
}

func (l *loader) varBytes(v GlobalVar) ([]byte, error) {
	d := l.data[v.Map]
	if uint64(v.Offset)+uint64(v.Size) > uint64(len(d)) {
		return nil, fmt.Errorf("variable %s [%d, +%d) lies outside section %s", v.Name, v.Offset, v.Size, v.Section)
	}
	return d[v.Offset : v.Offset+v.Size], nil
}

func (l *loader) params() error {
	for _, name := range sortedKeys(l.opts.Params) {
		base, path := splitVarPath(name)
		i, ok := l.findVar(base)
		if !ok {
			return l.errorf("LoadOptions.Params: no global variable named %q", base)
		}
		v := l.vars[i]
		b, err := l.varBytes(v)
		if err != nil {
			return l.errorf("LoadOptions.Params[%q]: %v", name, err)
		}
		typ := v.Type
		if path != "" {
			if b, typ, err = selectPath(b, v.Type, path); err != nil {
				return l.errorf("LoadOptions.Params[%q]: %v", name, err)
			}
		}
		if err := encodeVar(b, typ, l.opts.Params[name]); err != nil {
			return l.errorf("LoadOptions.Params[%q] (%s, in %s): %v", name, typeName(typ), v.Section, err)
		}
	}
	return nil
}

// typeName spells t the C way for messages: "const volatile u32",
// "u8[4]", "struct foo".
func typeName(t btf.Type) string {
	return cTypeName(t, 0)
}

func cTypeName(t btf.Type, depth int) string {
	if depth > 16 {
		return "..."
	}
	switch t := t.(type) {
	case nil:
		return "no type"
	case *btf.Void:
		return "void"
	case *btf.Const:
		return "const " + cTypeName(t.Type, depth+1)
	case *btf.Volatile:
		return "volatile " + cTypeName(t.Type, depth+1)
	case *btf.Restrict:
		return cTypeName(t.Type, depth+1)
	case *btf.Pointer:
		return cTypeName(t.Target, depth+1) + " *"
	case *btf.Array:
		return fmt.Sprintf("%s[%d]", cTypeName(t.Type, depth+1), t.Nelems)
	case *btf.Struct:
		return "struct " + t.Name
	case *btf.Union:
		return "union " + t.Name
	case *btf.Enum:
		return "enum " + t.Name
	}
	if n := t.TypeName(); n != "" {
		return n
	}
	return fmt.Sprint(t)
}

// scxEnums fills each .rodata variable __NAME, where NAME is an enumerator
// of the kernel BTF and the variable is not in Params, with the
// enumerator's value: what scx's SCX_ENUM_INIT does from user space.
func (l *loader) scxEnums() error {
	if l.opts.KernelBTF == nil {
		return nil
	}
	var enums map[string]btf.EnumValue
	var signed map[string]bool
	for _, v := range l.vars {
		if !strings.HasPrefix(v.Section, ".rodata") || !strings.HasPrefix(v.Name, "__") || len(v.Name) <= 2 {
			continue
		}
		if _, set := l.opts.Params[v.Name]; set {
			continue
		}
		if enums == nil {
			enums, signed = map[string]btf.EnumValue{}, map[string]bool{}
			for t, err := range l.opts.KernelBTF.All() {
				if err != nil {
					return l.errorf("reading the kernel BTF: %v", err)
				}
				if e, ok := t.(*btf.Enum); ok {
					for _, ev := range e.Values {
						if _, dup := enums[ev.Name]; !dup {
							enums[ev.Name], signed[ev.Name] = ev, e.Signed
						}
					}
				}
			}
		}
		ev, ok := enums[v.Name[2:]]
		if !ok {
			continue
		}
		b, err := l.varBytes(v)
		if err != nil {
			return l.errorf("%v", err)
		}
		if err := encodeEnumValue(b, v.Type, ev.Value, signed[ev.Name]); err != nil {
			return l.errorf("variable %s = kernel enumerator %s (%d): %v", v.Name, ev.Name, ev.Value, err)
		}
	}
	return nil
}

func (l *loader) kconfig() error {
	kc, ok := l.obj.MapIndex(".kconfig")
	if !ok {
		return nil
	}
	for _, e := range l.obj.Externs {
		if e.Kind != ExternKconfig {
			continue
		}
		d := l.data[kc]
		if uint64(e.Offset)+uint64(e.Size) > uint64(len(d)) {
			return l.errorf("kconfig %s lies outside .kconfig", e.Name)
		}
		val, ok := l.opts.Kconfig[e.Name]
		if !ok {
			if e.Weak {
				continue
			}
			return l.errorf("kconfig %s: no value in LoadOptions.Kconfig", e.Name)
		}
		if s, isStr := val.(string); isStr && (s == "y" || s == "n" || s == "m") {
			val = kconfigTristate(e.Type, s)
		}
		if err := encodeVar(d[e.Offset:e.Offset+e.Size], e.Type, val); err != nil {
			return l.errorf("LoadOptions.Kconfig[%q] (%s): %v", e.Name, typeName(e.Type), err)
		}
	}
	return nil
}

// kconfigTristate converts "y"/"n"/"m" to the Go value encodeVar expects
// for t, as libbpf does: a bool is true for y, a char holds the letter, an
// integer or enum (libbpf_tristate) is 1, 0 or 2.
func kconfigTristate(t btf.Type, s string) any {
	tri := map[string]int{"n": 0, "y": 1, "m": 2}[s]
	switch ut := btf.UnderlyingType(t).(type) {
	case *btf.Int:
		if ut.Encoding&btf.Bool != 0 {
			if s == "m" {
				return s // not a bool: encodeVar reports it
			}
			return s == "y"
		}
		if ut.Encoding&btf.Char != 0 {
			return s[0]
		}
	case *btf.Array:
		return s
	}
	return tri
}

// program returns the resolved copy of p.
func (l *loader) program(p *Program, relos []coreRelo) (*Program, error) {
	rp := *p
	rp.Insns = slices.Clone(p.Insns)
	fail := func(pc int, format string, args ...any) error {
		return fmt.Errorf("bpfvm: object %s: program %s: %s", l.obj.Name, wherePC(p, pc), fmt.Sprintf(format, args...))
	}
	insns := rp.Insns
	for pc := 0; pc < len(insns); pc++ {
		ins := insns[pc]
		switch {
		case ins.IsLdImm64():
			if pc+1 >= len(insns) {
				return nil, fail(pc, "LD_IMM64 without its second half")
			}
			switch ins.Src {
			case PseudoMapFD, PseudoMapValue:
				if ins.Src == PseudoMapFD && slices.Contains(rp.RawMapFDs, pc) {
					break // an fd that names no map: the verifier rejects it
				}
				idx := int(ins.Imm)
				if idx < 0 || idx >= len(l.specs) {
					return nil, fail(pc, "map index %d out of range", idx)
				}
				if ins.Src == PseudoMapValue {
					off := uint32(insns[pc+1].Imm)
					if off >= l.specs[idx].ValueSize || l.specs[idx].Section == "" {
						return nil, fail(pc, "direct access at offset %d of map %s (%d-byte value)", off, l.specs[idx].Name, l.specs[idx].ValueSize)
					}
					insns[pc].Src = PseudoMapIdxValue
				} else {
					insns[pc].Src = PseudoMapIdx
				}
				insns[pc].Imm = int32(l.base + idx)
			case PseudoBTFID:
				v, err := l.ksymValue(int(ins.Imm))
				if err != nil {
					return nil, fail(pc, "%v", err)
				}
				if e, err := l.extern(int(ins.Imm), ExternKsym); err == nil && v != 0 && e.Type != nil {
					rp.Ksyms = append(rp.Ksyms, KsymLoad{PC: pc, Name: EssentialName(e.Name), Type: e.Type})
				}
				insns[pc].Imm, insns[pc+1].Imm = int32(uint32(v)), int32(uint32(v>>32))
			}
			pc++
		case ins.Op == ClassALU64|AluMOV|SrcX && (ins.Off == 1 || ins.Imm != 0):
			// addr_space_cast(dst, src, as): a move here (map_arena.go).
			// (cilium's encoder drops Off of a MOV; Imm names the address
			// spaces, and is 0 in a plain move.)
			insns[pc].Off, insns[pc].Imm = 0, 0
			rp.ArenaCasts = append(rp.ArenaCasts, ArenaCast{PC: pc, Imm: ins.Imm})
		case ins.Op == ClassJMP|JmpCALL && ins.Src == CallKfunc:
			id, err := l.kfuncID(int(ins.Imm))
			if err != nil {
				return nil, fail(pc, "%v", err)
			}
			insns[pc].Imm = id
		}
	}
	if err := l.relocate(&rp, relos); err != nil {
		return nil, err
	}
	return &rp, nil
}

func (l *loader) extern(i int, kinds ...ExternKind) (Extern, error) {
	if i < 0 || i >= len(l.obj.Externs) || !slices.Contains(kinds, l.obj.Externs[i].Kind) {
		return Extern{}, fmt.Errorf("extern index %d out of range", i)
	}
	return l.obj.Externs[i], nil
}

// ksymValue is the value of bpf_ksym_exists(x) / &x for extern i.
func (l *loader) ksymValue(i int) (uint64, error) {
	e, err := l.extern(i, ExternKfunc, ExternKsym)
	if err != nil {
		return 0, err
	}
	if e.Kind == ExternKfunc {
		if id, ok := l.registry().KfuncByName(EssentialName(e.Name)); ok {
			return uint64(id) + 1, nil // any non-zero value
		}
		if e.Weak {
			return 0, nil
		}
		return 0, fmt.Errorf("kfunc %s is not provided by the VM (and is not __weak)", e.Name)
	}
	if v, ok := l.opts.Ksyms[EssentialName(e.Name)]; ok {
		return v, nil
	}
	if e.Weak {
		return 0, nil
	}
	return 0, fmt.Errorf("kernel symbol %s is not in LoadOptions.Ksyms (and is not __weak)", e.Name)
}

func (l *loader) registry() *Registry {
	if l.vm.Registry == nil {
		l.vm.Registry = NewRegistry()
	}
	return l.vm.Registry
}

func (l *loader) kfuncID(i int) (int32, error) {
	e, err := l.extern(i, ExternKfunc)
	if err != nil {
		return 0, err
	}
	reg := l.registry()
	if id, ok := reg.KfuncByName(EssentialName(e.Name)); ok {
		return id, nil
	}
	if !e.Weak {
		return 0, fmt.Errorf("call to kfunc %s, which the VM does not provide", e.Name)
	}
	return poisonKfunc(reg, "unavailable kfunc "+e.Name, "call to unavailable kfunc "+e.Name), nil
}

// EssentialName drops a CO-RE flavor suffix ("___" and what follows), as
// libbpf does when it resolves extern kfuncs and ksyms: compat headers
// declare e.g. scx_bpf_dsq_insert___new and scx_bpf_dispatch___old, two
// names for two possible kernel functions.
func EssentialName(name string) string {
	if i := strings.Index(name, "___"); i > 0 {
		return name[:i]
	}
	return name
}

// poisonKfunc registers (once per name) a placeholder kfunc that faults
// with msg, and returns its id.
func poisonKfunc(reg *Registry, name, msg string) int32 {
	name = "<" + name + ">"
	if id, ok := reg.KfuncByName(name); ok {
		return id
	}
	return reg.AddKfunc(&Kfunc{Name: name, Flags: KfPoison, Fn: func(*Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 0, errors.New(msg)
	}})
}

// relocate applies the CO-RE relocations of p against the kernel BTF.
func (l *loader) relocate(p *Program, relos []coreRelo) error {
	if len(relos) == 0 {
		return nil
	}
	if l.opts.KernelBTF == nil {
		return fmt.Errorf("bpfvm: object %s: program %s: %w", l.obj.Name, wherePC(p, relos[0].pc), errNoKernelBTF)
	}
	if l.obj.BTF == nil {
		return fmt.Errorf("bpfvm: object %s: program %s: CO-RE relocations without object BTF", l.obj.Name, p.Name)
	}
	rs := make([]*btf.CORERelocation, len(relos))
	for i, r := range relos {
		rs[i] = r.relo
	}
	fixups, err := l.coreRelocate(rs)
	if err != nil {
		// Find the culprit to name it and its line.
		for _, r := range relos {
			if _, err1 := l.coreRelocate([]*btf.CORERelocation{r.relo}); err1 != nil {
				return fmt.Errorf("bpfvm: object %s: program %s: CO-RE relocation %v: %v", l.obj.Name, wherePC(p, r.pc), r.relo, err1)
			}
		}
		return fmt.Errorf("bpfvm: object %s: program %s: CO-RE relocation: %v", l.obj.Name, p.Name, err)
	}
	for i, r := range relos {
		if err := l.applyFixup(p, r, &fixups[i]); err != nil {
			return fmt.Errorf("bpfvm: object %s: program %s: CO-RE relocation %v: %v", l.obj.Name, wherePC(p, r.pc), r.relo, err)
		}
	}
	return nil
}

func (l *loader) coreRelocate(rs []*btf.CORERelocation) (fs []btf.COREFixup, err error) {
	return safely("CO-RE", func() ([]btf.COREFixup, error) {
		return btf.CORERelocate(rs, []*btf.Spec{l.opts.KernelBTF}, binary.LittleEndian, l.obj.BTF.TypeID)
	})
}

func (l *loader) applyFixup(p *Program, r coreRelo, f *btf.COREFixup) error {
	pc := r.pc
	if pc < 0 || pc >= len(p.Insns) {
		return fmt.Errorf("instruction %d out of range", pc)
	}
	n := 1
	if p.Insns[pc].IsLdImm64() {
		n = 2
		if pc+1 >= len(p.Insns) {
			return errors.New("LD_IMM64 without its second half")
		}
	}
	var raw []byte
	for _, in := range p.Insns[pc : pc+n] {
		raw = in.Encode(raw)
	}
	var ins asm.Instruction
	if err := ins.Unmarshal(bytes.NewReader(raw), binary.LittleEndian, "linux"); err != nil {
		return fmt.Errorf("decoding instruction: %v", err)
	}
	if err := f.Apply(&ins); err != nil {
		return err
	}
	if ins.Constant == btf.COREBadRelocationSentinel &&
		(ins.OpCode.JumpOp() == asm.Call || ins.OpCode.IsDWordLoad() && ins.Dst == asm.R10) {
		msg := fmt.Sprintf("instruction poisoned by CO-RE: %v has no match in the kernel BTF", r.relo)
		id := poisonKfunc(l.registry(), "CO-RE poison: "+r.relo.String(), msg)
		p.Insns[pc] = Insn{Op: ClassJMP | JmpCALL, Src: CallKfunc, Imm: id}
		if n == 2 {
			p.Insns[pc+1] = Insn{Op: ClassJMP | JmpJA} // never reached: the call faults
		}
		return nil
	}
	var buf bytes.Buffer
	if _, err := ins.Marshal(&buf, binary.LittleEndian); err != nil {
		return fmt.Errorf("encoding instruction: %v", err)
	}
	out, err := DecodeInsns(buf.Bytes())
	if err != nil || len(out) != n {
		return fmt.Errorf("relocated instruction changed width")
	}
	copy(p.Insns[pc:], out)
	return nil
}

// allocate creates the maps in memory, writes the initial data, freezes
// read-only sections, fills map-in-maps, and registers the maps in the VM.
func (l *loader) allocate() ([]bpfMap, error) {
	maps := make([]bpfMap, len(l.specs))
	for i, spec := range l.specs {
		var m bpfMap
		var err error
		if spec.Section == ArenaSection {
			m, err = l.arenaGlobals(maps[:i], spec, l.data[i])
		} else {
			m, err = newMap(l.vm, spec)
		}
		if err != nil {
			return nil, l.wrap(err)
		}
		maps[i] = m
		if spec.Section != "" {
			addr, ok := m.ValueAddr(0)
			if !ok {
				return nil, l.errorf("section %s is not a single-value array", spec.Section)
			}
			copy(l.vm.Mem.MustBytes(addr, uint64(spec.ValueSize)), l.data[i])
		}
		if spec.ReadOnly {
			m.base().freeze()
		}
	}
	for _, m := range maps {
		l.vm.addMap(m)
	}
	for i, spec := range l.specs {
		if !MapTypeModelled(spec.Type) {
			continue
		}
		for _, c := range spec.Contents {
			inner, _ := l.obj.MapIndex(c.Map)
			aom, ok := maps[i].(*arrayOfMaps)
			if !ok {
				return nil, l.errorf("map %s: initial inner maps in a %s", spec.Name, mapTypeName(spec.Type))
			}
			if err := aom.set(c.Key, l.base+inner); err != nil {
				return nil, l.wrap(err)
			}
		}
	}
	return maps, nil
}

// ArenaSection is the ELF section of arena globals (__arena variables).
const ArenaSection = ".addr_space.1"

// arenaGlobals places the arena globals section at the end of the
// object's arena map, as libbpf does.
func (l *loader) arenaGlobals(made []bpfMap, spec *MapSpec, data []byte) (bpfMap, error) {
	var arena *arenaMap
	for _, m := range made {
		if a, ok := m.(*arenaMap); ok {
			if arena != nil {
				return nil, fmt.Errorf("bpfvm: section %s: the object has more than one arena map", ArenaSection)
			}
			arena = a
		}
	}
	if arena == nil {
		return nil, fmt.Errorf("bpfvm: section %s: arena globals without an arena map (BPF_MAP_TYPE_ARENA)", ArenaSection)
	}
	g := &arenaGlobals{arena: arena}
	if err := g.init(l.vm, spec); err != nil {
		return nil, err
	}
	if _, err := arena.placeGlobals(data, uint64(spec.ValueSize)); err != nil {
		return nil, err
	}
	return g, nil
}
