package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gdamore/tcell/v2"
	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/tui"
)

// maxSideBySide is how many policies top shows side by side.
const maxSideBySide = 3

func cmdTop(args []string, stdout, stderr io.Writer) int {
	var f runFlags
	var speed, column string
	var paused bool
	fs := newFlagSet("top", args, stdout, stderr)
	fs.StringVar(&f.policy, "policy", "", "policy `NAME` or PATH of a .bpf.o; P,Q shows two side by side (default: the config's policy.name)")
	fs.StringVar(&f.seed, "seed", "", "random seed `N` (default: the config's run.seed)")
	fs.StringVar(&f.duration, "duration", "", "simulated `DURATION` (default: the config's run.duration)")
	fs.BoolVar(&f.noVerify, "no-verify", false, "skip the BPF verifier")
	fs.BoolVar(&f.interleave, "interleave", false, "let callbacks of different CPUs overlap in simulated time")
	fs.StringVar(&f.engine, "engine", "", "run BPF programs on `ENGINE`: jit or interp (default: the config's policy.engine, else jit on linux/amd64)")
	fs.StringVar(&speed, "speed", "1/10", "initial `SPEED`: simulated time per real time, 1/10000 .. 10x, or max")
	fs.StringVar(&column, "column", "1ms", "simulated `TIME` one column of the CPU timeline covers")
	fs.BoolVar(&paused, "paused", false, "start paused")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim top [CONFIG] [--policy P[,Q]] [--seed N] [--duration D] [--engine E] [--speed S] [--column D] [--paused]\n\n"+
			"Runs the scenario live in a terminal dashboard (keys: ? for help, q to quit).\n"+
			"docs/dashboard.md describes the panels.\n\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	rate := tui.RateIndex(speed)
	if rate < 0 {
		fmt.Fprintf(stderr, "schedsim top: --speed %q: valid speeds: %s\n", speed, tui.RateLabels())
		return exitUsage
	}
	colNs, err := sim.ParseDuration(column)
	if err != nil || colNs == 0 {
		fmt.Fprintf(stderr, "schedsim top: --column %q: expected a positive duration such as 1ms\n", column)
		return exitUsage
	}
	cfg, code := loadRunConfig("top", pos, stderr)
	if cfg == nil {
		return code
	}
	o, ok := f.overrides("top", stderr)
	if !ok {
		return exitUsage
	}
	specs, ok := policySpecs("top", cfg, f.policy, stderr)
	if !ok {
		return exitUsage
	}
	if len(specs) > maxSideBySide {
		fmt.Fprintf(stderr, "schedsim top: --policy %q: at most %d policies side by side\n", f.policy, maxSideBySide)
		return exitUsage
	}
	sessions, code := topSessions(cfg, o, f, specs, colNs, stderr)
	if sessions == nil {
		return code
	}

	screen, err := tcell.NewScreen()
	if err == nil {
		err = screen.Init()
	}
	if err != nil {
		fmt.Fprintf(stderr, "schedsim top: needs a terminal: %v\n", err)
		return exitFailure
	}
	app := tui.NewApp(screen, fmt.Sprintf("%s seed %d", cfg.File, cfg.Params(o).Seed), sessions...)
	app.Model.Rate = rate
	app.Model.Paused = paused
	// SIGTERM and SIGHUP end the dashboard as q does, so that the
	// terminal is restored.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for range sigs {
			screen.PostEvent(tcell.NewEventInterrupt(nil))
		}
	}()
	err = app.Run()
	signal.Stop(sigs)
	screen.Fini()
	for _, s := range sessions {
		s.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "schedsim top: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// topSessions builds one session per policy, all on the identical
// workload. Building errors are reported on stderr the first time; when
// the dashboard re-simulates (going back in time) the same build cannot
// fail differently, since it is deterministic.
func topSessions(cfg *sim.Config, o sim.Overrides, f runFlags, specs []policySpec, colNs uint64, stderr io.Writer) ([]*tui.Session, int) {
	env := f.policyEnv(cfg, o)
	period := max(10*colNs, 1_000_000)
	var sessions []*tui.Session
	for _, spec := range specs {
		errw := stderr
		code := exitOK
		build := func(obs sim.Observer) (*sim.Scenario, sim.Scheduler, error) {
			oo := o
			oo.Observers = append(append([]sim.Observer(nil), o.Observers...), obs)
			var scn *sim.Scenario
			var sched sim.Scheduler
			scn, sched, code = buildRun("top", cfg, oo, env, spec, f.policy != "", errw)
			errw = io.Discard
			if scn == nil {
				return nil, nil, fmt.Errorf("cannot build the run of %s", spec.name)
			}
			return scn, sched, nil
		}
		s, err := tui.NewSession(spec.name, build, tui.PolicyMaps, colNs, period)
		if err != nil {
			for _, s := range sessions {
				s.Close()
			}
			return nil, code
		}
		sessions = append(sessions, s)
	}
	return sessions, exitOK
}
