package sim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const rtappVideo = `{
	/* a video pipeline */
	"global" : { "duration" : 2, "default_policy" : "SCHED_OTHER" },
	"tasks" : {
		"decoder" : {
			"loop" : -1,
			"run" : 4000,
			"resume" : "renderer",
			"timer" : { "ref" : "unique", "period" : 16667 }
		},
		"renderer" : {
			"priority" : -5,
			"suspend" : "renderer",
			"run" : 2000
		},
		"batch" : {
			"instance" : 3,
			"cpus" : [1, 2],
			"phases" : {
				"warm" : { "loop" : 5, "run" : 1000, "sleep" : 1000 },
				"busy" : { "loop" : 10, "run0" : 10000, "sleep0" : 500, "run1" : 3000 }
			},
			"loop" : 1
		}
	}
}`

func rtappConfig(t *testing.T, json string) (*Config, error) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.json"), []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	toml := "[run]\nduration = \"500ms\"\n[[workload]]\nkind = \"rtapp\"\nname = \"video\"\nfile = \"w.json\"\n"
	return ParseConfig(filepath.Join(dir, "c.toml"), []byte(toml))
}

func TestRTAppRuns(t *testing.T) {
	cfg, err := rtappConfig(t, rtappVideo)
	if err != nil {
		t.Fatal(err)
	}
	scn, err := cfg.Build(&FIFO{}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scn.Run(); err != nil {
		t.Fatal(err)
	}
	tasks := map[string]*Task{}
	for _, tk := range scn.Tasks(0) {
		tasks[tk.Comm] = tk
	}
	if len(tasks) != 5 {
		t.Fatalf("%d tasks, want 5 (decoder, renderer, 3 batch)", len(tasks))
	}
	dec, ren := tasks["decoder-0"], tasks["renderer-0"]
	// 500 ms of a 16.667 ms timer: 30 periods of 4 ms of work
	if n := dec.Stats.Runtime / 4_000_000; n < 29 || n > 31 {
		t.Errorf("decoder ran %d ns: %d periods, want 30", dec.Stats.Runtime, n)
	}
	if ren.Nice != -5 || ren.Stats.Runtime/2_000_000 != dec.Stats.Runtime/4_000_000 {
		t.Errorf("renderer (nice %d) ran %d ns for decoder's %d", ren.Nice, ren.Stats.Runtime, dec.Stats.Runtime)
	}
	for i := 0; i < 3; i++ {
		b := tasks["batch-"+string(rune('0'+i))]
		if b.State() != TaskExited || b.Stats.Runtime != 5*1_000_000+10*13_000_000 {
			t.Errorf("%s: state %v, ran %d ns, want exited after 135ms", b.Comm, b.State(), b.Stats.Runtime)
		}
		if b.Allowed(0) || !b.Allowed(1) {
			t.Errorf("%s: affinity not [1, 2]", b.Comm)
		}
	}
}

func TestRTAppErrors(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{`"run" : 2000`, `"run" : 2000, "lock" : "m"`, `w.json:14:18: rt-app key "lock" is not supported`},
		{`"run" : 2000`, `"run" : 2000, "bogus" : 1`, `w.json:14:18: unknown rt-app key "bogus"`},
		{`"loop" : 5,`, `"loop" : 5, "cpus" : [0],`, `w.json:20:28: cpus at phase level is not supported`},
		{`"resume" : "renderer"`, `"resume" : "nobody"`, `w.json:8:15: resume: no thread is named "nobody"`},
		{`"period" : 16667 }`, `"period" : 16667 `, `w.json:26:2: JSON: expected ',' or '}'`},
		{`"run" : 4000`, `"run" : -4`, `w.json:7:12: run (us): expected an integer from 0`},
		{`"default_policy" : "SCHED_OTHER"`, `"default_policy" : "SCHED_DEADLINE"`, `w.json:3:50: policy "SCHED_DEADLINE" is not supported`},
		{`"default_policy" : "SCHED_OTHER"`, `"default_policy" : "SCHED_FIFO"`, `w.json:12:17: priority (the rt_priority of a SCHED_FIFO or SCHED_RR thread): expected an integer from 1 to 99`},
	} {
		json := strings.Replace(rtappVideo, c.from, c.to, 1)
		_, err := rtappConfig(t, json)
		var ces ConfigErrors
		if !errors.As(err, &ces) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: error %v, want %s", c.from, c.to, err, c.want)
		}
	}
}

func TestRTAppSchedFIFO(t *testing.T) {
	json := strings.Replace(rtappVideo, `"priority" : -5,`, `"policy" : "SCHED_FIFO", "priority" : 80,`, 1)
	json = strings.Replace(json, `"loop" : -1,`, `"loop" : -1, "policy" : "SCHED_FIFO",`, 1)
	json = strings.Replace(json, `"instance" : 3,`, `"instance" : 3, "policy" : "SCHED_RR", "priority" : 5,`, 1)
	cfg, err := rtappConfig(t, json)
	if err != nil {
		t.Fatal(err)
	}
	scn, err := cfg.Build(&FIFO{}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := scn.Run()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]int{}
	for _, tk := range scn.Tasks(0) {
		got[tk.Comm] = [3]int{int(tk.Class()), tk.RTPriority(), int(tk.K.Policy)}
	}
	// decoder: SCHED_FIFO at rt-app's default priority 10; renderer 80;
	// batch: SCHED_RR 5
	if got["decoder-0"] != [3]int{int(ClassRT), 10, SchedFIFO} || got["renderer-0"] != [3]int{int(ClassRT), 80, SchedFIFO} ||
		got["batch-0"] != [3]int{int(ClassRT), 5, SchedRR} {
		t.Errorf("classes, priorities and policies %v", got)
	}
	if r.RTTime == 0 {
		t.Error("no RT time")
	}
}
