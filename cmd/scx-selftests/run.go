package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// outcome is what one case did and whether it met the runner's asserts.
type outcome struct {
	Got  string
	Pass bool
}

// machine is the machine every case runs on: 8 CPUs (4 cores, 2 threads,
// one LLC), 1000 Hz.
func machineParams(kv sim.KernelVersion, topo *sim.TopologySpec, d uint64) sim.Params {
	t := sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 2}
	if topo != nil {
		t = *topo
	}
	return sim.Params{Topology: t, HZ: 1000, Seed: 1, Duration: d, Kernel: kv}
}

// runCase loads, attaches and runs one case of a test from the objects in
// dir.
func runCase(dir string, kv sim.KernelVersion, c tcase) outcome {
	obj, err := bpfvm.LoadObject(filepath.Join(dir, c.Obj+".bpf.o"))
	if err != nil {
		return outcome{Got: "no object: " + firstLine(err)}
	}
	opts := policies.Options{NumCPUs: nrCPUs, Ops: c.Ops, Recipe: c.Recipe, NoRecipe: c.Recipe == nil,
		HZ: 1000, Kernel: kv, Seed: 1, Topology: machineParams(kv, c.Topo, 0).Topology}
	pol, err := policies.LoadObject(obj, opts)
	if c.Expect == expectLoadFail {
		if err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			if i := strings.Index(msg, "verifier: "); i >= 0 {
				msg = msg[i:] // without the object's path
			}
			return outcome{Got: "load rejected: " + trim(msg, 140), Pass: true}
		}
		pol.Close()
		return outcome{Got: "loaded"}
	}
	if err != nil {
		return outcome{Got: "load failed: " + firstLine(err)}
	}
	defer pol.Close()
	n := max(c.Work.Reattach, 1)
	var res *sim.Result
	var m *sim.Machine
	exited := new(int)
	for i := 0; i < n; i++ {
		m, err = sim.NewMachine(machineParams(kv, c.Topo, c.Work.Duration), pol)
		if err != nil { // bpf_map__attach_struct_ops() failed
			return outcome{Got: "attach failed: " + firstLine(err)}
		}
		*exited = 0
		if err := spawnWork(m, c.Work, exited); err != nil {
			return outcome{Got: firstLine(err)}
		}
		if res, err = m.Run(); err != nil {
			return outcome{Got: "run: " + firstLine(err)}
		}
		if res.Exit != nil && res.Exit.Kind != sim.ExitUnreg && c.Work.Reattach > 0 {
			break // the loop stops at the first attach that did not end cleanly
		}
	}
	return evaluate(pol, res, c.Checks, facts(m, *exited))
}

// facts are what the runners measure outside the scheduler: children
// reaped, and rt_stall's CPU shares (from /proc/PID/stat there).
func facts(m *sim.Machine, exited int) map[string]int64 {
	f := map[string]int64{"exited": int64(exited)}
	var ext, rt uint64
	for _, t := range m.Tasks() {
		switch t.Comm {
		case "ext_hog":
			ext += t.Stats.Runtime
		case "rt_hog":
			rt += t.Stats.Runtime
		}
	}
	if ext+rt > 0 {
		f["ext_share_pm"] = int64(ext * 1000 / (ext + rt))
	}
	return f
}

// spawnWork forks the runner's children and the background load; exited
// counts the children that exit.
func spawnWork(m *sim.Machine, w work, exited *int) error {
	r := m.Rand("background")
	// The rest of the system: 2 tasks per CPU that run 0.2-2 ms and
	// sleep 0.5-5 ms.
	// They exist before the attach (scx_ops_enable() finds them asleep).
	for i := 0; i < 2*nrCPUs; i++ {
		run := false
		if _, err := m.Spawn(sim.TaskSpec{Comm: "bg", Existing: true, ExistingSleep: 1 + r.Uint64N(5_000_000),
			Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
				run = !run
				if run {
					return sim.Run(200_000 + r.Uint64N(1_800_000))
				}
				return sim.Sleep(500_000 + r.Uint64N(4_500_000))
			})}); err != nil {
			return err
		}
	}
	for i := 0; i < w.Workers; i++ {
		run := false
		if _, err := m.Spawn(sim.TaskSpec{Comm: "runner", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(10_000)
			}
			return sim.Sleep(w.WorkerSleep)
		})}); err != nil {
			return err
		}
	}
	for _, cpu := range w.PinnedWorkers {
		for i := 0; i < 4; i++ {
			run := false
			if _, err := m.Spawn(sim.TaskSpec{Comm: "runner", Affinity: []int{cpu}, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
				run = !run
				if run {
					return sim.Run(10_000)
				}
				return sim.Sleep(1_000)
			})}); err != nil {
				return err
			}
		}
	}
	if w.RTHog {
		busy := sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Run(w.Duration) })
		if _, err := m.Spawn(sim.TaskSpec{Comm: "ext_hog", Affinity: []int{0}, Behavior: busy}); err != nil {
			return err
		}
		if _, err := m.Spawn(sim.TaskSpec{Comm: "rt_hog", Affinity: []int{0}, Behavior: busy,
			Class: sim.ClassRT, RTPriority: 50}); err != nil {
			return err
		}
	}
	comm := w.ChildComm
	if comm == "" {
		comm = "runner"
	}
	// children forked before the attach wake from their sleep(1), then
	// run and exit
	for i := 0; i < w.PreExisting; i++ {
		step := 0
		if _, err := m.Spawn(sim.TaskSpec{Comm: comm, Existing: true, ExistingSleep: w.ChildSleep,
			Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
				step++
				if step == 1 {
					return sim.Run(20_000)
				}
				*exited++
				return sim.Exit()
			})}); err != nil {
			return err
		}
	}
	// children forked after it run, sleep (with PreExisting: none, they
	// exit at once), run and exit
	sleep := w.ChildSleep
	if w.PreExisting > 0 {
		sleep = 0
	}
	for i := 0; i < w.Children; i++ {
		step := 0
		if _, err := m.Spawn(sim.TaskSpec{Comm: comm, SchedExt: i < w.ExtChildren, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			step++
			switch {
			case step == 1 || (step == 3 && sleep > 0):
				return sim.Run(20_000) // fork's return, exit's path
			case step == 2 && sleep > 0:
				return sim.Sleep(sleep)
			}
			*exited++
			return sim.Exit()
		})}); err != nil {
			return err
		}
	}
	return nil
}

