package policies

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/verifier"
)

// verifyErr fails t with the verifier's log when err is a rejection.
func verifyErr(t *testing.T, what string, err error) {
	t.Helper()
	var ve *verifier.Error
	if errors.As(err, &ve) {
		t.Fatalf("%s rejected: %v\n%s", what, err, ve.Log)
	}
	t.Fatalf("%s: %v", what, err)
}

// checkReport checks that every program of b was verified.
func checkReport(t *testing.T, b *BPFPolicy) *VerifyReport {
	t.Helper()
	rep, err := b.Verify(nil)
	if err != nil {
		verifyErr(t, b.obj.Name, err)
	}
	if len(rep.Results) != len(b.inst.Programs) || len(rep.Results) == 0 {
		t.Fatalf("%d results for %d programs", len(rep.Results), len(b.inst.Programs))
	}
	for i, r := range rep.Results {
		if r.Prog != b.inst.Programs[i].Name || r.InsnsProcessed == 0 {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	return rep
}

// TestVerifyBuiltins: every built-in policy loads with the verifier on.
func TestVerifyBuiltins(t *testing.T) {
	names := Builtins()
	if !slices.Contains(names, "fifo") {
		t.Fatalf("built-in policies %v lack fifo", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			b, err := Open(name, Options{NumCPUs: 4})
			if err != nil {
				verifyErr(t, name, err)
			}
			defer b.Close()
			checkReport(t, b)
		})
	}
}

// TestVerifyEEVDF: the EEVDF policy is accepted once its object exists.
func TestVerifyEEVDF(t *testing.T) {
	const obj = "eevdf/eevdf.bpf.o"
	if _, err := os.Stat(obj); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist yet", obj)
	}
	for _, ncpu := range []int{1, 8} {
		b, err := Open(obj, Options{NumCPUs: ncpu})
		if err != nil {
			verifyErr(t, obj, err)
		}
		checkReport(t, b)
		b.Close()
	}
}

// TestVerifyCompat: the upstream-style test policy (CO-RE, rodata enums
// and bounds, bpf_for, a bpf_timer with its callback, a queue map, task
// storage, bpf_task_from_pid, a resized .data array) is accepted, and
// the rodata bound is what makes its array index safe.
func TestVerifyCompat(t *testing.T) {
	load := func(ncpu int, params map[string]any, sizes map[string]uint32) (*BPFPolicy, error) {
		obj, err := bpfvm.LoadObject("testdata/compat.bpf.o")
		if err != nil {
			t.Fatal(err)
		}
		return LoadObject(obj, Options{NumCPUs: ncpu, Params: params, DataSizes: sizes})
	}
	// as TestUpstreamStyleObject runs it, and with the defaults
	for _, ncpu := range []int{8, 1} {
		b, err := load(ncpu, map[string]any{"nr_cpus": uint32(ncpu)},
			map[string]uint32{".data.cpu_dispatches": uint32(8 * ncpu)})
		if err != nil {
			verifyErr(t, "compat", err)
		}
		checkReport(t, b)
		// the timer callback (kicker, the only caller of scx_bpf_kick_cpu)
		// is verified with compat_init
		var log bytes.Buffer
		if _, err := b.Verify(&log); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "call kfunc scx_bpf_kick_cpu") {
			t.Errorf("the timer callback was not verified:\n%s", log.String())
		}
		b.Close()
	}
	// nr_cpus = 16 for 8 slots of cpu_dispatches: cpu_dispatches[cpu] with
	// cpu < 16 may be out of bounds, and the verifier knows nr_cpus.
	_, err := load(8, map[string]any{"nr_cpus": uint32(16)}, map[string]uint32{".data.cpu_dispatches": 64})
	var ve *verifier.Error
	if !errors.As(err, &ve) {
		t.Fatalf("nr_cpus=16 with 8 slots: %v, want a rejection", err)
	}
	if ve.Prog != "compat_dispatch" || !strings.Contains(ve.Msg, "max value is outside of the allowed memory range") ||
		!ve.HasLine || ve.Line.Line != 145 {
		t.Errorf("nr_cpus=16 with 8 slots: %v\n%s", err, ve.Log)
	}
}

