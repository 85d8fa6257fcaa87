package policies

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// MapFields writes members of a map value, as user space reads a value,
// changes fields of its struct and writes it back (scx_layered's cpu_ctxs,
// llc_data). Set names members as [rodata] names parts of a global
// ("cpu", "prox_map.core_end", "on_layer_order[0]"). For = "cpu" on a
// per-CPU map writes CPU $cpu's copy (user space's update_percpu); on
// other maps For iterates as in [[map]]. Prox, if set, is a member of type
// struct { u16 cpus[]; u32 core_end, llc_end, node_end, sys_end; } that
// receives the CPU's proximity order (see cpuProximity).
type MapFields struct {
	Map  string            `toml:"map"`
	Key  []string          `toml:"key"`
	For  string            `toml:"for"`
	Set  map[string]string `toml:"set"`
	Prox string            `toml:"prox"`
}

// expandRange expands a "{a..b}" in key (a and b expressions) into one key
// per index i of [a, b], each with its $i; a key without one is itself.
func expandRange(key string, vars map[string]int64) ([]string, []int64, error) {
	open := strings.Index(key, "{")
	dots := strings.Index(key, "..")
	if open < 0 || dots < open {
		return []string{key}, []int64{-1}, nil
	}
	end := strings.Index(key[dots:], "}")
	if end < 0 {
		return nil, nil, fmt.Errorf("key %q: {a..b} expected", key)
	}
	end += dots
	lo, err := evalExpr(key[open+1:dots], vars)
	if err != nil {
		return nil, nil, err
	}
	hi, err := evalExpr(key[dots+2:end], vars)
	if err != nil {
		return nil, nil, err
	}
	if hi-lo > 1<<16 {
		return nil, nil, fmt.Errorf("key %q: range of %d indices", key, hi-lo+1)
	}
	var keys []string
	var is []int64
	for i := lo; i <= hi; i++ {
		keys = append(keys, fmt.Sprintf("%s%d%s", key[:open], i, key[end+1:]))
		is = append(is, i)
	}
	return keys, is, nil
}

// writeInt writes v into the part of val (in buf) that path selects, as C
// converts an integer to that part's type.
func writeInt(buf []byte, val bpfvm.GlobalVar, path string, v int64) error {
	_, t, err := bpfvm.SelectVarPath(buf, val, path)
	if err != nil {
		return err
	}
	return bpfvm.WriteVarPath(buf, val, path, cInt(t, v))
}

// fieldPath turns a member name into a path for bpfvm.SelectVarPath.
func fieldPath(name string) string {
	if strings.HasPrefix(name, "[") || strings.HasPrefix(name, ".") {
		return name
	}
	return "." + name
}

// runMapFields applies the recipe's [[map_fields]] steps.
func (b *BPFPolicy) runMapFields(r *Recipe) error {
	vars := recipeVars(b.topo, b.opts.HZ)
	for _, mf := range r.MapFields {
		m := b.inst.Map(mf.Map)
		if m == nil {
			return fmt.Errorf("recipe %s: map_fields: map %s is not in the object", r.file, mf.Map)
		}
		spec := m.Spec()
		val := bpfvm.GlobalVar{Name: mf.Map, Type: spec.Value, Size: spec.ValueSize}
		pcm, perCPU := m.(bpfvm.PerCPUMap)
		if perCPU && mf.For != "cpu" {
			return fmt.Errorf("recipe %s: map_fields %s: a per-CPU map takes for = \"cpu\" (each CPU's copy)", r.file, mf.Map)
		}
		for _, it := range syscallIterations(b.topo, mf.For) {
			vs := mergeVars(vars, it)
			key, err := packArgs(mf.Key, vs)
			if err != nil {
				return fmt.Errorf("recipe %s: map_fields %s: key: %w", r.file, mf.Map, err)
			}
			var all [][]byte
			var buf []byte
			if perCPU {
				if all, err = pcm.LookupPerCPU(key); err != nil {
					return fmt.Errorf("recipe %s: map_fields %s: %w", r.file, mf.Map, err)
				}
				buf = all[vs["cpu"]]
			} else {
				buf, err = m.Lookup(key)
				if errors.Is(err, bpfvm.ErrKeyNotExist) {
					buf, err = make([]byte, spec.ValueSize), nil
				}
				if err != nil {
					return fmt.Errorf("recipe %s: map_fields %s: %w", r.file, mf.Map, err)
				}
			}
			if err := b.setFields(buf, val, mf, vs); err != nil {
				return fmt.Errorf("recipe %s: map_fields %s: %w", r.file, mf.Map, err)
			}
			if perCPU {
				err = pcm.UpdatePerCPU(key, all, 0)
			} else {
				err = m.Update(key, buf, 0)
			}
			if err != nil {
				return fmt.Errorf("recipe %s: map_fields %s: %w", r.file, mf.Map, err)
			}
		}
	}
	return nil
}

