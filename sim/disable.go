package sim

// The task loop of the disable path: scx_ops_disable_workfn() (ext.c
// 6.12) walks every task still on sched_ext before it calls ops.exit,
// switches it to the fair class (switched_from_scx ->
// scx_ops_disable_task: ops.disable for an enabled task) and exits it
// (scx_ops_exit_task: ops.exit_task with cancelled = false, for every
// task the policy initialised, RT ones included). So each ops.init_task
// is paired with one ops.exit_task, and each ops.enable with one
// ops.disable, whether the policy is unregistered at the end of the run
// or ejected in its middle.
//
// Order: m.tasks, the order the tasks were created in, which is the
// kernel's scx_tasks list order (scx_post_fork adds to its tail and the
// iterator walks from its head). Tasks that already exited were exited
// then (Machine.exitTask) and are skipped, as the kernel's SCX_TASK_NONE
// ones are.
//
// Cost: none in simulated time. The kernel runs the loop in the
// sched_ext helper kthread, in bypass mode, after the policy stopped
// scheduling; schedsim runs it between events, like the debug dump, so
// the schedule, the latencies and the fairness figures of a run are the
// same as without it. Kicks the callbacks ask for are dropped (bypass
// mode) and errors they raise are ignored (the exit kind is already
// claimed). The callbacks are counted (the result's callbacks table,
// traces) like any other.

// disableTasks calls s's ops.disable and ops.exit_task for every task it
// still holds, in creation order.
func (m *Machine) disableTasks(s Scheduler, ops Ops) {
	m.disabling = true
	defer func() { m.disabling = false }()
	if x, ok := s.(EndSnapshotter); ok {
		x.SnapshotEnd()
	}
	for _, t := range m.tasks {
		if !t.scxInit {
			continue
		}
		if t.enabled && ops.Has(CbDisable) {
			m.call(t.cpu, CbDisable, t, func() int32 { s.Disable(t); return 0 })
		}
		t.enabled = false
		if ops.Has(CbExitTask) {
			m.call(t.cpu, CbExitTask, t, func() int32 { s.ExitTask(t, ExitTaskArgs{}); return 0 })
		}
		t.scxInit = false
	}
}

// EndSnapshotter is implemented by policies that keep a view of their
// state for the result (the BPF bridge: eevdf's task table): SnapshotEnd
// is called once the policy stops scheduling, before the disable path's
// ops.disable and ops.exit_task change that state.
type EndSnapshotter interface {
	SnapshotEnd()
}
