package bpfvm

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// cilium/ebpf v0.22.0 rejects two kinds of extern that libbpf accepts and
// upstream sched_ext schedulers use:
//
//   - weak bindings on anything but a kfunc (extern bool CONFIG_PREEMPT_RCU
//     __kconfig __weak; maps defined __weak): "unsupported binding:
//     STB_WEAK";
//   - typed kernel variables (extern const int sd_llc_size __ksym): it
//     expects every .ksyms variable to be void.
//
// bpfvm presents cilium a view in which every weak symbol is global (a
// defined weak one is a definition several linked files may share, as
// scx's arena map) and every .ksyms variable is void, and keeps the truth from the
// original file: elfInfo.weak reads the original symbol table, and
// ksymTypes the original type IDs of the typed ksyms (the patched BTF keeps
// every type ID, so the ID names the same type in cilium's spec).

// planExternPatches adds the weak-binding and typed-ksym patches.
func (ei *elfInfo) planExternPatches(r io.ReaderAt, f *elf.File) error {
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_SYMTAB {
			continue
		}
		const symSize = 24
		if sec.Entsize != symSize {
			return fmt.Errorf("symbol table %s: entry size %d, want %d", sec.Name, sec.Entsize, symSize)
		}
		for i, s := range ei.symbols {
			if elf.ST_BIND(s.Info) != elf.STB_WEAK {
				continue
			}
			// Entry i+1 (entry 0 is the null symbol); st_info at byte 4.
			at := int64(sec.Offset) + int64(i+1)*symSize + 4
			info := elf.ST_INFO(elf.STB_GLOBAL, elf.ST_TYPE(s.Info))
			ei.patches = append(ei.patches, patch{at, []byte{info}})
		}
	}
	if err := ei.planGapPatches(f); err != nil {
		return err
	}
	if err := ei.planDatasecPatches(f); err != nil {
		return err
	}
	return ei.planKsymPatches(f)
}

// btfSection returns the object's uncompressed .BTF section and its bytes, or a
// nil section when there is none (cilium then reports what it needs).
func btfSection(f *elf.File) (*elf.Section, []byte, error) {
	var btfSec *elf.Section
	for _, s := range f.Sections {
		if s.Name == ".BTF" {
			btfSec = s
		}
	}
	if btfSec == nil || btfSec.Flags&elf.SHF_COMPRESSED != 0 {
		return nil, nil, nil
	}
	data, err := safely("reading .BTF", btfSec.Data)
	if err != nil {
		return nil, nil, err
	}
	return btfSec, data, nil
}

// planDatasecPatches makes, in cilium's view, each variable's offset in
// its BTF DATASEC the value of its ELF symbol, which cilium requires to
// agree. They disagree in objects libbpf's static linker wrote from
// several files (scx_lavd's .rodata): the symbols, which relocations
// follow, are right.
func (ei *elfInfo) planDatasecPatches(f *elf.File) error {
	btfSec, data, err := btfSection(f)
	if btfSec == nil || err != nil {
		return err
	}
	bt, ok := parseRawBTF(data)
	if !ok {
		return nil
	}
	le := binary.LittleEndian
	for _, ds := range bt.types {
		if ds.kind != btfKindDatasec {
			continue
		}
		secName := bt.name(ds.nameOff)
		secIdx, sec := ei.section(secName)
		if sec == nil {
			continue
		}
		// the section's object symbols by name (unique names only)
		syms := map[string]uint64{}
		dup := map[string]bool{}
		for _, s := range ei.symbols {
			if int(s.Section) != secIdx || elf.ST_TYPE(s.Info) != elf.STT_OBJECT {
				continue
			}
			if _, seen := syms[s.Name]; seen {
				dup[s.Name] = true
			}
			syms[s.Name] = s.Value
		}
		for i := 0; i < ds.vlen; i++ {
			at := ds.extra + i*12
			varID := int(le.Uint32(data[at:]))
			if varID <= 0 || varID >= len(bt.types) || bt.types[varID].kind != btfKindVar {
				continue
			}
			name := bt.name(bt.types[varID].nameOff)
			v, ok := syms[name]
			if !ok || dup[name] || v > 1<<32-1 || uint32(v) == le.Uint32(data[at+4:]) {
				continue
			}
			var b [4]byte
			le.PutUint32(b[:], uint32(v))
			ei.patches = append(ei.patches, patch{int64(btfSec.Offset) + int64(at+4), b[:]})
		}
	}
	return nil
}

