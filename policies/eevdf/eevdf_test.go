package eevdf_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/policies/eevdf"
	"github.com/schedsim/schedsim/sim"
)

// loadBPF loads eevdf.bpf.o for a machine of ncpu CPUs whose tick is
// tickNs, with scheduler code free (InsnCostPs 0), as a differential
// comparison with the Go model needs.
func loadBPF(t testing.TB, ncpu int, tickNs uint64) *policies.BPFPolicy {
	t.Helper()
	return loadBPFParams(t, ncpu, map[string]any{"tick_ns": tickNs})
}

func loadBPFParams(t testing.TB, ncpu int, params map[string]any) *policies.BPFPolicy {
	t.Helper()
	obj, err := bpfvm.LoadObjectReader(bytes.NewReader(eevdf.Object), "eevdf")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policies.LoadObject(obj, policies.Options{NumCPUs: ncpu, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pol.Close() })
	return pol
}

func modelFor(tickNs uint64) *Model {
	m := NewModel()
	m.TickNs = tickNs
	return m
}

type configRun struct {
	name string
	cfg  *sim.Config
	dur  uint64
	ncpu int
	tick uint64
}

// loadConfig reads a shipped config, shortened to dur (less for the big
// machine).
func loadConfig(t testing.TB, name string, dur uint64) configRun {
	t.Helper()
	data, err := configs.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sim.ParseConfig(name, data)
	if err != nil {
		t.Fatal(err)
	}
	if name == "bigmachine.toml" {
		dur /= 4
	}
	dur = min(cfg.Run.Duration, dur)
	if cfg.Run.Warmup >= dur {
		cfg.Run.Warmup = 0
	}
	ts := cfg.Machine.Topology
	return configRun{name: name, cfg: cfg, dur: dur,
		ncpu: ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore,
		tick: uint64(1_000_000_000 / cfg.Machine.HZ)}
}

