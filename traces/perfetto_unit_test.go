package traces

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestPerfettoLocksAndInstants feeds lock events that release out of
// order, a deadlock report and an ejection, and reads back per track the
// slices and instants, names resolved through the interned data.
func TestPerfettoLocksAndInstants(t *testing.T) {
	var buf bytes.Buffer
	w := NewPerfetto(&buf, Options{CPUs: 2})
	ev := func(k sim.PolicyEventKind, name string) sim.PolicyEvent {
		return sim.PolicyEvent{Kind: k, Name: name, Site: "p.bpf.c:12"}
	}
	w.Policy(10, 1, ev(sim.PolicyLockWait, "A"))
	w.Policy(20, 1, ev(sim.PolicyLockAcquire, "A"))
	w.Policy(25, 1, ev(sim.PolicyLockAcquire, "B"))
	w.Policy(30, 1, ev(sim.PolicyLockRelease, "A"))
	w.Policy(40, 1, ev(sim.PolicyLockRelease, "B"))
	w.Policy(50, 0, sim.PolicyEvent{Kind: sim.PolicyDeadlock, Name: "A", Text: "AA deadlock on A"})
	w.Ejected(60, &sim.Ejection{At: 60, Policy: "p", Info: sim.ExitInfo{Reason: "scx_bpf_error", Msg: "boom"}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	interned := map[protowire.Number]map[uint64]string{}
	byName := map[string][]string{} // events by track name
	trackName := map[uint64]string{}
	for _, pf := range decode(t, buf.Bytes()) {
		pkt := decode(t, pf.b)
		readInterned(t, pkt, interned)
		if d, ok := get(pkt, fPacketTrackDescriptor); ok {
			td := decode(t, d.b)
			u, _ := get(td, fTdUUID)
			n, _ := get(td, fTdName)
			trackName[u.v] = string(n.b)
		}
		e, ok := get(pkt, fPacketTrackEvent)
		if !ok {
			continue
		}
		ts, _ := get(pkt, fPacketTimestamp)
		te := decode(t, e.b)
		typ, _ := get(te, fTeType)
		tr, _ := get(te, fTeTrackUUID)
		name := ""
		if n, ok := get(te, fTeName); ok {
			name = string(n.b)
		} else if iid, ok := get(te, fTeNameIID); ok {
			name = interned[fInternEventNames][iid.v]
		}
		key := trackName[tr.v]
		desc := fmt.Sprintf("%d:%s", ts.v, map[uint64]string{teSliceBegin: "B", teSliceEnd: "E", teInstant: "I"}[typ.v])
		if name != "" {
			desc += " " + name
		}
		byName[key] = append(byName[key], desc)
	}
	want := map[string]string{
		"cpu1 lock A": "10:B wait A,20:E,20:B hold A,30:E",
		"cpu1 lock B": "25:B hold B,40:E",
		"schedsim":    "50:I deadlock A,60:I ejected: scx_bpf_error",
	}
	for tn, w := range want {
		if got := strings.Join(byName[tn], ","); got != w {
			t.Errorf("track %q: %s, want %s", tn, got, w)
		}
	}
}

// TestSkipCategories: a writer left without callbacks, DSQs and locks
// writes only the sched events and what remains.
func TestSkipCategories(t *testing.T) {
	want, err := ParseEvents("counters,printk")
	if err != nil || want != EventCounters|EventPrintk {
		t.Fatalf("ParseEvents: %v %v", want, err)
	}
	if _, err := ParseEvents("callbacks,bogus"); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Fatalf("ParseEvents(bogus): %v", err)
	}
	var all, some bytes.Buffer
	wa, _ := New(&all, Chrome, Options{CPUs: 4})
	ws, _ := New(&some, Chrome, Options{CPUs: 4, Skip: EventAll &^ want})
	traced(t, "fifo-go", "10ms", 4, 3, wa, ws)
	wa.Close()
	ws.Close()
	for _, c := range []struct {
		s          string
		inAll, inS bool
	}{{`"cost_ns"`, true, false}, {`"DSQ `, true, false}, {`"latency workload 0"`, true, true}, {`"ph":"X","name":"ping-0"`, true, true}} {
		if strings.Contains(all.String(), c.s) != c.inAll || strings.Contains(some.String(), c.s) != c.inS {
			t.Errorf("%s: in all %v, in filtered %v", c.s, strings.Contains(all.String(), c.s), strings.Contains(some.String(), c.s))
		}
	}
}
