package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// Suite is a benchmark: every policy on every config with every seed,
// and the metrics to compare them by. docs/bench.md is its reference.
type Suite struct {
	// File is the suite's file name, as errors give it.
	File string
	Name string
	// Configs and Policies are in file order (globs expanded in name
	// order); the runs follow that order.
	Configs  []ConfigRef
	Policies []PolicyRef
	Seeds    []uint64
	// Duration and Warmup replace every config's run.duration and
	// run.warmup when not 0.
	Duration uint64
	Warmup   uint64
	Metrics  []MetricDef
	// Alpha is the significance level of the regression test (0.01);
	// Confidence the level of the intervals of the tables (0.95).
	Alpha      float64
	Confidence float64
	// Test chooses the regression test: RegressionAuto, TestPairedT,
	// RegressionWilcoxon or RegressionMannWhitney.
	Test string
}

// The regression tests a suite can ask for.
const (
	// RegressionAuto is the paired t-test when the baseline has the same seeds,
	// else Mann-Whitney U.
	RegressionAuto        = "auto"
	RegressionPairedT     = "ttest"
	RegressionWilcoxon    = "wilcoxon"
	RegressionMannWhitney = "mannwhitney"
)

// ConfigRef is one scenario of a suite.
type ConfigRef struct {
	// Name identifies the config in results: its file name without
	// .toml, or its path if two configs share a file name.
	Name string
	Path string
	Data []byte
}

// PolicyRef is one policy of a suite.
type PolicyRef struct {
	// Label identifies the policy in results (default: Spec).
	Label string
	// Spec is a built-in policy name or the path of a .bpf.o.
	Spec   string
	Params []sim.Param
	// Object is the ELF object.
	Object []byte
}

// MetricDef is a metric to track: a path into each run's results (see
// Resolve), which way is better, and how large a change must be to count.
type MetricDef struct {
	Path string `json:"path"`
	// Higher is true when a higher value is better.
	Higher    bool      `json:"higher_is_better"`
	Tolerance Tolerance `json:"tolerance"`
	// Aggregate combines the values of a path with wildcards ("sum",
	// "max", "min", "mean", "count"); without it, a wildcard path stands
	// for one metric per match.
	Aggregate string `json:"aggregate,omitempty"`
}

// Tolerance is the smallest change of a metric that counts: relative to
// the old value (Relative, 0.05 for 5%) or absolute, in the metric's
// unit.
type Tolerance struct {
	Relative float64 `json:"relative,omitempty"`
	Absolute float64 `json:"absolute,omitempty"`
}

func (t Tolerance) String() string {
	if t.Relative > 0 {
		return trimG(t.Relative*100) + "%"
	}
	return trimG(t.Absolute)
}

