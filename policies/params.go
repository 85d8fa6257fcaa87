package policies

import (
	"sort"
	"strings"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// ConfigParams turns a config's [policy.params] into load parameters for
// obj: each name must be a global variable of the object (normally a
// `const volatile` in .rodata); a string given for an integer variable is
// read as a duration in ns ("5ms"). Errors carry the config position.
func ConfigParams(obj *bpfvm.Object, ps []sim.Param) (map[string]any, error) {
	out := make(map[string]any, len(ps))
	for _, p := range ps {
		v, ok := obj.Var(p.Name)
		if !ok || v.Static {
			return nil, p.Errorf("policy %s has no parameter %q; its parameters are: %s",
				obj.Name, p.Name, strings.Join(paramNames(obj), ", "))
		}
		val := p.Value
		if s, isStr := val.(string); isStr && isInteger(v.Type) {
			d, err := p.Duration()
			if err != nil {
				return nil, p.Errorf("%s is an integer; %q is neither an integer nor a duration", p.Name, s)
			}
			val = d
		}
		if arr, isArr := val.([]any); isArr {
			ints := make([]int64, len(arr))
			for i, e := range arr {
				n, ok := e.(int64)
				if !ok {
					return nil, p.Errorf("element %d of %s: expected an integer, found %T", i, p.Name, e)
				}
				ints[i] = n
			}
			val = ints
		}
		out[p.Name] = val
	}
	return out, nil
}

func isInteger(t btf.Type) bool {
	t = btf.UnderlyingType(t)
	switch t := t.(type) {
	case *btf.Int:
		return t.Encoding != btf.Bool && t.Encoding != btf.Char
	case *btf.Enum:
		return true
	}
	return false
}

// paramNames lists the object's read-only globals (its parameters), sorted.
func paramNames(obj *bpfvm.Object) []string {
	var names []string
	for _, v := range obj.Vars {
		if !v.Static && strings.HasPrefix(v.Section, ".rodata") && !strings.HasPrefix(v.Name, "__") {
			names = append(names, v.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []string{"(none)"}
	}
	return names
}
