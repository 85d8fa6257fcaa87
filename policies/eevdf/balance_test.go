package eevdf_test

import (
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// Work conservation: the balancing of docs/eevdf.md (newidle pulls that
// leave a claimed CPU's task alone, idle CPUs kicked to pull, the
// LBF_ALL_PINNED redo).

// waitView reports, for the runqueue of cpu, how many queued entities wait
// behind another (rq_waiting()).
type waitView func(cpu int) uint32

func modelWaiting(mod *Model) waitView {
	return func(cpu int) uint32 { return mod.rqs[cpu].waiting() }
}

func (v *bpfView) waiting(cpu int) uint32 {
	rq := v.rq(cpu)
	n := le32(rq, v.rqOff["nr_queued"])
	if n > 0 && le32(rq, v.rqOff["curr"]) == 0 {
		n--
	}
	return n
}

// idleSampler counts, every period, the idle CPUs and those of them that
// stay idle while another runqueue has a waiting entity (the machines of
// these tests have no affinity: any waiting task may run anywhere).
type idleSampler struct{ idle, idleWhileWaiting int }

func sampleIdle(m *sim.Machine, wait waitView, period uint64) *idleSampler {
	s := &idleSampler{}
	var tick func()
	tick = func() {
		waiting := 0
		for _, c := range m.CPUs() {
			waiting += int(wait(c.ID))
		}
		for _, c := range m.CPUs() {
			if c.Curr() != nil || c.Local().Len() > 0 {
				continue
			}
			s.idle++
			if waiting > 0 {
				s.idleWhileWaiting++
			}
		}
		m.After(period, tick)
	}
	m.After(period, tick)
	return s
}

// TestEEVDFWorkConserving: on web.toml and mixed.toml (no affinity), a CPU
// stays idle while a task waits on another runqueue in fewer than 1% of
// the idle CPU samples. Before the balancing fix it was 72% and 97%: a
// newidle pull took the task that scx_bpf_select_cpu_dfl() had placed on a
// claimed idle CPU, which then went idle with its idle bit clear, out of
// sight of every later wakeup. The utilisation is within 3 points of the
// built-in FIFO's on the same workload.
func TestEEVDFWorkConserving(t *testing.T) {
	// the configs' [policy.params] for fifo
	fifoSlice := map[string]uint64{"web.toml": 5e6, "mixed.toml": 0}
	for _, name := range []string{"web.toml", "mixed.toml"} {
		c := loadConfig(t, name, 300e6)
		pol := loadBPF(t, c.ncpu, c.tick)
		o := sim.Overrides{Duration: &c.dur}
		scn, err := c.cfg.Build(pol, o)
		if err != nil {
			t.Fatal(err)
		}
		s := sampleIdle(scn.Machine, newBPFView(t, scn.Machine, pol).waiting, 50_000)
		r, err := scn.Run()
		if err != nil || r.Ejection != nil {
			t.Fatalf("%s: %v %+v", name, err, r.Ejection)
		}
		fifo, _ := c.run(t, &sim.FIFO{Slice: fifoSlice[name]}, c.cfg.Run.Seed)
		st := readStats(t, pol)
		if s.idle < 1000 || s.idleWhileWaiting*100 > s.idle {
			t.Errorf("%s: %d of %d idle CPU samples with a task waiting elsewhere", name, s.idleWhileWaiting, s.idle)
		}
		if r.Utilisation < fifo.Utilisation-0.03 {
			t.Errorf("%s: utilisation %.3f, FIFO %.3f", name, r.Utilisation, fifo.Utilisation)
		}
		t.Logf("%s: utilisation %.3f (FIFO %.3f); %d of %d idle CPU samples with a task waiting elsewhere; %d pulls, %d idle dispatches (%d with tasks waiting elsewhere)",
			name, r.Utilisation, fifo.Utilisation, s.idleWhileWaiting, s.idle, st["pulls"], st["went_idle"], st["idle_waiting"])
	}
}

// smallMachine is one LLC of n CPUs without SMT.
func smallMachine(n int, seed, dur uint64) sim.Params {
	return sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: n, ThreadsPerCore: 1},
		HZ: 1000, ContextSwitch: 2000, IPI: 1000, Seed: seed, Duration: dur}
}

