package policies_test

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// TestCallbackBudget: a callback that runs past its budget (instructions,
// or simulated time) is cancelled and the policy ejected, naming the
// program and the source line, at the same point on both engines.
func TestCallbackBudget(t *testing.T) {
	data, err := configs.FS.ReadFile("web.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sim.ParseConfig("web.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Run.Warmup = 0
	dur := uint64(20e6)
	for _, tc := range []struct {
		name string
		opts policies.Options
		want string
	}{
		{"insns", policies.Options{BudgetInsns: 12}, "instruction limit of 12 exceeded"},
		{"time", policies.Options{BudgetNs: 4, InsnCostPs: 250}, "exceeded"},
	} {
		var msgs []string
		for _, engine := range []string{"interp", "jit"} {
			obj, err := policies.ParseObject("fifo")
			if err != nil {
				t.Fatal(err)
			}
			opts := tc.opts
			opts.NumCPUs, opts.Engine = 16, engine
			pol, err := policies.LoadObject(obj, opts)
			if err != nil {
				t.Fatal(err)
			}
			scn, err := cfg.Build(pol, sim.Overrides{Duration: &dur})
			if err != nil {
				t.Fatal(err)
			}
			r, err := scn.Run()
			pol.Close()
			if err != nil {
				t.Fatal(err)
			}
			if r.Ejection == nil {
				t.Fatalf("%s/%s: not ejected", tc.name, engine)
			}
			e := r.Ejection
			if e.Reason != "BPF callback budget exceeded" || !strings.Contains(e.Msg, tc.want) || !strings.Contains(e.Msg, "fifo.bpf.c:") {
				t.Errorf("%s/%s: ejected with %q: %q", tc.name, engine, e.Reason, e.Msg)
			}
			msgs = append(msgs, e.Msg+"@"+sim.FormatDuration(r.Ejection.AtNs)+"/"+r.ScheduleHash)
		}
		if msgs[0] != msgs[1] {
			t.Errorf("%s: the engines cancel differently:\ninterp: %s\njit:    %s", tc.name, msgs[0], msgs[1])
		}
		t.Logf("%s: %s", tc.name, msgs[0])
	}
}
