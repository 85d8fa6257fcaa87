package tui

import (
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

// perTaskName is the name of the per-task map among maps, or "".
func perTaskName(maps []MapSnap) string {
	for _, m := range maps {
		if isPerTask(m) {
			return m.Name
		}
	}
	return ""
}

func isPerTask(m MapSnap) bool {
	return slices.Index(m.Columns, "vruntime") > 0 && slices.Index(m.Columns, "deadline") > 0 && slices.Index(m.Columns, "lag") > 0
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

// PolicyMaps reads the maps of a BPF policy (nil for a Go policy),
// decoded with their BTF types by the decoder `schedsim run --maps` uses
// (policies.BPFPolicy.DumpMaps), as tables: a struct value is a column per
// member, a global data section a row per variable.
func PolicyMaps(sched sim.Scheduler, only string) []MapSnap {
	b, ok := sched.(*policies.BPFPolicy)
	if !ok || b.Instance() == nil {
		return nil
	}
	dumps, err := b.DumpMaps()
	if err != nil {
		return []MapSnap{{Name: "maps", Err: err.Error()}}
	}
	out := make([]MapSnap, 0, len(dumps))
	for _, d := range dumps {
		if only == "" || d.Name == only {
			out = append(out, mapTable(d))
		}
	}
	return out
}

// mapTable lays out one decoded map as a table.
func mapTable(d policies.MapDump) MapSnap {
	ms := MapSnap{Name: d.Name, Type: d.Type, Len: len(d.Entries), Max: int(d.MaxEntries)}
	if len(d.Entries) == 0 {
		ms.Columns = []string{"key", "value"}
		return ms
	}
	first := d.Entries[0]
	if first.Value.Kind == bpfvm.KindDataSec {
		ms.Columns = []string{"variable", "value"}
		for _, e := range d.Entries {
			for _, f := range e.Value.Fields {
				ms.Rows = append(ms.Rows, []string{f.Name, f.String()})
			}
		}
		ms.Len = len(ms.Rows)
		return ms
	}
	percpu := first.CPU >= 0
	ms.Columns = []string{"key"}
	if percpu {
		ms.Columns = append(ms.Columns, "cpu")
	}
	structured := first.Value.Kind == bpfvm.KindStruct
	if structured {
		for _, f := range first.Value.Fields {
			ms.Columns = append(ms.Columns, f.Name)
		}
	} else {
		ms.Columns = append(ms.Columns, "value")
	}
	for _, e := range d.Entries {
		row := []string{e.Key.String()}
		if percpu {
			row = append(row, strconv.Itoa(e.CPU))
		}
		if structured {
			for _, f := range e.Value.Fields {
				row = append(row, f.String())
			}
		} else {
			row = append(row, e.Value.String())
		}
		ms.Rows = append(ms.Rows, row)
	}
	return ms
}
