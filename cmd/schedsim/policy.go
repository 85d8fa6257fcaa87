package main

import (
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/sim"
)

// policyNames are the built-in policies resolvePolicy knows.
var policyNames = []string{"fifo"}

// resolvePolicy returns the policy spec names (a built-in name, or the
// path of a .bpf.o), configured with params ([policy.params] of the
// config). A parameter the policy does not take is an error.
func resolvePolicy(spec string, params []sim.Param) (sim.Scheduler, error) {
	switch spec {
	case "fifo":
		f := &sim.FIFO{}
		for _, p := range params {
			switch p.Name {
			case "slice":
				if s, ok := p.Value.(string); ok && s == "inf" {
					f.Slice = sim.SliceInf
					continue
				}
				d, err := p.Duration()
				if err != nil {
					return nil, err
				}
				f.Slice = d
			default:
				return nil, p.Errorf("policy fifo has no parameter %q; valid parameters: slice (a duration, or \"inf\")", p.Name)
			}
		}
		return f, nil
	}
	if strings.HasSuffix(spec, ".o") || strings.ContainsRune(spec, '/') {
		return nil, fmt.Errorf("policy %q: loading BPF objects is not available in this build; built-in policies: %s",
			spec, strings.Join(policyNames, ", "))
	}
	return nil, fmt.Errorf("unknown policy %q; valid policies: %s, or the path of a .bpf.o", spec, strings.Join(policyNames, ", "))
}
