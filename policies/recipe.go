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
	// Syscall lists SEC("syscall") programs to run before ops.init.
	Syscall []SyscallStep `toml:"syscall"`

	file string
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
	var r Recipe
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
		return nil, fmt.Errorf("recipe %s: unknown keys %s (valid: name, about, rodata, kconfig, ops_flags, ops_flags_or, resize, syscall.prog/for/args/allow_fail/when/after_init)",
			name, strings.Join(keys, ", "))
	}
	for i, s := range r.Syscall {
		switch s.For {
		case "", "once", "cpu", "smt", "primary", "llc":
		default:
			return nil, fmt.Errorf("recipe %s: syscall[%d] (%s): for = %q; valid: once, cpu, smt, primary, llc", name, i, s.Prog, s.For)
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
	return ParseRecipe("policies/recipes/"+name+".toml", data)
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

// recipeVars are the values expressions may use, from the topology as
// scx_utils::Topology and libbpf report it.
func recipeVars(t *sim.Topology, hz int) map[string]int64 {
	smt := int64(0)
	if t.SMT() {
		smt = 1
	}
	return map[string]int64{
		"nr_cpus": int64(t.NumCPUs()), "nr_cpu_ids": int64(t.NumCPUs()),
		"nr_nodes": int64(len(t.NodeMask)), "nr_node_ids": int64(len(t.NodeMask)),
		"nr_llcs": int64(len(t.LLCMask)), "nr_cores": int64(len(t.CoreMask)),
		"smt": smt, "threads_per_core": int64(t.Spec.ThreadsPerCore),
		"numa": boolI(len(t.NodeMask) > 1), "hz": int64(hz),
		"cpus_per_llc": int64(t.LLCMask[0].Weight()),
	}
}

func boolI(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// evalExpr evaluates "$a * 8 + 4"-style expressions: integers and $names
// joined by + - * /, with the usual precedence.
func evalExpr(s string, vars map[string]int64) (int64, error) {
	toks := strings.Fields(strings.NewReplacer("+", " + ", "-", " - ", "*", " * ", "/", " / ").Replace(s))
	val := func(t string) (int64, error) {
		if strings.HasPrefix(t, "$") {
			v, ok := vars[t[1:]]
			if !ok {
				names := make([]string, 0, len(vars))
				for n := range vars {
					names = append(names, "$"+n)
				}
				sort.Strings(names)
				return 0, fmt.Errorf("unknown variable %s in %q; known: %s", t, s, strings.Join(names, " "))
			}
			return v, nil
		}
		return strconv.ParseInt(t, 0, 64)
	}
	// sum of products
	var sum, prod int64
	sign, op := int64(1), "*"
	prod = 1
	expectVal := true
	for _, t := range toks {
		if expectVal {
			if t == "-" {
				sign = -sign
				continue
			}
			v, err := val(t)
			if err != nil {
				return 0, fmt.Errorf("expression %q: %w", s, err)
			}
			if op == "/" {
				if v == 0 {
					return 0, fmt.Errorf("expression %q divides by zero", s)
				}
				prod /= v
			} else {
				prod *= v
			}
			expectVal = false
			continue
		}
		switch t {
		case "*", "/":
			op = t
		case "+", "-":
			sum += sign * prod
			sign, prod, op = 1, 1, "*"
			if t == "-" {
				sign = -1
			}
		default:
			return 0, fmt.Errorf("expression %q: unexpected %q", s, t)
		}
		expectVal = true
	}
	if expectVal {
		return 0, fmt.Errorf("expression %q is incomplete", s)
	}
	return sum + sign*prod, nil
}

// value resolves a recipe value: "$expr" strings are evaluated.
func resolveValue(v any, vars map[string]int64) (any, error) {
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "$") || strings.HasPrefix(v, "=") {
			return evalExpr(strings.TrimPrefix(v, "="), vars)
		}
	case []any:
		out := make([]int64, len(v))
		for i, e := range v {
			r, err := resolveValue(e, vars)
			if err != nil {
				return nil, err
			}
			n, ok := r.(int64)
			if !ok {
				return nil, fmt.Errorf("element %d: expected an integer, found %T", i, r)
			}
			out[i] = n
		}
		return out, nil
	}
	return v, nil
}

// apply merges the recipe into opts for obj (rodata, kconfig, resizes) and
// returns the ops.flags to use (ok false: keep the object's).
func (r *Recipe) apply(obj *bpfvm.Object, opts *Options, objFlags uint64) (flags uint64, ok bool, err error) {
	topo, err := sim.NewTopology(opts.Topology)
	if err != nil {
		return 0, false, err
	}
	vars := recipeVars(topo, opts.HZ)
	if opts.Params == nil {
		opts.Params = map[string]any{}
	}
	for _, k := range sortedAnyKeys(r.Rodata) {
		if _, set := opts.Params[k]; set {
			continue // the user's [policy.params] win
		}
		gv, found := obj.Var(k)
		if !found {
			return 0, false, fmt.Errorf("recipe %s: rodata %s: the object has no such variable", r.file, k)
		}
		v, err := resolveValue(r.Rodata[k], vars)
		if err != nil {
			return 0, false, fmt.Errorf("recipe %s: rodata %s: %w", r.file, k, err)
		}
		if n, isInt := v.(int64); isInt && isBool(gv.Type) {
			v = n != 0 // "$smt" for a bool
		}
		opts.Params[k] = v
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
		n, err := evalExpr(strings.TrimPrefix(r.Resize[sec], "="), vars)
		if err != nil || n <= 0 || n > 1<<30 {
			return 0, false, fmt.Errorf("recipe %s: resize %s: %q: size %d, %v", r.file, sec, r.Resize[sec], n, err)
		}
		if _, set := opts.DataSizes[sec]; !set {
			opts.DataSizes[sec] = uint32(n)
		}
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
func (b *BPFPolicy) runSyscalls(r *Recipe, afterInit bool) error {
	vars := recipeVars(b.topo, b.opts.HZ)
	for _, st := range r.Syscall {
		if st.AfterInit != afterInit {
			continue
		}
		prog := b.inst.Program(st.Prog)
		if prog == nil {
			return fmt.Errorf("recipe %s: syscall program %s is not in the object", r.file, st.Prog)
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
			if err := b.runSyscall(r, st, prog, vars); err != nil {
				return err
			}
		}
	}
	return nil
}

// syscallIterations returns the variable bindings of each run of a step.
func syscallIterations(t *sim.Topology, each string) []map[string]int64 {
	var out []map[string]int64
	switch each {
	case "", "once":
		out = append(out, map[string]int64{})
	case "cpu", "smt", "primary":
		for _, c := range t.CPUs {
			if each == "primary" && c.Thread != 0 {
				continue
			}
			sib := int64(-1)
			for _, o := range t.CPUs {
				if o.Core == c.Core && o.ID != c.ID {
					sib = int64(o.ID)
					break
				}
			}
			out = append(out, map[string]int64{"cpu": int64(c.ID), "sibling": sib})
		}
	case "llc":
		for i := range t.LLCMask {
			out = append(out, map[string]int64{"llc": int64(i), "llc_first": int64(t.LLCMask[i].Next(0))})
		}
	}
	return out
}

func (b *BPFPolicy) runSyscall(r *Recipe, st SyscallStep, prog *bpfvm.Program, vars map[string]int64) error {
	var buf []byte
	for _, a := range st.Args {
		typ, expr, ok := strings.Cut(strings.TrimSpace(a), " ")
		size := map[string]int{"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}[typ]
		if !ok || size == 0 {
			return fmt.Errorf("recipe %s: syscall %s: argument %q: want \"TYPE VALUE\" with TYPE u8..s64", r.file, st.Prog, a)
		}
		v, err := evalExpr(strings.TrimPrefix(strings.TrimSpace(expr), "="), vars)
		if err != nil {
			return fmt.Errorf("recipe %s: syscall %s: %w", r.file, st.Prog, err)
		}
		for len(buf)%size != 0 {
			buf = append(buf, 0)
		}
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], uint64(v))
		buf = append(buf, w[:size]...)
	}
	mem := b.vm.Mem
	ctx := uint64(0)
	if len(buf) > 0 {
		a, err := mem.Alloc(uint64(len(buf)), 8)
		if err != nil {
			return err
		}
		defer mem.Free(a)
		copy(mem.MustBytes(a, uint64(len(buf))), buf)
		ctx = a
	}
	ret, err := b.ctxs[0].Call(prog, ctx, uint64(len(buf)))
	if err != nil {
		return fmt.Errorf("recipe %s: syscall program %s: %w", r.file, st.Prog, err)
	}
	if b.k.Failed() {
		return fmt.Errorf("recipe %s: syscall program %s ended the scheduler", r.file, st.Prog)
	}
	if int32(ret) != 0 && !st.AllowFail {
		return fmt.Errorf("recipe %s: syscall program %s returned %d", r.file, st.Prog, int32(ret))
	}
	return nil
}

func isBool(t btf.Type) bool {
	i, ok := btf.UnderlyingType(t).(*btf.Int)
	return ok && i.Encoding&btf.Bool != 0
}
