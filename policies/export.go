package policies

import (
	"encoding/binary"
	"slices"
	"strings"

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

// SnapshotEnd implements sim.EndSnapshotter: the result reports the
// eevdf task table as it was when the policy stopped scheduling.
func (b *BPFPolicy) SnapshotEnd() {
	b.endTasks, b.endTasksOK = b.eevdfTasks()
	if b.keepMaps {
		b.endMaps, b.endMapsErr = b.DumpMaps()
	}
	b.snapshotted = true
}

// KeepMapsAtEnd asks SnapshotEnd to decode every map when the policy
// stops scheduling (the end of the run or an ejection), before the
// disable path's ops.disable/ops.exit_task empty the per-task ones
// (`schedsim run --maps`, MapsAtEnd).
func (b *BPFPolicy) KeepMapsAtEnd() { b.keepMaps = true }

// MapsAtEnd is what `schedsim run --maps` shows: the declared maps as they
// were when the policy stopped scheduling (KeepMapsAtEnd), and the global
// data sections (.bss, .data, .rodata...) as they are now, after ops.exit
// wrote its record of the exit there (UEI_RECORD). Without a snapshot it
// is DumpMaps.
func (b *BPFPolicy) MapsAtEnd() ([]MapDump, error) {
	now, err := b.DumpMaps()
	if err != nil || !b.snapshotted || !b.keepMaps {
		return now, err
	}
	if b.endMapsErr != nil {
		return nil, b.endMapsErr
	}
	for i, d := range now {
		if strings.HasPrefix(d.Name, ".") {
			continue
		}
		for _, e := range b.endMaps {
			if e.Name == d.Name {
				now[i] = e
				break
			}
		}
	}
	return now, nil
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