// TestVerifyRejectsOOB: the wild store of testdata/oob.bpf.c is rejected
// at load, with its source line and the kernel-style log.
func TestVerifyRejectsOOB(t *testing.T) {
	_, err := Open("testdata/oob.bpf.o", Options{NumCPUs: 2})
	var ve *verifier.Error
	if !errors.As(err, &ve) {
		t.Fatalf("oob.bpf.o: %v, want a verifier rejection", err)
	}
	if ve.Prog != "oob_enqueue" || !strings.Contains(ve.Msg, "invalid mem access") || !ve.HasLine || ve.Line.Line != 21 {
		t.Errorf("rejection %v", ve)
	}
	// the log shows the path that led there, not only the failing insn
	for _, want := range []string{"*wild = nr_enqueued;", ve.Msg, "processed ", "R2=scalar("} {
		if !strings.Contains(ve.Log, want) {
			t.Errorf("log lacks %q:\n%s", want, ve.Log)
		}
	}
	if strings.Count(ve.Log, "\n") < 5 {
		t.Errorf("log has no path:\n%s", ve.Log)
	}
}

// TestVerifyLockOrderWarning: a policy taking A then B in one callback
// and B then A in another loads, with a warning naming both programs,
// both locks and the source lines, in Warnings and in the log.
func TestVerifyLockOrderWarning(t *testing.T) {
	const obj = "../verifier/testdata/c/abba.bpf.o"
	var log bytes.Buffer
	b, err := Open(obj, Options{NumCPUs: 2, Log: &log})
	if err != nil {
		verifyErr(t, obj, err)
	}
	defer b.Close()
	if len(b.Warnings) != 1 {
		t.Fatalf("%d warnings, want 1: %v", len(b.Warnings), b.Warnings)
	}
	w := b.Warnings[0]
	for _, want := range []string{"possible ABBA deadlock", "abba_enqueue", "abba_dispatch", ".data.A+0", ".data.B+0",
		"abba.bpf.c:17", "abba.bpf.c:18", "abba.bpf.c:28", "abba.bpf.c:29", "bpf_spin_lock(&lock_b);"} {
		if !strings.Contains(w.Msg, want) {
			t.Errorf("warning lacks %q:\n%s", want, w.Msg)
		}
	}
	if len(w.Cycle) != 2 {
		t.Errorf("cycle of %d edges", len(w.Cycle))
	}
	if !strings.Contains(log.String(), "warning: "+w.Msg) {
		t.Errorf("the warning is not in the policy log:\n%s", log.String())
	}
}

// cpuTimeNs is the user+system CPU time of the process.
func cpuTimeNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkVerifyBuiltins reports the time to verify every program of
// each built-in policy (the load-time cost of the verifier):
//
//	go test ./policies/ -run '^$' -bench VerifyBuiltins
func BenchmarkVerifyBuiltins(b *testing.B) {
	for _, name := range Builtins() {
		p, err := Open(name, Options{NumCPUs: 8, NoVerify: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var insns int
			cpu := cpuTimeNs()
			for b.Loop() {
				rep, err := p.Verify(nil)
				if err != nil {
					b.Fatal(err)
				}
				insns = 0
				for _, r := range rep.Results {
					insns += r.InsnsProcessed
				}
			}
			b.ReportMetric(float64(insns), "insns/op")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
			// CPU time of the process (GC included), steadier than wall
			// time on a shared machine
			b.ReportMetric(float64(cpuTimeNs()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
		p.Close()
	}
}

// TestOpsMemberMissing: a callback for a member the simulated kernel's
// sched_ext_ops lacks (cgroup_set_bandwidth, Linux 6.17+) is recognised,
// so that Verify skips it as scx's user space and libbpf do.
func TestOpsMemberMissing(t *testing.T) {
	for member, want := range map[string]bool{"cgroup_set_bandwidth": true, "enqueue": false, "cgroup_set_weight": false, "": false} {
		if got := opsMemberMissing(&bpfvm.Program{Name: "p", StructOpsMember: member}); got != want {
			t.Errorf("member %q: missing = %v, want %v", member, got, want)
		}
	}
}
