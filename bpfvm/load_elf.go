package bpfvm

import (
	"bytes"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// This file reads what cilium/ebpf's CollectionSpec does not expose (symbol
// bindings, relocations of .kconfig reads and of struct_ops members) and
// works around two of its limits by presenting it a patched view of the file:
//
//   - cilium rejects a ".struct_ops" section (it knows ".struct_ops.link"
//     only): its section header type is changed to SHT_NOBITS, so that
//     cilium ignores it (its BTF size fix-up still works) and bpfvm reads it.
//   - cilium knows ".bss" but not ".bss.*" sections (RESIZABLE_ARRAY(bss,
//     x)): they are renamed ".data*" in place (".bss.x" -> ".datax", same
//     length) in both the ELF and the BTF string tables, and renamed back
//     when the object is built.
//   - cilium does not know arena globals (".addr_space.1"): the section is
//     renamed ".data.arena_1" (same length) the same way, read as a data
//     section, and placed in the arena at load (map_arena.go).
//
// Go's debug/elf is not hardened against hostile input and may panic; every
// call into it (and into cilium, which uses it) goes through safely, which
// turns a panic into an error.

// elfInfo is bpfvm's own view of an ELF object.
type elfInfo struct {
	name     string
	sections []*elf.Section
	symbols  []elf.Symbol // f.Symbols(): index i is symbol table entry i+1
	// relocs maps a section index to its relocations: offset -> symbol.
	relocs map[int]map[uint64]elf.Symbol
	// renamed maps the name cilium sees to the original section name.
	renamed map[string]string
	patches []patch
	// ksymTypes maps each typed .ksyms variable (extern const int x
	// __ksym) to its BTF type ID, which cilium's view hides.
	ksymTypes map[string]uint32
}

// arenaDataName is what cilium sees of the arena globals section.
const arenaDataName = ".data.arena_1"

// maxSectionSize bounds every section of an object, in particular global
// data sections, which become single maps.
const maxSectionSize = 256 << 20 // scx_layered's .bss is 158 MiB

type patch struct {
	off  int64
	data []byte
}

// safely runs f, turning a panic of third-party parsing code into an error.
func safely[T any](what string, f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("%s: malformed input (parser panicked: %v)", what, r)
		}
	}()
	return f()
}

func parseELF(r io.ReaderAt, name string) (*elfInfo, error) {
	f, err := safely("reading ELF", func() (*elf.File, error) { return elf.NewFile(r) })
	if err != nil {
		return nil, fmt.Errorf("reading ELF: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.ByteOrder != binary.LittleEndian {
		return nil, fmt.Errorf("not a 64-bit little-endian ELF object (class %v, %v)", f.Class, f.ByteOrder)
	}
	if f.Machine != elf.EM_BPF && f.Machine != elf.EM_NONE {
		return nil, fmt.Errorf("ELF machine is %v, not BPF", f.Machine)
	}
	ei := &elfInfo{name: name, sections: f.Sections, relocs: map[int]map[uint64]elf.Symbol{}, renamed: map[string]string{}}
	ei.symbols, err = safely("reading ELF symbols", func() ([]elf.Symbol, error) {
		s, err := f.Symbols()
		if errors.Is(err, elf.ErrNoSymbols) {
			err = nil
		}
		return s, err
	})
	if err != nil {
		return nil, err
	}
	for _, sec := range f.Sections {
		// cilium allocates NOBITS sections (.bss) in full: bound them, as
		// any section, before it does.
		if sec.Size > maxSectionSize && sec.Type != elf.SHT_NULL {
			return nil, fmt.Errorf("section %s is %d bytes, more than the %d bpfvm accepts", sec.Name, sec.Size, maxSectionSize)
		}
	}
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_REL {
			continue
		}
		target := int(sec.Info)
		if target <= 0 || target >= len(f.Sections) {
			continue
		}
		data, err := safely("reading section "+sec.Name, sec.Data)
		if err != nil {
			return nil, err
		}
		const relSize = 16
		if sec.Entsize != relSize || len(data)%relSize != 0 {
			return nil, fmt.Errorf("relocation section %s: entry size %d, want %d", sec.Name, sec.Entsize, relSize)
		}
		m := ei.relocs[target]
		if m == nil {
			m = map[uint64]elf.Symbol{}
			ei.relocs[target] = m
		}
		for i := 0; i+relSize <= len(data); i += relSize {
			off := binary.LittleEndian.Uint64(data[i:])
			sym := elf.R_SYM64(binary.LittleEndian.Uint64(data[i+8:]))
			if sym == 0 || int(sym) > len(ei.symbols) {
				continue
			}
			m[off] = ei.symbols[sym-1]
		}
	}
	if err := ei.planPatches(r, f); err != nil {
		return nil, err
	}
	if err := ei.planExternPatches(r, f); err != nil {
		return nil, err
	}
	return ei, nil
}

