package sim

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is a scenario read from a TOML file: how long to run, the machine,
// the policy and the workloads. docs/config.md is its reference.
type Config struct {
	// File is the name errors use for the config.
	File      string
	Run       RunConfig
	Machine   MachineConfig
	Policy    PolicyConfig
	Workloads []Workload
	// Cgroups are the [[cgroup]] tables (cgroup.go).
	Cgroups []CgroupSpec
}

// RunConfig is the [run] table.
type RunConfig struct {
	Duration uint64 // simulated ns; default 1s
	Warmup   uint64 // ns ignored by the metrics; default 0
	Seed     uint64 // default 1
	// Starvation is the runnable wait reported as starvation (default
	// 100ms); MaxTasks bounds the tasks of the run (default 1048576).
	Starvation uint64
	MaxTasks   int
}

// MachineConfig is the [machine] table.
type MachineConfig struct {
	Topology      TopologySpec
	HZ            int
	ContextSwitch uint64
	IPI           uint64
	Wakeup        uint64 // the waker's side of try_to_wake_up()
	CallbackCost  uint64
	// Migration is the cost, by Distance, a task pays on its first run after
	// moving ([machine.migration]).
	Migration [numDistances]uint64
	// Noise is [machine.noise], nil without it.
	Noise *Noise
	// Kernel is the sched_ext version followed (kernel = "6.12" ...
	// "latest").
	Kernel KernelVersion
}

// PolicyConfig is the [policy] table.
type PolicyConfig struct {
	// Name is "fifo" or another built-in policy, or the path of a .bpf.o.
	// LoadConfig makes a relative path (one with a "/" or ending in ".o")
	// relative to the config file's directory.
	Name string
	// Pos is where the name was given (or the file, if it was not).
	Pos Pos
	// Params is [policy.params], in file order.
	Params []Param
	// InsnCostPs is the simulated cost of one BPF instruction, in
	// picoseconds (insn_cost_ps); helper and kfunc costs are charged on top.
	// 0 makes scheduler code free.
	InsnCostPs uint64
	// Interleave lets callbacks of different CPUs overlap in simulated time
	// (interleave); Quantum is the interleaving granularity in BPF
	// instructions (quantum; 0: only at lock operations); LockTimeout
	// bounds a lock wait (lock_timeout).
	Interleave  bool
	Quantum     uint64
	LockTimeout uint64
	// Engine runs the policy's BPF programs (engine): "jit", "interp", or
	// "" for the default (the JIT on linux/amd64).
	Engine string
	// BudgetInsns and BudgetTime cancel a callback that runs longer (BPF
	// instructions; simulated ns of instructions and helper costs) and
	// eject the policy (budget_insns, budget_time); 0: the VM's default
	// instruction limit, no time limit.
	BudgetInsns uint64
	BudgetTime  uint64
}

// Param is one entry of [policy.params]: a name, its TOML value (int64,
// float64, string, bool, time.Time or []any) and where it was written.
type Param struct {
	Name  string
	Value any
	Pos   Pos
	// Key is the parameter's key path for errors; empty means
	// policy.params.NAME (a config's).
	Key string
}