// Exceeded reports whether a change from old to new is larger than the
// tolerance.
func (t Tolerance) Exceeded(old, new float64) bool {
	d := new - old
	if d < 0 {
		d = -d
	}
	if t.Relative > 0 {
		if old == 0 {
			return d > 0
		}
		return d > t.Relative*abs(old)
	}
	return d > t.Absolute
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

var aggregates = []string{"sum", "max", "min", "mean", "count"}

// LoadSuite reads and parses the suite file at path.
func LoadSuite(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSuite(path, data)
}

// ParseSuite parses a suite; name is its file name, and relative config
// and policy paths are relative to its directory. The error, if any,
// lists every problem with its file:line:column, as config errors do; a
// config of the suite that does not parse is reported with its own
// errors.
func ParseSuite(name string, data []byte) (*Suite, error) {
	doc, err := sim.ParseTOML(name, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(name)
	s := &Suite{File: name, Alpha: 0.01, Confidence: 0.95, Test: RegressionAuto}
	rt := doc.Root("name", "configs", "seeds", "duration", "warmup", "alpha", "confidence", "test", "policy", "metric")
	s.Name = rt.Str("name", strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	s.Duration = rt.Duration("duration", 0)
	s.Warmup = rt.Duration("warmup", 0)
	if rt.Has("duration") && s.Duration == 0 {
		rt.Errorf("duration", "the runs must last longer than 0")
	}
	if s.Duration > 0 && rt.Has("warmup") && s.Warmup >= s.Duration {
		rt.Errorf("warmup", "warmup %s is not shorter than the duration %s", sim.FormatDuration(s.Warmup), sim.FormatDuration(s.Duration))
	}
	s.Alpha = rt.Number("alpha", 0.01, 1e-9, 0.5)
	s.Confidence = rt.Number("confidence", 0.95, 0.5, 0.9999)
	s.Test = rt.Str("test", RegressionAuto, RegressionAuto, RegressionPairedT, RegressionWilcoxon, RegressionMannWhitney)
	s.seeds(rt)
	s.configs(doc, rt, dir)
	s.policies(rt, dir)
	s.metrics(rt)
	rt.Finish()
	if err := doc.Err(); err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// Check parses every config of the suite with the suite's duration and
// warmup; it returns the first config error, or an override a config
// cannot take.
func (s *Suite) Check() error {
	for i := range s.Configs {
		if _, err := s.config(i); err != nil {
			return err
		}
	}
	return nil
}

// ParseSeeds parses a seed count ("5": seeds 1 to 5) or a comma-separated
// list of seeds ("1,7,9").
func ParseSeeds(v string) ([]uint64, error) {
	var out []uint64
	if !strings.Contains(v, ",") {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || fmt.Sprint(n) != strings.TrimSpace(v) {
			return nil, fmt.Errorf("invalid seeds %q: expected a count such as 5 or a list such as 1,7,9", v)
		}
		for i := 1; i <= n; i++ {
			out = append(out, uint64(i))
		}
		return out, nil
	}
	for _, f := range strings.Split(v, ",") {
		var n uint64
		if _, err := fmt.Sscan(strings.TrimSpace(f), &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(f) {
			return nil, fmt.Errorf("invalid seed %q in %q", f, v)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("seed %d is listed twice in %q", n, v)
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *Suite) seeds(rt *sim.TOMLTable) {
	v, ok := rt.Get("seeds")
	if !ok {
		rt.Errorf("seeds", "missing: give a count (seeds = 5 runs seeds 1 to 5) or a list of seeds")
		return
	}
	switch x := v.(type) {
	case int64:
		if x < 1 || x > 100000 {
			rt.Errorf("seeds", "%d seeds: expected a count between 1 and 100000, or a list of seeds", x)
			return
		}
		for i := int64(1); i <= x; i++ {
			s.Seeds = append(s.Seeds, uint64(i))
		}
	case []any:
		for i, e := range x {
			n, ok := e.(int64)
			if !ok || n < 0 {
				rt.Errorf("seeds", "element %d: expected a non-negative integer seed, found %v", i, e)
				return
			}
			if slices.Contains(s.Seeds, uint64(n)) {
				rt.Errorf("seeds", "seed %d is listed twice", n)
				return
			}
			s.Seeds = append(s.Seeds, uint64(n))
		}
		if len(s.Seeds) == 0 {
			rt.Errorf("seeds", "empty list; expected at least one seed")
		}
	default:
		rt.Errorf("seeds", "expected a count or a list of seeds, found %T", v)
	}
}

func (s *Suite) configs(doc *sim.TOMLDoc, rt *sim.TOMLTable, dir string) {
	pats := rt.Strings("configs")
	if !rt.Has("configs") {
		rt.Errorf("configs", "missing: list the config files to run (globs allowed, relative to the suite)")
	}
	for i, pat := range pats {
		key := fmt.Sprintf("%s[%d]", rt.Key("configs"), i)
		p := pat
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			doc.Errorf(key, "bad pattern %q: %v", pat, err)
			continue
		}
		if len(matches) == 0 && !strings.ContainsRune(pat, '/') {
			// a built-in config (configs/, embedded), by name or glob
			if names, _ := fs.Glob(configs.FS, pat); len(names) > 0 {
				for _, n := range names {
					data, _ := configs.FS.ReadFile(n)
					s.addConfig("configs/"+n, data)
				}
				continue
			}
		}
		if len(matches) == 0 {
			if strings.ContainsAny(pat, "*?[") {
				doc.Errorf(key, "%q matches no file (in %s)", pat, dir)
			} else {
				doc.Errorf(key, "config %s does not exist", p)
			}
			continue
		}
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				doc.Errorf(key, "%v", err)
				continue
			}
			s.addConfig(m, data)
		}
	}
	// names must be unique
	for i := range s.Configs {
		for j := range s.Configs {
			if i != j && s.Configs[i].Name == s.Configs[j].Name {
				s.Configs[i].Name = filepath.ToSlash(s.Configs[i].Path)
			}
		}
	}
}

func (s *Suite) addConfig(path string, data []byte) {
	if slices.ContainsFunc(s.Configs, func(c ConfigRef) bool { return c.Path == path }) {
		return // listed twice: run once
	}
	s.Configs = append(s.Configs, ConfigRef{Name: strings.TrimSuffix(filepath.Base(path), ".toml"), Path: path, Data: data})
}

func (s *Suite) policies(rt *sim.TOMLTable, dir string) {
	ts := rt.Tables("policy", func(i int) string { return fmt.Sprintf("[[policy]] %d", i+1) }, "name", "label", "params")
	if !rt.Has("policy") {
		rt.Errorf("policy", "missing: add a [[policy]] table with the name of a built-in policy or the path of a .bpf.o")
	}
	builtins := policies.Builtins()
	for _, t := range ts {
		spec := t.Str("name", "")
		if spec == "" {
			t.Errorf("name", "missing or empty: a built-in policy (%s) or the path of a .bpf.o", strings.Join(builtins, ", "))
		}
		label := t.Str("label", spec)
		params := t.Params("params")
		t.Finish()
		if spec == "" {
			continue
		}
		if slices.ContainsFunc(s.Policies, func(p PolicyRef) bool { return p.Label == label }) {
			t.Errorf("label", "policy label %q is used twice; give each [[policy]] a distinct label", label)
			continue
		}
		path := spec
		if !slices.Contains(builtins, spec) && !filepath.IsAbs(spec) && strings.ContainsAny(spec, "/.") {
			path = filepath.Join(dir, spec)
		}
		obj, err := policies.ObjectBytes(path)
		if err != nil {
			t.Errorf("name", "%v", err)
			continue
		}
		p := PolicyRef{Label: label, Spec: path, Params: params, Object: obj}
		if _, _, err := p.parse(); err != nil {
			t.Errorf("name", "%v", err)
			continue
		}
		s.Policies = append(s.Policies, p)
	}
}

// parse parses the policy's object and checks its parameters.
func (p *PolicyRef) parse() (*bpfvm.Object, map[string]any, error) {
	obj, err := bpfvm.LoadObjectReader(bytes.NewReader(p.Object), p.Spec)
	if err != nil {
		return nil, nil, err
	}
	ps, err := policies.ConfigParams(obj, p.Params)
	if err != nil {
		return nil, nil, err
	}
	return obj, ps, nil
}

func (s *Suite) metrics(rt *sim.TOMLTable) {
	ts := rt.Tables("metric", func(i int) string { return fmt.Sprintf("[[metric]] %d", i+1) },
		"path", "direction", "tolerance", "aggregate")
	if !rt.Has("metric") {
		rt.Errorf("metric", "missing: add a [[metric]] table with the path of a result, such as wakeup_latency.p99_ns")
	}
	for _, t := range ts {
		m := MetricDef{Path: t.Str("path", "")}
		if err := checkPath(m.Path); err != nil {
			t.Errorf("path", "%v", err)
		}
		if !t.Has("direction") {
			t.Errorf("direction", "missing: \"lower\" or \"higher\" (which is better)")
		}
		m.Higher = t.Str("direction", "lower", "lower", "higher") == "higher"
		m.Aggregate = t.Str("aggregate", "", aggregates...)
		if v, ok := t.Get("tolerance"); ok {
			tol, err := parseTolerance(v)
			if err != nil {
				t.Errorf("tolerance", "%v", err)
			}
			m.Tolerance = tol
		} else {
			t.Errorf("tolerance", "missing: a relative change such as \"5%%\", or an absolute one in the metric's unit (\"20us\" for a _ns metric, 0.01)")
		}
		t.Finish()
		if slices.ContainsFunc(s.Metrics, func(o MetricDef) bool { return o.Path == m.Path && o.Aggregate == m.Aggregate }) {
			t.Errorf("path", "metric %s is listed twice", m.Path)
			continue
		}
		s.Metrics = append(s.Metrics, m)
	}
}

func parseTolerance(v any) (Tolerance, error) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return Tolerance{}, fmt.Errorf("negative tolerance %d", x)
		}
		return Tolerance{Absolute: float64(x)}, nil
	case float64:
		if x < 0 || x != x {
			return Tolerance{}, fmt.Errorf("invalid tolerance %g", x)
		}
		return Tolerance{Absolute: x}, nil
	case string:
		if num, ok := strings.CutSuffix(strings.TrimSpace(x), "%"); ok {
			var f float64
			if _, err := fmt.Sscan(num, &f); err != nil || f < 0 || f != f {
				return Tolerance{}, fmt.Errorf("invalid percentage %q", x)
			}
			if f == 0 {
				return Tolerance{Absolute: 0}, nil
			}
			return Tolerance{Relative: f / 100}, nil
		}
		d, err := sim.ParseDuration(x)
		if err != nil {
			return Tolerance{}, fmt.Errorf("%q is neither a percentage (\"5%%\") nor a duration (\"20us\")", x)
		}
		return Tolerance{Absolute: float64(d)}, nil
	}
	return Tolerance{}, fmt.Errorf("expected a percentage (\"5%%\"), a duration or a number, found %T", v)
}

// config parses config i of the suite with the suite's overrides.
func (s *Suite) config(i int) (*sim.Config, error) {
	c := s.Configs[i]
	cfg, err := sim.ParseConfig(c.Path, c.Data)
	if err != nil {
		return nil, err
	}
	if s.Duration > 0 {
		cfg.Run.Duration = s.Duration
		if s.Warmup == 0 && cfg.Run.Warmup >= s.Duration {
			return nil, fmt.Errorf("%s: the suite's duration %s is not longer than the config's warmup %s; set the suite's warmup too",
				c.Path, sim.FormatDuration(s.Duration), sim.FormatDuration(cfg.Run.Warmup))
		}
	}
	if s.Warmup > 0 {
		cfg.Run.Warmup = s.Warmup
		if cfg.Run.Warmup >= cfg.Run.Duration {
			return nil, fmt.Errorf("%s: the suite's warmup %s is not shorter than the config's duration %s",
				c.Path, sim.FormatDuration(s.Warmup), sim.FormatDuration(cfg.Run.Duration))
		}
	}
	return cfg, nil
}

// Info is the description of a suite that results carry, so that a
// result file (or a shard of one) can be read without the suite.
type Info struct {
	Name       string      `json:"name"`
	File       string      `json:"file"`
	Configs    []string    `json:"configs"`
	Policies   []string    `json:"policies"`
	Seeds      []uint64    `json:"seeds"`
	DurationNs uint64      `json:"duration_ns,omitempty"`
	WarmupNs   uint64      `json:"warmup_ns,omitempty"`
	Metrics    []MetricDef `json:"metrics"`
	Alpha      float64     `json:"alpha"`
	Confidence float64     `json:"confidence"`
	Test       string      `json:"test"`
	// Hash covers the suite file, its configs and policy objects, and the
	// seeds, duration and warmup as run (after command-line overrides).
	Hash string `json:"hash"`
}

// Info describes the suite; src is the suite file's content.
func (s *Suite) Info(src []byte) Info {
	h := sha256.New()
	h.Write(src)
	in := Info{Name: s.Name, File: filepath.ToSlash(s.File), Seeds: s.Seeds, DurationNs: s.Duration, WarmupNs: s.Warmup,
		Metrics: s.Metrics, Alpha: s.Alpha, Confidence: s.Confidence, Test: s.Test}
	for _, c := range s.Configs {
		in.Configs = append(in.Configs, c.Name)
		h.Write(c.Data)
	}
	for _, p := range s.Policies {
		in.Policies = append(in.Policies, p.Label)
		h.Write(p.Object)
	}
	// overrides from the command line count too (--seeds, --duration)
	fmt.Fprintf(h, "%v %d %d", s.Seeds, s.Duration, s.Warmup)
	in.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	return in
}

func objectHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:16]
}