func (c configRun) run(t testing.TB, s sim.Scheduler, seed uint64) (*sim.Result, *sim.Scenario) {
	t.Helper()
	o := sim.Overrides{Duration: &c.dur, Seed: &seed}
	scn, err := c.cfg.Build(s, o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := scn.Run()
	if err != nil {
		t.Fatal(err)
	}
	if r.Ejection != nil {
		t.Fatalf("%s seed %d: %s ejected: %+v", c.name, seed, r.Policy, r.Ejection)
	}
	return r, scn
}

func configNames(t testing.TB) []string {
	entries, err := configs.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".toml") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestEEVDFRunsWeb: the policy loads (verifier on) and runs the default
// scenario.
func TestEEVDFRunsWeb(t *testing.T) {
	c := loadConfig(t, "web.toml", 300e6)
	pol := loadBPF(t, c.ncpu, c.tick)
	r, scn := c.run(t, pol, c.cfg.Run.Seed)
	// (r.Switches counts the window after the warmup; the whole run's:)
	if n := scn.Machine.Switches(); r.Policy != "eevdf" || n < 10000 || r.Utilisation < 0.5 {
		t.Errorf("policy %s: %d switches, utilisation %.2f", r.Policy, n, r.Utilisation)
	}
	st := readStats(t, pol)
	if st["picks"] == 0 || st["wakeup_preempts"] == 0 || st["pulls"] == 0 {
		t.Errorf("stats %v: some path never ran", st)
	}
	checkNoStarvation(t, scn.Machine, 100e6)
	t.Logf("%d switches, utilisation %.3f, delay p99 %d ns, max %d ns; stats %v",
		r.Switches, r.Utilisation, r.Delay.P99, r.Delay.Max, st)
}

// TestEEVDFInterleaved: with callbacks of different CPUs overlapping in
// simulated time (interleaving, a quantum of 50 instructions), runqueue
// locks are contended, taken two at a time by the balancer, and the policy
// still runs without a fault, a deadlock or a stall.
func TestEEVDFInterleaved(t *testing.T) {
	for _, name := range []string{"web.toml", "hackbench.toml"} {
		c := loadConfig(t, name, 150e6)
		c.cfg.Policy.Quantum = 50
		pol := loadBPF(t, c.ncpu, c.tick)
		o := sim.Overrides{Duration: &c.dur, Interleave: true}
		scn, err := c.cfg.Build(pol, o)
		if err != nil {
			t.Fatal(err)
		}
		r, err := scn.Run()
		if err != nil || r.Ejection != nil || r.Switches < 5000 {
			t.Fatalf("%s: %v, ejection %+v, %d switches", name, err, r.Ejection, r.Switches)
		}
		st := readStats(t, pol)
		if st["pulls"]+st["balance_pulls"] == 0 {
			t.Errorf("%s: no migration under two locks: %v", name, st)
		}
		checkNoStarvation(t, scn.Machine, 500e6)
	}
}

// TestEEVDFMatchesModel is the differential test: on every shipped config
// (shortened) and three seeds, the BPF policy and the Go model, both with
// free scheduler code, produce the same schedule. It also checks that no
// task starves.
func TestEEVDFMatchesModel(t *testing.T) {
	dur := uint64(200e6)
	if testing.Short() {
		dur = 60e6
	}
	n := 0
	for _, name := range configNames(t) {
		c := loadConfig(t, name, dur)
		n++
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed%d", strings.TrimSuffix(name, ".toml"), seed), func(t *testing.T) {
				mod := modelFor(c.tick)
				goR, _ := c.run(t, mod, seed)
				pol := loadBPF(t, c.ncpu, c.tick)
				bpfR, scn := c.run(t, pol, seed)
				if goR.Switches < 20 || goR.ScheduleHash != bpfR.ScheduleHash {
					t.Errorf("schedule hash: model %s (%d switches), BPF %s (%d switches)",
						goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches)
				}
				st := readStats(t, pol)
				if st["picks"] != mod.Stats.Picks || st["pulls"] != mod.Stats.Pulls || st["balance_pulls"] != mod.Stats.BalancePulls ||
					st["wakeup_preempts"] != mod.Stats.WakeupPreempts || st["tick_preempts"] != mod.Stats.TickPreempts ||
					st["idle_kicks"] != mod.Stats.IdleKicks || st["tick_kicks"] != mod.Stats.TickKicks ||
					st["went_idle"] != mod.Stats.WentIdle || st["idle_waiting"] != mod.Stats.IdleWaiting || st["pinned"] != mod.Stats.Pinned {
					t.Errorf("stats: BPF %v, model %+v", st, mod.Stats)
				}
				bound := uint64(500e6)
				worst := checkNoStarvation(t, scn.Machine, bound)
				t.Logf("%d switches, utilisation %.3f, worst runnable delay %.1f ms, %d+%d pulls, %d+%d idle kicks, %d idle dispatches (%d with tasks waiting elsewhere), %d tree moves",
					bpfR.Switches, bpfR.Utilisation, float64(worst)/1e6, st["pulls"], st["balance_pulls"], st["idle_kicks"], st["tick_kicks"],
					st["went_idle"], st["idle_waiting"], st["moves"])
			})
		}
	}
	if n < 5 {
		t.Errorf("only %d configs", n)
	}
}

// ---- reading the BPF program's maps ----

func structOffsets(t testing.TB, typ btf.Type) map[string]uint32 {
	t.Helper()
	st, ok := btf.UnderlyingType(typ).(*btf.Struct)
	if !ok {
		t.Fatalf("%v is not a struct", typ)
	}
	offs := map[string]uint32{}
	for _, m := range st.Members {
		offs[m.Name] = m.Offset.Bytes()
	}
	return offs
}

func readStats(t testing.TB, pol *policies.BPFPolicy) map[string]uint64 {
	t.Helper()
	v, addr, err := pol.Instance().Var("stats")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for name, off := range structOffsets(t, v.Type) {
		out[name] = pol.VM().Mem.Load64(addr + uint64(off))
	}
	return out
}

