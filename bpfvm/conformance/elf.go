package conformance

import (
	"bytes"
	"debug/elf"
	"fmt"
)

// ELFFunction is the function the suite's runner names its program in
// the ELF objects it writes with --elf true.
const ELFFunction = "main"

// ELFProgram extracts the instructions of function fn from an ELF object
// as the suite's runner writes them (--elf true: a relocatable EM_BPF
// object whose section .text, or xdp with --xdp_prolog, holds one global
// function "main"). Objects with relocations (the runner's maps) are
// refused: the plugin contract has no maps to bind them to.
func ELFProgram(obj []byte, fn string) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return nil, fmt.Errorf("ELF program: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_BPF {
		return nil, fmt.Errorf("ELF program: machine %v, want EM_BPF", f.Machine)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("ELF program: symbols: %v", err)
	}
	for _, s := range syms {
		if s.Name != fn || elf.ST_TYPE(s.Info) != elf.STT_FUNC {
			continue
		}
		if int(s.Section) >= len(f.Sections) || s.Section == elf.SHN_UNDEF {
			return nil, fmt.Errorf("ELF program: function %s has no section", fn)
		}
		sec := f.Sections[s.Section]
		for _, r := range f.Sections {
			if (r.Type == elf.SHT_REL || r.Type == elf.SHT_RELA) && int(r.Info) == int(s.Section) && r.Size > 0 {
				return nil, fmt.Errorf("ELF program: section %s has relocations (%s), which a plugin cannot bind", sec.Name, r.Name)
			}
		}
		data, err := sec.Data()
		if err != nil {
			return nil, fmt.Errorf("ELF program: section %s: %v", sec.Name, err)
		}
		end := s.Value + s.Size
		if s.Size == 0 {
			end = uint64(len(data))
		}
		if s.Value > end || end > uint64(len(data)) {
			return nil, fmt.Errorf("ELF program: function %s [%d, %d) outside section %s (%d bytes)", fn, s.Value, end, sec.Name, len(data))
		}
		return data[s.Value:end], nil
	}
	return nil, fmt.Errorf("ELF program: no function %q", fn)
}
