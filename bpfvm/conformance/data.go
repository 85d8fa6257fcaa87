// Package conformance reads and runs the tests of the BPF ISA conformance
// suite (github.com/Alan-Jowett/bpf_conformance, the suite RFC 9669
// implementations such as uBPF, rbpf and eBPF for Windows are measured
// with): its tests/*.data files, the assembly syntax they are written in,
// and a runner that gives each program and its memory to an executor (an
// engine in this process, or a plugin process; cmd/bpf-conformance,
// docs/isa-conformance.md).
//
// The code here is ours, written from the suite's file format and its
// runner's behaviour; no file of the suite is copied.
package conformance

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Test is one parsed .data file.
type Test struct {
	Name string // file name, e.g. "add.data"
	// Code is the program: raw little-endian instructions, assembled
	// from the "-- asm" section or taken from "-- raw".
	Code []byte
	// Mem is the memory the program gets (r1 its address, r2 its length);
	// nil without a "-- mem" section.
	Mem []byte
	// Result is r0 when the program exits; Error, when not empty, is the
	// error the suite expects instead (the runner compares it with the
	// plugin's output when the plugin fails).
	Result uint64
	Error  string
}

// Parse reads a .data file as the suite's runner does: "#" starts a
// comment; a line with "--" starts a section (asm, raw, mem, result,
// error; "no register offset" and "c" sections are ignored); in mem,
// whitespace-separated hex bytes; in result, the last line (hex with 0x,
// else decimal); in error, the last line; in raw, 64-bit instruction
// words. name is used in messages.
func Parse(name, text string) (*Test, error) {
	section := ""
	var asm strings.Builder
	var asmLine0 int // the file line of the first asm line
	var mem, raw []string
	result, expErr := "", ""
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.Contains(line, "--") {
			switch {
			case strings.Contains(line, "asm"):
				section = "asm"
				asmLine0 = n + 2
			case strings.Contains(line, "result"):
				section = "result"
			case strings.Contains(line, "mem"):
				section = "mem"
			case strings.Contains(line, "raw"):
				section = "raw"
			case strings.Contains(line, "no register offset"), strings.Contains(line, " c"):
				section = ""
			case strings.Contains(line, "error"):
				section = "error"
			default:
				return nil, fmt.Errorf("%s:%d: unknown directive %q", name, n+1, strings.TrimSpace(line))
			}
			continue
		}
		switch section {
		case "asm":
			asm.WriteString(line)
			asm.WriteByte('\n')
		case "":
		default:
			if strings.TrimSpace(line) == "" {
				continue
			}
			switch section {
			case "result":
				result = strings.TrimSpace(line)
			case "error":
				expErr = line
			case "mem":
				mem = append(mem, strings.Fields(line)...)
			case "raw":
				raw = append(raw, strings.Fields(line)...)
			}
		}
	}
	t := &Test{Name: name, Error: expErr}
	if result == "" && expErr == "" {
		return nil, fmt.Errorf("%s: no result and no error section", name)
	}
	if result != "" {
		v, err := parseResult(result)
		if err != nil {
			return nil, fmt.Errorf("%s: result %q: %v", name, result, err)
		}
		t.Result = v
	}
	for _, b := range mem {
		v, err := strconv.ParseUint(b, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%s: mem: %q is not a hex byte", name, b)
		}
		t.Mem = append(t.Mem, byte(v))
	}
	var err error
	if len(raw) > 0 {
		for _, w := range raw {
			v, err := parseUint(w)
			if err != nil {
				return nil, fmt.Errorf("%s: raw: %q: %v", name, w, err)
			}
			t.Code = leAppend64(t.Code, v)
		}
	} else if t.Code, err = Assemble(asm.String()); err != nil {
		// Assemble counts lines from the start of the asm section
		if le := (*LineError)(nil); errors.As(err, &le) {
			return nil, fmt.Errorf("%s:%d: %s", name, asmLine0+le.Line-1, le.Msg)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(t.Code) == 0 {
		return nil, fmt.Errorf("%s: no instructions", name)
	}
	return t, nil
}

// parseResult reads the expected r0: hex when it contains 0x, else
// unsigned decimal, as the runner does.
func parseResult(s string) (uint64, error) {
	if i := strings.Index(s, "0x"); i >= 0 {
		return strconv.ParseUint(hexDigits(s[i+2:]), 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// parseUint reads a number with an optional 0x prefix.
func parseUint(s string) (uint64, error) {
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// hexDigits returns the leading hex digits of s.
func hexDigits(s string) string {
	for i, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return s[:i]
		}
	}
	return s
}

func leAppend64(b []byte, v uint64) []byte {
	for i := range 8 {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}
