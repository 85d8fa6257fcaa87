package policies

import (
	"fmt"

	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/bpfvm"
)

// vtimeQueue is scx_userland.c's user-space vruntime scheduler: each pid
// keeps its vruntime and the sum_exec_runtime it last reported
// (update_enqueued(): vruntime += delta / (weight / 100), at least the
// queue's min_vruntime), queued tasks stay sorted by vruntime (a new task
// goes before the first whose vruntime is not smaller, as
// vruntime_enqueue()'s list insertion does), and dispatching the head sets
// min_vruntime to its vruntime (dispatch_batch()).
type vtimeQueue struct {
	tasks  map[int32]*vtask // every pid seen (scx_userland's tasks[pid_max])
	queue  []*vtask         // sorted by vruntime
	minVrt float64
}

type vtask struct {
	pid     int32
	sumExec uint64
	vrt     float64
	queued  bool
}

func newVtimeQueue() *vtimeQueue { return &vtimeQueue{tasks: map[int32]*vtask{}} }

func (q *vtimeQueue) len() int     { return len(q.queue) }
func (q *vtimeQueue) first() int32 { return q.queue[0].pid }

// enqueue is vruntime_enqueue() for a task the BPF side reported with its
// sum_exec_runtime and scx weight (100 for nice 0).
func (q *vtimeQueue) enqueue(pid int32, sumExec, weight uint64) {
	t := q.tasks[pid]
	if t == nil {
		t = &vtask{pid: pid}
		q.tasks[pid] = t
	}
	w := float64(weight) / 100
	if w <= 0 {
		w = 1 // (a zero weight would make scx_userland's vruntime infinite)
	}
	t.vrt += float64(sumExec-t.sumExec) / w
	if q.minVrt > t.vrt {
		t.vrt = q.minVrt
	}
	t.sumExec = sumExec
	if t.queued {
		// reported again while queued (the kernel dequeued and
		// re-enqueued it): one entry, at its new place
		for i, o := range q.queue {
			if o == t {
				q.queue = append(q.queue[:i], q.queue[i+1:]...)
				break
			}
		}
	}
	t.queued = true
	i := 0
	for i < len(q.queue) && t.vrt > q.queue[i].vrt {
		i++
	}
	q.queue = append(q.queue, nil)
	copy(q.queue[i+1:], q.queue[i:])
	q.queue[i] = t
}

// pop removes the head once it was dispatched, as dispatch_batch() does.
func (q *vtimeQueue) pop() {
	q.minVrt = q.queue[0].vrt
	q.queue[0].queued = false
	q.queue[0] = nil
	q.queue = q.queue[1:]
}

// entryFields are the byte offsets of struct scx_userland_enqueued_task's
// members in a queue map's values.
type entryFields struct{ pid, runtime, weight uint32 }

func enqueuedFields(spec *bpfvm.MapSpec) (entryFields, error) {
	st, ok := btf.UnderlyingType(spec.Value).(*btf.Struct)
	if !ok {
		return entryFields{}, fmt.Errorf("map %s: values are not a struct with BTF (want pid, sum_exec_runtime, weight)", spec.Name)
	}
	want := map[string]int{"pid": 4, "sum_exec_runtime": 8, "weight": 8}
	off := map[string]uint32{}
	for _, m := range st.Members {
		size, ok := want[m.Name]
		if !ok {
			continue
		}
		n, err := btf.Sizeof(m.Type)
		if err != nil || n != size || m.Offset%8 != 0 {
			return entryFields{}, fmt.Errorf("map %s: member %s is not a %d-byte integer", spec.Name, m.Name, size)
		}
		off[m.Name] = m.Offset.Bytes()
	}
	for _, name := range []string{"pid", "sum_exec_runtime", "weight"} {
		if _, ok := off[name]; !ok {
			return entryFields{}, fmt.Errorf("map %s: struct %s has no member %s", spec.Name, st.Name, name)
		}
	}
	return entryFields{pid: off["pid"], runtime: off["sum_exec_runtime"], weight: off["weight"]}, nil
}
