package traces

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// FtraceEventBundle.CompactSched (ftrace_event_bundle.proto): the
// structure-of-arrays encoding of sched_switch and sched_waking that
// Perfetto's own kernel data source writes by default. A switch keeps only
// next's pid, prio and comm (prev is the CPU's previous next), timestamps
// are deltas, comms an index into the bundle's intern table.
const (
	fBundleCompactSched = 4

	fCsInternTable       = 5
	fCsSwitchTimestamp   = 1
	fCsSwitchPrevState   = 2
	fCsSwitchNextPid     = 3
	fCsSwitchNextPrio    = 4
	fCsSwitchNextComm    = 6
	fCsWakingTimestamp   = 7
	fCsWakingPid         = 8
	fCsWakingTargetCPU   = 9
	fCsWakingPrio        = 10
	fCsWakingComm        = 11
	fCsWakingCommonFlags = 12
)

// compactSched is a CPU's compact events not yet written.
type compactSched struct {
	intern   map[string]uint64
	table    []string
	swTS     []uint64 // absolute; deltas are taken when written
	swState  []int64
	swPid    []int64
	swPrio   []int64
	swComm   []uint64
	wkTS     []uint64
	wkPid    []int64
	wkTarget []int64
	wkPrio   []int64
	wkComm   []uint64
	wkFlags  []uint64
}

func (c *compactSched) comm(s string) uint64 {
	if c.intern == nil {
		c.intern = map[string]uint64{}
	}
	i, ok := c.intern[s]
	if !ok {
		i = uint64(len(c.table))
		c.intern[s] = i
		c.table = append(c.table, s)
	}
	return i
}

func (c *compactSched) switchTo(at uint64, prevState int64, pid, prio int32, comm string) {
	c.swTS = append(c.swTS, at)
	c.swState = append(c.swState, prevState)
	c.swPid = append(c.swPid, int64(pid))
	c.swPrio = append(c.swPrio, int64(prio))
	c.swComm = append(c.swComm, c.comm(comm))
}

func (c *compactSched) waking(at uint64, pid, prio int32, target int, comm string, flags uint64) {
	c.wkTS = append(c.wkTS, at)
	c.wkPid = append(c.wkPid, int64(pid))
	c.wkTarget = append(c.wkTarget, int64(target))
	c.wkPrio = append(c.wkPrio, int64(prio))
	c.wkComm = append(c.wkComm, c.comm(comm))
	c.wkFlags = append(c.wkFlags, flags)
}

func (c *compactSched) empty() bool { return len(c.swTS) == 0 && len(c.wkTS) == 0 }

// packed appends a packed repeated varint field.
func packed(m, scratch msg, num protowire.Number, vs []uint64) (msg, msg) {
	if len(vs) == 0 {
		return m, scratch
	}
	p := scratch[:0]
	for _, v := range vs {
		p = protowire.AppendVarint(p, v)
	}
	return m.bytes(num, p), p
}

func packedInt(m, scratch msg, num protowire.Number, vs []int64) (msg, msg) {
	if len(vs) == 0 {
		return m, scratch
	}
	p := scratch[:0]
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return m.bytes(num, p), p
}

func deltas(ts []uint64) []uint64 {
	for i := len(ts) - 1; i > 0; i-- {
		ts[i] -= ts[i-1]
	}
	return ts
}

// encode appends the CompactSched message to m and resets c.
func (c *compactSched) encode(m, scratch msg) (msg, msg) {
	cs := msg(nil)
	for _, s := range c.table {
		cs = cs.str(fCsInternTable, s)
	}
	cs, scratch = packed(cs, scratch, fCsSwitchTimestamp, deltas(c.swTS))
	cs, scratch = packedInt(cs, scratch, fCsSwitchPrevState, c.swState)
	cs, scratch = packedInt(cs, scratch, fCsSwitchNextPid, c.swPid)
	cs, scratch = packedInt(cs, scratch, fCsSwitchNextPrio, c.swPrio)
	cs, scratch = packed(cs, scratch, fCsSwitchNextComm, c.swComm)
	cs, scratch = packed(cs, scratch, fCsWakingTimestamp, deltas(c.wkTS))
	cs, scratch = packedInt(cs, scratch, fCsWakingPid, c.wkPid)
	cs, scratch = packedInt(cs, scratch, fCsWakingTargetCPU, c.wkTarget)
	cs, scratch = packedInt(cs, scratch, fCsWakingPrio, c.wkPrio)
	cs, scratch = packed(cs, scratch, fCsWakingComm, c.wkComm)
	cs, scratch = packed(cs, scratch, fCsWakingCommonFlags, c.wkFlags)
	*c = compactSched{intern: c.intern, table: c.table[:0], swTS: c.swTS[:0], swState: c.swState[:0],
		swPid: c.swPid[:0], swPrio: c.swPrio[:0], swComm: c.swComm[:0], wkTS: c.wkTS[:0], wkPid: c.wkPid[:0],
		wkTarget: c.wkTarget[:0], wkPrio: c.wkPrio[:0], wkComm: c.wkComm[:0], wkFlags: c.wkFlags[:0]}
	clear(c.intern)
	return m.bytes(fBundleCompactSched, cs), scratch
}
