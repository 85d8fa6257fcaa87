package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// Options configure how a suite runs. None of them changes a run's
// results: each run is a machine of its own, as deterministic as alone.
type Options struct {
	// Workers is how many runs go at once (0: GOMAXPROCS).
	Workers int
	// Shard selects a slice of the suite (zero: all of it).
	Shard Shard
	// Engine executes the BPF programs: "jit", "interp", or "" for each
	// config's policy.engine, else policies.DefaultEngine. Engines give
	// identical schedules; only the speed differs.
	Engine string
	// Progress, if set, is called after each run (from one goroutine at a
	// time).
	Progress func(Progress)
}

// Progress reports how far a bench is.
type Progress struct {
	Done, Total int
	Last        *Run
	Elapsed     time.Duration
}

// benchGCPercent is the garbage collector's target while a bench runs
// (see Execute).
const benchGCPercent = 800

// job is one run to do.
type job struct {
	index  int
	config int
	policy int
	seed   uint64
}

// Jobs returns the runs of the suite (or of a shard of it) in order.
func (s *Suite) jobs(sh Shard) []job {
	var js []job
	i := 0
	for c := range s.Configs {
		for p := range s.Policies {
			for _, seed := range s.Seeds {
				if sh.has(i) {
					js = append(js, job{i, c, p, seed})
				}
				i++
			}
		}
	}
	return js
}

