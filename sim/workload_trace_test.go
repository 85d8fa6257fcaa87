package sim

import (
	"errors"
	"strings"
	"testing"
)

// Three renderings of the same events: the tracing "trace" file (with
// irq-info flags), trace-cmd report (libtraceevent's sched plugin, no
// flags) and perf sched script.
var traceShapes = map[string]string{
	"trace": `# tracer: nop
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
            bash-1200    [001] d..2.   100.000100: sched_switch: prev_comm=bash prev_pid=1200 prev_prio=120 prev_state=S ==> next_comm=Web Content next_pid=1300 next_prio=120
     Web Content-1300    [001] d..3.   100.000400: sched_waking: comm=bash pid=1200 prio=120 target_cpu=001
          <idle>-0       [002] d.h2.   100.000450: hrtimer_expire_entry: hrtimer=0000 function=tick_sched_timer now=1
          <idle>-0       [002] d.h3.   100.000500: sched_waking: comm=kworker/2:1 pid=77 prio=120 target_cpu=002
     Web Content-1300    [001] d..2.   100.000900: sched_switch: prev_comm=Web Content prev_pid=1300 prev_prio=120 prev_state=R+ ==> next_comm=bash next_pid=1200 next_prio=120
            bash-1200    [001] .....   100.001000: sched_process_exit: comm=bash pid=1200 prio=120
            bash-1200    [001] d..2.   100.001000: sched_switch: prev_comm=bash prev_pid=1200 prev_prio=120 prev_state=X ==> next_comm=Web Content next_pid=1300 next_prio=120
`,
	"trace-cmd": `cpus=4
CPU:2 [LOST 17 EVENTS]
            bash-1200  [001]   100.000100: sched_switch:         bash:1200 [120] S ==> Web Content:1300 [120]
     Web Content-1300  [001]   100.000400: sched_waking:         comm=bash pid=1200 prio=120 target_cpu=001
          <idle>-0     [002]   100.000500: sched_waking:         comm=kworker/2:1 pid=77 prio=120 target_cpu=002
     Web Content-1300  [001]   100.000900: sched_switch:         Web Content:1300 [120] R+ ==> bash:1200 [120]
            bash-1200  [001]   100.001000: sched_process_exit:   comm=bash pid=1200 prio=120
            bash-1200  [001]   100.001000: sched_switch:         bash:1200 [120] X ==> Web Content:1300 [120]
`,
	"perf": `            bash  1200 [001]   100.000100:       sched:sched_switch: bash:1200 [120] S ==> Web Content:1300 [120]
     Web Content  1300 [001]   100.000400:       sched:sched_waking: comm=bash pid=1200 prio=120 target_cpu=001
         swapper     0 [002]   100.000500:       sched:sched_waking: comm=kworker/2:1 pid=77 prio=120 target_cpu=002
     Web Content  1300 [001]   100.000900:       sched:sched_switch: Web Content:1300 [120] R+ ==> bash:1200 [120]
            bash  1200 [001]   100.001000: sched:sched_process_exit: comm=bash pid=1200 prio=120 group_dead=true
            bash  1200 [001]   100.001000:       sched:sched_switch: bash:1200 [120] X ==> Web Content:1300 [120]
`,
}

