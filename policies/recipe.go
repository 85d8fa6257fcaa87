package policies

import (
	"bytes"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// A Recipe is, as data, what an upstream scheduler's user space does around
// loading its BPF object (scx_ops_open!/load!/attach! and the steps
// between): set rodata and kconfig values, ops.flags, resize arrays, and run
// SEC("syscall") programs with BPF_PROG_RUN once, per CPU or per SMT pair,
// after the machine exists and before ops.init. Values may be expressions
// over the simulated topology, computed as libbpf and scx's topology code
// would report them (see recipeVars). Recipes for upstream schedulers ship
// in policies/recipes/ and are found by the object's ops name.
type Recipe struct {
	// Name is the ops name (sched_ext_ops.name) the recipe applies to.
	Name string `toml:"name"`
	// About says where the recipe comes from (the user space it mirrors).
	About string `toml:"about"`
	// Base names a shipped recipe this one extends (see parseRecipe).
	Base string `toml:"base"`
	// Rodata sets `const volatile` globals by name (integers, booleans,
	// strings, arrays of integers, or "$expression" strings).
	Rodata map[string]any `toml:"rodata"`
	// Kconfig overrides .kconfig values.
	Kconfig map[string]any `toml:"kconfig"`
	// OpsFlags, if set, replaces sched_ext_ops.flags (an integer or an
	// expression); OpsFlagsOr is ORed into them.
	OpsFlags   any `toml:"ops_flags"`
	OpsFlagsOr any `toml:"ops_flags_or"`
	// Resize gives new sizes in bytes of .data.*/.bss.* sections
	// (RESIZE_ARRAY), as expressions.
	Resize map[string]string `toml:"resize"`
	// MaxEntries sets declared maps' max_entries (bpf_map__set_max_entries).
	MaxEntries map[string]string `toml:"max_entries"`
	// BootOffset is Options.BootOffset, a duration ("1s").
	BootOffset string `toml:"boot_offset"`
	// Syscall lists SEC("syscall") programs to run before ops.init.
	Syscall []SyscallStep `toml:"syscall"`
	// PerCPU sets element i of each named array global to an expression
	// of CPU i ($cpu, $core, $llc, $node, $thread, $sibling), as user space
	// fills skel->bss->cpu_llc_ids[cpu]; PerLLC likewise per LLC ($llc,
	// $llc_first, $node, $llc_cpus, $llc_mask0..7: the words of its CPU
	// mask), PerNode per NUMA node ($node, $node_first, $node_cpus,
	// $node_mask0..7).
	PerCPU  map[string]string `toml:"per_cpu"`
	PerLLC  map[string]string `toml:"per_llc"`
	PerNode map[string]string `toml:"per_node"`
	// Map lists map updates user space makes after load, before ops.init
	// (skel.maps.X.update(key, value)), in order.
	Map []MapWrite `toml:"map"`
	// MapFields writes members of map values after load, before ops.init
	// (recipe_fields.go).
	MapFields []MapFields `toml:"map_fields"`
	// InnerMaps fills the first Count slots of a map-in-map with new maps
	// of its inner template, as user space does with bpf_map_create and
	// bpf_map_update_elem (scx_pair's per-cgroup queues).
	InnerMaps []InnerMaps `toml:"inner_maps"`
	// Periodic lists what user space does at a fixed period during the
	// run (a map update or a SEC("syscall") program, as scx schedulers'
	// user space refreshes maps every 250 ms).
	Periodic []PeriodicStep `toml:"periodic"`
	// Autoload turns on SEC("?...") programs (libbpf's
	// bpf_program__set_autoload(true); progload.go).
	Autoload []string `toml:"autoload"`
	// UserTask is a user-space scheduler task (usertask.go).
	UserTask *UserTask `toml:"user_task"`
	// KernelThreads adds the machine's per-CPU kernel threads
	// (kthreads.go).
	KernelThreads *KernelThreads `toml:"kernel_threads"`
	// ArenaLib runs scx's arena library setup (rust/scx_arena arenalib.rs,
	// ArenaLib::init + setup) after load, before ops.init.
	ArenaLib *ArenaLibStep `toml:"arena_lib"`

	file string
	// absent lists the rodata variables apply found missing from the
	// object (another version of the scheduler): skipped and named in a note.
	absent []string
	// shipped: one of policies/recipes/, written against one scx version;
	// a rodata variable another version lacks is skipped with a note. A
	// user's recipe file naming a variable the object lacks is an error.
	shipped bool
}

// ArenaLibStep is scx's ArenaLib setup: arena_init(static_pages,
// task_ctx_size), arena_topology_init(max children per level), then for the
// machine, each node, LLC, core and CPU: arena_alloc_mask, the CPU mask
// written into the arena by user space, arena_topology_node_init.
type ArenaLibStep struct {
	// TaskCtx is the struct whose size is task_ctx_size (the scheduler's
	// per-task arena data, e.g. "task_p2dq"), from the object's BTF.
	TaskCtx string `toml:"task_ctx"`
	// StaticPages is arena_init's static_pages (scx: 8).
	StaticPages uint64 `toml:"static_pages"`
}

// InnerMaps is one [[inner_maps]] step.
type InnerMaps struct {
	Map   string `toml:"map"`
	Count string `toml:"count"`
}

// MapWrite updates a map: Key and Value are packed like SyscallStep.Args,
// once or for each CPU/SMT pair/LLC (For), if When is not 0.
type MapWrite struct {
	Map   string   `toml:"map"`
	For   string   `toml:"for"`
	Key   []string `toml:"key"`
	Value []string `toml:"value"`
	When  string   `toml:"when"`
}

// SyscallStep runs one SEC("syscall") program with BPF_PROG_RUN.
type SyscallStep struct {
	// Prog is the program's name.
	Prog string `toml:"prog"`
	// For is "once" (default), "cpu" (each CPU: $cpu), "smt" (each CPU
	// with its SMT sibling: $cpu, $sibling; -1 without SMT), "primary"
	// (each CPU of the first thread of its core), or "llc" (each LLC:
	// $llc, $llc_first).
	For string `toml:"for"`
	// Args is the context struct, one "TYPE VALUE" per member, laid out
	// with C alignment: TYPE is u8/s8/u16/s16/u32/s32/u64/s64.
	Args []string `toml:"args"`
	// AllowFail accepts a non-zero return (user space ignores it).
	AllowFail bool `toml:"allow_fail"`
	// AfterInit runs the step after ops.init (user space runs it after
	// attaching the scheduler) instead of before.
	AfterInit bool `toml:"after_init"`
	// When, if set, is an expression: the step runs only if it is not 0
	// (e.g. "$smt").
	When string `toml:"when"`
}

//go:embed recipes/*.toml
var recipeFS embed.FS

// ParseRecipe parses a recipe in TOML; name is used in messages.
func ParseRecipe(name string, data []byte) (*Recipe, error) {
	return parseRecipe(name, data, 0)
}

// parseRecipe decodes a recipe over the shipped recipe its `base` names,
// if any: the base's tables stay unless the recipe sets the same keys,
// its other values and its [[...]] lists are replaced by the recipe's.
func parseRecipe(name string, data []byte, depth int) (*Recipe, error) {
	var r Recipe
	var head struct {
		Base string `toml:"base"`
	}
	if _, err := toml.Decode(string(data), &head); err == nil && head.Base != "" {
		if depth > 4 {
			return nil, fmt.Errorf("recipe %s: base %q: bases nest too deep", name, head.Base)
		}
		bdata, err := recipeFS.ReadFile(path.Join("recipes", head.Base+".toml"))
		if err != nil {
			return nil, fmt.Errorf("recipe %s: base %q is not a shipped recipe (%s)", name, head.Base, strings.Join(Recipes(), ", "))
		}
		b, err := parseRecipe("policies/recipes/"+head.Base+".toml", bdata, depth+1)
		if err != nil {
			return nil, err
		}
		r = *b
		r.Base = head.Base
	}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&r)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", name, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return nil, fmt.Errorf("recipe %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("recipe %s: unknown keys %s (valid: name, about, base, autoload, rodata, kconfig, ops_flags, ops_flags_or, resize, max_entries, boot_offset, inner_maps.map/count, periodic.every/prog/args/map/key/value/for/set/or, user_task.comm/from/to/queued/scheduled/cost/batch/order, kernel_threads.every/run, per_cpu, per_llc, per_node, arena_lib.task_ctx/static_pages, map.map/for/key/value/when, map_fields.map/key/for/set/prox, syscall.prog/for/args/allow_fail/when/after_init)",
			name, strings.Join(keys, ", "))
	}
	for i, mf := range r.MapFields {
		switch mf.For {
		case "", "once", "cpu", "smt", "primary", "llc", "node":
		default:
			return nil, fmt.Errorf("recipe %s: map_fields[%d] (%s): for = %q; valid: once, cpu, smt, primary, llc, node", name, i, mf.Map, mf.For)
		}
	}
	for i, w := range r.Map {
		switch w.For {
		case "", "once", "cpu", "smt", "primary", "llc", "node":
		default:
			return nil, fmt.Errorf("recipe %s: map[%d] (%s): for = %q; valid: once, cpu, smt, primary, llc, node", name, i, w.Map, w.For)
		}
	}
	for i, ps := range r.Periodic {
		if d, err := sim.ParseDuration(ps.Every); err != nil || d < 1000 {
			return nil, fmt.Errorf("recipe %s: periodic[%d]: every = %q: expected a duration of at least 1µs", name, i, ps.Every)
		}
		if ps.Prog == "" && ps.Map == "" && len(ps.Set) == 0 && len(ps.Or) == 0 {
			return nil, fmt.Errorf("recipe %s: periodic[%d] has none of prog, map, set, or", name, i)
		}
		switch ps.For {
		case "", "once", "cpu", "smt", "primary", "llc", "node":
		default:
			return nil, fmt.Errorf("recipe %s: periodic[%d]: for = %q; valid: once, cpu, smt, primary, llc, node", name, i, ps.For)
		}
	}
	for i, s := range r.Syscall {
		switch s.For {
		case "", "once", "cpu", "smt", "primary", "llc", "node":
		default:
			return nil, fmt.Errorf("recipe %s: syscall[%d] (%s): for = %q; valid: once, cpu, smt, primary, llc, node", name, i, s.Prog, s.For)
		}
		if s.Prog == "" {
			return nil, fmt.Errorf("recipe %s: syscall[%d] has no prog", name, i)
		}
	}
	r.file = name
	return &r, nil
}

