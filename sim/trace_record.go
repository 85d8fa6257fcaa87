package sim

import (
	"slices"
	"strings"
)

// Deriving each task's behaviour from a trace's sched events
// (docs/traces.md, "What the replay does").

// recTask is a task's state while a trace is read.
type recTask struct {
	idx                     int
	running, sleeping, runq bool
	exited, done            bool
	since, sleepAt, runqAt  uint64
	pending                 uint64
}

// record derives each task's steps from the events.
func (w *TraceReplay) record(evs []schedEvent) {
	slices.SortStableFunc(evs, func(a, b schedEvent) int {
		switch {
		case a.ts < b.ts:
			return -1
		case a.ts > b.ts:
			return 1
		}
		return 0
	})
	if len(evs) == 0 {
		return
	}
	t0, tEnd := evs[0].ts, evs[len(evs)-1].ts
	w.Span = tEnd - t0
	state := map[int32]*recTask{}
	cpuLast := map[int]uint64{}
	rt := func(r *recTask) *RecordedTask { return &w.Tasks[r.idx] }
	// get returns pid's state, creating a task seen for the first time:
	// one that existed before the trace began (how: as it is first seen)
	// or one created at ts.
	get := func(pid int32, comm string, prio, cpu int, ts uint64, how string) *recTask {
		if r, ok := state[pid]; ok {
			return r
		}
		nice, rtPrio := 0, 0
		switch {
		case prio >= 100 && prio <= 139:
			nice = prio - 120
		case prio >= 0 && prio < MaxRTPrio-1:
			rtPrio = MaxRTPrio - 1 - prio // an RT task: prio = 99 - rt_priority
		}
		r := &recTask{idx: len(w.Tasks)}
		state[pid] = r
		w.Tasks = append(w.Tasks, RecordedTask{PID: pid, Comm: strings.TrimSpace(comm), Nice: nice, RTPriority: rtPrio, CPU: cpu})
		switch how {
		case "new":
			rt(r).Start = ts - t0
		case "running": // ran on cpu since its last switch
			r.running, r.since = true, t0
			if l, ok := cpuLast[cpu]; ok {
				r.since = l
			}
			rt(r).Switches++
			rt(r).CPUs = []int{cpu}
		case "runnable":
			r.runq, r.runqAt = true, t0
		case "sleeping":
			r.sleeping, r.sleepAt = true, t0
		}
		return r
	}
	// reused forgets an exited task whose pid a new task takes.
	reused := func(pid int32) {
		if r, ok := state[pid]; ok && r.done {
			delete(state, pid)
		}
	}
	step := func(r *recTask, s RecordedStep) {
		if !r.done {
			rt(r).Steps = append(rt(r).Steps, s)
		}
	}
	// stop ends r's on-CPU interval at ts.
	stop := func(r *recTask, ts uint64) {
		if !r.running {
			return
		}
		d := ts - r.since
		d -= min(d, w.SwitchCost)
		r.pending += d
		rt(r).Runtime += d
		r.running = false
	}
	flush := func(r *recTask) {
		if r.pending > 0 {
			step(r, RecordedStep{Kind: RecRun, D: r.pending})
			r.pending = 0
		}
	}
	for _, e := range evs {
		w.TracedCPUs = max(w.TracedCPUs, e.cpu+1, e.target+1)
		switch e.kind {
		case kSwitch:
			if e.prevPID != 0 {
				r := get(e.prevPID, e.prevComm, e.prevPrio, e.cpu, e.ts, "running")
				stop(r, e.ts)
				switch st := e.prevState; {
				case r.exited || strings.ContainsAny(st, "XZ"):
					flush(r)
					step(r, RecordedStep{Kind: RecExit})
					r.done = true
				case strings.HasPrefix(st, "R"):
					r.runq, r.runqAt = true, e.ts
				default:
					flush(r)
					r.sleeping, r.sleepAt = true, e.ts
				}
			}
			if e.nextPID != 0 {
				r := get(e.nextPID, e.nextComm, e.nextPrio, e.cpu, e.ts, "runnable")
				if r.runq {
					rt(r).Wait += e.ts - r.runqAt
				}
				r.runq, r.sleeping = false, false
				r.running, r.since = true, e.ts
				rt(r).Switches++
				if !slices.Contains(rt(r).CPUs, e.cpu) {
					rt(r).CPUs = append(rt(r).CPUs, e.cpu)
				}
			}
			cpuLast[e.cpu] = e.ts
		case kWaking, kWakeup:
			if e.prevPID == 0 {
				break
			}
			r := get(e.prevPID, e.prevComm, e.prevPrio, e.cpu, e.ts, "sleeping")
			if !r.sleeping {
				break // already woken (sched_wakeup after sched_waking) or never asleep
			}
			var waker *recTask
			if e.curPID != 0 && e.curPID != e.prevPID && !e.irq {
				waker = get(e.curPID, "", 120, e.cpu, e.ts, "running")
				if !waker.running || waker.done {
					waker = nil
				}
			}
			if waker != nil {
				stop(waker, e.ts)
				waker.running, waker.since = true, e.ts
				flush(waker)
				step(waker, RecordedStep{Kind: RecWake, Target: r.idx})
				step(r, RecordedStep{Kind: RecBlock})
			} else {
				step(r, RecordedStep{Kind: RecSleep, D: max(e.ts-r.sleepAt, 1)})
			}
			r.sleeping, r.runq, r.runqAt = false, true, e.ts
		case kWakeupNew:
			if e.prevPID == 0 {
				break
			}
			reused(e.prevPID)
			r := get(e.prevPID, e.prevComm, e.prevPrio, e.cpu, e.ts, "new")
			if !r.running {
				r.sleeping, r.runq, r.runqAt = false, true, e.ts
			}
		case kFork:
			if e.nextPID == 0 {
				break
			}
			reused(e.nextPID)
			get(e.nextPID, e.nextComm, 120, e.cpu, e.ts, "new")
		case kExit:
			if e.prevPID != 0 {
				get(e.prevPID, e.prevComm, e.prevPrio, e.cpu, e.ts, "running").exited = true
			}
		}
	}
	// The end of the trace: running tasks ran up to its last event.
	for _, r := range state {
		if r.done {
			continue
		}
		stop(r, tEnd)
		flush(r)
		if r.exited {
			step(r, RecordedStep{Kind: RecExit})
		}
	}
	w.sortByStart()
}

// sortByStart orders the tasks by start time (stable), so that they are
// spawned in index order, and renumbers wake targets.
func (w *TraceReplay) sortByStart() {
	order := make([]int, len(w.Tasks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := w.Tasks[a].Start, w.Tasks[b].Start
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	newIdx := make([]int, len(order))
	sorted := make([]RecordedTask, len(order))
	for n, old := range order {
		newIdx[old] = n
		sorted[n] = w.Tasks[old]
	}
	for i := range sorted {
		for j := range sorted[i].Steps {
			if sorted[i].Steps[j].Kind == RecWake {
				sorted[i].Steps[j].Target = newIdx[sorted[i].Steps[j].Target]
			}
		}
	}
	w.Tasks = sorted
}
