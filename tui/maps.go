package tui

import (
	"encoding/hex"
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
	"slices"
	"strconv"
)

type eevdfTask struct {
	vruntime, deadline uint64
	lag                int64
}

// perTask finds the policy's per-task map (keyed by pid, with vruntime,
// deadline and lag fields, as EEVDF's tasks map) and returns its entries
// by pid.
func perTask(maps []MapSnap) map[int32]eevdfTask {
	for _, m := range maps {
		vr, dl, lag := slices.Index(m.Columns, "vruntime"), slices.Index(m.Columns, "deadline"), slices.Index(m.Columns, "lag")
		if vr < 1 || dl < 1 || lag < 1 {
			continue
		}
		out := make(map[int32]eevdfTask, len(m.Rows))
		for _, r := range m.Rows {
			pid, err := strconv.ParseInt(r[0], 0, 32)
			if err != nil {
				continue
			}
			var e eevdfTask
			e.vruntime, _ = strconv.ParseUint(r[vr], 0, 64)
			e.deadline, _ = strconv.ParseUint(r[dl], 0, 64)
			e.lag, _ = strconv.ParseInt(r[lag], 0, 64)
			out[int32(pid)] = e
		}
		return out
	}
	return nil
}

// PolicyMaps reads the maps of a BPF policy (nil for a Go policy).
func PolicyMaps(sched sim.Scheduler) []MapSnap {
	b, ok := sched.(*policies.BPFPolicy)
	if !ok || b.Instance() == nil {
		return nil
	}
	in := b.Instance()
	out := make([]MapSnap, 0, len(in.Maps))
	for _, m := range in.Maps {
		out = append(out, dumpMap(m))
	}
	return out
}

// dumpMap decodes one map into a table.
func dumpMap(m bpfvm.Map) MapSnap {
	sp := m.Spec()
	ms := MapSnap{Name: sp.Name, Type: fmt.Sprint(sp.Type), Len: m.Len(), Max: int(sp.MaxEntries),
		Columns: []string{"key", "value"}}
	m.Iterate(func(k, v []byte) bool {
		ms.Rows = append(ms.Rows, []string{hex.EncodeToString(k), hex.EncodeToString(v)})
		return true
	})
	return ms
}