// Errorf returns an error about p that says where p was written.
func (p Param) Errorf(format string, args ...any) error {
	key := p.Key
	if key == "" {
		key = keyPath("policy.params", p.Name)
	}
	return &ConfigError{Pos: p.Pos, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Duration reads p as a duration ("5ms" or integer ns).
func (p Param) Duration() (uint64, error) {
	d := &decoder{pos: map[string]Pos{}}
	v, ok := d.durationValue("", p.Value)
	if !ok {
		return 0, p.Errorf("%s", d.errs[0].Msg)
	}
	return v, nil
}

// Int reads p as an integer in [lo, hi].
func (p Param) Int(lo, hi int64) (int64, error) {
	d := &decoder{pos: map[string]Pos{}}
	v := d.intValue("", p.Value, 0, lo, hi)
	if len(d.errs) > 0 {
		return 0, p.Errorf("%s", d.errs[0].Msg)
	}
	return v, nil
}

// Float reads p as a number in [lo, hi].
func (p Param) Float(lo, hi float64) (float64, error) {
	d := &decoder{pos: map[string]Pos{}}
	v := d.numberValue("", p.Value, 0, lo, hi)
	if len(d.errs) > 0 {
		return 0, p.Errorf("%s", d.errs[0].Msg)
	}
	return v, nil
}

// Bool reads p as a boolean.
func (p Param) Bool() (bool, error) {
	b, ok := p.Value.(bool)
	if !ok {
		return false, p.Errorf("expected true or false, found %s", typeName(p.Value))
	}
	return b, nil
}

// String reads p as a string.
func (p Param) String() (string, error) {
	s, ok := p.Value.(string)
	if !ok {
		return "", p.Errorf("expected a string, found %s", typeName(p.Value))
	}
	return s, nil
}

// Defaults of a config's keys.
const (
	DefaultDuration      = 1_000_000_000
	DefaultSeed          = 1
	DefaultHZ            = 1000
	DefaultContextSwitch = 2000
	DefaultIPI           = 1000
	DefaultWakeup        = 500
	DefaultPolicy        = "fifo"
	// DefaultInsnCostPs: about one cycle of a 4 GHz core per BPF
	// instruction, what JIT-compiled BPF costs in a kernel.
	DefaultInsnCostPs = 250
)

// DefaultMigration is the default [machine.migration] (by Distance).
var DefaultMigration = [numDistances]uint64{DistSame: 0, DistSMT: 200, DistLLC: 2000, DistNode: 10000, DistRemote: 25000}

// DefaultConfig is the config of an empty file: one second on a 4-CPU
// machine under FIFO, with no workload.
func DefaultConfig() *Config {
	return &Config{
		Run: RunConfig{Duration: DefaultDuration, Seed: DefaultSeed, Starvation: DefaultStarvation, MaxTasks: DefaultMaxTasks},
		Machine: MachineConfig{Topology: TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 1},
			Kernel: KernelLatest, HZ: DefaultHZ, ContextSwitch: DefaultContextSwitch, IPI: DefaultIPI, Wakeup: DefaultWakeup, Migration: DefaultMigration},
		Policy: PolicyConfig{Name: DefaultPolicy, InsnCostPs: DefaultInsnCostPs},
	}
}

// LoadConfig reads and parses the config file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(path, data)
	if err != nil {
		return nil, err
	}
	c.Policy.Name = PolicyPathFrom(filepath.Dir(path), c.Policy.Name)
	return c, nil
}

// PolicyPathFrom resolves a config's policy name against the config's
// directory dir: a relative path (one containing a "/" or ending in ".o")
// is joined to dir; built-in names and absolute paths are kept.
func PolicyPathFrom(dir, name string) string {
	if name == "" || filepath.IsAbs(name) || !(strings.Contains(name, "/") || strings.HasSuffix(name, ".o")) {
		return name
	}
	return filepath.Join(dir, name)
}

// ParseConfig parses a config; name is the file name errors give. The
// error, if any, is a ConfigErrors listing every problem with its
// file:line:column, key, what was expected and the valid choices.
func ParseConfig(name string, data []byte) (*Config, error) {
	root, d, err := decodeTOML(name, data)
	if err != nil {
		return nil, err
	}
	c := DefaultConfig()
	c.File = name
	c.Policy.Pos = Pos{File: name}
	rt := d.table("", "the top level", root, "run", "machine", "policy", "workload", "cgroup")
	d.runTable(rt.subtable("run", "[run]", "duration", "warmup", "seed", "starvation", "max_tasks"), c)
	d.machineTable(rt.subtable("machine", "[machine]", "nodes", "llcs_per_node", "cores_per_llc",
		"threads_per_core", "hz", "context_switch", "ipi", "wakeup", "callback_cost", "migration", "noise", "kernel"), c)
	d.policyTable(rt.subtable("policy", "[policy]", "name", "params", "insn_cost_ps", "interleave", "quantum", "lock_timeout", "engine", "budget_insns", "budget_time"), c)
	d.workloads(rt, c)
	d.cgroupTables(rt, c)
	d.checkWorkloadCgroups(c)
	rt.finish()
	if err := d.result(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeTOML parses a TOML document into its generic value tree and a
// decoder that knows where every key is. A syntax error is returned as
// ConfigErrors with its position.
func decodeTOML(name string, data []byte) (map[string]any, *decoder, error) {
	var root map[string]any
	if _, err := toml.Decode(string(data), &root); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := "TOML syntax error: " + pe.Message
			if pe.LastKey != "" {
				msg += " (after key " + pe.LastKey + ")"
			}
			return nil, nil, ConfigErrors{{Pos: syntaxPos(name, data, pe.Position), Msg: msg}}
		}
		return nil, nil, ConfigErrors{{Pos: Pos{File: name}, Msg: "TOML: " + err.Error()}}
	}
	return root, &decoder{file: name, pos: locateKeys(name, data)}, nil
}

