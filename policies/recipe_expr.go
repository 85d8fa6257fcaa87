package policies

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/sim"
)

// The recipe language's values: expressions, their variables (the
// simulated topology as libbpf and scx's topology code report it), the
// iterations of per-CPU/LLC/node steps and packed syscall arguments.

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
		"llcs_per_node": int64(t.Spec.LLCsPerNode),
		"smt":           smt, "threads_per_core": int64(t.Spec.ThreadsPerCore),
		"numa": boolI(len(t.NodeMask) > 1), "hz": int64(hz),
		"cpus_per_llc": int64(t.LLCMask[0].Weight()),
		"slice_dfl":    int64(sim.SliceDfl),
	}
}

func boolI(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

var exprFuncs = []string{"min", "max", "mod", "lt", "le", "gt", "ge", "eq", "ne", "shl", "shr", "and", "or"}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// evalExpr evaluates "$a * 8 + 4"-style expressions: integers and $names
// joined by + - * /, with the usual precedence.
func evalExpr(s string, vars map[string]int64) (int64, error) {
	// parentheses and functions of two arguments, innermost first: min,
	// max, mod, the comparisons lt, le, gt, ge, eq, ne (1 or 0), and the
	// bit operations shl, shr, and, or
	for {
		open := strings.LastIndexByte(s, '(')
		if open < 0 {
			break
		}
		j := strings.IndexByte(s[open:], ')')
		if j < 0 {
			return 0, fmt.Errorf("expression %q: missing )", s)
		}
		inner := s[open+1 : open+j]
		name, start := "", open
		for _, f := range exprFuncs {
			if i := open - len(f); i >= 0 && s[i:open] == f && (i == 0 || !isIdent(s[i-1])) {
				name, start = f, i
			}
		}
		var v int64
		if name == "" {
			x, err := evalExpr(inner, vars)
			if err != nil {
				return 0, err
			}
			v = x
		} else {
			a, b, ok := strings.Cut(inner, ",")
			if !ok {
				return 0, fmt.Errorf("expression %q: %s(a, b) expected", s, name)
			}
			x, err := evalExpr(a, vars)
			if err != nil {
				return 0, err
			}
			y, err := evalExpr(b, vars)
			if err != nil {
				return 0, err
			}
			switch name {
			case "min":
				v = min(x, y)
			case "max":
				v = max(x, y)
			case "mod":
				if y == 0 {
					return 0, fmt.Errorf("expression %q: mod by zero", s)
				}
				v = x % y
			case "shl", "shr":
				if y < 0 || y > 63 {
					return 0, fmt.Errorf("expression %q: shift by %d", s, y)
				}
				v = x << y
				if name == "shr" {
					v = int64(uint64(x) >> y)
				}
			case "and":
				v = x & y
			case "or":
				v = x | y
			default:
				v = boolI(map[string]bool{"lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y, "eq": x == y, "ne": x != y}[name])
			}
		}
		s = s[:start] + " " + strconv.FormatInt(v, 10) + " " + s[open+j+1:]
	}
	if strings.ContainsRune(s, ')') {
		return 0, fmt.Errorf("expression %q: unmatched )", s)
	}
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
		n, err := strconv.ParseInt(t, 0, 64)
		if err != nil {
			// 2^63 and up (as a substituted -2^63 reads): two's complement
			if u, uerr := strconv.ParseUint(t, 0, 64); uerr == nil {
				return int64(u), nil
			}
		}
		return n, err
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
			out = append(out, cpuVars(t, c.ID))
		}
	case "llc":
		for i := range t.LLCMask {
			out = append(out, llcVars(t, i))
		}
	case "node":
		for i := range t.NodeMask {
			out = append(out, nodeVars(t, i))
		}
	}
	return out
}

// packArgs lays out "TYPE VALUE" members as a C struct; "TYPE[N] VALUE"
// is an array of N members, VALUE evaluated with $i = 0..N-1.
func packArgs(args []string, vars map[string]int64) ([]byte, error) {
	var buf []byte
	for _, a := range args {
		typ, expr, ok := strings.Cut(strings.TrimSpace(a), " ")
		n := int64(-1)
		if base, count, isArr := strings.Cut(typ, "["); isArr && strings.HasSuffix(count, "]") {
			c, err := strconv.ParseInt(strings.TrimSuffix(count, "]"), 10, 32)
			if err != nil || c < 1 || c > 1<<16 {
				return nil, fmt.Errorf("argument %q: bad array length", a)
			}
			typ, n = base, c
		}
		size := map[string]int{"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}[typ]
		if !ok || size == 0 {
			return nil, fmt.Errorf("argument %q: want \"TYPE VALUE\" or \"TYPE[N] VALUE\" with TYPE u8..s64", a)
		}
		for len(buf)%size != 0 {
			buf = append(buf, 0)
		}
		for i := int64(0); i < max(n, 1); i++ {
			vs := vars
			if n >= 0 {
				vs = mergeVars(vars, map[string]int64{"i": i})
			}
			v, err := evalExpr(strings.TrimPrefix(strings.TrimSpace(expr), "="), vs)
			if err != nil {
				return nil, err
			}
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], uint64(v))
			buf = append(buf, w[:size]...)
		}
	}
	return buf, nil
}

// llcVars are the variables of LLC llc: its first CPU, CPU count, node
// and the words of its CPU mask.
func llcVars(t *sim.Topology, llc int) map[string]int64 {
	mask := &t.LLCMask[llc]
	first := mask.Next(0)
	v := map[string]int64{"llc": int64(llc), "llc_first": int64(first), "node": int64(t.CPUs[first].Node),
		"llc_cpus": int64(mask.Weight())}
	for w := 0; w < 8; w++ {
		v[fmt.Sprintf("llc_mask%d", w)] = int64(mask.Bits[w])
	}
	return v
}

// nodeVars are the variables of NUMA node node.
func nodeVars(t *sim.Topology, node int) map[string]int64 {
	mask := &t.NodeMask[node]
	v := map[string]int64{"node": int64(node), "node_first": int64(mask.Next(0)), "node_cpus": int64(mask.Weight())}
	for w := 0; w < 8; w++ {
		v[fmt.Sprintf("node_mask%d", w)] = int64(mask.Bits[w])
	}
	return v
}

// cpuVars are the variables of CPU cpu: its core, LLC, node, thread and
// SMT sibling (-1 without one).
func cpuVars(t *sim.Topology, cpu int) map[string]int64 {
	c := t.CPUs[cpu]
	sib := int64(-1)
	for _, o := range t.CPUs {
		if o.Core == c.Core && o.ID != c.ID {
			sib = int64(o.ID)
			break
		}
	}
	return map[string]int64{"cpu": int64(cpu), "core": int64(c.Core), "llc": int64(c.LLC),
		"node": int64(c.Node), "thread": int64(c.Thread), "sibling": sib}
}

func mergeVars(a, b map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