// section returns the section called name, or nil.
func (ei *elfInfo) section(name string) (int, *elf.Section) {
	for i, s := range ei.sections {
		if s.Name == name {
			return i, s
		}
	}
	return -1, nil
}

// symbol returns the defined symbol called name in a section (not
// SHN_UNDEF), preferring functions and objects.
func (ei *elfInfo) symbol(name string) (elf.Symbol, bool) {
	for _, s := range ei.symbols {
		if s.Name == name && s.Section != elf.SHN_UNDEF && int(s.Section) < len(ei.sections) {
			if t := elf.ST_TYPE(s.Info); t == elf.STT_FUNC || t == elf.STT_OBJECT || t == elf.STT_NOTYPE {
				return s, true
			}
		}
	}
	return elf.Symbol{}, false
}

// weak reports whether the undefined (extern) symbol name is weak.
func (ei *elfInfo) weak(name string) bool {
	for _, s := range ei.symbols {
		if s.Name == name && s.Section == elf.SHN_UNDEF {
			return elf.ST_BIND(s.Info) == elf.STB_WEAK
		}
	}
	return false
}

// reloc returns the symbol a relocation at byte off of section sec refers to.
func (ei *elfInfo) reloc(sec int, off uint64) (elf.Symbol, bool) {
	s, ok := ei.relocs[sec][off]
	return s, ok
}

// originalName maps a section name as cilium saw it back to the file's.
func (ei *elfInfo) originalName(name string) string {
	if o, ok := ei.renamed[name]; ok {
		return o
	}
	return name
}

