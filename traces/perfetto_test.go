package traces

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
	"google.golang.org/protobuf/encoding/protowire"
)

var update = flag.Bool("update", false, "rewrite the golden traces in testdata")

// field is one decoded protobuf field.
type field struct {
	num protowire.Number
	v   uint64 // varint or fixed64
	b   []byte // length-delimited
}

// decode splits a message into its fields, failing the test on bad wire
// format.
func decode(t *testing.T, b []byte) []field {
	t.Helper()
	var fs []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		fs = append(fs, f)
	}
	return fs
}

// readInterned adds the interned strings of a packet to interned (by
// InternedData field, then iid), failing on an id given twice.
func readInterned(t *testing.T, pkt []field, interned map[protowire.Number]map[uint64]string) {
	t.Helper()
	in, ok := get(pkt, fPacketInternedData)
	if !ok {
		return
	}
	for _, f := range decode(t, in.b) {
		e := decode(t, f.b)
		iid, _ := get(e, fInternedIID)
		name, _ := get(e, fInternedName)
		m := interned[f.num]
		if m == nil {
			m = map[uint64]string{}
			interned[f.num] = m
		}
		if _, dup := m[iid.v]; dup || iid.v == 0 {
			t.Fatalf("interned id %d of field %d given twice (or 0)", iid.v, f.num)
		}
		m[iid.v] = string(name.b)
	}
}

// decodeCompact reads a CompactSched message of cpu: its switches as
// "at prev>next" (prev is the CPU's previous next, kept in lastNext), after
// checking time order, pids and comms; and the number of wakings.
func decodeCompact(t *testing.T, b []byte, cpu int, comms map[uint64]string, lastNext map[int]uint64) ([]string, int) {
	t.Helper()
	var table []string
	arrays := map[protowire.Number][]uint64{}
	for _, f := range decode(t, b) {
		if f.num == fCsInternTable {
			table = append(table, string(f.b))
			continue
		}
		for p := f.b; len(p) > 0; {
			v, n := protowire.ConsumeVarint(p)
			if n < 0 {
				t.Fatalf("compact field %d: bad packed varint", f.num)
			}
			arrays[f.num] = append(arrays[f.num], v)
			p = p[n:]
		}
	}
	ts := arrays[fCsSwitchTimestamp]
	for _, num := range []protowire.Number{fCsSwitchPrevState, fCsSwitchNextPid, fCsSwitchNextPrio, fCsSwitchNextComm} {
		if len(arrays[num]) != len(ts) {
			t.Fatalf("compact switch field %d has %d entries for %d timestamps", num, len(arrays[num]), len(ts))
		}
	}
	var out []string
	var at uint64
	for i, d := range ts {
		at += d
		next := arrays[fCsSwitchNextPid][i]
		ci := arrays[fCsSwitchNextComm][i]
		if ci >= uint64(len(table)) {
			t.Fatalf("comm index %d of a %d-entry table", ci, len(table))
		}
		want, ok := comms[next]
		if next == 0 {
			want = fmt.Sprintf("swapper/%d", cpu)
		}
		if !ok || table[ci] != want {
			t.Fatalf("compact switch to pid %d named %q, want %q", next, table[ci], want)
		}
		out = append(out, fmt.Sprintf("%d %d>%d", at, lastNext[cpu], next))
		lastNext[cpu] = next
	}
	return out, len(arrays[fCsWakingTimestamp])
}

func get(fs []field, num protowire.Number) (field, bool) {
	for _, f := range fs {
		if f.num == num {
			return f, true
		}
	}
	return field{}, false
}

// recorder keeps what the machine reported, to compare with the trace.
type recorder struct {
	sim.BaseObserver
	switches  map[int][]string // per CPU: "at prev>next"
	callbacks int
	dsq       int
	counters  int
	requests  int
}