func spawn(t testing.TB, m *sim.Machine, s sim.TaskSpec) *sim.Task {
	t.Helper()
	p, err := m.Spawn(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hog() sim.Behavior {
	return sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Run(50_000_000) })
}

// TestEEVDFStaleIdleMask: the core's idle mask goes stale (as it does in
// 6.12 when a CPU that scx_bpf_select_cpu_dfl() or scx_bpf_pick_idle_cpu()
// claimed finds nothing to run: it stays idle with its bit clear). Here a
// timer clears the bits of idle CPUs every 200 us, so that wakeups land on
// busy CPUs; the policy's own idle set (idle_cpus) still knows which CPUs
// are idle, and the enqueue kicks one of them, which pulls. Without the
// kick, the utilisation drops; with it, the BPF policy and the model still
// agree.
func TestEEVDFStaleIdleMask(t *testing.T) {
	run := func(s sim.Scheduler) (*sim.Result, *idleSampler) {
		m, err := sim.NewMachine(smallMachine(4, 9, 300e6), s)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 8; i++ {
			sleeper(t, m, fmt.Sprintf("s%d", i), 0, 400_000, 500_000)
		}
		var stale func()
		stale = func() {
			for _, c := range m.CPUs() {
				if c.Curr() == nil && c.Local().Len() == 0 {
					m.Kernel().TestAndClearCPUIdle(int32(c.ID))
				}
			}
			m.After(200_000, stale)
		}
		m.After(200_000, stale)
		var smp *idleSampler
		if mod, ok := s.(*Model); ok {
			smp = sampleIdle(m, modelWaiting(mod), 50_000)
		}
		r, _ := m.Run()
		if r.Ejection != nil {
			t.Fatalf("%s ejected: %+v", r.Policy, r.Ejection)
		}
		return r, smp
	}
	mod := NewModel()
	goR, smp := run(mod)
	pol := loadBPF(t, 4, 1e6)
	bpfR, _ := run(pol)
	st := readStats(t, pol)
	if goR.ScheduleHash != bpfR.ScheduleHash || st["idle_kicks"] != mod.Stats.IdleKicks {
		t.Errorf("schedule hash: model %s (%d switches, %d idle kicks), BPF %s (%d switches, %d idle kicks)",
			goR.ScheduleHash, goR.Switches, mod.Stats.IdleKicks, bpfR.ScheduleHash, bpfR.Switches, st["idle_kicks"])
	}
	off := NewModel()
	off.IdleKick = false
	offR, offSmp := run(off)
	if mod.Stats.IdleKicks < 100 || smp.idleWhileWaiting*50 > smp.idle || goR.Utilisation < offR.Utilisation+0.05 {
		t.Errorf("idle kicks %d; idle CPU samples with a task waiting elsewhere: %d of %d (without kicks %d of %d); utilisation %.3f, without kicks %.3f",
			mod.Stats.IdleKicks, smp.idleWhileWaiting, smp.idle, offSmp.idleWhileWaiting, offSmp.idle, goR.Utilisation, offR.Utilisation)
	}
	t.Logf("%d idle kicks; idle CPU samples with a task waiting elsewhere: %d of %d (without kicks %d of %d); utilisation %.3f, without kicks %.3f",
		mod.Stats.IdleKicks, smp.idleWhileWaiting, smp.idle, offSmp.idleWhileWaiting, offSmp.idle, goR.Utilisation, offR.Utilisation)
}

