package policies

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// takeovers counts RT tasks taking CPUs from sched_ext tasks, their
// wakeup latency, and where each preempted task runs next.
type takeovers struct {
	sim.BaseObserver
	woke            map[*sim.Task]uint64
	maxWake         uint64
	n               int
	lost            map[*sim.Task]int
	elsewhere, same int
}

func (o *takeovers) Wakeup(at uint64, t *sim.Task, cpu int, _ bool) {
	if t.Class() == sim.ClassRT {
		o.woke[t] = at
	}
}

func (o *takeovers) Switch(at uint64, cpu int, prev, next *sim.Task) {
	if next == nil {
		return
	}
	if next.Class() == sim.ClassRT {
		if w, ok := o.woke[next]; ok {
			o.maxWake = max(o.maxWake, at-w)
			delete(o.woke, next)
		}
		if prev != nil && prev.Class() == sim.ClassExt {
			o.n++
			if prev.State() == sim.TaskRunnable {
				o.lost[prev] = cpu
			}
		}
		return
	}
	if cpu0, ok := o.lost[next]; ok {
		if cpu0 == cpu {
			o.same++
		} else {
			o.elsewhere++
		}
		delete(o.lost, next)
	}
}

// classesRun runs testdata/classes.bpf.o (verified) on two CPUs with two
// workers (100-500 us of CPU, 100 us of sleep) and an RT task pinned to
// CPU 0 running 2 ms every 10 ms.
func classesRun(t *testing.T, params map[string]any, dur uint64, interleave bool, engine ...string) (*BPFPolicy, *sim.Result, *takeovers, *sim.Task) {
	t.Helper()
	opts := Options{NumCPUs: 2, Params: params}
	if len(engine) > 0 {
		opts.Engine = engine[0]
	}
	if interleave {
		opts.InsnCostPs = 500 // callbacks take time, and suspend
	}
	pol, err := Open("testdata/classes.bpf.o", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pol.Close() })
	obs := &takeovers{woke: map[*sim.Task]uint64{}, lost: map[*sim.Task]int{}}
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 5, Duration: dur, ContextSwitch: 2000, IPI: 1000, Observers: []sim.Observer{obs},
		Interleave: interleave}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		rnd := m.Rand(fmt.Sprint("w", i))
		ran := false
		if _, err := m.Spawn(sim.TaskSpec{Comm: fmt.Sprint("w", i), Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			if ran = !ran; ran {
				return sim.Run(100e3 + rnd.Uint64N(400e3))
			}
			return sim.Sleep(100e3)
		})}); err != nil {
			t.Fatal(err)
		}
	}
	run := false
	rt, err := m.Spawn(sim.TaskSpec{Comm: "irq", Class: sim.ClassRT, RTPriority: 50, Affinity: []int{0},
		Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			if run = !run; run {
				return sim.Run(2e6)
			}
			return sim.Sleep(8e6)
		})})
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return pol, r, obs, rt
}

// TestCPUReleaseReenqueue: the policy's ops.cpu_release runs once each
// time the RT task takes CPU 0 from a sched_ext task (reason
// SCX_CPU_PREEMPT_RT, args->task the RT task), ops.cpu_acquire when the CPU
// comes back; scx_bpf_reenqueue_local sends the preempted task through
// ops.enqueue (SCX_ENQ_REENQ), and it runs on the other CPU.
func TestCPUReleaseReenqueue(t *testing.T) {
	pol, r, obs, rt := classesRun(t, nil, 1e9, false)
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	g := func(name string) uint64 { return globalU64(t, pol, name) }
	rel, acq := g("nr_releases"), g("nr_acquires")
	t.Logf("RT jobs %d, takeovers %d, cpu_release %d, cpu_acquire %d, reenqueued %d; preempted tasks next ran elsewhere %d, same CPU %d; RT wakeup to switch-in max %d ns",
		rt.Stats.Switches, obs.n, rel, acq, g("nr_reenqueued"), obs.elsewhere, obs.same, obs.maxWake)
	if int(rel) != obs.n || obs.n < int(rt.Stats.Switches)/2 {
		t.Errorf("%d cpu_release calls for %d takeovers of %d RT jobs", rel, obs.n, rt.Stats.Switches)
	}
	if acq != rel && acq != rel-1 {
		t.Errorf("%d cpu_acquire calls after %d cpu_release calls", acq, rel)
	}
	if g("nr_bad_reason") != 0 || int32(g("last_release_pid")) != rt.PID {
		t.Errorf("cpu_release args: %d bad reasons, last task pid %d (want %d)", g("nr_bad_reason"), int32(g("last_release_pid")), rt.PID)
	}
	if n := g("nr_reenqueued"); n < rel*9/10 || g("nr_reenq_enqueues") != n {
		t.Errorf("reenqueue_local returned %d in all, ops.enqueue saw SCX_ENQ_REENQ %d times, for %d releases", n, g("nr_reenq_enqueues"), rel)
	}
	if obs.elsewhere < obs.n*9/10 {
		t.Errorf("preempted tasks ran next elsewhere %d times, on the CPU they lost %d times", obs.elsewhere, obs.same)
	}
	if obs.maxWake > 2000 {
		t.Errorf("RT wakeup latency up to %d ns, want the 2 us context switch", obs.maxWake)
	}
	if g("nr_rt_running") != 0 {
		t.Errorf("ops.running saw the RT task %d times", g("nr_rt_running"))
	}
	if r.RTTime < 0.09 || r.RTTime > 0.11 {
		t.Errorf("rt_time_fraction %.4f, want 0.1", r.RTTime)
	}
	// the nested ops.enqueue runs the same on both engines
	if _, ri, _, _ := classesRun(t, nil, 1e9, false, "interp"); ri.ScheduleHash != r.ScheduleHash {
		t.Errorf("interpreter schedule %s, default engine %s", ri.ScheduleHash, r.ScheduleHash)
	}
}