// bpfView reads runqueues and tasks from the BPF program's maps.
type bpfView struct {
	t         testing.TB
	m         *sim.Machine
	rqs, ctxs bpfvm.Map
	rqOff     map[string]uint32
	ctxOff    map[string]uint32
}

func newBPFView(t testing.TB, m *sim.Machine, pol *policies.BPFPolicy) *bpfView {
	v := &bpfView{t: t, m: m, rqs: pol.Instance().Map("rqs"), ctxs: pol.Instance().Map("tasks")}
	if v.rqs == nil || v.ctxs == nil {
		t.Fatal("no rqs or tasks map")
	}
	v.rqOff = structOffsets(t, v.rqs.Spec().Value)
	v.ctxOff = structOffsets(t, v.ctxs.Spec().Value)
	return v
}

func le64(b []byte, off uint32) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
func le32(b []byte, off uint32) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

func (v *bpfView) rq(cpu int) []byte {
	b, err := v.rqs.Lookup(binary.LittleEndian.AppendUint32(nil, uint32(cpu)))
	if err != nil {
		v.t.Fatal(err)
	}
	return b
}

func (v *bpfView) lags(cpu int) (pids []int32, lags []int64, ws []uint32) {
	rq := v.rq(cpu)
	zero := le64(rq, v.rqOff["zero_vruntime"])
	avg := int64(le64(rq, v.rqOff["avg_vruntime"]))
	load := int64(le64(rq, v.rqOff["avg_load"]))
	curr := int32(le32(rq, v.rqOff["curr"]))
	type ent struct {
		pid int32
		v   uint64
		w   uint32
	}
	var ents []ent
	v.ctxs.Iterate(func(k, val []byte) bool {
		st := le32(val, v.ctxOff["state"])
		if int32(le32(val, v.ctxOff["cpu"])) != int32(cpu) || (st != 2 && st != 3) {
			return true
		}
		e := ent{pid: int32(le32(k, 0)), v: le64(val, v.ctxOff["vruntime"]), w: le32(val, v.ctxOff["weight"])}
		if e.pid == curr {
			e.v += calcDeltaFair(v.m.Now()-le64(val, v.ctxOff["exec_start"]), e.w)
			avg += int64(e.v-zero) * int64(e.w)
			load += int64(e.w)
		}
		ents = append(ents, e)
		return true
	})
	if load == 0 {
		return
	}
	V := float64(avg) / float64(load)
	for _, e := range ents {
		pids = append(pids, e.pid)
		lags = append(lags, int64(V-float64(int64(e.v-zero))))
		ws = append(ws, e.w)
	}
	return
}

// task returns the exported head of task pid's value in "tasks".
func (v *bpfView) task(pid int32) (eevdf.TaskState, bool) {
	b, err := v.ctxs.Lookup(binary.LittleEndian.AppendUint32(nil, uint32(pid)))
	if err != nil {
		return eevdf.TaskState{}, false
	}
	return eevdf.DecodeTaskState(b)
}

