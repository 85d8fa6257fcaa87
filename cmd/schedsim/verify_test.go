package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdVerify(t *testing.T) {
	const (
		oob      = "../../policies/testdata/oob.bpf.o"
		compat   = "../../policies/testdata/compat.bpf.o"
		abba     = "../../verifier/testdata/c/abba.bpf.o"
		anytypes = "../../verifier/testdata/any/anytypes.bpf.o"
	)
	tests := []struct {
		name   string
		args   []string
		status int
		out    []string // in stdout (stderr for status 2)
		not    []string // not in stdout
	}{
		{"builtin", []string{"verify", "fifo"}, 0,
			[]string{"fifo: accepted (4 programs, ", "insns processed", "peak states", "fifo_enqueue", "fifo_init", " ms\n"},
			[]string{"warning", "verifier log"}},
		{"verbose", []string{"verify", "fifo", "-v"}, 0,
			[]string{"0: (79) r", "; R1=ctx()", "verification time", "processed ", "fifo: accepted"}, nil},
		{"rejected", []string{"verify", oob}, 1,
			[]string{oob + ": REJECTED", "oob_enqueue+12 (./oob.bpf.c:21): R2 invalid mem access 'scalar'",
				"verifier log:\n", "; *wild = nr_enqueued;", "11: (0f) r2 += r5", "processed 11 insns"}, []string{"accepted"}},
		{"rejected verbose", []string{"verify", "-v", oob}, 1,
			[]string{"0: (", "R2 invalid mem access 'scalar'", "REJECTED"}, []string{"verifier log:"}},
		{"timer and rodata", []string{"verify", compat}, 0,
			[]string{"accepted (4 programs", "compat_dispatch", "compat_init"}, nil},
		{"param makes the index unsafe", []string{"verify", compat, "-p", "nr_cpus=2"}, 1,
			[]string{"REJECTED", "compat_enqueue", "compat_dispatch+64 (./compat.bpf.c:145)", "max value is outside of the allowed memory range"}, nil},
		{"lock order", []string{"verify", abba}, 0,
			[]string{"accepted (2 programs", "warning: possible ABBA deadlock", "abba_enqueue", "abba_dispatch", "abba.bpf.c:28"}, nil},
		{"no object", []string{"verify"}, 2, []string{"usage: schedsim verify OBJ"}, nil},
		{"two objects", []string{"verify", "fifo", abba}, 0, []string{"fifo: accepted (4 programs", abba + ": accepted (2 programs"}, nil},
		{"other program types", []string{"verify", anytypes}, 1,
			[]string{"REJECTED (1 of 3 programs)", "count_packets  success", "bad_index      failure", "read_ctx       not modelled",
				"bad_index+12 (./anytypes.bpf.c:36): invalid access to map value, value_size=8 off=56 size=8\nR0 max value is outside of the allowed memory range",
				"program type raw_tracepoint is not modelled"}, nil},
		{"one program", []string{"verify", anytypes, "--prog", "count_packets"}, 0, []string{"count_packets"}, []string{"bad_index"}},
		{"bad compare table", []string{"verify", "fifo", "--compare", "verify_test.go"}, 2, []string{"not a table written by schedsim verify --out"}, nil},
		{"unknown builtin", []string{"verify", "nosuch"}, 2, []string{`unknown policy "nosuch"`}, nil},
		{"missing file", []string{"verify", "nosuch.bpf.o"}, 2, []string{"nosuch.bpf.o"}, nil},
		{"bad param", []string{"verify", "-p", "nr_cpus", compat}, 2, []string{"want NAME=VALUE"}, nil},
		{"unknown param", []string{"verify", "-p", "nosuch=1", compat}, 2,
			[]string{`schedsim verify: -p nosuch=1: policy.params.nosuch: policy `, `has no parameter "nosuch"`, "nr_cpus"}, []string{": : ", "-p: "}},
		{"bool param", []string{"verify", "eevdf", "-p", "delay_dequeue=true"}, 0,
			[]string{"eevdf: accepted", "eevdf_dispatch"}, nil},
		{"bool param false", []string{"verify", "eevdf", "-p", "delay_dequeue=false"}, 0, []string{"eevdf: accepted"}, nil},
		{"string for a bool", []string{"verify", "eevdf", "-p", "delay_dequeue=yes"}, 2,
			[]string{`"delay_dequeue"`, "want a bool", "got string"}, nil},
		{"help", []string{"verify", "-h"}, 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(tt.args, &stdout, &stderr)
			if got != tt.status {
				t.Fatalf("status %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tt.status, stdout.String(), stderr.String())
			}
			out := stdout.String()
			if tt.status == 2 {
				out = stderr.String()
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestCmdVerifyCompare: --out writes the table, --compare prints the
// previous and the current figures side by side.
func TestCmdVerifyCompare(t *testing.T) {
	table := filepath.Join(t.TempDir(), "a.csv")
	var stdout, stderr bytes.Buffer
	if got := run([]string{"verify", "fifo", "--out", table}, &stdout, &stderr); got != 0 {
		t.Fatalf("status %d: %s", got, stderr.String())
	}
	stdout.Reset()
	if got := run([]string{"verify", "fifo", "eevdf", "--compare", table}, &stdout, &stderr); got != 0 {
		t.Fatalf("status %d: %s", got, stderr.String())
	}
	out := stdout.String()
	for _, w := range []string{"verdict (A)", "insns (DIFF)", "+0 (+0.0%)", "eevdf_enqueue", "N/A"} {
		if !strings.Contains(out, w) {
			t.Errorf("comparison lacks %q:\n%s", w, out)
		}
	}
}

// TestParamValue: -p values are typed as TOML would type them.
func TestParamValue(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want any
	}{
		{"12", int64(12)}, {"0x10", int64(16)}, {"-3", int64(-3)},
		{"true", true}, {"false", false},
		{"True", "True"}, {"fifo", "fifo"}, {"", ""},
	} {
		if got := paramValue(tt.in); got != tt.want {
			t.Errorf("paramValue(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}
