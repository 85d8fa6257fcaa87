package policies

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// PeriodicStep runs every Every (a duration) from ops.init on: the
// syscall program Prog with Args and/or the map update Map Key Value, for
// each of For as in SyscallStep; $tick counts the runs from 1.
//
// Set and Or write globals as user space writes skel->bss (names as in
// [rodata]: "tune_input.slice_ns", "mask[0]"): Set once per run, before
// the iterations of For, and Or ORed into the global at each iteration, so
// a step can build a CPU mask from the LLCs that pass a test. Besides the
// usual variables, a periodic step sees the CPU utilisation since its
// previous run (as user space reads it from /proc/stat: busy, scheduler
// and interrupt time over elapsed time), in parts per million: $util_ppm
// for the machine, and, per LLC iteration, $llc_util_ppm.
type PeriodicStep struct {
	Every string            `toml:"every"`
	Prog  string            `toml:"prog"`
	Args  []string          `toml:"args"`
	Map   string            `toml:"map"`
	Key   []string          `toml:"key"`
	Value []string          `toml:"value"`
	For   string            `toml:"for"`
	Set   map[string]string `toml:"set"`
	Or    map[string]string `toml:"or"`
}

// cpuTimes is a /proc/stat snapshot: per CPU, the non-idle time so far.
type cpuTimes struct {
	at   uint64
	busy []uint64
}

func snapshotCPUs(m *sim.Machine) cpuTimes {
	s := cpuTimes{at: m.Now(), busy: make([]uint64, len(m.CPUs()))}
	for i, c := range m.CPUs() {
		s.busy[i] = c.Stats.Busy + c.Stats.Sched + c.Stats.Noise
	}
	return s
}

// utilPPM is the utilisation of the CPUs in mask between two snapshots.
func utilPPM(prev, cur cpuTimes, cpus []int) int64 {
	dt := cur.at - prev.at
	if dt == 0 || len(cpus) == 0 {
		return 0
	}
	var sum uint64
	for _, c := range cpus {
		sum += min(cur.busy[c]-prev.busy[c], dt)
	}
	return int64(sum * 1_000_000 / (dt * uint64(len(cpus))))
}

// startPeriodic arms the recipe's periodic steps on the machine: each runs
// on CPU 0, as user space would run somewhere, first one period after
// ops.init. A failing step ends the scheduler, as user space's error exit
// would.
func (b *BPFPolicy) startPeriodic(r *Recipe) {
	m := b.k.Machine()
	for _, ps := range r.Periodic {
		ps := ps
		every, _ := sim.ParseDuration(ps.Every)
		tick := int64(0)
		prev := snapshotCPUs(m)
		var run func()
		run = func() {
			if b.k.Failed() {
				return
			}
			tick++
			cur := snapshotCPUs(m)
			if err := b.runPeriodic(r, ps, tick, prev, cur); err != nil {
				b.k.Fault("user space error", err.Error())
				return
			}
			prev = cur
			m.AtOn(m.Now()+every, 0, run)
		}
		m.AtOn(m.Now()+every, 0, run)
	}
}

func (b *BPFPolicy) runPeriodic(r *Recipe, ps PeriodicStep, tick int64, prev, cur cpuTimes) error {
	vars := recipeVars(b.topo, b.opts.HZ)
	vars["tick"] = tick
	all := make([]int, len(b.topo.CPUs))
	for i := range all {
		all[i] = i
	}
	vars["util_ppm"] = utilPPM(prev, cur, all)
	for _, k := range sortedKeys(ps.Set) {
		if err := b.writeGlobal(k, ps.Set[k], vars, false); err != nil {
			return fmt.Errorf("recipe %s: periodic: set %s: %w", r.file, k, err)
		}
	}
	for _, it := range syscallIterations(b.topo, ps.For) {
		vs := mergeVars(vars, it)
		if llc, ok := it["llc"]; ok && ps.For == "llc" {
			mask := &b.topo.LLCMask[llc]
			var cpus []int
			for c := mask.Next(0); c >= 0; c = mask.Next(c + 1) {
				cpus = append(cpus, c)
			}
			vs["llc_util_ppm"] = utilPPM(prev, cur, cpus)
		}
		for _, k := range sortedKeys(ps.Or) {
			if err := b.writeGlobal(k, ps.Or[k], vs, true); err != nil {
				return fmt.Errorf("recipe %s: periodic: or %s: %w", r.file, k, err)
			}
		}
		if ps.Map != "" {
			m := b.inst.Map(ps.Map)
			if m == nil {
				return fmt.Errorf("recipe %s: periodic: map %s is not in the object", r.file, ps.Map)
			}
			if err := updateMap(m, ps.Key, ps.Value, vs); err != nil {
				return fmt.Errorf("recipe %s: periodic: map %s: %w", r.file, ps.Map, err)
			}
		}
		if ps.Prog != "" {
			prog, err := b.program(r, ps.Prog)
			if err != nil {
				return fmt.Errorf("periodic: %w", err)
			}
			if err := b.runSyscall(r, SyscallStep{Prog: ps.Prog, Args: ps.Args}, prog, vs); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeGlobal evaluates expr and stores it into the global (part) name,
// ORed into the integer already there if or is set.
func (b *BPFPolicy) writeGlobal(name, expr string, vars map[string]int64, or bool) error {
	v, err := evalExpr(strings.TrimPrefix(expr, "="), vars)
	if err != nil {
		return err
	}
	base, path := bpfvm.SplitVarPath(name)
	gv, addr, err := b.inst.Var(base)
	if err != nil {
		return err
	}
	buf := b.vm.Mem.MustBytes(addr, uint64(gv.Size))
	if or {
		part, _, err := bpfvm.SelectVarPath(buf, gv, path)
		if err != nil {
			return err
		}
		if len(part) > 8 {
			return fmt.Errorf("%d bytes: not an integer to OR into", len(part))
		}
		var w [8]byte
		copy(w[:], part)
		v |= int64(binary.LittleEndian.Uint64(w[:]))
	}
	return writeInt(buf, gv, path, v)
}