// evaluate applies the checks to the policy's globals and the core's exit
// information.
func evaluate(pol *policies.BPFPolicy, res *sim.Result, checks []check, facts map[string]int64) outcome {
	var got []string
	if res != nil && res.Exit != nil {
		got = append(got, sim.ExitKindName(res.Exit.Kind))
		if res.Exit.Kind >= sim.ExitError && res.Exit.Msg != "" {
			got[0] += " (" + trim(res.Exit.Msg, 60) + ")"
		}
	}
	pass := true
	for _, ch := range checks {
		v, s, err := lookup(pol, res, ch.Var, facts)
		if err != nil {
			got = append(got, err.Error())
			pass = false
			continue
		}
		want := ch.Val
		if ch.Var2 != "" {
			if want, _, err = lookup(pol, res, ch.Var2, facts); err != nil {
				got = append(got, err.Error())
				pass = false
				continue
			}
		}
		ok := false
		switch ch.Op {
		case "==":
			ok = v == want
		case "!=":
			ok = v != want
		case ">=":
			ok = v >= want
		case ">":
			ok = v > want
		case "streq":
			ok = s == ch.Str
		}
		if !ok {
			pass = false
			if ch.Op == "streq" {
				got = append(got, fmt.Sprintf("%s = %q, want %q", ch.Var, s, ch.Str))
			} else if ch.Var2 != "" {
				got = append(got, fmt.Sprintf("%s = %d, want %s %s (%d)", ch.Var, v, ch.Op, ch.Var2, want))
			} else {
				got = append(got, fmt.Sprintf("%s = %d, want %s %d", ch.Var, v, ch.Op, want))
			}
		}
	}
	if len(got) == 0 {
		got = append(got, "loaded")
	}
	return outcome{Got: strings.Join(got, "; "), Pass: pass}
}

// lookup reads a check's variable: "exit.kind"/"exit.code" (what the
// core passed to ops.exit), a fact of the run ("exited": children that
// exited; "ext_share_pm"), "MAP>0" (entries of an array map with a
// positive value), else a global of the scheduler, with a member path
// ("uei.kind").
func lookup(pol *policies.BPFPolicy, res *sim.Result, name string, facts map[string]int64) (int64, string, error) {
	switch name {
	case "exit.kind", "exit.code":
		if res == nil || res.Exit == nil {
			return 0, "", fmt.Errorf("%s: ops.exit was not called", name)
		}
		if name == "exit.kind" {
			return int64(res.Exit.Kind), "", nil
		}
		return res.Exit.Code, "", nil
	}
	if v, ok := facts[name]; ok {
		return v, "", nil
	}
	if m, ok := strings.CutSuffix(name, ">0"); ok {
		return positiveEntries(pol, m)
	}
	root, path, _ := strings.Cut(name, ".")
	gv, addr, err := pol.Instance().Var(root)
	if err != nil {
		return 0, "", fmt.Errorf("%s: no such global", root)
	}
	b, err := pol.VM().Mem.Bytes(addr, uint64(gv.Size))
	if err != nil || gv.Type == nil {
		return 0, "", fmt.Errorf("%s: unreadable", root)
	}
	v, err := bpfvm.DecodeValue(gv.Type, b)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %v", root, err)
	}
	if path != "" {
		var ok bool
		if v, ok = v.Field(path); !ok {
			return 0, "", fmt.Errorf("%s: no member %s", root, path)
		}
	}
	switch v.Kind {
	case bpfvm.KindInt, bpfvm.KindEnum:
		return v.Int, v.Str, nil
	case bpfvm.KindUint, bpfvm.KindBool, bpfvm.KindPtr:
		return int64(v.Uint), "", nil
	case bpfvm.KindString:
		return 0, v.Str, nil
	case bpfvm.KindArray:
		// a char array that does not hold a clean string
		return 0, string(v.Raw), nil
	}
	return 0, "", fmt.Errorf("%s: a %s, not a number", name, v.Kind)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return trim(s, 140)
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// positiveEntries counts the entries of an array map whose value is
// positive (peek_dsq's print_observed_pids()).
func positiveEntries(pol *policies.BPFPolicy, name string) (int64, string, error) {
	m := pol.Instance().Map(name)
	if m == nil {
		return 0, "", fmt.Errorf("%s: no such map", name)
	}
	es, err := bpfvm.DumpMap(m)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %v", name, err)
	}
	n := int64(0)
	for _, e := range es {
		if e.Value.Int > 0 || (e.Value.Kind == bpfvm.KindUint && e.Value.Uint > 0 && int64(e.Value.Uint) > 0) {
			n++
		}
	}
	return n, "", nil
}
