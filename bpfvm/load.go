package bpfvm

//go:generate make -C testdata

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// LoadObject parses the BPF ELF object file at path (see LoadObjectReader).
func LoadObject(path string) (*Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: %w", err)
	}
	defer f.Close()
	return LoadObjectReader(f, path)
}

// LoadObjectReader parses a BPF ELF object (as clang -target bpf writes it)
// with cilium/ebpf, and builds bpfvm's model of it: linked programs with
// function and line information, map declarations, global data sections and
// their variables, externs and struct_ops maps. name is used in messages.
//
// It never panics on malformed input; errors name the object, the program or
// map, and the C source line when known.
func LoadObjectReader(r io.ReaderAt, name string) (*Object, error) {
	ei, err := parseELF(r, name)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: object %s: %w", name, err)
	}
	spec, err := safely("parsing BPF object", func() (*ebpf.CollectionSpec, error) {
		return ebpf.LoadCollectionSpecFromReader(ei.reader(r))
	})
	if err != nil {
		return nil, fmt.Errorf("bpfvm: object %s: %w", name, err)
	}
	if spec.ByteOrder != nil && spec.ByteOrder != binary.LittleEndian {
		return nil, fmt.Errorf("bpfvm: object %s: byte order %v, want little endian", name, spec.ByteOrder)
	}
	b := &objBuilder{ei: ei, spec: spec, obj: &Object{Name: name, BTF: spec.Types}}
	if _, sec := ei.section("license"); sec != nil {
		if data, err := safely("reading license", sec.Data); err == nil {
			b.obj.License = string(bytes.TrimRight(data, "\x00"))
		}
	}
	steps := []func() error{b.maps, b.vars, b.externs, b.programs, b.structOps}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return b.obj, nil
}

type objBuilder struct {
	ei   *elfInfo
	spec *ebpf.CollectionSpec
	obj  *Object
	// mapByCilium maps cilium's map names (section names as it saw them) to
	// object map indices.
	mapByCilium map[string]int
}

func (b *objBuilder) errorf(format string, args ...any) error {
	return fmt.Errorf("bpfvm: object %s: "+format, append([]any{b.obj.Name}, args...)...)
}

// isDataSection mirrors cilium's classification (after the .bss.* rename).
func isDataSection(name string) bool {
	return name == ".bss" || strings.HasPrefix(name, ".data") || strings.HasPrefix(name, ".rodata")
}

