package policies

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// UserTask is a recipe's user-space scheduler task, for schedulers whose
// user space takes part in every decision (scx_userland): a task of the
// simulated machine that, each time the BPF scheduler runs it, drains the
// queue map From (entries whose first 4 bytes are a pid), keeps what it
// drained, and pushes up to Batch pids, oldest first, into the queue map To
// (fewer if it fills); it sets the global Queued to 0 and Scheduled to the number it
// still holds, as scx_userland.c's main loop does, spends Cost of CPU time,
// and yields (it sleeps for 1 ns: its wakeup goes through ops.enqueue, which
// keeps it until the BPF side dispatches it again, as sched_yield() leaves
// it runnable with a zero slice and put_prev_task_scx() hands it to
// ops.enqueue). Order "vruntime" keeps what it holds sorted as
// scx_userland.c's vruntime_enqueue() does (see vtimeQueue); the default,
// "arrival", dispatches oldest first. It is the first task of the machine:
// pid 1, which the recipe gives the BPF side (usersched_pid = 1).
type UserTask struct {
	Comm      string `toml:"comm"`
	From      string `toml:"from"`
	To        string `toml:"to"`
	Queued    string `toml:"queued"`
	Scheduled string `toml:"scheduled"`
	Cost      string `toml:"cost"`
	// Batch is how many pids a pass dispatches at most (scx_userland's
	// batch_size, 8); 0 means no limit.
	Batch int `toml:"batch"`
	// Order is "arrival" (default) or "vruntime": the entries of From are
	// then struct scx_userland_enqueued_task (members pid,
	// sum_exec_runtime, weight, found by name in the map's BTF).
	Order string `toml:"order"`
	// Model "rustland" is scx_rustland's user space instead
	// (userspace_rustland.go): From is its `queued` ring buffer, To its
	// `dispatched` user ring buffer; Slice and SliceMin are its -s and
	// -S (20ms, 1ms), PercpuLocal its -l; Cost is per pass (2us).
	Model       string `toml:"model"`
	Slice       string `toml:"slice"`
	SliceMin    string `toml:"slice_min"`
	PercpuLocal bool   `toml:"percpu_local"`
}

type userTask struct {
	b        *BPFPolicy
	spec     *UserTask
	from, to bpfvm.QueueMap
	cost     uint64
	held     [][]byte // arrival order
	vq       *vtimeQueue
	fields   entryFields
	ran      bool
}

// startRecipeTasks spawns the recipe's user task and kernel threads as the
// first event of the run (before any workload's task: the user task gets
// pid 1).
func (b *BPFPolicy) startRecipeTasks(r *Recipe) error {
	var spawn []func()
	if r.UserTask != nil {
		fn, err := b.userTaskSpawner(r)
		if err != nil {
			return err
		}
		spawn = append(spawn, fn)
	}
	if r.KernelThreads != nil {
		fn, err := b.kthreadSpawner(r)
		if err != nil {
			return err
		}
		spawn = append(spawn, fn)
	}
	if len(spawn) > 0 {
		m := b.k.Machine()
		m.AtOn(m.Now(), 0, func() {
			for _, fn := range spawn {
				fn()
			}
		})
	}
	return nil
}

// userTaskSpawner checks the recipe's user task and returns what spawns it.
func (b *BPFPolicy) userTaskSpawner(r *Recipe) (func(), error) {
	s := r.UserTask
	switch s.Model {
	case "":
	case "rustland":
		return b.rustlandSpawner(r)
	default:
		return nil, fmt.Errorf("recipe %s: user_task: model = %q; valid: rustland (or none)", r.file, s.Model)
	}
	from, ok1 := b.inst.Map(s.From).(bpfvm.QueueMap)
	to, ok2 := b.inst.Map(s.To).(bpfvm.QueueMap)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("recipe %s: user_task: from (%s) and to (%s) must be queue maps of the object", r.file, s.From, s.To)
	}
	cost := uint64(5000)
	if s.Cost != "" {
		d, err := sim.ParseDuration(s.Cost)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: user_task: cost: %v", r.file, err)
		}
		cost = d
	}
	u := &userTask{b: b, spec: s, from: from, to: to, cost: max(cost, 1)}
	switch s.Order {
	case "", "arrival":
	case "vruntime":
		f, err := enqueuedFields(from.Spec())
		if err != nil {
			return nil, fmt.Errorf("recipe %s: user_task: order = \"vruntime\": %v", r.file, err)
		}
		u.fields, u.vq = f, newVtimeQueue()
	default:
		return nil, fmt.Errorf("recipe %s: user_task: order = %q; valid: arrival, vruntime", r.file, s.Order)
	}
	return b.userTaskSpawn(r, "usersched", u.next), nil
}

