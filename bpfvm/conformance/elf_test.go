package conformance

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"
)

// buildELF writes a relocatable EM_BPF object as the suite's runner does
// with --elf true: code in section sec, one global function fn over all
// of it; withRel adds a relocation section for sec.
func buildELF(code []byte, sec, fn string, machine elf.Machine, withRel bool) []byte {
	le := binary.LittleEndian
	shstr := "\x00" + sec + "\x00.symtab\x00.strtab\x00.shstrtab\x00.rel" + sec + "\x00"
	strtab := "\x00" + fn + "\x00"
	// sections: 0 null, 1 code, 2 symtab, 3 strtab, 4 shstrtab, 5 rel
	var sym bytes.Buffer
	sym.Write(make([]byte, 24)) // the null symbol
	binary.Write(&sym, le, elf.Sym64{Name: 1, Info: elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC), Shndx: 1, Size: uint64(len(code))})
	rel := make([]byte, 16)
	type part struct {
		name    string
		typ     elf.SectionType
		data    []byte
		link    uint32
		entsize uint64
	}
	parts := []part{
		{sec, elf.SHT_PROGBITS, code, 0, 0},
		{".symtab", elf.SHT_SYMTAB, sym.Bytes(), 3, 24},
		{".strtab", elf.SHT_STRTAB, []byte(strtab), 0, 0},
		{".shstrtab", elf.SHT_STRTAB, []byte(shstr), 0, 0},
	}
	if withRel {
		parts = append(parts, part{".rel" + sec, elf.SHT_REL, rel, 2, 16})
	}
	var body bytes.Buffer
	body.Write(make([]byte, 64))
	hdrs := []elf.Section64{{}}
	for _, p := range parts {
		h := elf.Section64{Name: uint32(strings.Index(shstr, "\x00"+p.name+"\x00") + 1), Type: uint32(p.typ),
			Off: uint64(body.Len()), Size: uint64(len(p.data)), Link: p.link, Entsize: p.entsize, Addralign: 8}
		if p.typ == elf.SHT_SYMTAB {
			h.Info = 1
		}
		if p.typ == elf.SHT_REL {
			h.Info = 1
		}
		hdrs = append(hdrs, h)
		body.Write(p.data)
		for body.Len()%8 != 0 {
			body.WriteByte(0)
		}
	}
	shoff := body.Len()
	for _, h := range hdrs {
		binary.Write(&body, le, h)
	}
	out := body.Bytes()
	var hdr bytes.Buffer
	binary.Write(&hdr, le, elf.Header64{
		Ident: [16]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)},
		Type:  uint16(elf.ET_REL), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Shoff: uint64(shoff), Ehsize: 64, Shentsize: 64, Shnum: uint16(len(hdrs)), Shstrndx: 4,
	})
	copy(out, hdr.Bytes())
	return out
}

func TestELFProgram(t *testing.T) {
	code, err := Assemble("mov %r0, 7\nexit")
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{".text", "xdp"} {
		got, err := ELFProgram(buildELF(code, sec, "main", elf.EM_BPF, false), ELFFunction)
		if err != nil || !bytes.Equal(got, code) {
			t.Errorf("%s: % x, %v; want % x", sec, got, err, code)
		}
	}
	for _, c := range []struct {
		obj  []byte
		want string
	}{
		{[]byte("not an object"), "ELF program: "},
		{buildELF(code, ".text", "start", elf.EM_BPF, false), `no function "main"`},
		{buildELF(code, ".text", "main", elf.EM_X86_64, false), "want EM_BPF"},
		{buildELF(code, ".text", "main", elf.EM_BPF, true), "has relocations (.rel.text)"},
	} {
		if _, err := ELFProgram(c.obj, ELFFunction); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
