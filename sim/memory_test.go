package sim

import (
	"strings"
	"testing"
)

// Eight workloads of 1,048,576 tasks each ran the process out of memory;
// now the scenario is refused before anything runs, with the count, the
// limit and the memory it would need.
func TestTaskCapRefusesBeforeRunning(t *testing.T) {
	var ws []Workload
	for i := 0; i < 8; i++ {
		ws = append(ws, &Batch{WorkloadSpec: WorkloadSpec{Name: "b" + string(rune('0'+i))}, Tasks: 1 << 20})
	}
	p := testParams(4)
	_, err := NewScenario(p, &FIFO{}, ws)
	if err == nil || !strings.Contains(err.Error(), "8388608 tasks") || !strings.Contains(err.Error(), "run.max_tasks") ||
		!strings.Contains(err.Error(), "16.0 GiB") {
		t.Fatalf("err = %v", err)
	}
	// Spawn itself stops at Params.MaxTasks.
	p.MaxTasks = 3
	m := mustMachine(t, p, &FIFO{})
	for i := 0; i < 3; i++ {
		if _, err := m.Spawn(TaskSpec{Comm: "x", Behavior: loop(1e6)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Spawn(TaskSpec{Comm: "x", Behavior: loop(1e6)}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("4th spawn: %v", err)
	}
}
