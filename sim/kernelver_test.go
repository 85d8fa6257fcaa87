package sim

import (
	"strings"
	"testing"
)

func versionParams(v KernelVersion, nodes, llcs, cores, threads int) Params {
	return Params{Topology: TopologySpec{Nodes: nodes, LLCsPerNode: llcs, CoresPerLLC: cores, ThreadsPerCore: threads},
		HZ: 1000, Seed: 1, Duration: 1e9, Kernel: v}
}

// scx_select_cpu_dfl(): 6.12 (ext.c) searches the whole machine for an
// idle CPU after prev_cpu; 6.13 on (ext.c, then ext_idle.c from 6.14)
// searches prev_cpu's LLC first. Two LLCs of two CPUs, prev_cpu 2 busy,
// CPUs 0, 1 and 3 idle: 6.12 takes the first idle CPU after the cursor
// (CPU 1, in the other LLC); 6.13+ takes CPU 3, in prev's LLC.
func TestVersionSelectCPUDflLLC(t *testing.T) {
	for _, c := range []struct {
		v    KernelVersion
		want int
	}{{12, 1}, {13, 3}, {KernelLatest, 3}} {
		m := mustMachine(t, versionParams(c.v, 1, 2, 2, 1), &FIFO{})
		p, _ := m.Spawn(TaskSpec{Comm: "p", Behavior: loop(1e9)})
		m.idle.Clear(2)
		m.cur = cbctx{cpu: 0}
		got, found := m.selectCPUDflVersion(p, 2, 0, 0)
		if got != c.want || !found {
			t.Errorf("6.%d: picked %d (found %v), want %d", c.v, got, found, c.want)
		}
	}
}

// WAKE_SYNC: 6.13+ keep an idle prev_cpu that shares the waker's LLC;
// 6.12 moves the wakee to the waker's CPU whenever some CPU is idle and
// the waker's local DSQ is empty.
func TestVersionSelectCPUDflSync(t *testing.T) {
	for _, c := range []struct {
		v    KernelVersion
		want int
	}{{12, 0}, {KernelLatest, 1}} {
		m := mustMachine(t, versionParams(c.v, 1, 1, 4, 1), &FIFO{})
		p, _ := m.Spawn(TaskSpec{Comm: "p", Behavior: loop(1e9)})
		m.RunUntil(1) // p runs on CPU 0, whose local DSQ is empty
		m.cur = cbctx{cpu: 0}
		got, _ := m.selectCPUDflVersion(p, 1, WakeSync, 0)
		if got != c.want {
			t.Errorf("6.%d: sync wakeup went to %d, want %d", c.v, got, c.want)
		}
	}
}

// An idle CPU claimed by scx_bpf_pick_idle_cpu() and kicked, which finds
// nothing to run, goes idle again: 6.13+ re-set its idle bit
// (__scx_update_idle() on idle-to-idle); 6.12 leaves it clear until the
// next real transition.
func TestVersionIdleToIdleResetsIdleBit(t *testing.T) {
	for _, c := range []struct {
		v    KernelVersion
		idle bool
	}{{12, false}, {13, true}, {KernelLatest, true}} {
		m := mustMachine(t, versionParams(c.v, 1, 1, 2, 1), &FIFO{})
		m.cur = cbctx{cpu: 0}
		if !m.testAndClearIdle(1) {
			t.Fatal("CPU 1 not idle")
		}
		m.resched(1)
		m.RunUntil(1e6)
		if m.idle.Test(1) != c.idle {
			t.Errorf("6.%d: idle bit of CPU 1 after an idle-to-idle pass = %v, want %v", c.v, m.idle.Test(1), c.idle)
		}
	}
}

