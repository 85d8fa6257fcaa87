package sim

import "fmt"

// TopologySpec describes a machine: NUMA nodes, LLC domains per node, cores
// per LLC and hardware threads (SMT siblings) per core.
type TopologySpec struct {
	Nodes          int
	LLCsPerNode    int
	CoresPerLLC    int
	ThreadsPerCore int
}

// Distance is how far apart two CPUs are, for migration penalties.
type Distance uint8

const (
	DistSame   Distance = iota // the same CPU
	DistSMT                    // SMT siblings: share L1/L2
	DistLLC                    // same last-level cache
	DistNode                   // same NUMA node, other LLC
	DistRemote                 // other NUMA node
	numDistances
)

func (d Distance) String() string {
	return [...]string{"same", "smt", "llc", "node", "remote"}[d]
}

// CPUTopo places one CPU.
type CPUTopo struct {
	ID, Core, LLC, Node, Thread int
}

// Topology is a machine's CPUs and the masks of its domains.
type Topology struct {
	Spec     TopologySpec
	CPUs     []CPUTopo
	CoreMask []CPUMask // SMT siblings of each core
	LLCMask  []CPUMask
	NodeMask []CPUMask
	All      CPUMask
}

// NewTopology builds a topology. CPU ids are numbered as Linux numbers them
// on x86: first every core's first thread (node by node, LLC by LLC), then
// every core's second thread, and so on.
func NewTopology(s TopologySpec) (*Topology, error) {
	if s.Nodes < 1 || s.LLCsPerNode < 1 || s.CoresPerLLC < 1 || s.ThreadsPerCore < 1 {
		return nil, fmt.Errorf("topology %+v: every count must be at least 1", s)
	}
	cores := s.Nodes * s.LLCsPerNode * s.CoresPerLLC
	n := cores * s.ThreadsPerCore
	if n > NrCPUs {
		return nil, fmt.Errorf("topology has %d CPUs; at most %d are supported", n, NrCPUs)
	}
	t := &Topology{Spec: s, CPUs: make([]CPUTopo, n),
		CoreMask: make([]CPUMask, cores),
		LLCMask:  make([]CPUMask, s.Nodes*s.LLCsPerNode),
		NodeMask: make([]CPUMask, s.Nodes)}
	for th := 0; th < s.ThreadsPerCore; th++ {
		for core := 0; core < cores; core++ {
			id := th*cores + core
			llc := core / s.CoresPerLLC
			node := llc / s.LLCsPerNode
			t.CPUs[id] = CPUTopo{ID: id, Core: core, LLC: llc, Node: node, Thread: th}
			t.CoreMask[core].Set(id)
			t.LLCMask[llc].Set(id)
			t.NodeMask[node].Set(id)
			t.All.Set(id)
		}
	}
	return t, nil
}

// NumCPUs is the number of CPUs.
func (t *Topology) NumCPUs() int { return len(t.CPUs) }

// SMT reports whether cores have more than one thread.
func (t *Topology) SMT() bool { return t.Spec.ThreadsPerCore > 1 }

// Distance returns how far apart CPUs a and b are.
func (t *Topology) Distance(a, b int) Distance {
	switch ca, cb := t.CPUs[a], t.CPUs[b]; {
	case a == b:
		return DistSame
	case ca.Core == cb.Core:
		return DistSMT
	case ca.LLC == cb.LLC:
		return DistLLC
	case ca.Node == cb.Node:
		return DistNode
	default:
		return DistRemote
	}
}
