package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
)

// Results are what a bench (or a shard of one) measured: the suite it
// ran, the versions, and every run with its metrics. They marshal to the
// JSON of `schedsim bench --json`, which is also the baseline format and
// the format of a shard that `schedsim bench merge` reads.
type Results struct {
	// Schema is the version of this format.
	Schema   int      `json:"schema"`
	Suite    Info     `json:"suite"`
	Versions Versions `json:"versions"`
	// Shard is set on the part of a sharded bench.
	Shard *Shard `json:"shard,omitempty"`
	// Runs are in suite order (config, policy, seed).
	Runs []Run `json:"runs"`
	// Timing is wall-clock time: it varies from one bench to the next and
	// is the only part that does.
	Timing Timing `json:"timing"`
}

// SchemaVersion is the current Results.Schema.
const SchemaVersion = 1

// Versions say what produced the results.
type Versions struct {
	Schedsim string `json:"schedsim"`
	Go       string `json:"go"`
	// Policies and Configs map a policy label or config name to a hash
	// of its object or file.
	Policies map[string]string `json:"policies"`
	Configs  map[string]string `json:"configs"`
}

// Run is one simulation of a bench.
type Run struct {
	// Index is the run's place in the whole (unsharded) suite.
	Index        int    `json:"index"`
	Config       string `json:"config"`
	Policy       string `json:"policy"`
	Seed         uint64 `json:"seed"`
	ScheduleHash string `json:"schedule_hash"`
	// Ejection says when and why the policy was ejected, if it was.
	Ejection string             `json:"ejection,omitempty"`
	Metrics  map[string]float64 `json:"metrics"`
	// CDF holds latency distributions ("wakeup_latency",
	// "runnable_delay"): the value in ns at each of CDFQuantiles.
	CDF map[string][]uint64 `json:"cdf,omitempty"`
	// WallNs is the wall-clock time the run took (timing).
	WallNs int64 `json:"wall_ns"`
}

// CDFQuantiles are the quantiles at which Run.CDF samples a distribution.
var CDFQuantiles = []float64{0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65,
	0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 1}

// Timing is the wall-clock side of a bench.
type Timing struct {
	WallNs  int64 `json:"wall_ns"`
	Workers int   `json:"workers"`
	// Engine ran the BPF programs (by default; a config may choose its
	// own). It changes the speed, not the results.
	Engine string `json:"engine"`
}

// Shard is the i-th (from 0) of n slices of a suite: the runs whose index
// is i modulo n.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// has reports whether run i belongs to the shard.
func (s Shard) has(i int) bool { return s.Count <= 1 || i%s.Count == s.Index }

func versions(s *Suite) Versions {
	v := Versions{Schedsim: "(devel)", Go: runtime.Version(), Policies: map[string]string{}, Configs: map[string]string{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v.Schedsim = bi.Main.Version
		}
		for _, st := range bi.Settings {
			if st.Key == "vcs.revision" {
				v.Schedsim += " " + st.Value
			}
		}
	}
	for _, p := range s.Policies {
		v.Policies[p.Label] = objectHash(p.Object)
	}
	for _, c := range s.Configs {
		v.Configs[c.Name] = objectHash(c.Data)
	}
	return v
}

// WriteFile writes the results as indented JSON.
func (r *Results) WriteFile(path string) error {
	data, err := r.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Marshal returns the results as indented JSON.
func (r *Results) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// ReadResults reads a results file (a bench's JSON, a baseline or a
// shard).
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a schedsim bench results file: %v", path, err)
	}
	if r.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: results format %d; this schedsim reads format %d", path, r.Schema, SchemaVersion)
	}
	return &r, nil
}

// Merge joins the parts of a sharded bench into the results the unsharded
// bench gives: the parts must come from the same suite and versions and
// together hold every run exactly once. Timing adds up the parts' wall
// time and workers.
func Merge(parts []*Results, names []string) (*Results, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := parts[0]
	out := &Results{Schema: SchemaVersion, Suite: first.Suite, Versions: first.Versions}
	out.Timing.Engine = first.Timing.Engine
	total := len(first.Suite.Configs) * len(first.Suite.Policies) * len(first.Suite.Seeds)
	seen := make([]string, total)
	for k, p := range parts {
		if p.Suite.Hash != first.Suite.Hash {
			return nil, fmt.Errorf("%s is from suite %s (%s), %s from suite %s (%s): not parts of one bench",
				names[k], p.Suite.Name, p.Suite.Hash, names[0], first.Suite.Name, first.Suite.Hash)
		}
		if !versionsEqual(p.Versions, first.Versions) {
			return nil, fmt.Errorf("%s was made by schedsim %s (%s), %s by %s (%s): merge parts of one build only",
				names[k], p.Versions.Schedsim, p.Versions.Go, names[0], first.Versions.Schedsim, first.Versions.Go)
		}
		for _, r := range p.Runs {
			if r.Index < 0 || r.Index >= total {
				return nil, fmt.Errorf("%s: run %d is outside the suite's %d runs", names[k], r.Index, total)
			}
			if seen[r.Index] != "" {
				return nil, fmt.Errorf("run %d (%s, %s, seed %d) is in both %s and %s", r.Index, r.Config, r.Policy, r.Seed, seen[r.Index], names[k])
			}
			seen[r.Index] = names[k]
			out.Runs = append(out.Runs, r)
		}
		out.Timing.WallNs += p.Timing.WallNs
		out.Timing.Workers += p.Timing.Workers
	}
	var missing []int
	for i, s := range seen {
		if s == "" {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%d of %d runs are missing (runs %v...): is a shard missing?", len(missing), total, missing[:min(len(missing), 8)])
	}
	slices.SortFunc(out.Runs, func(a, b Run) int { return a.Index - b.Index })
	return out, nil
}

func versionsEqual(a, b Versions) bool {
	if a.Schedsim != b.Schedsim || a.Go != b.Go || len(a.Policies) != len(b.Policies) || len(a.Configs) != len(b.Configs) {
		return false
	}
	for k, v := range a.Policies {
		if b.Policies[k] != v {
			return false
		}
	}
	for k, v := range a.Configs {
		if b.Configs[k] != v {
			return false
		}
	}
	return true
}
