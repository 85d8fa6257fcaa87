package policies

import (
	"encoding/binary"

	"github.com/schedsim/schedsim/policies/eevdf"
	"github.com/schedsim/schedsim/sim"
)

// taskCounters reports the per-task figures a policy exports in its maps
// as sim.PolicyCounter events, for trace writers to draw as counter tracks
// under the task. Today: the eevdf policy's vruntime, lag and deadline
// (its "tasks" map, docs/eevdf.md), read after ops.running and
// ops.stopping. It costs one test when nobody observes the run.
func (b *BPFPolicy) taskCounters(p *sim.Task) {
	if b.k == nil || !b.k.Wants(sim.PolicyCounter) || b.ops.Name != "eevdf" || b.inst == nil {
		return
	}
	m := b.inst.Map("tasks")
	if m == nil || m.Spec().KeySize != 4 {
		return
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(p.PID))
	v, err := m.Lookup(key[:])
	if err != nil {
		return
	}
	s, ok := eevdf.DecodeTaskState(v)
	if !ok {
		return
	}
	b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyCounter, Name: "vruntime", PID: p.PID, Value: float64(s.Vruntime)})
	b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyCounter, Name: "lag", PID: p.PID, Value: float64(s.Lag)})
	b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyCounter, Name: "deadline", PID: p.PID, Value: float64(s.Deadline)})
}
