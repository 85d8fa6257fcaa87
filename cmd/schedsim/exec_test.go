package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdExec(t *testing.T) {
	dir := t.TempDir()
	asmFile := filepath.Join(dir, "p.s")
	os.WriteFile(asmFile, []byte("r0 = *(u32 *)(r1 +0)\nr0 += r2 ; length\nexit\n"), 0o644)
	rawFile := filepath.Join(dir, "p.bin")
	os.WriteFile(rawFile, []byte{0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}, 0o644)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		status int
		out    string // stdout, or a part of stderr when status != 0
	}{
		{"hex stdin", nil, "b7 00 00 00 2a 00 00 00\n9500000000000000\n", 0, "0x2a\n"},
		{"asm file with mem", []string{"--mem", "01020304", asmFile}, "", 0, "0x4030205\n"},
		{"raw file", []string{rawFile}, "", 0, "0x7\n"},
		{"asm stdin", []string{"-"}, "r0 = -1\nexit\n", 0, "0xffffffffffffffff\n"},
		{"fault", nil, "r1 = 0\nr0 = *(u64 *)(r1 +0)\nexit\n", 1, "BPF fault at exec+1: invalid load of 8 bytes at 0x0"},
		{"asm error", nil, "r0 = 1\nr0 += \nexit\n", 2, "<stdin>:2:7: expected a number, found end of line"},
		{"bad mem", []string{"--mem", "xyz"}, "9500000000000000", 2, "--mem: not hex bytes"},
		{"missing file", []string{filepath.Join(dir, "nope")}, "", 2, "no such file"},
		{"two programs", []string{"a", "b"}, "", 2, "one program at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := cmdExec(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if got != tt.status {
				t.Fatalf("status %d, want %d (stderr %q)", got, tt.status, stderr.String())
			}
			if tt.status == 0 && stdout.String() != tt.out {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.out)
			}
			if tt.status != 0 && !strings.Contains(stderr.String(), tt.out) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.out)
			}
		})
	}
}
