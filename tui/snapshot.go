package tui

import (
	"fmt"
	"time"

	"github.com/schedsim/schedsim/sim"
)

// Snapshot is what the panels draw: the state of one session at one
// simulated time, as plain data.
type Snapshot struct {
	Policy   string
	Now, End uint64
	Done     bool
	Ejection string   // why the policy was ejected, or ""
	Groups   []string // workload names, by group index

	CPUs     []CPUSnap
	BucketNs uint64
	// Timeline[i] are CPU i's last buckets, oldest first (kind codes:
	// kindIdle, kindSched, kindSpin, kindGroup+g).
	Timeline [][]uint8

	Samples  []Sample // oldest first
	Util     float64  // over the run so far
	Sched    float64
	Runnable int
	// MaxLag is the largest |lag| of any task so far against ideal
	// weighted processor sharing, in ns (as schedsim run's max lag).
	MaxLag               float64
	Switches, Migrations uint64

	DSQs []DSQSnap

	Wake     LatencySnap
	Requests []LatencySnap // by group; Count 0 for workloads without requests

	Tasks []TaskSnap
	Maps  []MapSnap

	Locks  []LockStat
	Events []Event // oldest first
}

// CPUSnap is one CPU.
type CPUSnap struct {
	ID, Node, LLC, Core, Thread int
	PID                         int32 // of the running task, 0 when idle
	Comm                        string
	Kind                        int     // kindIdle, kindSched, kindSpin or kindGroup+g
	Lock                        string  // the lock it spins on
	Busy                        float64 // fraction of the run so far spent running tasks
}

// DSQSnap is one dispatch queue.
type DSQSnap struct {
	Name  string
	Local int // the CPU of a local DSQ, else -1
	Depth int
}

// LatencySnap summarises a latency distribution.
type LatencySnap struct {
	Name                     string
	Count                    uint64
	P50, P90, P99, P999, Max uint64
	Log                      [64]uint64 // samples by floor(log2(ns))+1
}

// TaskSnap is one row of the tasks table.
type TaskSnap struct {
	PID        int32
	Comm       string
	Group      string
	State      string
	CPU        int
	Nice       int
	Runtime    uint64
	Wait       uint64 // total runnable delay
	Switches   uint64
	Migrations uint64
	// EEVDF (or any policy with a per-task map holding vruntime,
	// deadline and lag): HasEEVDF says the fields are set.
	HasEEVDF           bool
	Vruntime, Deadline uint64
	Lag                int64
}

// MapSnap is one map of the loaded policy, decoded: a table.
type MapSnap struct {
	Name    string
	Type    string
	Len     int        // entries present
	Max     int        // max_entries
	Columns []string   // the key column first
	Rows    [][]string // cells, parallel to Columns
	Err     string     // why it could not be decoded
}

// need says which costly parts of a snapshot the view draws.
type need struct {
	tasks, maps bool
	// now and every throttle map decoding (Session.policyMaps).
	now   time.Time
	every time.Duration
}

// Take reads the session into a snapshot.
func Take(s *Session, n need) *Snapshot {
	m := s.Machine()
	c := s.col
	c.Sync(s.at)
	sn := &Snapshot{Policy: s.Name, Now: s.at, End: s.End(), Done: s.Done(), Ejection: c.ejection,
		Groups: s.groups, BucketNs: c.bucketNs, Switches: c.switches, Migrations: c.migrations}

	// CPUs and their timelines.
	var busy uint64
	sn.CPUs = make([]CPUSnap, len(c.cpus))
	sn.Timeline = make([][]uint8, len(c.cpus))
	for i, cpu := range m.CPUs() {
		ct := &c.cpus[i]
		cs := CPUSnap{ID: cpu.ID, Node: cpu.Topo.Node, LLC: cpu.Topo.LLC, Core: cpu.Topo.Core, Thread: cpu.Topo.Thread}
		if t := cpu.Curr(); t != nil {
			cs.PID, cs.Comm = t.PID, t.Comm
		}
		cs.Kind = ct.base
		switch {
		case ct.spin:
			cs.Kind, cs.Lock = kindSpin, ct.spinLock
		case ct.schedUntil > s.at:
			cs.Kind = kindSched
		}
		b := ct.busy
		if ct.running {
			b += s.at - ct.busySince
		}
		if s.at > 0 {
			cs.Busy = float64(b) / float64(s.at)
		}
		busy += b
		sn.CPUs[i] = cs
		n := min(ct.closed, timelineLen)
		tl := make([]uint8, n)
		for j := range n {
			tl[j] = ct.ring[(ct.closed-n+uint64(j))%timelineLen]
		}
		sn.Timeline[i] = tl
	}
	if s.at > 0 && len(c.cpus) > 0 {
		cap := float64(s.at) * float64(len(c.cpus))
		sn.Util = float64(busy) / cap
		sn.Sched = float64(c.schedNs) / cap
	}
	ns := min(c.nSamples, sampleLen)
	sn.Samples = make([]Sample, ns)
	for j := range ns {
		sn.Samples[j] = c.samples[(c.nSamples-ns+j)%sampleLen]
	}

	// DSQs.
	for _, q := range m.DSQs() {
		name := fmt.Sprintf("dsq %#x", q.ID)
		if q.ID == sim.DSQGlobal {
			name = "global"
		}
		sn.DSQs = append(sn.DSQs, DSQSnap{Name: name, Local: -1, Depth: q.Len()})
	}
	for _, cpu := range m.CPUs() {
		sn.DSQs = append(sn.DSQs, DSQSnap{Name: fmt.Sprintf("local %d", cpu.ID), Local: cpu.ID, Depth: cpu.Local().Len()})
	}

	// Latency.
	sn.Wake = latency("wakeup", &c.wake)
	for g, name := range s.groups {
		sn.Requests = append(sn.Requests, latency(name, &c.requests[g]))
	}

	// Tasks and maps.
	if n.maps || n.tasks {
		sn.Maps = s.policyMaps(n.maps, n.now, n.every)
	}
	for _, t := range m.Tasks() {
		if t.Runnable() {
			sn.Runnable++
		}
		sn.MaxLag = max(sn.MaxLag, t.Stats.MaxLag)
	}
	if n.tasks {
		per := perTask(sn.Maps)
		for _, t := range m.Tasks() {
			g := ""
			if t.Group >= 0 && t.Group < len(s.groups) {
				g = s.groups[t.Group]
			}
			ts := TaskSnap{PID: t.PID, Comm: t.Comm, Group: g, State: t.State().String(), CPU: t.CPU(),
				Nice: t.Nice, Runtime: t.Stats.Runtime, Wait: t.Stats.DelaySum, Switches: t.Stats.Switches,
				Migrations: t.Stats.Migrations}
			if e, ok := per[t.PID]; ok {
				ts.HasEEVDF, ts.Vruntime, ts.Deadline, ts.Lag = true, e.vruntime, e.deadline, e.lag
			}
			sn.Tasks = append(sn.Tasks, ts)
		}
	}

	sn.Locks = append([]LockStat(nil), c.locks...)
	ne := min(c.nEvents, maxEvents)
	sn.Events = make([]Event, ne)
	for j := range ne {
		sn.Events[j] = c.events[(c.nEvents-ne+j)%maxEvents]
	}
	return sn
}

func latency(name string, h *liveHist) LatencySnap {
	return LatencySnap{Name: name, Count: h.n, P50: h.quantile(0.5), P90: h.quantile(0.9),
		P99: h.quantile(0.99), P999: h.quantile(0.999), Max: h.max, Log: h.log2()}
}