// planGapPatches extends, in cilium's view, each function symbol followed
// by a gap in its section up to the next symbol. libbpf's static linker
// (bpftool gen object, scx's compile_link_gen) keeps the bodies of weak
// functions that several files define but only the first one's symbol;
// cilium numbers ext-info (line, CO-RE) offsets without the gaps between
// symbols, so a gap shifts every later function's relocations. The
// builder drops the extension again: instructions past a symbol's original
// size are not part of the program (objBuilder.program).
func (ei *elfInfo) planGapPatches(f *elf.File) error {
	var symtab *elf.Section
	for _, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB {
			symtab = s
		}
	}
	if symtab == nil {
		return nil
	}
	type fn struct {
		idx        int
		start, end uint64
	}
	bySec := map[elf.SectionIndex][]fn{}
	var secs []elf.SectionIndex
	for i, s := range ei.symbols {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section == elf.SHN_UNDEF || int(s.Section) >= len(f.Sections) {
			continue
		}
		if f.Sections[s.Section].Flags&elf.SHF_EXECINSTR == 0 {
			continue
		}
		if _, ok := bySec[s.Section]; !ok {
			secs = append(secs, s.Section)
		}
		bySec[s.Section] = append(bySec[s.Section], fn{i, s.Value, s.Value + s.Size})
	}
	for _, si := range secs {
		fns := bySec[si]
		slices.SortFunc(fns, func(a, b fn) int { return cmp.Compare(a.start, b.start) })
		for k, x := range fns {
			next := f.Sections[si].Size
			if k+1 < len(fns) {
				next = fns[k+1].start
			}
			if x.end >= next {
				continue
			}
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], next-x.start)
			// entry idx+1; st_size at byte 16
			ei.patches = append(ei.patches, patch{int64(symtab.Offset) + int64(x.idx+1)*24 + 16, b[:]})
		}
	}
	return nil
}

// planKsymPatches makes the typed variables of the .ksyms DATASEC void in
// cilium's view, recording their types in ei.ksymTypes.
func (ei *elfInfo) planKsymPatches(f *elf.File) error {
	btfSec, data, err := btfSection(f)
	if btfSec == nil || err != nil {
		return err
	}
	bt, ok := parseRawBTF(data)
	if !ok {
		return nil // cilium reports a malformed .BTF
	}
	ksyms := -1
	for id, t := range bt.types {
		if t.kind == btfKindDatasec && bt.name(t.nameOff) == ".ksyms" {
			ksyms = id
		}
	}
	if ksyms < 0 {
		return nil
	}
	ds := bt.types[ksyms]
	for i := 0; i < ds.vlen; i++ {
		at := ds.extra + i*12
		varID := int(binary.LittleEndian.Uint32(data[at:]))
		if varID <= 0 || varID >= len(bt.types) || bt.types[varID].kind != btfKindVar {
			continue
		}
		v := bt.types[varID]
		if v.typ == 0 {
			continue
		}
		if ei.ksymTypes == nil {
			ei.ksymTypes = map[string]uint32{}
		}
		ei.ksymTypes[bt.name(v.nameOff)] = v.typ
		ei.patches = append(ei.patches, patch{int64(btfSec.Offset) + int64(v.off+8), []byte{0, 0, 0, 0}})
	}
	return nil
}

// BTF kinds (include/uapi/linux/btf.h) the raw walk needs.
const (
	btfKindVar     = 14
	btfKindDatasec = 15
)

type rawBTFType struct {
	kind    int
	vlen    int
	nameOff uint32
	typ     uint32 // size_or_type
	off     int    // offset of the type's header in the .BTF section
	extra   int    // offset of the data after the header
}

type rawBTF struct {
	data   []byte
	strOff int
	strLen int
	types  []rawBTFType // index = type ID; 0 is void
}

func (b *rawBTF) name(off uint32) string {
	start := b.strOff + int(off)
	if int(off) >= b.strLen {
		return ""
	}
	end := start
	for end < b.strOff+b.strLen && b.data[end] != 0 {
		end++
	}
	return string(b.data[start:end])
}

// parseRawBTF walks the type section of a little-endian .BTF blob far enough
// to find each type's header.
func parseRawBTF(data []byte) (*rawBTF, bool) {
	le := binary.LittleEndian
	if len(data) < 24 || le.Uint16(data) != 0xeb9f {
		return nil, false
	}
	hdrLen := int(le.Uint32(data[4:]))
	typeOff, typeLen := int(le.Uint32(data[8:])), int(le.Uint32(data[12:]))
	strOff, strLen := int(le.Uint32(data[16:])), int(le.Uint32(data[20:]))
	if hdrLen < 24 || hdrLen+typeOff+typeLen > len(data) || hdrLen+strOff+strLen > len(data) ||
		typeOff < 0 || typeLen < 0 || strOff < 0 || strLen < 0 {
		return nil, false
	}
	b := &rawBTF{data: data, strOff: hdrLen + strOff, strLen: strLen, types: []rawBTFType{{}}}
	pos, end := hdrLen+typeOff, hdrLen+typeOff+typeLen
	for pos+12 <= end {
		info := le.Uint32(data[pos+4:])
		t := rawBTFType{kind: int(info>>24) & 0x1f, vlen: int(info & 0xffff), nameOff: le.Uint32(data[pos:]),
			typ: le.Uint32(data[pos+8:]), off: pos, extra: pos + 12}
		n := 0
		switch t.kind {
		case 1, 14, 17: // INT, VAR, DECL_TAG
			n = 4
		case 3: // ARRAY
			n = 12
		case 4, 5, 15, 19: // STRUCT, UNION, DATASEC, ENUM64
			n = 12 * t.vlen
		case 6, 13: // ENUM, FUNC_PROTO
			n = 8 * t.vlen
		case 2, 7, 8, 9, 10, 11, 12, 16, 18: // no extra data
		default:
			return nil, false
		}
		if t.extra+n > end {
			return nil, false
		}
		b.types = append(b.types, t)
		pos = t.extra + n
	}
	return b, pos == end
}
