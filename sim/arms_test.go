package sim_test

import (
	"encoding/json"
	"testing"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/sim"
)

// TestDeferredArmsSameResult checks that pushing a running task's completion
// once per event (Machine.flushArms) instead of at every charge changes
// nothing but the number of events: the stale completions it no longer
// pushes never fired. The callbacks charge a cost, so each one re-arms.
func TestDeferredArmsSameResult(t *testing.T) {
	dur := uint64(400e6)
	for _, name := range []string{"web.toml", "hackbench.toml", "mixed.toml"} {
		data, err := configs.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := sim.ParseConfig(name, data)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Machine.CallbackCost = 300
		run := func(eager bool) *sim.Result {
			scn, err := cfg.Build(&sim.FIFO{}, sim.Overrides{Duration: &dur})
			if err != nil {
				t.Fatal(err)
			}
			if eager {
				sim.SetEagerArms(scn.Machine)
			}
			r, err := scn.Run()
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		eager, deferred := run(true), run(false)
		if deferred.Events >= eager.Events {
			t.Errorf("%s: %d events with deferred arms, %d with eager ones: want fewer", name, deferred.Events, eager.Events)
		}
		eager.Events, deferred.Events = 0, 0
		a, _ := json.Marshal(eager)
		b, _ := json.Marshal(deferred)
		if string(a) != string(b) {
			t.Errorf("%s: results differ:\neager    %.600s\ndeferred %.600s", name, a, b)
		}
		if eager.ScheduleHash != deferred.ScheduleHash {
			t.Errorf("%s: schedule hash %s eager, %s deferred", name, eager.ScheduleHash, deferred.ScheduleHash)
		}
	}
}
