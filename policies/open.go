package policies

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies/eevdf"
	"github.com/schedsim/schedsim/policies/fifo"
)

// builtins are the policies compiled into schedsim (objects embedded).
var builtins = map[string][]byte{
	"fifo":  fifo.Object,
	"eevdf": eevdf.Object,
}

// Builtins lists the names of the built-in policies, sorted.
func Builtins() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseObject parses a policy named by spec: a built-in name ("fifo") or
// the path of a .bpf.o file.
func ParseObject(spec string) (*bpfvm.Object, error) {
	data, err := ObjectBytes(spec)
	if err != nil {
		return nil, err
	}
	return bpfvm.LoadObjectReader(bytes.NewReader(data), spec)
}

// ObjectBytes returns the ELF object of the policy named by spec: a
// built-in name ("fifo") or the path of a .bpf.o file.
func ObjectBytes(spec string) ([]byte, error) {
	if data, ok := builtins[spec]; ok {
		return data, nil
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		if _, serr := os.Stat(spec); serr != nil && !strings.ContainsAny(spec, "/.") {
			return nil, fmt.Errorf("unknown policy %q: the built-in policies are %s; or give the path of a .bpf.o",
				spec, strings.Join(Builtins(), ", "))
		}
		return nil, fmt.Errorf("policy %s: %w", spec, err)
	}
	return data, nil
}

// Open parses and loads the policy named by spec (see ParseObject).
func Open(spec string, opts Options) (*BPFPolicy, error) {
	obj, err := ParseObject(spec)
	if err != nil {
		return nil, err
	}
	return LoadObject(obj, opts)
}