// SCX_DSQ_GLOBAL: one queue up to 6.12; from 6.13 one per NUMA node
// (find_global_dsq(): the node of task_cpu(p)), and a CPU consumes only
// its own node's. A task on node 1 inserted into the global DSQ is found
// by CPU 0 (node 0) under 6.12 only.
func TestVersionPerNodeGlobalDSQ(t *testing.T) {
	for _, c := range []struct {
		v     KernelVersion
		found bool
	}{{12, true}, {13, false}, {KernelLatest, false}} {
		m := mustMachine(t, versionParams(c.v, 2, 1, 1, 1), nil)
		p, _ := m.Spawn(TaskSpec{Comm: "p", Affinity: []int{0, 1}, Behavior: loop(1e9)})
		if p.dsq != nil {
			p.dsq.remove(p)
		}
		p.state = TaskRunnable
		m.setTaskCPU(p, 1)
		m.dispatchTo(p, DSQGlobal, 0, 1, false)
		if got := m.consume(m.cpus[0], m.globalOf(0)); got != c.found {
			t.Errorf("6.%d: CPU 0 consumed the node-1 task: %v, want %v", c.v, got, c.found)
		}
		if want := map[bool]int{true: 1, false: 2}[c.v < 13]; len(m.DSQs()) != want {
			t.Errorf("6.%d: %d global DSQs listed, want %d", c.v, len(m.DSQs()), want)
		}
	}
}

// validate_ops() of 6.15 on: SCX_OPS_BUILTIN_IDLE_PER_NODE needs the
// built-in idle selection (no ops.update_idle, or KEEP_BUILTIN_IDLE).
func TestVersionValidateIdlePerNode(t *testing.T) {
	for _, c := range []struct {
		v       KernelVersion
		refused bool
	}{{14, false}, {15, true}, {KernelLatest, true}} {
		pol := newTestPolicy(CbEnqueue | CbUpdateIdle)
		pol.ops.Flags = OpsBuiltinIdlePerNode
		m, err := NewMachine(versionParams(c.v, 1, 1, 2, 1), pol)
		if err != nil {
			t.Fatalf("6.%d: %v", c.v, err)
		}
		// refused: an error exit at attach (validate_ops(), err_disable)
		if refused := m.Ejected() != nil && m.Ejected().Info.Kind == ExitError; refused != c.refused {
			t.Errorf("6.%d: ejected %+v", c.v, m.Ejected())
		}
	}
}

func TestKernelConfigKey(t *testing.T) {
	c, err := ParseConfig("k.toml", []byte("[machine]\nkernel = \"6.12\"\n"))
	if err != nil || c.Machine.Kernel != 12 || c.Params(Overrides{}).Kernel != 12 {
		t.Fatalf("kernel 6.12: %v %+v", err, c)
	}
	c, _ = ParseConfig("k.toml", []byte(""))
	if c.Machine.Kernel != KernelLatest {
		t.Errorf("default kernel %v", c.Machine.Kernel)
	}
	_, err = ParseConfig("k.toml", []byte("[machine]\nkernel = \"5.15\"\n"))
	if err == nil || !strings.Contains(err.Error(), "6.12, 6.13") {
		t.Errorf("kernel 5.15: %v", err)
	}
}

// scx_bpf_select_cpu_dfl() from ops.enqueue: an error (SCX_EXIT_ERROR,
// scx_kf_allowed(SCX_KF_SELECT_CPU)) up to 6.15; from 6.16
// (select_cpu_from_kfunc()) it picks an idle CPU there too.
func TestVersionSelectCPUDflFromEnqueue(t *testing.T) {
	for _, c := range []struct {
		v     KernelVersion
		error bool
	}{{15, true}, {16, false}, {KernelLatest, false}} {
		pol := newTestPolicy(CbEnqueue)
		found := false
		pol.enqueue = func(p *Task, fl uint64) {
			_, found = pol.k.SelectCPUDfl(p, int32(p.CPU()), 0)
			pol.k.DSQInsert(p, DSQGlobal, SliceDfl, fl)
		}
		// one CPU: the core calls ops.enqueue without selecting (a
		// per-CPU task; 6.16 returns prev if idle)
		m := mustMachine(t, versionParams(c.v, 1, 1, 1, 1), pol)
		spawn(t, m, "x", loop(1e6))
		r, _ := m.Run()
		if got := r.Ejection != nil && r.Ejection.Kind == ExitError; got != c.error {
			t.Errorf("6.%d: ejection %+v, want an error: %v", c.v, r.Ejection, c.error)
		}
		if !c.error && !found {
			t.Errorf("6.%d: the idle prev CPU not found from ops.enqueue", c.v)
		}
	}
}