func (r *recorder) Switch(at uint64, cpu int, prev, next *sim.Task) {
	r.switches[cpu] = append(r.switches[cpu], fmt.Sprintf("%d %d>%d", at, pid(prev), pid(next)))
}
func (r *recorder) CallbackStart(uint64, int, sim.Callback, *sim.Task) { r.callbacks++ }
func (r *recorder) DSQ(uint64, *sim.DSQ, *sim.Task, bool)              { r.dsq++ }
func (r *recorder) Request(uint64, int, uint64)                        { r.requests++ }
func (r *recorder) Policy(at uint64, cpu int, ev sim.PolicyEvent) {
	if ev.Kind == sim.PolicyCounter {
		r.counters++
	}
}

const testConfig = `
[run]
duration = "%s"
[machine]
cores_per_llc = %d
[[workload]]
kind = "phases"
name = "ping"
tasks = %d
repeat = 30
steps = [{run = "300us"}, {wake = "pong"}, {sleep = "200us"}]
[[workload]]
kind = "phases"
name = "pong"
tasks = 2
steps = [{block = true}, {run = "150us"}]
[[workload]]
kind = "batch"
name = "hog"
tasks = 2
burst = "2ms"
`

// traced runs the test scenario under policy with the writers attached.
func traced(t testing.TB, policy string, dur string, ncpu, ping int, obs ...sim.Observer) *sim.Scenario {
	t.Helper()
	cfg, err := sim.ParseConfig("test.toml", []byte(fmt.Sprintf(testConfig, dur, ncpu, ping)))
	if err != nil {
		t.Fatal(err)
	}
	var sched sim.Scheduler = &sim.FIFO{}
	if policy != "fifo-go" {
		obj, err := policies.ParseObject(policy)
		if err != nil {
			t.Fatal(err)
		}
		if sched, err = policies.LoadObject(obj, policies.Options{NumCPUs: ncpu, InsnCostPs: 250}); err != nil {
			t.Fatal(err)
		}
	}
	scn, err := cfg.Build(sched, sim.Overrides{Observers: obs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scn.Run(); err != nil {
		t.Fatal(err)
	}
	return scn
}

func TestPerfettoWireFormat(t *testing.T) {
	t.Run("events", func(t *testing.T) { testWireFormat(t, false) })
	t.Run("compact", func(t *testing.T) { testWireFormat(t, true) })
}

func testWireFormat(t *testing.T, compact bool) {
	var buf bytes.Buffer
	const ncpu = 4
	w := NewPerfetto(&buf, Options{CPUs: ncpu, CompactSched: compact})
	rec := &recorder{switches: map[int][]string{}}
	scn := traced(t, "eevdf", "30ms", ncpu, 5, w, rec)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m := scn.Machine
	comms := map[uint64]string{0: ""}
	for _, tk := range m.Tasks() {
		comms[uint64(tk.PID)] = tk.Comm
	}

	got := map[int][]string{}
	lastNext := map[int]uint64{} // compact: prev of a switch is the CPU's last next
	lastTS := map[int]uint64{}
	var nswitch, nexit, nwaking, nnew int
	threads := map[uint64]string{}
	trackName := map[uint64]string{}
	counterTracks := map[uint64]bool{}
	var begins, ends, cbBegins, counterVals, dsqVals, reqVals, withInsns int
	interned := map[protowire.Number]map[uint64]string{}
	cbNames := map[string]bool{}
	for _, n := range []string{"select_cpu", "enqueue", "dequeue", "dispatch", "tick", "runnable",
		"running", "stopping", "quiescent", "init_task", "exit_task", "enable", "disable", "init", "update_idle", "set_weight"} {
		cbNames[n] = true
	}
	for _, pf := range decode(t, buf.Bytes()) {
		if pf.num != fTracePacket {
			t.Fatalf("top-level field %d, want 1 (Trace.packet)", pf.num)
		}
		pkt := decode(t, pf.b)
		if b, ok := get(pkt, fPacketFtraceEvents); ok {
			bundle := decode(t, b.b)
			cf, ok := get(bundle, fBundleCPU)
			if !ok {
				t.Fatal("FtraceEventBundle without cpu")
			}
			cpu := int(cf.v)
			if cs, ok := get(bundle, fBundleCompactSched); ok {
				if !compact {
					t.Fatal("compact_sched without CompactSched")
				}
				sw, wk := decodeCompact(t, cs.b, cpu, comms, lastNext)
				got[cpu] = append(got[cpu], sw...)
				nswitch += len(sw)
				nwaking += wk
			}
			for _, ef := range bundle {
				if ef.num != fBundleEvent {
					continue
				}
				ev := decode(t, ef.b)
				ts, _ := get(ev, fFtraceTimestamp)
				if ts.v < lastTS[cpu] {
					t.Fatalf("cpu %d: event at %d after one at %d", cpu, ts.v, lastTS[cpu])
				}
				lastTS[cpu] = ts.v
				if sw, ok := get(ev, fFtraceSchedSwitch); ok {
					nswitch++
					s := decode(t, sw.b)
					f := func(n protowire.Number) field { v, _ := get(s, n); return v }
					pp, np := f(fSwPrevPid).v, f(fSwNextPid).v
					for _, c := range []struct {
						pid  uint64
						comm string
					}{{pp, string(f(fSwPrevComm).b)}, {np, string(f(fSwNextComm).b)}} {
						want, ok := comms[c.pid]
						if !ok {
							t.Fatalf("sched_switch names pid %d, which no task has", c.pid)
						}
						if c.pid == 0 {
							want = fmt.Sprintf("swapper/%d", cpu)
						}
						if c.comm != want {
							t.Fatalf("pid %d: comm %q, want %q", c.pid, c.comm, want)
						}
					}
					if cur, _ := get(ev, fFtracePid); cur.v != pp {
						t.Fatalf("sched_switch from pid %d recorded with current pid %d", pp, cur.v)
					}
					got[cpu] = append(got[cpu], fmt.Sprintf("%d %d>%d", ts.v, pp, np))
				}
				if _, ok := get(ev, fFtraceSchedProcessExit); ok {
					nexit++
				}
				if _, ok := get(ev, fFtraceSchedWaking); ok {
					nwaking++
				}
				if _, ok := get(ev, fFtraceSchedWakeupNew); ok {
					nnew++
				}
			}
			continue
		}
		if d, ok := get(pkt, fPacketTrackDescriptor); ok {
			td := decode(t, d.b)
			u, _ := get(td, fTdUUID)
			if n, ok := get(td, fTdName); ok {
				trackName[u.v] = string(n.b)
			}
			if th, ok := get(td, fTdThread); ok {
				tf := decode(t, th.b)
				tid, _ := get(tf, fThTid)
				name, _ := get(tf, fThName)
				threads[tid.v] = string(name.b)
			}
			if _, ok := get(td, fTdCounter); ok {
				counterTracks[u.v] = true
			}
			continue
		}
		readInterned(t, pkt, interned)
		if e, ok := get(pkt, fPacketTrackEvent); ok {
			if _, ok := get(pkt, fPacketSeqID); !ok {
				t.Fatal("track event without trusted_packet_sequence_id")
			}
			if fl, _ := get(pkt, fPacketSequenceFlags); fl.v != seqNeedsIncrementalStat {
				t.Fatalf("track event with sequence_flags %d", fl.v)
			}
			te := decode(t, e.b)
			typ, _ := get(te, fTeType)
			tr, _ := get(te, fTeTrackUUID)
			name, _ := get(te, fTeName)
			if iid, ok := get(te, fTeNameIID); ok {
				n, known := interned[fInternEventNames][iid.v]
				if !known {
					t.Fatalf("event name iid %d used before it was interned", iid.v)
				}
				name.b = []byte(n)
			}
			switch typ.v {
			case teSliceBegin:
				begins++
				if cbNames[string(name.b)] {
					cbBegins++
				}
			case teSliceEnd:
				ends++
				for _, a := range te {
					if a.num == fTeDebugAnnotations {
						da := decode(t, a.b)
						n, _ := get(da, fDaNameIID)
						if interned[fInternAnnNames][n.v] == "insns" {
							if v, _ := get(da, fDaIntValue); v.v > 0 {
								withInsns++
							}
						}
					}
				}
			case teCounter:
				if !counterTracks[tr.v] {
					t.Fatalf("counter value on track %d, not a counter track", tr.v)
				}
				if v, ok := get(te, fTeDoubleCounter); ok {
					if math.IsNaN(math.Float64frombits(v.v)) {
						t.Fatal("NaN counter")
					}
					counterVals++
				} else if _, ok := get(te, fTeCounterValue); ok {
					switch n := trackName[tr.v]; {
					case strings.HasPrefix(n, "DSQ "):
						dsqVals++
					case strings.HasPrefix(n, "latency "):
						reqVals++
					default:
						t.Fatalf("integer counter on track %q", n)
					}
				}
			}
		}
	}

	if want := m.Switches(); uint64(nswitch) != want {
		t.Errorf("%d sched_switch events, the run made %d context switches", nswitch, want)
	}
	for cpu, sw := range rec.switches {
		if fmt.Sprint(sw) != fmt.Sprint(got[cpu]) {
			t.Errorf("cpu %d: the trace's switches differ from the run's:\n got %v\nwant %v", cpu, got[cpu], sw)
		}
	}
	for _, tk := range m.Tasks() {
		if threads[uint64(tk.PID)] != tk.Comm {
			t.Errorf("pid %d: thread descriptor names %q, want %q", tk.PID, threads[uint64(tk.PID)], tk.Comm)
		}
	}
	if nexit == 0 || nwaking == 0 || nnew != len(m.Tasks()) {
		t.Errorf("sched_process_exit %d, sched_waking %d, sched_wakeup_new %d (tasks %d)", nexit, nwaking, nnew, len(m.Tasks()))
	}
	if cbBegins != rec.callbacks || rec.callbacks == 0 {
		t.Errorf("%d callback slices, the run made %d callbacks", cbBegins, rec.callbacks)
	}
	if begins != ends {
		t.Errorf("%d slices begun, %d ended", begins, ends)
	}
	if withInsns == 0 {
		t.Error("no callback slice carries its instruction count")
	}
	if dsqVals != rec.dsq || rec.dsq == 0 {
		t.Errorf("%d DSQ counter values, %d DSQ events", dsqVals, rec.dsq)
	}
	if reqVals != rec.requests || rec.requests == 0 {
		t.Errorf("%d request latency values, %d requests", reqVals, rec.requests)
	}
	if counterVals != rec.counters || rec.counters == 0 {
		t.Errorf("%d policy counter values, %d PolicyCounter events", counterVals, rec.counters)
	}
	found := false
	for u := range counterTracks {
		if trackName[u] == "vruntime" {
			found = true
		}
	}
	if !found {
		t.Error("no vruntime counter track")
	}
}

// TestGolden compares a small run's traces with the committed ones
// (go test ./traces -run Golden -update rewrites them after an intended
// change of the schedule or of the formats).
func TestGolden(t *testing.T) {
	for _, g := range []struct {
		file string
		f    Format
	}{{"testdata/golden.pftrace", Perfetto}, {"testdata/golden.txt", Ftrace}, {"testdata/golden.json", Chrome}} {
		var buf bytes.Buffer
		w, err := New(&buf, g.f, Options{CPUs: 2})
		if err != nil {
			t.Fatal(err)
		}
		traced(t, "fifo-go", "3ms", 2, 2, w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(g.file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(g.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s differs from this run's %s trace (if the change is intended: go test ./traces -run Golden -update)", g.file, g.f)
		}
	}
}