func TestParseSchedTraceShapes(t *testing.T) {
	for name, text := range traceShapes {
		evs, err := parseSchedTrace(name, strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(evs) != 6 {
			t.Fatalf("%s: %d sched events, want 6", name, len(evs))
		}
		sw := evs[0]
		if sw.kind != kSwitch || sw.ts != 100_000_100_000 || sw.cpu != 1 || sw.prevPID != 1200 ||
			sw.prevState != "S" || sw.nextComm != "Web Content" || sw.nextPID != 1300 || sw.nextPrio != 120 {
			t.Errorf("%s: switch parsed as %+v", name, sw)
		}
		if wk := evs[1]; wk.kind != kWaking || wk.curPID != 1300 || wk.prevPID != 1200 || wk.target != 1 {
			t.Errorf("%s: waking parsed as %+v", name, wk)
		}
		if evs[3].prevState != "R+" || evs[4].kind != kExit || evs[5].prevState != "X" {
			t.Errorf("%s: %+v %+v %+v", name, evs[3], evs[4], evs[5])
		}

		w := &TraceReplay{WorkloadSpec: WorkloadSpec{Name: "t"}, SwitchCost: 0}
		w.record(evs)
		var bash *RecordedTask
		for i := range w.Tasks {
			if w.Tasks[i].PID == 1200 {
				bash = &w.Tasks[i]
			}
		}
		// bash ran (before the trace) until 100.0001, slept until woken
		// by Web Content, ran 100 us and exited; Web Content woke it.
		if bash == nil || len(bash.Steps) != 3 || bash.Steps[0].Kind != RecBlock || bash.Steps[1].Kind != RecRun ||
			bash.Steps[1].D != 100_000 || bash.Steps[2].Kind != RecExit || bash.Wait != 500_000 {
			t.Errorf("%s: bash recorded as %+v", name, bash)
		}
	}
}

func TestParseSchedTraceErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"bash-1 [000] d..2. 1.000000: sched_switch: prev_comm=bash prev_pid=x prev_prio=120 prev_state=S ==> next_comm=a next_pid=2 next_prio=120\n",
			"t.txt:1:68: sched_switch: prev_pid \"x\" is not an integer"},
		{"# c\nthis is not a trace line\n", "t.txt:2:1: not a trace line"},
		{"a-1 [000] 1.0: sched_waking: comm=a pid=3 target_cpu=000\n", "t.txt:1:41: sched_waking: expected prio= after pid"},
	} {
		_, err := parseSchedTrace("t.txt", strings.NewReader(c.text))
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want %s...", err, c.want)
		}
	}
}

func TestTraceExclude(t *testing.T) {
	evs, err := parseSchedTrace("t", strings.NewReader(traceShapes["trace"]))
	if err != nil {
		t.Fatal(err)
	}
	w := &TraceReplay{WorkloadSpec: WorkloadSpec{Name: "t"}, Exclude: []string{"Web*"}}
	w.exclude(evs)
	w.record(evs)
	var comms []string
	for _, rt := range w.Tasks {
		comms = append(comms, rt.Comm)
		if rt.Comm == "bash" && (len(rt.Steps) != 3 || rt.Steps[0].Kind != RecSleep) {
			t.Errorf("bash, woken by an excluded task, should sleep on a timer: %+v", rt.Steps)
		}
	}
	if strings.Join(comms, ",") != "bash,kworker/2:1" {
		t.Errorf("tasks %v, want bash and kworker/2:1", comms)
	}
}

// A pid that exits and is taken again by a new task makes two tasks.
func TestTracePidReuse(t *testing.T) {
	text := `a-5 [000] d..2. 1.000000: sched_switch: prev_comm=a prev_pid=5 prev_prio=120 prev_state=X ==> next_comm=swapper/0 next_pid=0 next_prio=120
<idle>-0 [000] d..2. 1.001000: sched_wakeup_new: comm=b pid=5 prio=120 target_cpu=000
<idle>-0 [000] d..2. 1.002000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=b next_pid=5 next_prio=120
b-5 [000] d..2. 1.005000: sched_switch: prev_comm=b prev_pid=5 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
`
	evs, err := parseSchedTrace("t", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	w := &TraceReplay{WorkloadSpec: WorkloadSpec{Name: "t"}}
	w.record(evs)
	if len(w.Tasks) != 2 || w.Tasks[1].Comm != "b" || w.Tasks[1].Start != 1_000_000 || w.Tasks[1].Runtime != 3_000_000 {
		t.Fatalf("tasks %+v", w.Tasks)
	}
}

// A task recorded with a real-time prio replays as an RT task.
func TestTraceRTPriority(t *testing.T) {
	text := `<idle>-0 [000] d..2. 1.000000: sched_wakeup_new: comm=irq/9-acpi pid=5 prio=49 target_cpu=000
<idle>-0 [000] d..2. 1.000000: sched_wakeup_new: comm=migration/0 pid=6 prio=0 target_cpu=000
<idle>-0 [000] d..2. 1.000000: sched_wakeup_new: comm=bash pid=7 prio=125 target_cpu=000
`
	evs, err := parseSchedTrace("t", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	w := &TraceReplay{WorkloadSpec: WorkloadSpec{Name: "t"}}
	w.record(evs)
	got := map[string][2]int{}
	for _, rt := range w.Tasks {
		got[rt.Comm] = [2]int{rt.RTPriority, rt.Nice}
	}
	if got["irq/9-acpi"] != [2]int{50, 0} || got["migration/0"] != [2]int{99, 0} || got["bash"] != [2]int{0, 5} {
		t.Errorf("rt_priority and nice by task: %v", got)
	}
}