// syntaxPos turns the TOML library's position of a syntax error into a
// line and column, from its byte offset when it has one (the library's
// line is off by one when the offending byte is a newline).
func syntaxPos(name string, data []byte, p toml.Position) Pos {
	if p.Start >= 0 && p.Start <= len(data) && (p.Start > 0 || p.Line <= 1) {
		line, col := 1, 1
		for _, c := range data[:p.Start] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return Pos{File: name, Line: line, Col: col}
	}
	return Pos{File: name, Line: max(p.Line, 1), Col: max(p.Col, 1)}
}

func (d *decoder) runTable(t *table, c *Config) {
	c.Run.Duration = t.duration("duration", c.Run.Duration)
	if c.Run.Duration == 0 {
		d.errorf(t.key("duration"), "the run must last longer than 0")
	}
	c.Run.Warmup = t.duration("warmup", 0)
	if c.Run.Warmup > 0 && c.Run.Warmup >= c.Run.Duration {
		d.errorf(t.key("warmup"), "warmup %s is not shorter than the duration %s",
			FormatDuration(c.Run.Warmup), FormatDuration(c.Run.Duration))
	}
	c.Run.Seed = uint64(t.integer("seed", DefaultSeed, 0, math.MaxInt64))
	c.Run.Starvation = t.duration("starvation", DefaultStarvation)
	c.Run.MaxTasks = int(t.integer("max_tasks", DefaultMaxTasks, 1, 1<<23))
	t.finish()
}

func (d *decoder) machineTable(t *table, c *Config) {
	mc := &c.Machine
	ts := &mc.Topology
	ts.Nodes = int(t.integer("nodes", int64(ts.Nodes), 1, NrCPUs))
	ts.LLCsPerNode = int(t.integer("llcs_per_node", int64(ts.LLCsPerNode), 1, NrCPUs))
	ts.CoresPerLLC = int(t.integer("cores_per_llc", int64(ts.CoresPerLLC), 1, NrCPUs))
	ts.ThreadsPerCore = int(t.integer("threads_per_core", int64(ts.ThreadsPerCore), 1, 8))
	if n := ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore; n > NrCPUs {
		d.errorf(t.path, "nodes x llcs_per_node x cores_per_llc x threads_per_core = %d CPUs; at most %d are supported", n, NrCPUs)
	}
	mc.HZ = int(t.integer("hz", DefaultHZ, 1, 100000))
	mc.ContextSwitch = t.duration("context_switch", mc.ContextSwitch)
	mc.IPI = t.duration("ipi", mc.IPI)
	mc.Wakeup = t.duration("wakeup", mc.Wakeup)
	mc.CallbackCost = t.duration("callback_cost", mc.CallbackCost)
	if name := t.str("kernel", "latest", KernelVersionNames()...); name != "" {
		if v, err := ParseKernelVersion(name); err == nil {
			mc.Kernel = v
		}
	}
	mt := t.subtable("migration", "[machine.migration]", "smt", "llc", "node", "remote")
	for _, k := range []struct {
		key string
		d   Distance
	}{{"smt", DistSMT}, {"llc", DistLLC}, {"node", DistNode}, {"remote", DistRemote}} {
		mc.Migration[k.d] = mt.duration(k.key, mc.Migration[k.d])
	}
	mt.finish()
	if t.has("noise") {
		nt := t.subtable("noise", "[machine.noise]", "cpus", "timer", "irq_rate", "irq", "kworker_every", "kworker")
		n := &Noise{CPUs: nt.cpuList("cpus", c.ncpu()), TimerCost: nt.duration("timer", 0),
			IRQRate: nt.number("irq_rate", 0, 0, 1e7), KworkerEvery: nt.duration("kworker_every", 0)}
		n.IRQ = d.optionalDist(nt, "irq", Dist{})
		n.Kworker = d.optionalDist(nt, "kworker", Dist{})
		if n.IRQRate > 0 && !nt.has("irq") {
			d.errorf(nt.key("irq"), "missing key: irq_rate needs the length of an interrupt; expected %s", distHelp)
		}
		if n.KworkerEvery > 0 && !nt.has("kworker") {
			d.errorf(nt.key("kworker"), "missing key: kworker_every needs the length of a burst; expected %s", distHelp)
		}
		if f := n.Fraction(mc.HZ); f >= 1 {
			d.errorf(nt.path, "the noise takes %.0f%% of a CPU; it must take less than all of it", f*100)
		}
		nt.finish()
		mc.Noise = n
	}
	t.finish()
}