// TestDumpOnError: an error exit writes the debug dump with
// scx_dump_state()'s layout: the header, ops.dump's lines, then each busy
// CPU with ops.dump_cpu's lines and its tasks, each followed by
// ops.dump_task's line (made of two scx_bpf_dump calls); ops.exit gets
// the dump in ei->dump.
func TestDumpOnError(t *testing.T) {
	for _, interleave := range []bool{false, true} {
		t.Run(fmt.Sprint("interleave=", interleave), func(t *testing.T) { testDumpOnError(t, interleave) })
	}
}

func testDumpOnError(t *testing.T, interleave bool) {
	pol, r, _, _ := classesRun(t, map[string]any{"fail_at_ns": uint64(50e6)}, 100e6, interleave)
	if r.Ejection == nil || r.Exit == nil {
		t.Fatal("not ejected")
	}
	d := r.Exit.Dump
	if !interleave {
		t.Logf("dump:\n%s", d)
	}
	g := func(name string) uint64 { return globalU64(t, pol, name) }
	if g("nr_dumps") != 1 || g("nr_dump_cpus") != 2 || g("nr_dump_tasks") == 0 {
		t.Errorf("dump callbacks: dump %d, dump_cpu %d, dump_task %d; want 1, 2 (one per CPU), some",
			g("nr_dumps"), g("nr_dump_cpus"), g("nr_dump_tasks"))
	}
	order := []string{
		"triggered exit kind 1025:\n  scx_bpf_error (failing on purpose in ",
		"\nBacktrace:\n\nclasses: releases=",
		"\nexit kind 1025\n\nCPU states\n----------\n",
		"\nCPU 0   : nr_run=",
		"          curr=",
		"\n  local dsq of cpu ",
	}
	rest := d
	for _, s := range order {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("dump lacks %q after the previous parts", s)
		}
		rest = rest[i+len(s):]
	}
	// every task block is followed by its ops.dump_task line
	blocks := strings.Count(d, "\n      cpus=")
	lines := strings.Count(d, "      cpus=3\n\n    pid ")
	if blocks == 0 || lines != blocks || uint64(blocks) != g("nr_dump_tasks") {
		t.Errorf("%d task blocks, %d followed by the ops.dump_task line, %d dump_task calls", blocks, lines, g("nr_dump_tasks"))
	}
	if !strings.Contains(d, " weight 100\n") {
		t.Errorf("ops.dump_task's two calls did not make one line")
	}
	if int32(g("exit_kind")) != sim.ExitErrorBPF {
		t.Errorf("ops.exit got kind %d", int32(g("exit_kind")))
	}
	_, addr, err := pol.Instance().Var("exit_dump")
	if err != nil {
		t.Fatal(err)
	}
	got := pol.VM().Mem.MustBytes(addr, 256)
	got = got[:bytes.IndexByte(got, 0)]
	if want := d[:len(got)]; len(got) < 200 || string(got) != want {
		t.Errorf("ops.exit read %q from ei->dump, want the start of the dump %q", got, want)
	}
}