func (b *objBuilder) maps() error {
	type entry struct {
		sec   int
		off   uint64
		name  string // as cilium names it
		spec  *ebpf.MapSpec
		isDat bool
	}
	var es []entry
	for name, ms := range b.spec.Maps {
		if ms == nil || ms.Type == ebpf.StructOpsMap {
			continue
		}
		e := entry{sec: len(b.ei.sections), name: name, spec: ms, isDat: isDataSection(name)}
		if e.isDat {
			if i, _ := b.ei.section(b.ei.originalName(name)); i >= 0 {
				e.sec = i
			}
		} else if sym, ok := b.ei.symbol(name); ok {
			e.sec, e.off = int(sym.Section), sym.Value
		}
		es = append(es, e)
	}
	// Declared maps first, then data sections, each in file order.
	slices.SortFunc(es, func(x, y entry) int {
		if x.isDat != y.isDat {
			if x.isDat {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(x.sec, y.sec), cmp.Compare(x.off, y.off), strings.Compare(x.name, y.name))
	})
	b.mapByCilium = map[string]int{}
	for _, e := range es {
		m := convMapSpec(e.name, e.spec)
		if e.isDat {
			orig := b.ei.originalName(e.name)
			m.Name, m.Section = orig, orig
			m.ReadOnly = strings.HasPrefix(orig, ".rodata")
			if len(e.spec.Contents) == 1 {
				if data, ok := e.spec.Contents[0].Value.([]byte); ok {
					m.Data = slices.Clone(data)
				}
			}
			if uint32(len(m.Data)) != m.ValueSize {
				return b.errorf("section %s: %d bytes of data for a %d-byte section", orig, len(m.Data), m.ValueSize)
			}
			if ds, ok := m.Value.(*btf.Datasec); ok && ds.Name != orig {
				cp := btf.Copy(ds).(*btf.Datasec)
				cp.Name = orig
				m.Value = cp
			}
		}
		b.mapByCilium[e.name] = len(b.obj.Maps)
		b.obj.Maps = append(b.obj.Maps, m)
	}
	// The .kconfig externs become one more read-only data map.
	if ds := b.datasec(".kconfig"); ds != nil {
		b.mapByCilium[".kconfig"] = len(b.obj.Maps)
		b.obj.Maps = append(b.obj.Maps, &MapSpec{Name: ".kconfig", Type: MapArray, KeySize: 4,
			ValueSize: ds.Size, MaxEntries: 1, Value: ds, Section: ".kconfig", ReadOnly: true})
	}
	return nil
}

func convMapSpec(name string, ms *ebpf.MapSpec) *MapSpec {
	m := &MapSpec{Name: name, Type: MapType(ms.Type), KeySize: ms.KeySize, ValueSize: ms.ValueSize,
		MaxEntries: ms.MaxEntries, Flags: ms.Flags, Key: ms.Key, Value: ms.Value, Extra: ms.MapExtra}
	if ms.InnerMap != nil {
		m.Inner = convMapSpec(ms.InnerMap.Name, ms.InnerMap)
	}
	for _, kv := range ms.Contents {
		k, ok1 := kv.Key.(uint32)
		v, ok2 := kv.Value.(string)
		if ok1 && ok2 {
			m.Contents = append(m.Contents, MapContent{Key: k, Map: v})
		}
	}
	return m
}

// datasec returns the object's BTF DATASEC called name, or nil.
func (b *objBuilder) datasec(name string) *btf.Datasec {
	if b.spec.Types == nil {
		return nil
	}
	var ds *btf.Datasec
	if err := b.spec.Types.TypeByName(name, &ds); err != nil {
		return nil
	}
	return ds
}

func (b *objBuilder) vars() error {
	for i, m := range b.obj.Maps {
		if m.Section == "" || m.Section == ".kconfig" {
			continue
		}
		if ds, ok := m.Value.(*btf.Datasec); ok {
			for _, vsi := range ds.Vars {
				v, ok := vsi.Type.(*btf.Var)
				if !ok {
					return b.errorf("section %s: entry %v is not a variable", m.Section, vsi.Type)
				}
				if uint64(vsi.Offset)+uint64(vsi.Size) > uint64(m.ValueSize) {
					return b.errorf("section %s: variable %s [%d, +%d) lies outside the %d-byte section",
						m.Section, v.Name, vsi.Offset, vsi.Size, m.ValueSize)
				}
				b.obj.Vars = append(b.obj.Vars, GlobalVar{Name: v.Name, Section: m.Section, Map: i,
					Offset: vsi.Offset, Size: vsi.Size, Type: v.Type, Static: v.Linkage == btf.StaticVar})
			}
			continue
		}
		// No BTF: the ELF symbols cilium found.
		var vs []GlobalVar
		for _, v := range b.spec.Variables {
			if v == nil || b.ei.originalName(v.SectionName) != m.Section {
				continue
			}
			gv := GlobalVar{Name: v.Name, Section: m.Section, Map: i, Offset: v.Offset, Size: uint32(len(v.Value))}
			if v.Type != nil {
				gv.Type = v.Type.Type
			}
			vs = append(vs, gv)
		}
		slices.SortFunc(vs, func(x, y GlobalVar) int {
			return cmp.Or(cmp.Compare(x.Offset, y.Offset), strings.Compare(x.Name, y.Name))
		})
		b.obj.Vars = append(b.obj.Vars, vs...)
	}
	return nil
}

func (b *objBuilder) externs() error {
	if ds := b.datasec(".ksyms"); ds != nil {
		for _, vsi := range ds.Vars {
			switch t := vsi.Type.(type) {
			case *btf.Func:
				b.obj.Externs = append(b.obj.Externs, Extern{Name: t.Name, Kind: ExternKfunc, Weak: b.ei.weak(t.Name), Func: t})
			case *btf.Var:
				typ := t.Type
				if id, ok := b.ei.ksymTypes[t.Name]; ok {
					if real, err := b.spec.Types.TypeByID(btf.TypeID(id)); err == nil {
						typ = real
					}
				}
				b.obj.Externs = append(b.obj.Externs, Extern{Name: t.Name, Kind: ExternKsym, Weak: b.ei.weak(t.Name), Type: typ})
			default:
				return b.errorf(".ksyms: unexpected entry %v", vsi.Type)
			}
		}
	}
	if ds := b.datasec(".kconfig"); ds != nil {
		for _, vsi := range ds.Vars {
			v, ok := vsi.Type.(*btf.Var)
			if !ok {
				return b.errorf(".kconfig: unexpected entry %v", vsi.Type)
			}
			b.obj.Externs = append(b.obj.Externs, Extern{Name: v.Name, Kind: ExternKconfig, Weak: b.ei.weak(v.Name),
				Type: v.Type, Offset: vsi.Offset, Size: vsi.Size})
		}
	}
	return nil
}

func (b *objBuilder) externIndex(name string, kinds ...ExternKind) (int, bool) {
	for i, e := range b.obj.Externs {
		if e.Name == name && slices.Contains(kinds, e.Kind) {
			return i, true
		}
	}
	return 0, false
}

func (b *objBuilder) programs() error {
	type entry struct {
		sec  int
		off  uint64
		name string
		spec *ebpf.ProgramSpec
	}
	var es []entry
	for name, ps := range b.spec.Programs {
		if ps == nil {
			continue
		}
		e := entry{sec: len(b.ei.sections), name: name, spec: ps}
		if sym, ok := b.ei.symbol(name); ok {
			e.sec, e.off = int(sym.Section), sym.Value
		}
		es = append(es, e)
	}
	slices.SortFunc(es, func(x, y entry) int {
		return cmp.Or(cmp.Compare(x.sec, y.sec), cmp.Compare(x.off, y.off), strings.Compare(x.name, y.name))
	})
	for _, e := range es {
		p, relos, err := b.program(e.name, e.spec)
		if err != nil {
			return err
		}
		b.obj.Programs = append(b.obj.Programs, p)
		b.obj.relos = append(b.obj.relos, relos)
	}
	return nil
}

// usedFuncs lists the functions a program's entry reaches by calls and
// function pointers, as libbpf links into a program only the subprograms
// it references (bpf_object__reloc_code). cilium's flattened program may
// hold more: those a dead weak duplicate's body referenced, which program
// drops (see load_elf_ksym.go); their code would be unreachable.
func (b *objBuilder) usedFuncs(insns asm.Instructions) map[string]bool {
	edges := map[string][]string{}
	entry, cur := "", ""
	fnCPC, fnLimit := 0, -1
	iter := insns.Iterate()
	for iter.Next() {
		ins := iter.Ins
		cpc := int(iter.Offset)
		if sym := ins.Symbol(); sym != "" {
			cur, fnCPC, fnLimit = sym, cpc, -1
			if entry == "" {
				entry = sym
			}
			if s, ok := b.ei.symbol(sym); ok && s.Size > 0 && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
				fnLimit = int(s.Size / asm.InstructionSize)
			}
		} else if fnLimit >= 0 && cpc-fnCPC >= fnLimit {
			continue
		}
		if ins.IsFunctionReference() && ins.Reference() != "" {
			edges[cur] = append(edges[cur], ins.Reference())
		}
	}
	used := map[string]bool{entry: true}
	work := []string{entry}
	for len(work) > 0 {
		f := work[len(work)-1]
		work = work[:len(work)-1]
		for _, g := range edges[f] {
			if !used[g] {
				used[g] = true
				work = append(work, g)
			}
		}
	}
	return used
}

