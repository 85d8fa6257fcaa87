package policies

import "math/rand/v2"

// PCT configures randomised interleavings for `schedsim explore`, after the
// PCT algorithm of Burckhardt, Kothari, Musuvathi and Nagarakatte
// ("A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs",
// ASPLOS 2010), adapted to a timed simulation: each CPU gets a random
// priority; at every interleaving point (a lock operation) a CPU is held
// back by Unit ns per rank below the top, so higher-priority CPUs run
// ahead; at Depth-1 randomly chosen interleaving points the priority of
// the CPU reaching it drops below all others.
type PCT struct {
	Seed  uint64
	Depth int    // bug depth d; 0 means 3
	Steps int    // expected interleaving points per run (k); 0 means 10000
	Unit  uint64 // ns of delay per priority rank; 0 means 2000
}

type pctState struct {
	cfg    PCT
	rank   []int // 0 is the highest priority
	change []int // interleaving-point indices where a priority drops
	step   int
	low    int // next priority value for a demoted CPU
}

func newPCT(cfg PCT, ncpu int) *pctState {
	if cfg.Depth <= 0 {
		cfg.Depth = 3
	}
	if cfg.Steps <= 0 {
		cfg.Steps = 10000
	}
	if cfg.Unit == 0 {
		cfg.Unit = 2000
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9c7))
	p := &pctState{cfg: cfg, rank: r.Perm(ncpu), low: ncpu}
	for i := 0; i < cfg.Depth-1; i++ {
		p.change = append(p.change, 1+r.IntN(cfg.Steps))
	}
	return p
}

// delay is how long cpu is held back at an interleaving point.
func (p *pctState) delay(cpu int) uint64 {
	if p == nil {
		return 0
	}
	p.step++
	for _, c := range p.change {
		if c == p.step {
			p.rank[cpu] = p.low
			p.low++
		}
	}
	return uint64(p.rank[cpu]) * p.cfg.Unit
}