// Execute runs the suite (src is the suite file's content, for its hash)
// on a pool of workers and returns every run's results.
func Execute(s *Suite, src []byte, opts Options) (*Results, error) {
	// Simulations allocate steadily and keep little alive: with Go's
	// default GOGC=100 the collector's background work takes a quarter of
	// a core, which a single worker gets for free from an idle core but
	// parallel workers pay for. A higher target trades memory (a few times
	// each run's small live heap) for CPU: on the 2-core machine the
	// speedup of 2 workers went from 1.54x to 1.85x (docs/performance.md).
	// A GOGC the user set wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(benchGCPercent))
	}
	if opts.Engine != "" {
		if _, _, err := policies.NewEngine(opts.Engine); err != nil {
			return nil, err
		}
	}
	if opts.Shard.Count > 1 && (opts.Shard.Index < 0 || opts.Shard.Index >= opts.Shard.Count) {
		return nil, fmt.Errorf("shard %s: the index must be between 0 and %d", opts.Shard, opts.Shard.Count-1)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	res := &Results{Schema: SchemaVersion, Suite: s.Info(src), Versions: versions(s)}
	if opts.Shard.Count > 1 {
		sh := opts.Shard
		res.Shard = &sh
	}
	jobs := s.jobs(opts.Shard)
	workers = max(1, min(workers, len(jobs)))
	res.Timing.Workers = workers
	start := time.Now()
	res.Timing.Engine = opts.Engine
	if res.Timing.Engine == "" {
		res.Timing.Engine = policies.DefaultEngine()
	}
	r := &runner{suite: s, engine: opts.Engine, verified: map[verifyKey]*verifyEntry{}}
	runs := make([]Run, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	done := make(chan int)
	var stop sync.Once
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				runs[k], errs[k] = r.run(jobs[k])
				if errs[k] != nil {
					stop.Do(func() { close(quit) })
				}
				done <- k
			}
		}()
	}
	go func() {
		defer close(next)
		for k := range jobs {
			select {
			case next <- k:
			case <-quit:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	n := 0
	for k := range done {
		n++
		if opts.Progress != nil && errs[k] == nil {
			opts.Progress(Progress{Done: n, Total: len(jobs), Last: &runs[k], Elapsed: time.Since(start)})
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res.Runs = runs
	res.Timing.WallNs = time.Since(start).Nanoseconds()
	return res, nil
}

// runner holds what the runs of one bench share: the suite (read only)
// and the verification of each policy, which is done once per policy and
// machine size and reused (as a deterministic function of the object, its
// parameters and the CPU count, it is the same for every run).
type runner struct {
	suite    *Suite
	engine   string
	mu       sync.Mutex
	verified map[verifyKey]*verifyEntry
}

type verifyKey struct {
	policy, cpus int
}

// verifyEntry is the verification of one policy on one machine size. The
// first run that needs it verifies; the others do not wait for it to
// start their simulation (the verdict does not change what a loaded
// program does), only for its statistics at the end (done).
type verifyEntry struct {
	done chan struct{} // closed when rep or err is set
	rep  *policies.VerifyReport
	err  error
}

// verification returns the entry for k, and whether the caller is the
// one to verify.
func (r *runner) verification(k verifyKey) (*verifyEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.verified[k]
	if e == nil {
		e = &verifyEntry{done: make(chan struct{})}
		r.verified[k] = e
		return e, true
	}
	return e, false
}

// run simulates one (config, policy, seed).
func (r *runner) run(j job) (Run, error) {
	s := r.suite
	pr := &s.Policies[j.policy]
	out := Run{Index: j.index, Config: s.Configs[j.config].Name, Policy: pr.Label, Seed: j.seed}
	fail := func(err error) (Run, error) {
		return out, fmt.Errorf("run %d (config %s, policy %s, seed %d): %w", j.index, out.Config, out.Policy, j.seed, err)
	}
	start := time.Now()
	cfg, err := s.config(j.config)
	if err != nil {
		return fail(err)
	}
	obj, params, err := pr.parse()
	if err != nil {
		return fail(err)
	}
	mp := cfg.Params(sim.Overrides{Seed: &j.seed})
	ts := mp.Topology
	ncpu := ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore
	opts := policies.Options{NumCPUs: ncpu, Params: params, InsnCostPs: cfg.Policy.InsnCostPs, Seed: j.seed,
		Quantum: cfg.Policy.Quantum, LockTimeout: cfg.Policy.LockTimeout, Engine: r.engine}
	if opts.Engine == "" {
		opts.Engine = cfg.Policy.Engine
	}
	ve, verify := r.verification(verifyKey{j.policy, ncpu})
	opts.NoVerify = !verify
	b, err := policies.LoadObject(obj, opts)
	if verify {
		ve.err = err
		if err == nil {
			ve.rep = b.Verification
		}
		close(ve.done)
	}
	if err != nil {
		return fail(err)
	}
	defer b.Close()
	scn, err := cfg.Build(b, sim.Overrides{Seed: &j.seed})
	if err != nil {
		return fail(err)
	}
	res, err := scn.Run()
	if err != nil {
		return fail(err)
	}
	out.ScheduleHash = res.ScheduleHash
	if e := res.Ejection; e != nil {
		out.Ejection = "at " + sim.FormatDuration(e.AtNs) + ": " + e.Reason
		if e.Msg != "" {
			out.Ejection += ": " + e.Msg
		}
	}
	<-ve.done
	if ve.err != nil {
		return fail(ve.err)
	}
	doc, err := runDoc(res, b, ve.rep)
	if err != nil {
		return fail(err)
	}
	if out.Metrics, err = Measure(doc, s.Metrics); err != nil {
		return fail(err)
	}
	mt := &scn.Machine.Metrics
	out.CDF = map[string][]uint64{"wakeup_latency": cdf(&mt.WakeLatency), "runnable_delay": cdf(&mt.Delay)}
	out.WallNs = time.Since(start).Nanoseconds()
	return out, nil
}

func cdf(h *sim.Histogram) []uint64 {
	if h.Count() == 0 {
		return nil
	}
	out := make([]uint64, len(CDFQuantiles))
	for i, q := range CDFQuantiles {
		out[i] = h.Quantile(q)
	}
	return out
}

// VerifierProgram is one program's verification statistics, as the run
// document's "verifier" section holds them (what scx's CI tracks with
// veristat).
type VerifierProgram struct {
	Program        string `json:"program"`
	InsnsProcessed int    `json:"insns_processed"`
	States         int    `json:"states"`
	PeakStates     int    `json:"peak_states"`
	SizeInsns      int    `json:"size_insns"`
	TimeNs         int64  `json:"time_ns"`
}

// VerifierStats is the "verifier" section of a run document: per program
// and in total. TimeNs is wall-clock time.
type VerifierStats struct {
	Programs       []VerifierProgram `json:"programs"`
	InsnsProcessed int               `json:"insns_processed"`
	States         int               `json:"states"`
	SizeInsns      int               `json:"size_insns"`
	TimeNs         int64             `json:"time_ns"`
}

// runDoc is the document metric paths resolve in: the run's JSON result
// with the policy's verification statistics as "verifier".
func runDoc(res *sim.Result, b *policies.BPFPolicy, rep *policies.VerifyReport) (any, error) {
	doc, err := toDoc(res)
	if err != nil {
		return nil, err
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("results are not a JSON object")
	}
	var vs VerifierStats
	size := map[string]int{}
	for _, p := range b.Instance().Programs {
		size[p.Name] = len(p.Insns)
	}
	for i, r := range rep.Results {
		vp := VerifierProgram{Program: r.Prog, InsnsProcessed: r.InsnsProcessed, States: r.StatesTotal,
			PeakStates: r.PeakStates, SizeInsns: size[r.Prog]}
		if i < len(rep.Times) {
			vp.TimeNs = rep.Times[i].Nanoseconds()
		}
		vs.Programs = append(vs.Programs, vp)
		vs.InsnsProcessed += vp.InsnsProcessed
		vs.States += vp.States
		vs.SizeInsns += vp.SizeInsns
		vs.TimeNs += vp.TimeNs
	}
	if m["verifier"], err = toDoc(vs); err != nil {
		return nil, err
	}
	return m, nil
}
