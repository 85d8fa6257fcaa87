package policies

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/schedsim/schedsim/sim"

	"github.com/schedsim/schedsim/bpfvm"
)

// MapDump is one map of a loaded policy, decoded by its BTF.
type MapDump struct {
	Name       string           `json:"name"`
	Type       string           `json:"type"`
	KeySize    uint32           `json:"key_size"`
	ValueSize  uint32           `json:"value_size"`
	MaxEntries uint32           `json:"max_entries"`
	Entries    []bpfvm.MapEntry `json:"entries"`
	m          bpfvm.Map
}

// DumpMaps decodes every map of the policy (declared maps, then its
// global data sections), as bpftool map dump shows them; task storage is
// keyed by the task's pid (bpftool shows it keyed by a pidfd).
func (b *BPFPolicy) DumpMaps() ([]MapDump, error) {
	var out []MapDump
	for _, m := range b.inst.Maps {
		s := m.Spec()
		if s.Section == ".kconfig" {
			continue
		}
		es, err := bpfvm.DumpMap(m)
		if err != nil {
			return nil, err
		}
		if s.Type == bpfvm.MapTaskStorage {
			b.taskStorageKeys(es)
		}
		out = append(out, MapDump{Name: s.Name, Type: s.Type.String(), KeySize: s.KeySize, ValueSize: s.ValueSize,
			MaxEntries: s.MaxEntries, Entries: es, m: m})
	}
	return out, nil
}

// FormatMaps writes dumps as text: per map a header line, then the entries
// as `bpftool map dump` prints them.
func FormatMaps(w io.Writer, dumps []MapDump) error {
	for _, d := range dumps {
		if _, err := fmt.Fprintf(w, "map %s: %s, key %d bytes, value %d bytes, max_entries %d, %d entries\n",
			d.Name, d.Type, d.KeySize, d.ValueSize, d.MaxEntries, len(d.Entries)); err != nil {
			return err
		}
		if err := bpfvm.FormatMapDump(w, d.m, d.Entries); err != nil {
			return err
		}
	}
	return nil
}

// taskStorageKeys replaces the task addresses keying task storage entries
// with the tasks' pids, and sorts the entries by pid.
func (b *BPFPolicy) taskStorageKeys(es []bpfvm.MapEntry) {
	for i := range es {
		k := &es[i].Key
		if k.Kind != bpfvm.KindPtr || !b.vm.Mem.Contains(k.Uint, uint64(unsafe.Sizeof(sim.TaskStruct{}))) {
			continue
		}
		pid := bpfvm.Ptr[sim.TaskStruct](b.vm.Mem, k.Uint).Pid
		*k = bpfvm.Value{Type: "pid_t", Kind: bpfvm.KindInt, Int: int64(pid), Raw: k.Raw}
	}
	slices.SortStableFunc(es, func(x, y bpfvm.MapEntry) int { return cmp.Compare(x.Key.Int, y.Key.Int) })
}
