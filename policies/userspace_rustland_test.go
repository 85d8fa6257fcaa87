package policies

import (
	"encoding/binary"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// fakeQueued is the `queued` ring buffer as user space sees it.
type fakeQueued struct {
	bpfvm.Map
	recs [][]byte
}

func (q *fakeQueued) SetConsumed() {}
func (q *fakeQueued) Consume() ([]byte, bool) {
	if len(q.recs) == 0 {
		return nil, false
	}
	r := q.recs[0]
	q.recs = q.recs[1:]
	return r, true
}
func (q *fakeQueued) AvailData() uint64 { return uint64(len(q.recs)) * 96 }

// fakeDispatched is the `dispatched` user ring buffer, with room for cap
// records.
type fakeDispatched struct {
	bpfvm.UserRingbuf
	recs [][]byte
	cap  int
}

func (d *fakeDispatched) Write(b []byte) error {
	if len(d.recs) == d.cap {
		return bpfvm.ErrMapFull
	}
	d.recs = append(d.recs, append([]byte(nil), b...))
	return nil
}

func queuedRec(q rlQueued) []byte {
	b := make([]byte, rlQueuedSize)
	binary.LittleEndian.PutUint32(b, uint32(q.pid))
	binary.LittleEndian.PutUint32(b[4:], uint32(q.cpu))
	for i, v := range []uint64{q.nrCPUsAllowed, q.flags, q.startTS, q.stopTS, q.execRuntime, q.weight, q.vtime, q.enqCnt} {
		binary.LittleEndian.PutUint64(b[8+8*i:], v)
	}
	return b
}

type rlDispatched struct {
	pid, cpu                    int32
	flags, slice, vtime, enqCnt uint64
}

func decodeDispatched(b []byte) rlDispatched {
	return rlDispatched{int32(binary.LittleEndian.Uint32(b)), int32(binary.LittleEndian.Uint32(b[4:])),
		binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:]),
		binary.LittleEndian.Uint64(b[24:]), binary.LittleEndian.Uint64(b[32:])}
}

