package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// suiteHex encodes instructions the way the conformance suite's runner
// writes them to a plugin: two hex digits and two spaces per byte.
func suiteHex(t *testing.T, b []byte) string {
	t.Helper()
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "%02x  ", c)
	}
	return s.String()
}

func asmBytes(t *testing.T, src string) []byte {
	t.Helper()
	b, err := programBytes([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCmdExecPlugin(t *testing.T) {
	loadLen := asmBytes(t, "r0 = *(u32 *)(r1 +0)\nr0 += r2\n*(u8 *)(r1 +0) = 9\nexit")
	helper := asmBytes(t, "r1 = -1\ncall 5\nr0 += 1\nexit") // helper 5 returns r1
	noMem := asmBytes(t, "r0 = r1\nr0 += r2\nexit")
	fault := asmBytes(t, "r1 = 0\nr0 = *(u64 *)(r1 +8)\nexit")
	tests := []struct {
		name   string
		args   []string
		prog   []byte
		status int
		out    string // stdout, or a part of stderr when status != 0
	}{
		{"memory then flags", []string{"--plugin", "01  02  00  00  ", "--engine", "interp"}, loadLen, 0, "205\n"},
		{"flags then memory", []string{"--plugin", "--engine=jit", "01 02 00 00"}, loadLen, 0, "205\n"},
		{"memory first", []string{"01 02 00 00", "--plugin"}, loadLen, 0, "205\n"},
		{"helper 5", []string{"--plugin"}, helper, 0, "0\n"},
		{"--program instead of stdin", []string{"--plugin", "--program", "b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00"}, nil, 0, "7\n"},
		{"no memory: r1 = r2 = 0", []string{"--plugin"}, noMem, 0, "0\n"},
		{"fault", []string{"--plugin"}, fault, 1, "BPF fault at exec+1: invalid load of 8 bytes at 0x8"},
		{"truncated program", []string{"--plugin"}, loadLen[:12], 1, "not a multiple of 8"},
		{"elf: raw code is not an object", []string{"--plugin", "--elf"}, loadLen, 1, "ELF program: bad magic number"},
		{"bad memory", []string{"--plugin", "zz"}, loadLen, 2, "memory operand: not hex bytes"},
		{"two operands", []string{"--plugin", "01", "02"}, loadLen, 2, "at most one operand"},
		{"bad engine", []string{"--plugin", "--engine", "x"}, loadLen, 2, `unknown engine "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			stdin := ""
			if tt.prog != nil {
				stdin = suiteHex(t, tt.prog) + "\n"
			}
			got := cmdExec(tt.args, strings.NewReader(stdin), &stdout, &stderr)
			if got != tt.status {
				t.Fatalf("status %d, want %d (stdout %q, stderr %q)", got, tt.status, stdout.String(), stderr.String())
			}
			if tt.status == 0 && stdout.String() != tt.out {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.out)
			}
			if tt.status != 0 {
				if !strings.Contains(stderr.String(), tt.out) {
					t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.out)
				}
				if stdout.Len() != 0 {
					t.Errorf("stdout %q on failure, want nothing (the runner reads stderr then)", stdout.String())
				}
			}
		})
	}
}