// Recipes lists the recipes that ship with schedsim, by ops name.
func Recipes() []string {
	ents, _ := recipeFS.ReadDir("recipes")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".toml"))
	}
	sort.Strings(names)
	return names
}

// FindRecipe returns the shipped recipe called name (an ops name), or nil.
func FindRecipe(name string) (*Recipe, error) {
	data, err := recipeFS.ReadFile(path.Join("recipes", name+".toml"))
	if err != nil {
		return nil, nil
	}
	r, err := ParseRecipe("policies/recipes/"+name+".toml", data)
	if r != nil {
		r.shipped = true
	}
	return r, err
}

// LoadRecipe resolves --recipe NAME|FILE: a shipped recipe's name or the
// path of a TOML file.
func LoadRecipe(spec string) (*Recipe, error) {
	if r, err := FindRecipe(spec); r != nil || err != nil {
		return r, err
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("recipe %q is neither a shipped recipe (%s) nor a readable file: %w",
			spec, strings.Join(Recipes(), ", "), err)
	}
	return ParseRecipe(spec, data)
}

// apply merges the recipe into opts for obj (rodata, kconfig, resizes) and
// returns the ops.flags to use (ok false: keep the object's).
func (r *Recipe) apply(obj *bpfvm.Object, opts *Options, objFlags uint64) (flags uint64, ok bool, err error) {
	topo, err := sim.NewTopology(opts.Topology)
	if err != nil {
		return 0, false, err
	}
	vars := recipeVars(topo, opts.HZ)
	for _, name := range r.Autoload {
		found := false
		for _, p := range obj.Programs {
			found = found || p.Name == name && strings.HasPrefix(p.Section, "?")
		}
		if !found {
			return 0, false, fmt.Errorf("recipe %s: autoload: %s is not a SEC(\"?...\") program of the object", r.file, name)
		}
	}
	if opts.Params == nil {
		opts.Params = map[string]any{}
	}
	for _, rk := range sortedAnyKeys(r.Rodata) {
		keys, is, err := expandRange(rk, vars)
		if err != nil {
			return 0, false, fmt.Errorf("recipe %s: rodata %s: %w", r.file, rk, err)
		}
		for j, k := range keys {
			if _, set := opts.Params[k]; set {
				continue // the user's [policy.params] win
			}
			if _, ok := obj.Var(bpfvm.VarBase(k)); !ok && r.shipped {
				// a variable this build of the scheduler does not have
				// (renamed or dropped upstream): skip it, named in a note,
				// as a skeleton built for this object would not set it
				r.absent = append(r.absent, k)
				continue
			}
			typ, err := obj.VarType(k)
			if err != nil {
				return 0, false, fmt.Errorf("recipe %s: rodata %s: %v", r.file, k, err)
			}
			vs := vars
			if is[j] >= 0 {
				vs = mergeVars(vars, map[string]int64{"i": is[j]})
			}
			v, err := resolveValue(r.Rodata[rk], vs)
			if err != nil {
				return 0, false, fmt.Errorf("recipe %s: rodata %s: %w", r.file, k, err)
			}
			if n, isInt := v.(int64); isInt && isBool(typ) {
				v = n != 0 // "$smt" for a bool
			} else if isInt {
				v = cInt(typ, n)
			}
			opts.Params[k] = v
		}
	}
	for _, k := range sortedKeys(r.PerCPU) {
		for _, c := range topo.CPUs {
			cv := cpuVars(topo, c.ID)
			v, err := evalExpr(strings.TrimPrefix(r.PerCPU[k], "="), mergeVars(vars, cv))
			if err != nil {
				return 0, false, fmt.Errorf("recipe %s: per_cpu %s: %w", r.file, k, err)
			}
			opts.Params[indexed(k, c.ID)] = v
		}
	}
	for _, k := range sortedKeys(r.PerLLC) {
		for llc := range topo.LLCMask {
			lv := llcVars(topo, llc)
			for lvl, ids := range llcNeighbors(topo, llc) {
				lv[fmt.Sprintf("nbr%d_n", lvl)] = int64(len(ids))
				for j := 0; j < 16; j++ {
					id := int64(-1)
					if j < len(ids) {
						id = int64(ids[j])
					}
					lv[fmt.Sprintf("nbr%d_%d", lvl, j)] = id
				}
			}
			v, err := evalExpr(strings.TrimPrefix(r.PerLLC[k], "="), mergeVars(vars, lv))
			if err != nil {
				return 0, false, fmt.Errorf("recipe %s: per_llc %s: %w", r.file, k, err)
			}
			opts.Params[indexed(k, llc)] = v
		}
	}
	for _, k := range sortedKeys(r.PerNode) {
		for node := range topo.NodeMask {
			v, err := evalExpr(strings.TrimPrefix(r.PerNode[k], "="), mergeVars(vars, nodeVars(topo, node)))
			if err != nil {
				return 0, false, fmt.Errorf("recipe %s: per_node %s: %w", r.file, k, err)
			}
			opts.Params[indexed(k, node)] = v
		}
	}
	if len(r.Kconfig) > 0 && opts.Kconfig == nil {
		opts.Kconfig = map[string]any{}
	}
	for _, k := range sortedAnyKeys(r.Kconfig) {
		if _, set := opts.Kconfig[k]; set {
			continue
		}
		v, err := resolveValue(r.Kconfig[k], vars)
		if err != nil {
			return 0, false, fmt.Errorf("recipe %s: kconfig %s: %w", r.file, k, err)
		}
		opts.Kconfig[k] = v
	}
	if len(r.Resize) > 0 && opts.DataSizes == nil {
		opts.DataSizes = map[string]uint32{}
	}
	for _, sec := range sortedKeys(r.Resize) {
		if !hasDataSection(obj, sec) {
			return 0, false, fmt.Errorf("recipe %s: resize %s: no global data section %s in the object", r.file, sec, sec)
		}
		n, err := evalExpr(strings.TrimPrefix(r.Resize[sec], "="), vars)
		if err != nil || n <= 0 || n > 1<<30 {
			return 0, false, fmt.Errorf("recipe %s: resize %s: %q: size %d, %v", r.file, sec, r.Resize[sec], n, err)
		}
		if _, set := opts.DataSizes[sec]; !set {
			opts.DataSizes[sec] = uint32(n)
		}
	}
	for _, name := range sortedKeys(r.MaxEntries) {
		n, err := evalExpr(strings.TrimPrefix(r.MaxEntries[name], "="), vars)
		if err != nil || n <= 0 || n > 1<<30 {
			return 0, false, fmt.Errorf("recipe %s: max_entries %s: %q: %d, %v", r.file, name, r.MaxEntries[name], n, err)
		}
		if opts.MaxEntries == nil {
			opts.MaxEntries = map[string]uint32{}
		}
		if _, set := opts.MaxEntries[name]; !set {
			opts.MaxEntries[name] = uint32(n)
		}
	}
	if r.BootOffset != "" && opts.BootOffset == 0 {
		d, err := sim.ParseDuration(r.BootOffset)
		if err != nil {
			return 0, false, fmt.Errorf("recipe %s: boot_offset: %v", r.file, err)
		}
		opts.BootOffset = d
	}
	flags = objFlags
	if r.OpsFlags != nil {
		v, err := resolveValue(r.OpsFlags, vars)
		if err != nil {
			return 0, false, fmt.Errorf("recipe %s: ops_flags: %w", r.file, err)
		}
		n, isInt := v.(int64)
		if !isInt {
			return 0, false, fmt.Errorf("recipe %s: ops_flags: expected an integer, found %T", r.file, v)
		}
		flags, ok = uint64(n), true
	}
	if r.OpsFlagsOr != nil {
		v, err := resolveValue(r.OpsFlagsOr, vars)
		if err != nil {
			return 0, false, fmt.Errorf("recipe %s: ops_flags_or: %w", r.file, err)
		}
		n, isInt := v.(int64)
		if !isInt {
			return 0, false, fmt.Errorf("recipe %s: ops_flags_or: expected an integer, found %T", r.file, v)
		}
		flags, ok = flags|uint64(n), true
	}
	return flags, ok, nil
}

func sortedAnyKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// runSyscalls runs the recipe's syscall programs on CPU 0's context, as
// user space's BPF_PROG_RUN does between load and attach.
// Attached implements sim.Attacher: what the recipe's user space does
// after the attach (after ops.init and every ops.cgroup_init): the
// after_init syscall programs, then its periodic work and tasks.
func (b *BPFPolicy) Attached() error {
	if b.recipe == nil || b.fault != nil {
		return nil
	}
	if err := b.runSyscalls(b.recipe, true); err != nil {
		return err
	}
	b.startPeriodic(b.recipe)
	return b.startRecipeTasks(b.recipe)
}

func (b *BPFPolicy) runSyscalls(r *Recipe, afterInit bool) error {
	vars := recipeVars(b.topo, b.opts.HZ)
	for _, st := range r.Syscall {
		if st.AfterInit != afterInit {
			continue
		}
		prog, err := b.program(r, st.Prog)
		if err != nil {
			return err
		}
		if st.When != "" {
			on, err := evalExpr(strings.TrimPrefix(st.When, "="), vars)
			if err != nil {
				return fmt.Errorf("recipe %s: syscall %s: when: %w", r.file, st.Prog, err)
			}
			if on == 0 {
				continue
			}
		}
		for _, v := range syscallIterations(b.topo, st.For) {
			for k, x := range v {
				vars[k] = x
			}
			err := b.runSyscall(r, st, prog, vars)
			if afterInit && errors.Is(err, errEndedScheduler) {
				// After attach, a program that ends the scheduler
				// does what the kernel does with it (the prog_run
				// selftest: scx_bpf_exit() from BPF_PROG_RUN is
				// SCX_EXIT_UNREG_BPF); the rest of the steps would
				// find no scheduler.
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// runMapWrites applies the recipe's map updates (inner maps first).
func (b *BPFPolicy) runMapWrites(r *Recipe) error {
	vars := recipeVars(b.topo, b.opts.HZ)
	for _, im := range r.InnerMaps {
		outer := b.inst.Map(im.Map)
		if outer == nil || outer.Spec().Inner == nil {
			return fmt.Errorf("recipe %s: inner_maps: %s is not a map-in-map of the object", r.file, im.Map)
		}
		n, err := evalExpr(strings.TrimPrefix(im.Count, "="), vars)
		if err != nil || n < 0 || n > int64(outer.Spec().MaxEntries) {
			return fmt.Errorf("recipe %s: inner_maps %s: count %q: %d, %v (at most %d)", r.file, im.Map, im.Count, n, err, outer.Spec().MaxEntries)
		}
		for i := int64(0); i < n; i++ {
			spec := *outer.Spec().Inner
			spec.Name = fmt.Sprintf("%s[%d]", im.Map, i)
			_, idx, err := b.vm.NewMap(&spec)
			if err != nil {
				return fmt.Errorf("recipe %s: inner_maps %s: %w", r.file, im.Map, err)
			}
			if err := outer.Update(binary.LittleEndian.AppendUint32(nil, uint32(i)), binary.LittleEndian.AppendUint32(nil, uint32(idx)), 0); err != nil {
				return fmt.Errorf("recipe %s: inner_maps %s: %w", r.file, im.Map, err)
			}
		}
	}
	if err := b.runMapFields(r); err != nil {
		return err
	}
	for _, w := range r.Map {
		m := b.inst.Map(w.Map)
		if m == nil {
			return fmt.Errorf("recipe %s: map %s is not in the object", r.file, w.Map)
		}
		if w.When != "" {
			on, err := evalExpr(strings.TrimPrefix(w.When, "="), vars)
			if err != nil {
				return fmt.Errorf("recipe %s: map %s: when: %w", r.file, w.Map, err)
			}
			if on == 0 {
				continue
			}
		}
		for _, it := range syscallIterations(b.topo, w.For) {
			if err := updateMap(m, w.Key, w.Value, mergeVars(vars, it)); err != nil {
				return fmt.Errorf("recipe %s: map %s: %w", r.file, w.Map, err)
			}
		}
	}
	return nil
}

// updateMap packs key and value (as SyscallStep.Args) and updates m.
func updateMap(m bpfvm.Map, key, value []string, vars map[string]int64) error {
	k, err := packArgs(key, vars)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	v, err := packArgs(value, vars)
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	return m.Update(k, v, 0)
}

func (b *BPFPolicy) runSyscall(r *Recipe, st SyscallStep, prog *bpfvm.Program, vars map[string]int64) error {
	buf, err := packArgs(st.Args, vars)
	if err != nil {
		return fmt.Errorf("recipe %s: syscall %s: %w", r.file, st.Prog, err)
	}
	ret, _, err := b.progRun(prog, buf)
	if err != nil {
		return fmt.Errorf("recipe %s: syscall program %s: %w", r.file, st.Prog, err)
	}
	if int32(ret) != 0 && !st.AllowFail {
		return fmt.Errorf("recipe %s: syscall program %s returned %d", r.file, st.Prog, int32(ret))
	}
	return nil
}

// cInt converts v as C assigns it to an integer of type t: a negative
// value for an unsigned type is taken modulo 2^bits (-1 is U64_MAX).
func cInt(t btf.Type, v int64) any {
	it, ok := btf.UnderlyingType(t).(*btf.Int)
	if !ok || v >= 0 || it.Encoding&btf.Signed != 0 || it.Size == 0 || it.Size > 8 {
		return v
	}
	u := uint64(v)
	if it.Size < 8 {
		u &= 1<<(8*it.Size) - 1
	}
	return u
}

func isBool(t btf.Type) bool {
	i, ok := btf.UnderlyingType(t).(*btf.Int)
	return ok && i.Encoding&btf.Bool != 0
}

// errEndedScheduler is a SEC("syscall") program's scx_bpf_exit() or
// scx_bpf_error(): the scheduler's exit is recorded (scx_ops_exit_kind()),
// and the core ejects it at the end of the current event.
var errEndedScheduler = errors.New("ended the scheduler")

// progRun is BPF_PROG_RUN of a SEC("syscall") program on CPU 0's context:
// ctx is copied in (context_in) and back out (context_out).
func (b *BPFPolicy) progRun(prog *bpfvm.Program, ctx []byte) (int32, []byte, error) {
	return b.progRunOn(0, prog, ctx)
}

// progRunOn is progRun on CPU cpu's context (bpf_get_smp_processor_id() is
// cpu), or on the first idle context if cpu's is mid-callback.
func (b *BPFPolicy) progRunOn(cpu int, prog *bpfvm.Program, ctx []byte) (int32, []byte, error) {
	mem := b.vm.Mem
	addr := uint64(0)
	if len(ctx) > 0 {
		a, err := mem.Alloc(uint64(len(ctx)), 8)
		if err != nil {
			return 0, nil, err
		}
		defer mem.Free(a)
		copy(mem.MustBytes(a, uint64(len(ctx))), ctx)
		addr = a
	}
	c := b.ctxOf(cpu)
	for x := range b.ctxs {
		if !c.Active() {
			break
		}
		if !b.ctxOf(x).Active() { // (with interleaving, a CPU may be mid-callback)
			c = b.ctxs[x]
		}
	}
	b.depth++
	ret, err := c.Call(prog, addr, uint64(len(ctx)))
	b.depth--
	if err != nil {
		return 0, nil, err
	}
	if b.k.Failed() {
		return 0, nil, fmt.Errorf("%s %w", prog.Name, errEndedScheduler)
	}
	var out []byte
	if len(ctx) > 0 {
		out = append(out, mem.MustBytes(addr, uint64(len(ctx)))...)
	}
	return int32(ret), out, nil
}

// indexed names element i of the array key: key[i], or key with "{}"
// replaced by i ("cpdom_ctxs[{}].id").
func indexed(key string, i int) string {
	if strings.Contains(key, "{}") {
		return strings.ReplaceAll(key, "{}", strconv.Itoa(i))
	}
	return fmt.Sprintf("%s[%d]", key, i)
}

// AbsentNote names the rodata variables the recipe sets that the object
// lacks ("" if none).
func (r *Recipe) AbsentNote() string {
	if r == nil || len(r.absent) == 0 {
		return ""
	}
	return fmt.Sprintf("recipe %s: rodata %s not in this object (another version of the scheduler?): not set",
		r.file, strings.Join(r.absent, ", "))
}

// hasDataSection reports whether obj has global variables in section sec.
func hasDataSection(obj *bpfvm.Object, sec string) bool {
	for _, v := range obj.Vars {
		if v.Section == sec {
			return true
		}
	}
	return false
}