// ncpu is the machine's CPU count, or 0 if the topology is invalid.
func (c *Config) ncpu() int {
	ts := c.Machine.Topology
	n := ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore
	if n < 1 || n > NrCPUs {
		return 0
	}
	return n
}

func (d *decoder) policyTable(t *table, c *Config) {
	if t.has("name") {
		c.Policy.Pos = d.where(t.key("name"))
	} else if _, ok := d.pos[t.path]; ok {
		c.Policy.Pos = d.where(t.path)
	}
	c.Policy.Name = t.str("name", DefaultPolicy)
	c.Policy.InsnCostPs = uint64(t.integer("insn_cost_ps", DefaultInsnCostPs, 0, 1_000_000))
	c.Policy.Interleave = t.boolean("interleave", false)
	c.Policy.Quantum = uint64(t.integer("quantum", 0, 0, 1<<30))
	c.Policy.LockTimeout = t.duration("lock_timeout", 250_000_000)
	c.Policy.Engine = t.str("engine", "", "jit", "interp")
	c.Policy.BudgetInsns = uint64(t.integer("budget_insns", 0, 0, 1<<40))
	c.Policy.BudgetTime = t.duration("budget_time", 0)
	if c.Policy.Name == "" {
		d.errorf(t.key("name"), "empty policy name; expected a built-in policy name or the path of a .bpf.o")
	}
	c.Policy.Params = d.params(t.subtable("params", "[policy.params]"))
	t.finish()
}

// params reads a table of policy parameters ([policy.params]): any key,
// with a value that is not a table, in file order.
func (d *decoder) params(pt *table) []Param {
	var ps []Param
	for _, k := range sortedKeys(pt.m) {
		v := pt.m[k]
		pt.allow(k)
		path := pt.key(k)
		switch v.(type) {
		case map[string]any, []map[string]any:
			d.errorf(path, "expected a number, string, boolean, date or array, found %s", typeName(v))
			continue
		}
		ps = append(ps, Param{Name: k, Value: v, Pos: d.where(path), Key: path})
	}
	slices.SortFunc(ps, func(a, b Param) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col - b.Pos.Col
		}
		return strings.Compare(a.Name, b.Name)
	})
	pt.finish()
	return ps
}

// Params returns the machine parameters of the config, with overrides.
func (c *Config) Params(o Overrides) Params {
	p := Params{Topology: c.Machine.Topology, HZ: c.Machine.HZ, ContextSwitch: c.Machine.ContextSwitch,
		Migration: c.Machine.Migration, IPI: c.Machine.IPI, Wakeup: c.Machine.Wakeup, CallbackCost: c.Machine.CallbackCost,
		Seed: c.Run.Seed, Duration: c.Run.Duration, Warmup: c.Run.Warmup,
		Starvation: c.Run.Starvation, MaxTasks: c.Run.MaxTasks, Noise: c.Machine.Noise, Kernel: c.Machine.Kernel,
		Interleave: c.Policy.Interleave || o.Interleave, Observers: o.Observers, Cgroups: c.Cgroups}
	if o.Seed != nil {
		p.Seed = *o.Seed
	}
	if o.Duration != nil {
		p.Duration = *o.Duration
	}
	return p
}

// Overrides replace config values from the command line.
type Overrides struct {
	Seed       *uint64
	Duration   *uint64 // simulated ns
	Interleave bool    // force interleaving on
	// Observers see the run from its first event (sim.Observer).
	Observers []Observer
}

// Build creates the config's machine running sched and installs its
// workloads. A duration override shorter than the warmup is an error.
func (c *Config) Build(sched Scheduler, o Overrides) (*Scenario, error) {
	p := c.Params(o)
	if o.Duration != nil && p.Warmup >= p.Duration {
		return nil, fmt.Errorf("--duration %s is not longer than the config's warmup %s (run.warmup)",
			FormatDuration(p.Duration), FormatDuration(p.Warmup))
	}
	return NewScenario(p, sched, c.Workloads)
}
