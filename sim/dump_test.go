package sim

import (
	"fmt"
	"strings"
	"testing"
)

// dumpPolicy is the FIFO policy with the dump callbacks, failing at a
// chosen time from ops.tick.
type dumpPolicy struct {
	FIFO
	failAt uint64
	order  []string
	misuse bool // call scx_bpf_dump from ops.tick
}

func (p *dumpPolicy) Ops() Ops {
	o := p.FIFO.Ops()
	o.Implements |= CbTick | CbDump | CbDumpCPU | CbDumpTask
	return o
}

func (p *dumpPolicy) Tick(t *Task) {
	if p.misuse {
		p.k.DumpAppend("x\n")
	}
	if p.k.Now() >= p.failAt {
		p.k.Error("on purpose")
	}
}

func (p *dumpPolicy) Dump(ctx *DumpCtx) {
	p.order = append(p.order, "dump")
	p.k.DumpAppend(fmt.Sprintf("kind %d reason %s", ctx.Kind, ctx.Reason))
	p.k.DumpAppend(" (one line)\nsecond line\n")
}

func (p *dumpPolicy) DumpCPU(ctx *DumpCtx, cpu int32, idle bool) {
	p.order = append(p.order, fmt.Sprintf("cpu%d", cpu))
	p.k.DumpAppend(fmt.Sprintf("cpu %d idle %v\n", cpu, idle))
}

func (p *dumpPolicy) DumpTask(ctx *DumpCtx, t *Task) {
	p.order = append(p.order, t.Comm)
	p.k.DumpAppend("task " + t.Comm) // flushed at the end of the callback
}

func TestDumpOrderAndLayout(t *testing.T) {
	pol := &dumpPolicy{failAt: 20e6}
	p := testParams(2)
	p.Duration = 50e6
	m := mustMachine(t, p, pol)
	spawn(t, m, "hog", loop(1e9))
	r, _ := m.Run()
	if r.Exit == nil || r.Exit.Kind != ExitErrorBPF {
		t.Fatalf("exit %+v", r.Exit)
	}
	// ops.dump, then per CPU ops.dump_cpu followed by its tasks' ops.dump_task
	// (the running task, then the runnable list, which holds it again)
	want := []string{"dump", "cpu0", "hog", "hog", "cpu1"}
	if strings.Join(pol.order, " ") != strings.Join(want, " ") {
		t.Errorf("dump callbacks in order %v, want %v", pol.order, want)
	}
	d := r.Exit.Dump
	for _, s := range []string{
		"hog[1] triggered exit kind 1025:\n  scx_bpf_error (on purpose)\n\nBacktrace:\n\nkind 1025 reason scx_bpf_error (one line)\nsecond line\n\nCPU states\n----------\n",
		"\nCPU 0   : nr_run=1 flags=0x1 cpu_rel=0 pnt_seq=0\n          curr=hog[1] class=ext_sched_class\n\n  cpu 0 idle false\n\n *R hog[1] ",
		"      cpus=3\n\n    task hog\n",
		"\nCPU 1   : nr_run=0 flags=0x1 cpu_rel=0 pnt_seq=0\n          curr=swapper/1[0] class=idle_sched_class\n\n  cpu 1 idle true\n",
	} {
		if !strings.Contains(d, s) {
			t.Errorf("dump lacks %q:\n%s", s, d)
		}
	}
}

func TestDumpOutsideDumpCallbacks(t *testing.T) {
	pol := &dumpPolicy{failAt: 1e18, misuse: true}
	m := mustMachine(t, testParams(1), pol)
	spawn(t, m, "hog", loop(1e9))
	r, _ := m.Run()
	if r.Ejection == nil || !strings.Contains(r.Ejection.Msg, "scx_bpf_dump() must only be called from ops.dump() and friends") {
		t.Fatalf("ejection %+v", r.Ejection)
	}
}

func TestNoDumpWithoutError(t *testing.T) {
	pol := &dumpPolicy{failAt: 1e18}
	m := mustMachine(t, testParams(1), pol)
	spawn(t, m, "hog", loop(1e9))
	r, _ := m.Run()
	if r.Exit == nil || r.Exit.Dump != "" || len(pol.order) != 0 {
		t.Fatalf("unregistration made a dump: %+v, callbacks %v", r.Exit, pol.order)
	}
}

func TestCPUMaskString(t *testing.T) {
	for _, c := range []struct {
		n    int
		cpus []int
		want string
	}{{2, []int{0, 1}, "3"}, {16, []int{0, 15}, "8001"}, {5, []int{4}, "10"}, {40, []int{0, 39}, "80,00000001"}} {
		p := testParams(c.n)
		m := mustMachine(t, p, nil)
		var mask CPUMask
		for _, x := range c.cpus {
			mask.Set(x)
		}
		if got := m.cpumaskString(&mask); got != c.want {
			t.Errorf("%d CPUs %v: %q, want %q", c.n, c.cpus, got, c.want)
		}
	}
}