// userTaskSpawn returns what spawns the recipe's user task (pid 1, named
// comm unless the recipe names it) running next.
func (b *BPFPolicy) userTaskSpawn(r *Recipe, comm string, next func(*sim.Machine, *sim.Task) sim.Action) func() {
	m := b.k.Machine()
	if r.UserTask.Comm != "" {
		comm = r.UserTask.Comm
	}
	return func() {
		t, err := m.Spawn(sim.TaskSpec{Comm: comm, Behavior: sim.BehaviorFunc(next)})
		switch {
		case err != nil:
			b.k.Fault("user space error", fmt.Sprintf("recipe %s: user_task: %v", r.file, err))
		case t.PID != 1:
			b.k.Fault("user space error", fmt.Sprintf("recipe %s: user_task got pid %d, not 1 (a task was created before it)", r.file, t.PID))
		}
	}
}

// next is the user task's behaviour: a pass of the loop on each run, then
// a yield.
func (u *userTask) next(*sim.Machine, *sim.Task) sim.Action {
	if u.ran {
		u.ran = false
		return sim.Sleep(1)
	}
	u.ran = true
	if err := u.pass(); err != nil {
		u.b.k.Fault("user space error", "user_task: "+err.Error())
	}
	return sim.Run(u.cost)
}

func (u *userTask) pass() error {
	for {
		v, err := u.from.Pop()
		if errors.Is(err, bpfvm.ErrKeyNotExist) {
			break
		}
		if err != nil {
			return err
		}
		if len(v) < 4 {
			return fmt.Errorf("%s entries are %d bytes, too short for a pid", u.spec.From, len(v))
		}
		if u.vq != nil {
			f := u.fields
			u.vq.enqueue(int32(binary.LittleEndian.Uint32(v[f.pid:])),
				binary.LittleEndian.Uint64(v[f.runtime:]), binary.LittleEndian.Uint64(v[f.weight:]))
			continue
		}
		u.held = append(u.held, v[:4])
	}
	if err := u.setGlobal(u.spec.Queued, 0); err != nil {
		return err
	}
	for n := 0; u.spec.Batch == 0 || n < u.spec.Batch; n++ {
		var pid []byte
		switch {
		case u.vq != nil && u.vq.len() > 0:
			pid = binary.LittleEndian.AppendUint32(nil, uint32(u.vq.first()))
		case u.vq == nil && len(u.held) > 0:
			pid = u.held[0]
		}
		if pid == nil {
			break
		}
		if err := u.to.Push(pid, 0); err != nil {
			if errors.Is(err, bpfvm.ErrMapFull) {
				break // (scx_userland puts it back at the head)
			}
			return err
		}
		if u.vq != nil {
			u.vq.pop()
		} else {
			u.held = u.held[1:]
		}
	}
	n := len(u.held)
	if u.vq != nil {
		n = u.vq.len()
	}
	return u.setGlobal(u.spec.Scheduled, uint64(n))
}

func (u *userTask) setGlobal(name string, v uint64) error {
	if name == "" {
		return nil
	}
	gv, addr, err := u.b.inst.Var(name)
	if err != nil {
		return err
	}
	switch gv.Size {
	case 8:
		u.b.vm.Mem.Store64(addr, v)
	case 4:
		u.b.vm.Mem.Store32(addr, uint32(v))
	default:
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], v)
		copy(u.b.vm.Mem.MustBytes(addr, uint64(gv.Size)), buf[:])
	}
	return nil
}