func (ei *elfInfo) planPatches(r io.ReaderAt, f *elf.File) error {
	var hdr [64]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return fmt.Errorf("reading ELF header: %w", err)
	}
	shoff := binary.LittleEndian.Uint64(hdr[0x28:])
	shentsize := uint64(binary.LittleEndian.Uint16(hdr[0x3a:]))
	shstrndx := int(binary.LittleEndian.Uint16(hdr[0x3e:]))
	if shentsize < 64 || shoff > 1<<40 {
		return fmt.Errorf("bad section header table (offset %d, entry size %d)", shoff, shentsize)
	}
	shdr := func(i int) int64 { return int64(shoff + uint64(i)*shentsize) }
	names := map[string]bool{}
	for _, s := range f.Sections {
		names[s.Name] = true
	}
	for i, sec := range f.Sections {
		switch {
		case sec.Name == ".struct_ops" && sec.Type == elf.SHT_PROGBITS:
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], uint32(elf.SHT_NOBITS))
			ei.patches = append(ei.patches, patch{shdr(i) + 4, b[:]})
		case strings.HasPrefix(sec.Name, ".bss.") && len(sec.Name) > len(".bss.") || sec.Name == ArenaSection:
			newName := ".data" + strings.TrimPrefix(sec.Name, ".bss.")
			if sec.Name == ArenaSection {
				newName = arenaDataName
			}
			if names[newName] {
				return fmt.Errorf("section %s: cannot load both %s and %s", sec.Name, sec.Name, newName)
			}
			if shstrndx <= 0 || shstrndx >= len(f.Sections) {
				return fmt.Errorf("section %s: no section name table", sec.Name)
			}
			var nb [4]byte
			if _, err := r.ReadAt(nb[:], shdr(i)); err != nil {
				return fmt.Errorf("section %s: reading header: %w", sec.Name, err)
			}
			at := int64(f.Sections[shstrndx].Offset) + int64(binary.LittleEndian.Uint32(nb[:]))
			cur := make([]byte, len(sec.Name))
			if _, err := r.ReadAt(cur, at); err != nil || string(cur) != sec.Name {
				return fmt.Errorf("section %s: name not found in the section name table", sec.Name)
			}
			ei.patches = append(ei.patches, patch{at, []byte(newName)})
			ei.renamed[newName] = sec.Name
			if err := ei.patchBTFString(f, sec.Name, newName); err != nil {
				return err
			}
		}
	}
	if len(ei.renamed) == 0 {
		return nil
	}
	// Names may share bytes in the string table (suffix merging): check that
	// the rename changed nothing but the intended section names.
	pf, err := safely("re-reading patched ELF", func() (*elf.File, error) { return elf.NewFile(ei.reader(r)) })
	if err != nil {
		return err
	}
	if len(pf.Sections) != len(f.Sections) {
		return errors.New("renaming .bss.* sections changed the section table")
	}
	for i, s := range pf.Sections {
		if want := f.Sections[i].Name; s.Name != want && ei.renamed[s.Name] != want {
			return fmt.Errorf("renaming .bss.* sections also renamed section %s to %s", want, s.Name)
		}
	}
	psyms, _ := safely("reading patched symbols", pf.Symbols)
	if len(psyms) != len(ei.symbols) {
		return errors.New("renaming .bss.* sections changed the symbol table")
	}
	for i, s := range psyms {
		if s.Name != ei.symbols[i].Name {
			return fmt.Errorf("renaming .bss.* sections also renamed symbol %s", ei.symbols[i].Name)
		}
	}
	return nil
}

// patchBTFString renames the BTF string name (a DATASEC name) like the ELF
// section, so that cilium pairs them.
func (ei *elfInfo) patchBTFString(f *elf.File, name, newName string) error {
	btfSec, data, err := btfSection(f)
	if btfSec == nil || err != nil {
		return err
	}
	if len(data) < 24 || binary.LittleEndian.Uint16(data) != 0xeb9f {
		return nil // cilium reports a bad .BTF
	}
	hdrLen := uint64(binary.LittleEndian.Uint32(data[4:]))
	strOff := uint64(binary.LittleEndian.Uint32(data[16:]))
	strLen := uint64(binary.LittleEndian.Uint32(data[20:]))
	start := hdrLen + strOff
	if start > uint64(len(data)) || strLen > uint64(len(data))-start {
		return nil
	}
	strs := data[start : start+strLen]
	needle := append(append([]byte{0}, name...), 0)
	for i := 0; ; {
		j := bytes.Index(strs[i:], needle)
		if j < 0 {
			break
		}
		at := int64(btfSec.Offset) + int64(start) + int64(i+j+1)
		ei.patches = append(ei.patches, patch{at, []byte(newName)})
		i += j + len(needle) - 1
	}
	return nil
}

// reader returns the patched view of r that cilium parses.
func (ei *elfInfo) reader(r io.ReaderAt) io.ReaderAt {
	if len(ei.patches) == 0 {
		return r
	}
	ps := slices.Clone(ei.patches)
	slices.SortFunc(ps, func(a, b patch) int { return cmp.Compare(a.off, b.off) })
	return &patchedReader{r: r, patches: ps}
}

type patchedReader struct {
	r       io.ReaderAt
	patches []patch
}

func (p *patchedReader) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for _, pt := range p.patches {
		lo := max(pt.off, off)
		hi := min(pt.off+int64(len(pt.data)), off+int64(n))
		if lo < hi {
			copy(b[lo-off:hi-off], pt.data[lo-pt.off:hi-pt.off])
		}
	}
	return n, err
}
