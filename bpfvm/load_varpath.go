package bpfvm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// Params may name a part of a global, as user space writes
// skel->rodata->topo_config.nr_cpus or skel->bss->cpu_llc_ids[3]: a
// variable followed by .member and [index] selectors.

// splitVarPath splits "a.b[2]" into "a" and ".b[2]".
// VarBase is the global variable a path such as "a.b[2]" starts from ("a").
func VarBase(name string) string {
	base, _ := splitVarPath(name)
	return base
}

func splitVarPath(name string) (base, path string) {
	if i := strings.IndexAny(name, ".["); i > 0 {
		return name[:i], name[i:]
	}
	return name, ""
}

// selectPath narrows the bytes b of a value of type t to the part path
// selects, and returns that part's type.
func selectPath(b []byte, t btf.Type, path string) ([]byte, btf.Type, error) {
	for path != "" {
		ut := btf.UnderlyingType(t)
		switch path[0] {
		case '.':
			end := strings.IndexAny(path[1:], ".[")
			if end < 0 {
				end = len(path) - 1
			}
			name := path[1 : 1+end]
			path = path[1+end:]
			var ms []btf.Member
			switch s := ut.(type) {
			case *btf.Struct:
				ms = s.Members
			case *btf.Union:
				ms = s.Members
			default:
				return nil, nil, fmt.Errorf(".%s: %s is not a struct or union", name, typeName(t))
			}
			found := false
			for _, m := range ms {
				if m.Name != name {
					continue
				}
				if m.BitfieldSize != 0 {
					return nil, nil, fmt.Errorf(".%s is a bitfield", name)
				}
				sz, err := btf.Sizeof(m.Type)
				if err != nil {
					return nil, nil, fmt.Errorf(".%s: %v", name, err)
				}
				off := int(m.Offset.Bytes())
				if off+sz > len(b) {
					return nil, nil, fmt.Errorf(".%s lies outside the value", name)
				}
				b, t, found = b[off:off+sz], m.Type, true
				break
			}
			if !found {
				return nil, nil, fmt.Errorf("%s has no member %s", typeName(t), name)
			}
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, nil, fmt.Errorf("%q: missing ]", path)
			}
			idx, err := strconv.ParseUint(path[1:end], 10, 32)
			if err != nil {
				return nil, nil, fmt.Errorf("%q: bad index", path[:end+1])
			}
			path = path[end+1:]
			a, ok := ut.(*btf.Array)
			if !ok {
				return nil, nil, fmt.Errorf("[%d]: %s is not an array", idx, typeName(t))
			}
			if idx >= uint64(a.Nelems) {
				return nil, nil, fmt.Errorf("[%d]: index out of range (%d elements)", idx, a.Nelems)
			}
			sz, err := btf.Sizeof(a.Type)
			if err != nil {
				return nil, nil, err
			}
			off := int(idx) * sz
			if off+sz > len(b) {
				return nil, nil, fmt.Errorf("[%d] lies outside the value", idx)
			}
			b, t = b[off:off+sz], a.Type
		default:
			return nil, nil, fmt.Errorf("unexpected %q in a variable path", path)
		}
	}
	return b, t, nil
}

// VarType returns the type of the global (or part of a global) that name
// selects in obj ("topo_config.nr_cpus", "cpu_llc_ids[3]"), as
// LoadOptions.Params reads names.
func (o *Object) VarType(name string) (btf.Type, error) {
	base, path := splitVarPath(name)
	v, ok := o.Var(base)
	if !ok {
		return nil, fmt.Errorf("no global variable named %q", base)
	}
	if path == "" {
		return v.Type, nil
	}
	_, t, err := selectPath(make([]byte, v.Size), v.Type, path)
	return t, err
}

// WriteVarPath writes value, as LoadOptions.Params takes it, into the part
// of global v that path selects (".b[2]" of "a.b[2]"); b holds v's bytes.
// It is user space writing skel->bss->a.b[2] while the program runs.
func WriteVarPath(b []byte, v GlobalVar, path string, value any) error {
	typ := v.Type
	if path != "" {
		var err error
		if b, typ, err = selectPath(b, v.Type, path); err != nil {
			return err
		}
	}
	return encodeVar(b, typ, value)
}

// SelectVarPath returns the bytes of b (global v's bytes) that path
// selects, and their type.
func SelectVarPath(b []byte, v GlobalVar, path string) ([]byte, btf.Type, error) {
	if path == "" {
		return b, v.Type, nil
	}
	return selectPath(b, v.Type, path)
}

// SplitVarPath splits "a.b[2]" into the variable "a" and the path ".b[2]".
func SplitVarPath(name string) (base, path string) { return splitVarPath(name) }
