package policies

import (
	"encoding/binary"
	"slices"

	"github.com/schedsim/schedsim/policies/eevdf"
)

// EEVDFTask is one task's EEVDF state at the end of a run of the eevdf
// policy (its "tasks" map, docs/eevdf.md), as the JSON result's
// extra.eevdf_tasks lists it.
type EEVDFTask struct {
	PID      int32  `json:"pid"`
	Vruntime uint64 `json:"vruntime"`
	Deadline uint64 `json:"deadline"`
	LagNs    int64  `json:"lag_ns"` // V - vruntime, in virtual ns
	Weight   uint32 `json:"weight"`
	CPU      int32  `json:"cpu"`
}

// eevdfTasks reads the "tasks" map of a policy named eevdf (built in, or
// the same source compiled by the user), sorted by pid.
func (b *BPFPolicy) eevdfTasks() ([]EEVDFTask, bool) {
	if b.ops.Name != "eevdf" || b.inst == nil {
		return nil, false
	}
	m := b.inst.Map("tasks")
	if m == nil || m.Spec().KeySize != 4 {
		return nil, false
	}
	var ts []EEVDFTask
	m.Iterate(func(k, v []byte) bool {
		s, ok := eevdf.DecodeTaskState(v)
		if ok && len(k) == 4 {
			ts = append(ts, EEVDFTask{PID: int32(binary.LittleEndian.Uint32(k)), Vruntime: s.Vruntime,
				Deadline: s.Deadline, LagNs: s.Lag, Weight: s.Weight, CPU: s.CPU})
		}
		return true
	})
	slices.SortFunc(ts, func(a, b EEVDFTask) int { return int(a.PID) - int(b.PID) })
	return ts, len(ts) > 0
}
