package policies

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestProgramAutoload: SEC("?...") programs are not loaded unless a recipe
// turns their autoload on (then they are verified and run), tracing
// programs are skipped, and the note names both.
func TestProgramAutoload(t *testing.T) {
	base, err := LoadRecipe("testdata/upstream.toml")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := Open("testdata/upstream.bpf.o", Options{NumCPUs: 4, Recipe: base})
	if err != nil {
		t.Fatal(err)
	}
	note := pol.ProgramNote
	pol.Close()
	for _, want := range []string{`not loaded (SEC("?..."), autoload off): optional_tick, optional_broken, up_optional_tp`,
		"skipped (tracing programs are not attached): up_fentry (fentry/bpf_scx_reg)"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}

	run := func(extra string) (*BPFPolicy, error) {
		t.Helper()
		r, err := ParseRecipe("auto.toml", []byte("name = \"upstream\"\n"+extra+"\n[rodata]\nnr_cpus = \"$nr_cpus\"\n[[syscall]]\nprog = \"optional_tick\"\nargs = [\"u64 5\"]\n"))
		if err != nil {
			t.Fatal(err)
		}
		topo := sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 1}
		pol, err := Open("testdata/upstream.bpf.o", Options{NumCPUs: 4, Topology: topo, Recipe: r})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { pol.Close() })
		m, err := sim.NewMachine(sim.Params{Topology: topo, HZ: 1000, Seed: 1, Duration: 5e6}, pol)
		if err == nil {
			_, err = m.Run()
		}
		return pol, err
	}
	if _, err := run(""); err == nil || !strings.Contains(err.Error(), "optional_tick is not loaded") || !strings.Contains(err.Error(), `autoload = ["optional_tick"]`) {
		t.Errorf("running optional_tick with autoload off: %v", err)
	}
	pol, err = run(`autoload = ["optional_tick"]`)
	if err != nil {
		t.Fatalf("autoload on: %v", err)
	}
	if _, err := run(`autoload = ["up_fentry"]`); err == nil || !strings.Contains(err.Error(), `up_fentry is not a SEC("?...") program`) {
		t.Errorf("autoload of a program without \"?\": %v", err)
	}
	if n := globalU64(t, pol, "nr_optional_ticks"); n != 5 {
		t.Errorf("nr_optional_ticks = %d, want 5 (optional_tick ran once with tick 5)", n)
	}
	if strings.Contains(pol.ProgramNote, "optional_tick") {
		t.Errorf("note %q still names optional_tick", pol.ProgramNote)
	}
}