// program converts one of cilium's linked (flattened) programs.
func (b *objBuilder) program(name string, ps *ebpf.ProgramSpec) (*Program, []coreRelo, error) {
	p := &Program{Name: name, Section: ps.SectionName, Object: b.obj.Name, BTF: b.spec.Types,
		Sleepable: ps.Flags&(1<<4) != 0} // BPF_F_SLEEPABLE
	fail := func(pc int, format string, args ...any) error {
		return fmt.Errorf("bpfvm: object %s: program %s: %s", b.obj.Name, wherePC(p, pc), fmt.Sprintf(format, args...))
	}
	type funcRef struct {
		pc     int
		target string
	}
	var (
		buf     bytes.Buffer
		refs    []funcRef
		relos   []coreRelo
		fnSec   = -1   // ELF section of the current function
		fnOff   uint64 // its offset in the section
		fnCPC   int    // its first instruction, in cilium's numbering
		fnLimit = -1   // its length in instructions (the symbol's size), -1 if unknown
		starts  = map[string]int{}
	)
	used := b.usedFuncs(ps.Instructions)
	skipFn := false
	iter := ps.Instructions.Iterate()
	for iter.Next() {
		ins := *iter.Ins
		cpc := int(iter.Offset)
		pc := buf.Len() / asm.InstructionSize
		if ins.Symbol() == "" && fnLimit >= 0 && cpc-fnCPC >= fnLimit {
			// past the function's symbol: the dead body of a weak
			// duplicate a linked object keeps (see load_elf_ksym.go)
			continue
		}
		if sym := ins.Symbol(); sym != "" {
			skipFn = pc > 0 && !used[sym]
		}
		if skipFn {
			continue
		}
		if sym := ins.Symbol(); sym != "" {
			if _, dup := starts[sym]; dup {
				return nil, nil, fail(pc, "function %s linked twice", sym)
			}
			starts[sym] = pc
			sp := Subprog{Name: sym, Start: pc}
			if fn := btf.FuncMetadata(&ins); fn != nil {
				sp.Proto, _ = fn.Type.(*btf.FuncProto)
				sp.Global = fn.Linkage == btf.GlobalFunc
				sp.ParamTags = fn.ParamTags
			}
			fnSec, fnOff, fnCPC, fnLimit = -1, 0, cpc, -1
			if s, ok := b.ei.symbol(sym); ok {
				if v := elf.ST_VISIBILITY(s.Other); v == elf.STV_HIDDEN || v == elf.STV_INTERNAL {
					// libbpf's mark_btf_static (bpf_object__add_programs):
					// a global function of restricted visibility is loaded
					// as static, verified in its callers' context
					sp.Global = false
				}
				fnSec, fnOff = int(s.Section), s.Value
				if s.Size > 0 && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
					fnLimit = int(s.Size / asm.InstructionSize)
				}
			}
			p.Funcs = append(p.Funcs, sp)
		} else if pc == 0 {
			return nil, nil, fail(pc, "first instruction is not the start of a function")
		}
		if l, ok := ins.Source().(*btf.Line); ok && l != nil {
			p.Lines = append(p.Lines, LineInfo{Insn: pc, File: l.FileName(), Line: int(l.LineNumber()),
				Col: int(l.LineColumn()), Source: strings.TrimSpace(l.Line())})
		}
		if r := btf.CORERelocationMetadata(&ins); r != nil {
			relos = append(relos, coreRelo{pc: pc, relo: r})
		}
		ref := ins.Reference()
		switch {
		case ins.IsLoadFromMap():
			off := uint32(uint64(ins.Constant) >> 32)
			idx, ok := b.mapByCilium[ref]
			if ref == "" && ins.Src == asm.PseudoMapValue {
				// A .kconfig read: cilium keeps the variable in private
				// metadata, so find it from the ELF relocation.
				sym, found := b.ei.reloc(fnSec, fnOff+uint64(cpc-fnCPC)*asm.InstructionSize)
				if fnSec < 0 || !found {
					return nil, nil, fail(pc, "direct value load without a relocation")
				}
				ext, isExt := b.externIndex(sym.Name, ExternKconfig)
				kc, hasKc := b.mapByCilium[".kconfig"]
				if !isExt || !hasKc {
					return nil, nil, fail(pc, "load of %s, which is not a .kconfig extern", sym.Name)
				}
				idx, ok, off = kc, true, b.obj.Externs[ext].Offset
			}
			if !ok && ref == "" && ins.Src == asm.PseudoMapFD {
				// a raw fd in the code (the selftests' invalid-fd tests)
				p.RawMapFDs = append(p.RawMapFDs, pc)
				break
			}
			if !ok {
				return nil, nil, fail(pc, "reference to unknown map %q", b.ei.originalName(ref))
			}
			ins.Constant = int64(uint64(off)<<32 | uint64(uint32(idx)))
		case ins.IsKfuncCall():
			ext, ok := b.externIndex(ref, ExternKfunc)
			if !ok {
				return nil, nil, fail(pc, "call to kfunc %q, which has no extern declaration", ref)
			}
			ins.Constant, ins.Offset = int64(ext), 0
		case ins.IsFunctionReference():
			if ref == "" {
				return nil, nil, fail(pc, "call or function pointer without a target symbol")
			}
			refs = append(refs, funcRef{pc, ref})
			ins.Constant = 0 // set below; the second half of a LD_IMM64 stays 0
		case ins.OpCode.IsDWordLoad() && ref != "":
			ext, ok := b.externIndex(ref, ExternKfunc, ExternKsym)
			if !ok {
				return nil, nil, fail(pc, "64-bit load of unknown symbol %q", ref)
			}
			ins.Src, ins.Constant = asm.Register(PseudoBTFID), int64(ext)
		case ref != "":
			return nil, nil, fail(pc, "unsupported reference to %q", ref)
		}
		if _, err := ins.Marshal(&buf, binary.LittleEndian); err != nil {
			return nil, nil, fail(pc, "encoding instruction %v: %v", ins, err)
		}
	}
	insns, err := DecodeInsns(buf.Bytes())
	if err != nil {
		return nil, nil, fail(0, "%v", err)
	}
	p.Insns = insns
	if len(p.Insns) == 0 {
		return nil, nil, fail(0, "no instructions")
	}
	for _, r := range refs {
		t, ok := starts[r.target]
		if !ok {
			return nil, nil, fail(r.pc, "call to %s, which is neither a function of the object nor a kfunc", r.target)
		}
		p.Insns[r.pc].Imm = int32(t - r.pc - 1)
	}
	return p, relos, nil
}

