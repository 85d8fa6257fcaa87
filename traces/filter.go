package traces

import (
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/sim"
)

// Events selects what a writer traces besides the kernel's sched events
// (which every format always has): a set of Event* bits.
type Events uint8

// The event categories a trace may leave out (docs/traces.md).
const (
	EventCallbacks Events = 1 << iota // policy callbacks
	EventDSQ                          // DSQ depths
	EventLocks                        // BPF lock waits and holds
	EventCounters                     // per-task policy counters, request latencies
	EventPrintk                       // bpf_printk lines
	// EventAll is every category.
	EventAll = EventCallbacks | EventDSQ | EventLocks | EventCounters | EventPrintk
)

var eventNames = []struct {
	name string
	e    Events
}{{"callbacks", EventCallbacks}, {"dsq", EventDSQ}, {"locks", EventLocks}, {"counters", EventCounters}, {"printk", EventPrintk}}

// ParseEvents reads a comma-separated list of categories ("callbacks,dsq",
// "all", or "sched" for the sched events alone).
func ParseEvents(s string) (Events, error) {
	var e Events
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "all":
			e |= EventAll
			continue
		case "sched", "":
			continue
		}
		found := false
		for _, n := range eventNames {
			if n.name == f {
				e |= n.e
				found = true
			}
		}
		if !found {
			names := []string{"sched", "all"}
			for _, n := range eventNames {
				names = append(names, n.name)
			}
			return 0, fmt.Errorf("unknown trace event category %q; expected a list of %s", f, strings.Join(names, ", "))
		}
	}
	return e, nil
}

// filtered passes a writer only the categories of want (the sched events,
// ejections and deadlock reports always).
type filtered struct {
	Writer
	want Events
}

func (f filtered) CallbackStart(at uint64, cpu int, cb sim.Callback, t *sim.Task) {
	if f.want&EventCallbacks != 0 {
		f.Writer.CallbackStart(at, cpu, cb, t)
	}
}

func (f filtered) CallbackEnd(at uint64, cpu int, cb sim.Callback, t *sim.Task, e sim.CallbackEnd) {
	if f.want&EventCallbacks != 0 {
		f.Writer.CallbackEnd(at, cpu, cb, t, e)
	}
}

func (f filtered) DSQ(at uint64, q *sim.DSQ, t *sim.Task, inserted bool) {
	if f.want&EventDSQ != 0 {
		f.Writer.DSQ(at, q, t, inserted)
	}
}

func (f filtered) Request(at uint64, group int, latency uint64) {
	if f.want&EventCounters != 0 {
		f.Writer.Request(at, group, latency)
	}
}

func (f filtered) Policy(at uint64, cpu int, ev sim.PolicyEvent) {
	var need Events
	switch ev.Kind {
	case sim.PolicyLockWait, sim.PolicyLockAcquire, sim.PolicyLockRelease:
		need = EventLocks
	case sim.PolicyCounter:
		need = EventCounters
	case sim.PolicyPrintk:
		need = EventPrintk
	}
	if need == 0 || f.want&need != 0 {
		f.Writer.Policy(at, cpu, ev)
	}
}