// TestRustlandModel runs scx_rustland's user-space loop on a hand-made
// sequence of queued tasks and checks each pass against main.rs by hand:
// update_enqueued()'s deadlines and vruntime_now, the dispatch order
// (deadline, then enqueue time, then pid), the dispatched records (slice
// scaled by weight, vtime = deadline, the CPU rs_select_cpu returned or
// RL_CPU_ANY), nr_queued / nr_scheduled, and a full user ring buffer
// putting the task back.
func TestRustlandModel(t *testing.T) {
	const ms = 1_000_000
	q := &fakeQueued{}
	d := &fakeDispatched{cap: 2}
	u := newRustlandUser(q, d)
	globals := map[string]uint64{"nr_queued": 3}
	u.get = func(n string) (uint64, error) { return globals[n], nil }
	u.set = func(n string, v uint64) error { globals[n] = v; return nil }
	var asked []int32
	u.selectCPU = func(cpu int, t rlQueued) (int32, error) {
		asked = append(asked, t.pid)
		if t.pid == 12 {
			return -16, nil // -EBUSY: no idle CPU
		}
		return t.cpu + 1, nil
	}
	// A (pid 10): new (vtime 0), ran 1 ms, 0.5 ms since it last slept:
	//   vtime = vruntime_now 0 + 1 ms; vruntime_now 1 ms; deadline 1.5 ms
	// B (pid 11): new, ran 0: vtime = 1 ms, deadline 1 ms
	// C (pid 12): weight 200, vtime 5 ms, ran 2 ms: vtime 5 + 1 ms,
	//   vruntime_now 2 ms, deadline 6 ms + 3 ms = 9 ms
	q.recs = [][]byte{
		queuedRec(rlQueued{pid: 10, cpu: 3, weight: 100, startTS: 4 * ms, stopTS: 5 * ms, execRuntime: ms / 2, enqCnt: 1, flags: 8}),
		queuedRec(rlQueued{pid: 11, cpu: 1, weight: 100, startTS: 7 * ms, stopTS: 7 * ms, enqCnt: 4}),
		queuedRec(rlQueued{pid: 12, cpu: 2, weight: 200, vtime: 5 * ms, startTS: ms, stopTS: 3 * ms, execRuntime: 3 * ms, enqCnt: 2}),
	}
	if err := u.schedule(100, 0); err != nil {
		t.Fatal(err)
	}
	if u.vruntime != 2*ms || len(u.tasks) != 2 || globals["nr_queued"] != 0 || globals["nr_scheduled"] != 2 {
		t.Fatalf("after pass 1: vruntime %d, %d held, nr_queued %d, nr_scheduled %d", u.vruntime, len(u.tasks), globals["nr_queued"], globals["nr_scheduled"])
	}
	// pass 2: D (pid 9) queued with B's deadline-to-be... a tie with A:
	// vtime 1.5 ms - 0 exec: deadline 1.5 ms, later timestamp: after A
	q.recs = [][]byte{queuedRec(rlQueued{pid: 9, cpu: 0, weight: 100, vtime: 3 * ms / 2, enqCnt: 7})}
	if err := u.schedule(200, 1); err != nil {
		t.Fatal(err)
	}
	// passes 3 and 4: the ring is full (B, A): D goes back each time
	for i := 0; i < 2; i++ {
		if err := u.schedule(300, 1); err != nil {
			t.Fatal(err)
		}
	}
	want := []rlDispatched{
		{pid: 11, cpu: 2, slice: ms, vtime: ms, enqCnt: 4},
		{pid: 10, cpu: 4, flags: 8, slice: ms, vtime: 3 * ms / 2, enqCnt: 1},
	}
	if len(d.recs) != 2 {
		t.Fatalf("%d records dispatched, want 2", len(d.recs))
	}
	for i, w := range want {
		if got := decodeDispatched(d.recs[i]); got != w {
			t.Errorf("record %d: %+v, want %+v", i, got, w)
		}
	}
	if len(u.tasks) != 2 || u.tasks[0].q.pid != 9 || u.tasks[1].q.pid != 12 || globals["nr_scheduled"] != 2 {
		t.Fatalf("held %+v, nr_scheduled %d; want D then C", u.tasks, globals["nr_scheduled"])
	}
	// the BPF side drains the ring: D, then C (RL_CPU_ANY, slice 2 ms)
	d.recs = nil
	for i := 0; i < 3; i++ {
		if err := u.schedule(400, 0); err != nil {
			t.Fatal(err)
		}
	}
	want = []rlDispatched{
		{pid: 9, cpu: 1, slice: ms, vtime: 3 * ms / 2, enqCnt: 7},
		{pid: 12, cpu: rlCPUAny, slice: 2 * ms, vtime: 9 * ms, enqCnt: 2},
	}
	for i, w := range want {
		if got := decodeDispatched(d.recs[i]); got != w {
			t.Errorf("record %d: %+v, want %+v", i, got, w)
		}
	}
	if globals["nr_scheduled"] != 0 || u.Dispatched != 4 || u.Queued != 4 {
		t.Errorf("nr_scheduled %d, dispatched %d, queued %d", globals["nr_scheduled"], u.Dispatched, u.Queued)
	}
	// select_cpu was asked for every dispatch attempt, the failed one too
	if len(asked) != 6 {
		t.Errorf("rs_select_cpu ran for %v", asked)
	}
	// equal deadlines in one pass: arrival order (each record's
	// Self::now() is later), not pid order
	d.recs, d.cap = nil, 8
	u.vruntime = 50 * ms
	q.recs = [][]byte{
		queuedRec(rlQueued{pid: 30, weight: 100, vtime: 60 * ms}),
		queuedRec(rlQueued{pid: 20, weight: 100, vtime: 60 * ms}),
	}
	for i := 0; i < 2; i++ {
		if err := u.schedule(500, 0); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := decodeDispatched(d.recs[0]), decodeDispatched(d.recs[1]); a.pid != 30 || b.pid != 20 || a.vtime != b.vtime {
		t.Errorf("equal deadlines dispatched %+v then %+v, want pid 30 then 20", a, b)
	}
	// a task equal to one held (deadline, timestamp, pid) is not added, as
	// BTreeSet::insert
	u.insert(rlTask{q: rlQueued{pid: 5}, deadline: 1, timestamp: 1})
	u.insert(rlTask{q: rlQueued{pid: 5, enqCnt: 9}, deadline: 1, timestamp: 1})
	if len(u.tasks) != 1 || u.tasks[0].q.enqCnt != 0 {
		t.Errorf("duplicate inserted: %+v", u.tasks)
	}
}