// wherePC formats "name+pc (file:line: source)" for messages.
func wherePC(p *Program, pc int) string {
	s := fmt.Sprintf("%s+%d", p.Name, pc)
	if l, ok := p.LineFor(pc); ok && l.File != "" {
		s += fmt.Sprintf(" (%s:%d", l.File, l.Line)
		if l.Source != "" {
			s += ": " + l.Source
		}
		s += ")"
	}
	return s
}

func (b *objBuilder) structOps() error {
	for secIdx, sec := range b.ei.sections {
		if (sec.Name != ".struct_ops" && sec.Name != ".struct_ops.link") || sec.Type != elf.SHT_PROGBITS {
			continue
		}
		data, err := safely("reading section "+sec.Name, sec.Data)
		if err != nil {
			return b.errorf("%v", err)
		}
		ds := b.datasec(sec.Name)
		if ds == nil {
			return b.errorf("section %s has no BTF description", sec.Name)
		}
		for _, vsi := range ds.Vars {
			v, ok := vsi.Type.(*btf.Var)
			if !ok {
				return b.errorf("section %s: entry %v is not a variable", sec.Name, vsi.Type)
			}
			st, ok := btf.As[*btf.Struct](v.Type)
			if !ok {
				return b.errorf("struct_ops %s: type %v is not a struct", v.Name, v.Type)
			}
			if uint64(vsi.Offset)+uint64(st.Size) > uint64(len(data)) {
				return b.errorf("struct_ops %s: [%d, +%d) lies outside section %s", v.Name, vsi.Offset, st.Size, sec.Name)
			}
			so := &StructOps{Name: v.Name, TypeName: st.Name, Section: sec.Name, Type: st,
				Data: slices.Clone(data[vsi.Offset : vsi.Offset+st.Size])}
			for _, m := range st.Members {
				off := m.Offset.Bytes()
				sym, ok := b.ei.reloc(secIdx, uint64(vsi.Offset)+uint64(off))
				if !ok {
					continue
				}
				ptr, isPtr := btf.As[*btf.Pointer](m.Type)
				if !isPtr {
					return b.errorf("struct_ops %s: member %s is set to %s but is not a function pointer", v.Name, m.Name, sym.Name)
				}
				if _, isProto := btf.As[*btf.FuncProto](ptr.Target); !isProto {
					return b.errorf("struct_ops %s: member %s is set to %s but is not a function pointer", v.Name, m.Name, sym.Name)
				}
				prog := b.obj.Program(sym.Name)
				if prog == nil {
					return b.errorf("struct_ops %s: member %s is set to %s, which is not a program of the object", v.Name, m.Name, sym.Name)
				}
				if !strings.HasPrefix(strings.TrimPrefix(prog.Section, "?"), "struct_ops") { // "?": not autoloaded
					return b.errorf("struct_ops %s: member %s is set to program %s of section %s, not a struct_ops program",
						v.Name, m.Name, sym.Name, prog.Section)
				}
				so.Funcs = append(so.Funcs, StructOpsFunc{Member: m.Name, Offset: off, Program: sym.Name})
				if prog.StructOpsMember == "" {
					prog.StructOpsMember = m.Name
				}
			}
			b.obj.StructOps = append(b.obj.StructOps, so)
		}
	}
	return nil
}

var errNoKernelBTF = errors.New("the object has CO-RE relocations but LoadOptions.KernelBTF is nil")