// TestEEVDFFeaturesMatchModel: with the features off, or another base
// slice, the BPF policy and the model still agree.
func TestEEVDFFeaturesMatchModel(t *testing.T) {
	c := loadConfig(t, "mixed.toml", 150e6)
	for _, tc := range []struct {
		name   string
		params map[string]any
		set    func(*Model)
	}{
		{"features-off", map[string]any{"run_to_parity": false, "place_lag": false, "wakeup_preemption": false,
			"newidle_balance": false, "balance_ticks": uint32(0)},
			func(m *Model) {
				m.RunToParity, m.PlaceLag, m.WakeupPreemption, m.NewidleBalance, m.BalanceTicks = false, false, false, false, 0
			}},
		{"slice-3ms-balance-1", map[string]any{"base_slice_ns": uint64(3e6), "balance_ticks": uint32(1)},
			func(m *Model) { m.BaseSliceNs, m.BalanceTicks = 3e6, 1 }},
		{"no-idle-kick", map[string]any{"idle_kick": false}, func(m *Model) { m.IdleKick = false }},
		// fair.c 6.12: DELAY_DEQUEUE + DELAY_ZERO
		{"delay-dequeue", map[string]any{"delay_dequeue": true}, func(m *Model) { m.DelayDequeue = true }},
		{"fair-6.12", map[string]any{"delay_dequeue": true, "place_rel_deadline": true},
			func(m *Model) { m.DelayDequeue, m.PlaceRelDeadline = true, true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := modelFor(c.tick)
			tc.set(mod)
			goR, _ := c.run(t, mod, 5)
			tc.params["tick_ns"] = c.tick
			pol := loadBPFParams(t, c.ncpu, tc.params)
			bpfR, _ := c.run(t, pol, 5)
			if goR.Switches < 1000 || goR.ScheduleHash != bpfR.ScheduleHash {
				t.Errorf("schedule hash: model %s (%d switches), BPF %s (%d switches)",
					goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches)
			}
			if d := readStats(t, pol)["delayed"]; d != mod.Stats.Delayed || (mod.DelayDequeue && d == 0) {
				t.Errorf("delayed dequeues: BPF %d, model %d", d, mod.Stats.Delayed)
			}
		})
	}
}

// TestEEVDFReweightMatchesModel changes the nice level of running, queued
// and sleeping tasks every 2 ms (ops.set_weight: reweight_eevdf() of curr
// and of queued entities, the vlag scaling of sleeping ones) and compares
// the BPF policy with the model.
func TestEEVDFReweightMatchesModel(t *testing.T) {
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 2},
		HZ: 1000, ContextSwitch: 2000, IPI: 1000, Seed: 11, Duration: 300e6}
	run := func(s sim.Scheduler) (*sim.Result, [4]int) {
		m, err := sim.NewMachine(p, s)
		if err != nil {
			t.Fatal(err)
		}
		var ps []*sim.Task
		for i := 0; i < 6; i++ {
			ps = append(ps, cpuBound(t, m, fmt.Sprintf("hog%d", i), i%3*5-5))
			ps = append(ps, sleeper(t, m, fmt.Sprintf("s%d", i), 0, 500_000, 1_000_000))
		}
		r := m.Rand("renice")
		var states [4]int
		var renice func()
		renice = func() {
			task := ps[r.IntN(len(ps))]
			states[task.State()%4]++
			nice := int32(r.IntN(40)) - 20
			task.K.StaticPrio = 120 + nice
			s.SetWeight(task, sim.ScxWeight(sim.NiceToWeight[nice+20]))
			m.After(2_000_000, renice)
		}
		m.After(2_000_000, renice)
		res, _ := m.Run()
		if res.Ejection != nil {
			t.Fatalf("%s ejected: %+v", res.Policy, res.Ejection)
		}
		return res, states
	}
	goR, states := run(NewModel())
	bpfR, _ := run(loadBPF(t, 4, 1e6))
	if goR.ScheduleHash != bpfR.ScheduleHash {
		t.Errorf("schedule hash: model %s (%d switches), BPF %s (%d switches)",
			goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches)
	}
	// and with DELAY_DEQUEUE: reweights of delayed (asleep, still
	// queued) entities too
	dm := NewModel()
	dm.DelayDequeue = true
	goD, _ := run(dm)
	bpfD, _ := run(loadBPFParams(t, 4, map[string]any{"tick_ns": uint64(1e6), "delay_dequeue": true}))
	if goD.ScheduleHash != bpfD.ScheduleHash || goD.ScheduleHash == goR.ScheduleHash {
		t.Errorf("delay_dequeue: schedule hash model %s, BPF %s (without: %s)", goD.ScheduleHash, bpfD.ScheduleHash, goR.ScheduleHash)
	}
	if states[sim.TaskRunning] == 0 || states[sim.TaskRunnable] == 0 || states[sim.TaskSleeping] == 0 {
		t.Errorf("reweighted tasks by state: %v (want running, runnable and sleeping ones)", states)
	}
	t.Logf("%d switches; reweights by state (new, runnable, running, sleeping): %v", goR.Switches, states)
}