// TestEEVDFPinnedRedo: an idle CPU's newidle pull meets a busiest
// runqueue whose choice may not run there (tasks pinned to CPU 0); it
// tries the next busiest (the LBF_ALL_PINNED redo) and takes the free
// task waiting on CPU 1, instead of leaving it to share CPU 1 for good.
func TestEEVDFPinnedRedo(t *testing.T) {
	run := func(s sim.Scheduler) (*sim.Result, *sim.Task) {
		m, err := sim.NewMachine(smallMachine(3, 5, 100e6), s)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			spawn(t, m, sim.TaskSpec{Comm: fmt.Sprintf("pinned%d", i), Affinity: []int{0}, Behavior: hog()})
		}
		spawn(t, m, sim.TaskSpec{Comm: "a", Affinity: []int{1}, Behavior: hog()})
		first := true
		spawn(t, m, sim.TaskSpec{Comm: "short", Affinity: []int{2}, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			if first {
				first = false
				return sim.Run(5e6)
			}
			return sim.Block()
		})})
		var b *sim.Task
		m.At(1e6, func() { b = spawn(t, m, sim.TaskSpec{Comm: "b", Affinity: []int{1, 2}, Behavior: hog()}) })
		r, _ := m.Run()
		if r.Ejection != nil {
			t.Fatalf("%s ejected: %+v", r.Policy, r.Ejection)
		}
		return r, b
	}
	mod := NewModel()
	goR, b := run(mod)
	pol := loadBPF(t, 3, 1e6)
	bpfR, _ := run(pol)
	st := readStats(t, pol)
	if goR.ScheduleHash != bpfR.ScheduleHash || st["pinned"] != mod.Stats.Pinned {
		t.Errorf("schedule hash: model %s (%d switches), BPF %s (%d switches); pinned %d vs %d",
			goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches, mod.Stats.Pinned, st["pinned"])
	}
	// b waits on CPU 1 from 1 ms to 5 ms, then has CPU 2 to itself.
	if mod.Stats.Pinned == 0 || b.Stats.Runtime < 90e6 {
		t.Errorf("pinned pulls %d, b ran %d ns of 100 ms", mod.Stats.Pinned, b.Stats.Runtime)
	}
	t.Logf("%d pinned pulls, %d pulls; b ran %.1f ms", mod.Stats.Pinned, mod.Stats.Pulls, float64(b.Stats.Runtime)/1e6)
}

// TestEEVDFTickKick: a CPU whose pull found only a pinned task goes idle;
// the tick of the busy CPU where a free task waits kicks it
// (nohz_balancer_kick()), and it pulls once the free task is the EEVDF
// choice. Without the kick it would stay idle for good.
func TestEEVDFTickKick(t *testing.T) {
	run := func(s sim.Scheduler) (*sim.Result, *sim.Task) {
		m, err := sim.NewMachine(smallMachine(2, 5, 100e6), s)
		if err != nil {
			t.Fatal(err)
		}
		// heavy tasks: usually the EEVDF choice among those waiting
		spawn(t, m, sim.TaskSpec{Comm: "heavy0", Nice: -10, Affinity: []int{0}, Behavior: hog()})
		spawn(t, m, sim.TaskSpec{Comm: "heavy1", Nice: -10, Affinity: []int{0}, Behavior: hog()})
		first := true
		spawn(t, m, sim.TaskSpec{Comm: "short", Affinity: []int{1}, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			if first {
				first = false
				return sim.Run(5e6)
			}
			return sim.Block()
		})})
		var b *sim.Task
		m.At(1e6, func() { b = spawn(t, m, sim.TaskSpec{Comm: "b", Behavior: hog()}) })
		r, _ := m.Run()
		if r.Ejection != nil {
			t.Fatalf("%s ejected: %+v", r.Policy, r.Ejection)
		}
		return r, b
	}
	mod := NewModel()
	goR, b := run(mod)
	pol := loadBPF(t, 2, 1e6)
	bpfR, _ := run(pol)
	st := readStats(t, pol)
	if goR.ScheduleHash != bpfR.ScheduleHash || st["tick_kicks"] != mod.Stats.TickKicks {
		t.Errorf("schedule hash: model %s (%d switches), BPF %s (%d switches); tick kicks %d vs %d",
			goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches, mod.Stats.TickKicks, st["tick_kicks"])
	}
	off := NewModel()
	off.IdleKick = false
	_, bOff := run(off)
	// Without kicks b gets its 5% share of CPU 0; with them it has CPU 1
	// from the first tick at which it is CPU 0's choice.
	if mod.Stats.TickKicks == 0 || b.Stats.Runtime < 60e6 || bOff.Stats.Runtime > 20e6 {
		t.Errorf("tick kicks %d, pinned pulls %d; b ran %d ns of 100 ms (without kicks %d ns)",
			mod.Stats.TickKicks, mod.Stats.Pinned, b.Stats.Runtime, bOff.Stats.Runtime)
	}
	t.Logf("%d tick kicks, %d pinned pulls; b ran %.1f ms of 100 (without kicks %.1f ms)",
		mod.Stats.TickKicks, mod.Stats.Pinned, float64(b.Stats.Runtime)/1e6, float64(bOff.Stats.Runtime)/1e6)
}
