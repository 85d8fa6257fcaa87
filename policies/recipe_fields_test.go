package policies

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestMapFields: [[map_fields]] writes members of each CPU's copy of a
// per-CPU map (with {a..b} ranges and the CPU's proximity map) and of an
// array map per node, as scx_layered's user space fills cpu_ctxs and
// node_data.
func TestMapFields(t *testing.T) {
	r, err := ParseRecipe("mf.toml", []byte(`name = "upstream"
[rodata]
nr_cpus = "$nr_cpus"
[[map_fields]]
map = "recipe_ctxs"
key = ["u32 0"]
for = "cpu"
prox = "prox"
[map_fields.set]
cpu = "$cpu * 10"
"order[{0..3}]" = "$i * 100 + $cpu"
[[map_fields]]
map = "node_ctxs"
key = ["u32 $node"]
for = "node"
[map_fields.set]
cpu = "$node_first"
"order[{1..$nr_nodes}]" = "shl(1, $i) + (1 + 2) * 1000"
`))
	if err != nil {
		t.Fatal(err)
	}
	topo := sim.TopologySpec{Nodes: 2, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 2}
	pol, err := Open("testdata/upstream.bpf.o", Options{NumCPUs: 8, Topology: topo, Recipe: r, NoVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	m, err := sim.NewMachine(sim.Params{Topology: topo, HZ: 1000, Seed: 1, Duration: 1e6}, pol)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	u32 := func(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
	vals, err := pol.Instance().Map("recipe_ctxs").(interface {
		LookupPerCPU([]byte) ([][]byte, error)
	}).LookupPerCPU([]byte{0, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	topology, _ := sim.NewTopology(topo)
	for cpu, v := range vals {
		if got := int32(u32(v, 0)); got != int32(cpu*10) {
			t.Errorf("CPU %d: cpu = %d, want %d", cpu, got, cpu*10)
		}
		for i := 0; i < 4; i++ {
			if got := u32(v, 4+4*i); got != uint32(i*100+cpu) {
				t.Errorf("CPU %d: order[%d] = %d, want %d", cpu, i, got, i*100+cpu)
			}
		}
		order, ends := cpuProximity(topology, cpu)
		prox := 20
		for i, c := range order {
			if got := binary.LittleEndian.Uint16(v[prox+2*i:]); got != uint16(c) {
				t.Errorf("CPU %d: prox.cpus[%d] = %d, want %d", cpu, i, got, c)
			}
		}
		for i := range ends {
			if got := u32(v, prox+128+4*i); got != uint32(ends[i]) {
				t.Errorf("CPU %d: prox end %d = %d, want %d", cpu, i, got, ends[i])
			}
		}
	}
	for node := 0; node < 2; node++ {
		v, err := pol.Instance().Map("node_ctxs").Lookup(binary.LittleEndian.AppendUint32(nil, uint32(node)))
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint(topology.NodeMask[node].Next(0), 0, 3002, 3004, 0)
		if got := fmt.Sprint(u32(v, 0), u32(v, 4), u32(v, 8), u32(v, 12), u32(v, 16)); got != want {
			t.Errorf("node %d: cpu, order = %s, want %s", node, got, want)
		}
	}
}

// TestCPUProximity checks scx_layered's proximity order on 2 nodes x 1 LLC
// x 2 cores x 2 threads: itself, its SMT sibling, its LLC, its node, the
// machine, and the ends of those levels.
func TestCPUProximity(t *testing.T) {
	topo, err := sim.NewTopology(sim.TopologySpec{Nodes: 2, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := topo.CPUs[1]
	order, ends := cpuProximity(topo, 1)
	if len(order) != 8 || order[0] != 1 || ends != [4]int{2, 4, 4, 8} {
		t.Fatalf("CPU 1 (core %d): order %v ends %v; want 8 CPUs from 1, ends [2 4 4 8]", c.Core, order, ends)
	}
	seen := map[int]bool{}
	for i, o := range order {
		oc := topo.CPUs[o]
		switch {
		case seen[o]:
			t.Errorf("CPU %d twice in %v", o, order)
		case i > 0 && i < ends[0] && oc.Core != c.Core, i >= ends[0] && i < ends[1] && (oc.LLC != c.LLC || oc.Core == c.Core),
			i >= ends[2] && oc.Node == c.Node:
			t.Errorf("order %v: CPU %d at %d is in the wrong level (ends %v)", order, o, i, ends)
		}
		seen[o] = true
	}
}

// TestPackArgArrays: "TYPE[N] VALUE" lays out N members with $i.
func TestPackArgArrays(t *testing.T) {
	b, err := packArgs([]string{"u8 1", "u32[3] $i * 2 + 1", "u16 7"}, map[string]int64{})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 7, 0}
	if fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("packed %v, want %v", b, want)
	}
	for _, bad := range []string{"u32[0] 1", "u32[x] 1", "u9[2] 1"} {
		if _, err := packArgs([]string{bad}, nil); err == nil {
			t.Errorf("%q packed", bad)
		}
	}
}

// TestLLCNeighbors: scx_lavd's circular sort (its comment's examples) and
// the per-LLC neighbour levels, same node first.
func TestLLCNeighbors(t *testing.T) {
	for start, want := range map[int]string{0: "[1 7 2 6 3 5 4]", 1: "[0 2 3 7 4 6 5]", 7: "[0 6 1 5 2 4 3]"} {
		var rest []int
		for i := 0; i < 8; i++ {
			if i != start {
				rest = append(rest, i)
			}
		}
		if got := fmt.Sprint(circularSort(start, rest)); got != want {
			t.Errorf("circular sort from %d: %s, want %s", start, got, want)
		}
	}
	topo, err := sim.NewTopology(sim.TopologySpec{Nodes: 2, LLCsPerNode: 2, CoresPerLLC: 1, ThreadsPerCore: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(llcNeighbors(topo, 1)); got != "[[0] [2 3] []]" {
		t.Errorf("LLC 1's neighbours %s, want [[0] [2 3] []]", got)
	}
	one, _ := sim.NewTopology(sim.TopologySpec{Nodes: 2, LLCsPerNode: 1, CoresPerLLC: 1, ThreadsPerCore: 1})
	if got := fmt.Sprint(llcNeighbors(one, 0)); got != "[[1] [] []]" {
		t.Errorf("one LLC per node: LLC 0's neighbours %s, want [[1] [] []]", got)
	}
}
