package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/sim"
)

// KernelThreads are the per-CPU kernel threads of a Linux machine
// (kworker/N, ksoftirqd/N, ...): one task pinned to each CPU, waking every
// Every to run Run of CPU time, each CPU's at its own phase
// (cpu x Every / nr_cpus). They are ordinary sched_ext tasks with
// nr_cpus_allowed = 1. A scheduler whose ops.select_cpu never moves a task
// off its previous CPU (scx_userland) relies on them: only a CPU that runs
// something, or goes idle after running something, calls ops.dispatch and
// pulls work from the shared queues; on a machine without them, every task
// stays on the CPU it was forked on.
type KernelThreads struct {
	Every string `toml:"every"`
	Run   string `toml:"run"`
}

type kthread struct {
	every, run, next uint64
	started, ran     bool
}

// step runs Run, then sleeps to the next period.
func (k *kthread) step(m *sim.Machine, _ *sim.Task) sim.Action {
	now := m.Now()
	if !k.started {
		k.started = true
		return sim.Sleep(max(k.next-now, 1))
	}
	if !k.ran {
		k.ran = true
		return sim.Run(k.run)
	}
	k.ran = false
	for k.next <= now {
		k.next += k.every
	}
	return sim.Sleep(k.next - now)
}

// kthreadSpawner checks the recipe's kernel threads and returns what spawns
// them, one per CPU.
func (b *BPFPolicy) kthreadSpawner(r *Recipe) (func(), error) {
	s := r.KernelThreads
	every, err := sim.ParseDuration(s.Every)
	if err != nil || every < 1000 {
		return nil, fmt.Errorf("recipe %s: kernel_threads: every = %q: expected a duration of at least 1µs", r.file, s.Every)
	}
	run, err := sim.ParseDuration(s.Run)
	if err != nil || run == 0 || run >= every {
		return nil, fmt.Errorf("recipe %s: kernel_threads: run = %q: expected a duration above 0 and below every (%s)", r.file, s.Run, s.Every)
	}
	m := b.k.Machine()
	return func() {
		n := uint64(len(m.CPUs()))
		for cpu := range m.CPUs() {
			k := &kthread{every: every, run: run, next: m.Now() + uint64(cpu)*every/n + 1}
			if _, err := m.Spawn(sim.TaskSpec{Comm: fmt.Sprintf("kworker/%d", cpu), Affinity: []int{cpu},
				Behavior: sim.BehaviorFunc(k.step)}); err != nil {
				b.k.Fault("user space error", fmt.Sprintf("recipe %s: kernel_threads: %v", r.file, err))
				return
			}
		}
	}, nil
}
