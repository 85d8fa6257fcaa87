package traces_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/traces"
)

// A run written as ftrace text: attach the writer as an observer, run,
// close it.
func ExampleNew() {
	cfg, err := sim.ParseConfig("ex.toml", []byte(`
[run]
duration = "3ms"
[machine]
cores_per_llc = 1
[[workload]]
kind = "phases"
name = "w"
repeat = 2
steps = [{run = "1ms"}, {sleep = "200us"}]
`))
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	w, _ := traces.New(&buf, traces.Ftrace, traces.Options{CPUs: 1})
	scn, err := cfg.Build(&sim.FIFO{}, sim.Overrides{Observers: []sim.Observer{w}})
	if err != nil {
		panic(err)
	}
	scn.Run()
	w.Close()
	for _, line := range strings.Split(buf.String(), "\n") {
		if line != "" && line[0] != '#' {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	// Output:
	// <idle>-0       [000] d..2.     0.000000: sched_wakeup_new: comm=w-0 pid=1 prio=120 target_cpu=000
	// <idle>-0       [000] d..2.     0.000000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=w-0 next_pid=1 next_prio=120
	// w-0-1       [000] d..2.     0.001002: sched_switch: prev_comm=w-0 prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
	// <idle>-0       [000] d.h2.     0.001202: sched_waking: comm=w-0 pid=1 prio=120 target_cpu=000
	// <idle>-0       [000] d.h2.     0.001202: sched_wakeup: comm=w-0 pid=1 prio=120 target_cpu=000
	// <idle>-0       [000] d..2.     0.001203: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=w-0 next_pid=1 next_prio=120
	// w-0-1       [000] d..2.     0.002205: sched_switch: prev_comm=w-0 prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
	// <idle>-0       [000] d.h2.     0.002405: sched_waking: comm=w-0 pid=1 prio=120 target_cpu=000
	// <idle>-0       [000] d.h2.     0.002405: sched_wakeup: comm=w-0 pid=1 prio=120 target_cpu=000
	// <idle>-0       [000] d..2.     0.002405: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=w-0 next_pid=1 next_prio=120
	// w-0-1       [000] .....     0.002407: sched_process_exit: comm=w-0 pid=1 prio=120
	// w-0-1       [000] d..2.     0.002407: sched_switch: prev_comm=w-0 prev_pid=1 prev_prio=120 prev_state=X ==> next_comm=swapper/0 next_pid=0 next_prio=120
}