func (b *BPFPolicy) setFields(buf []byte, val bpfvm.GlobalVar, mf MapFields, vars map[string]int64) error {
	for _, k := range sortedKeys(mf.Set) {
		keys, is, err := expandRange(k, vars)
		if err != nil {
			return err
		}
		for j, key := range keys {
			vs := vars
			if is[j] >= 0 {
				vs = mergeVars(vars, map[string]int64{"i": is[j]})
			}
			v, err := evalExpr(strings.TrimPrefix(mf.Set[k], "="), vs)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if err := writeInt(buf, val, fieldPath(key), v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if mf.Prox != "" {
		cpu, ok := vars["cpu"]
		if !ok {
			return fmt.Errorf("prox needs for = \"cpu\"")
		}
		order, ends := cpuProximity(b.topo, int(cpu))
		p := fieldPath(mf.Prox)
		for i, c := range order {
			if err := bpfvm.WriteVarPath(buf, val, fmt.Sprintf("%s.cpus[%d]", p, i), int64(c)); err != nil {
				return fmt.Errorf("prox %s: %w", mf.Prox, err)
			}
		}
		for i, name := range []string{"core_end", "llc_end", "node_end", "sys_end"} {
			if err := bpfvm.WriteVarPath(buf, val, p+"."+name, int64(ends[i])); err != nil {
				return fmt.Errorf("prox %s: %w", mf.Prox, err)
			}
		}
	}
	return nil
}

// cpuProximity is scx_layered's init_cpu_prox_map() for cpu: the CPU
// itself, then the rest of its core, its LLC, its node and the machine,
// each level's CPUs ordered by distance from cpu's core id, then from cpu's
// id (radiate_cpu; the node level by distance of the CPU id from the node
// id, as radiate() is called there); ends are the indices where the core,
// LLC, node and machine levels end.
func cpuProximity(t *sim.Topology, cpu int) (order []int, ends [4]int) {
	c := t.CPUs[cpu]
	abs := func(x int) int { return max(x, -x) }
	level := func(in func(o sim.CPUTopo) bool, byNode bool) []int {
		var ids []int
		for _, o := range t.CPUs {
			if o.ID != cpu && in(o) {
				ids = append(ids, o.ID)
			}
		}
		sort.SliceStable(ids, func(a, b int) bool {
			x, y := t.CPUs[ids[a]], t.CPUs[ids[b]]
			if byNode {
				return abs(c.Node-x.ID) < abs(c.Node-y.ID)
			}
			if dx, dy := abs(c.Core-x.Core), abs(c.Core-y.Core); dx != dy {
				return dx < dy
			}
			return abs(cpu-x.ID) < abs(cpu-y.ID)
		})
		return ids
	}
	order = append(order, cpu)
	order = append(order, level(func(o sim.CPUTopo) bool { return o.Core == c.Core }, false)...)
	ends[0] = len(order)
	order = append(order, level(func(o sim.CPUTopo) bool { return o.LLC == c.LLC && o.Core != c.Core }, false)...)
	ends[1] = len(order)
	order = append(order, level(func(o sim.CPUTopo) bool { return o.Node == c.Node && o.LLC != c.LLC }, true)...)
	ends[2] = len(order)
	order = append(order, level(func(o sim.CPUTopo) bool { return o.Node != c.Node }, false)...)
	ends[3] = len(order)
	return order, ends
}

// llcNeighbors is scx_lavd's compute-domain neighbour map for one domain
// per LLC (cpu_order.rs build_cpdom): the other LLCs by distance (another
// LLC of the node: 2, of another node: 10), one level per distance,
// nearest first (always 3 levels, empty ones last), each level
// circularly sorted from llc (circular_sort: by index distance around the
// sorted list, then by id).
func llcNeighbors(t *sim.Topology, llc int) [3][]int {
	node := func(l int) int { return t.CPUs[t.LLCMask[l].Next(0)].Node }
	var same, other []int
	for l := range t.LLCMask {
		switch {
		case l == llc:
		case node(l) == node(llc):
			same = append(same, l)
		default:
			other = append(other, l)
		}
	}
	var out [3][]int
	i := 0
	for _, lvl := range [][]int{same, other} {
		if len(lvl) > 0 {
			out[i] = circularSort(llc, lvl)
			i++
		}
	}
	return out
}

// circularSort is scx_lavd's circular_sort(): rest and start, sorted, then
// ordered by circular index distance from start (ties by index), without
// start.
func circularSort(start int, rest []int) []int {
	list := append(append([]int(nil), rest...), start)
	sort.Ints(list)
	s := sort.SearchInts(list, start)
	n := len(list)
	dist := func(x int) int {
		d := (x + n - s) % n
		return min(d, n-d)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if da, db := dist(idx[a]), dist(idx[b]); da != db {
			return da < db
		}
		return idx[a] < idx[b]
	})
	out := make([]int, 0, n-1)
	for _, i := range idx[1:] {
		out = append(out, list[i])
	}
	return out
}
