package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/verifier"
)

// paramFlags collects repeated -p NAME=VALUE flags as config parameters.
type paramFlags []sim.Param

func (p *paramFlags) String() string { return "" }

func (p *paramFlags) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	var v any = val
	if n, err := strconv.ParseInt(val, 0, 64); err == nil {
		v = n
	}
	// Errors about it then begin "-p NAME=VALUE: policy.params.NAME: ".
	*p = append(*p, sim.Param{Name: name, Value: v, Pos: sim.Pos{File: "-p " + s}})
	return nil
}

// cmdVerify implements `schedsim verify OBJ [-v] [-p NAME=VALUE]...`: it
// loads a policy (a built-in name or the path of a .bpf.o) without
// running it, verifies every program as loading it for a run does, and
// prints the verdict with, per program, the instructions processed, the
// states explored, the peak number of states and the time taken; on a
// rejection, the kernel-style log of the failing path. Lock-order warnings
// (possible ABBA deadlocks between programs) are printed too. Exit status:
// 0 accepted, 1 rejected, 2 usage error or an object that does not load.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", args, stdout, stderr)
	verbose := fs.Bool("v", false, "print the full verifier log: every instruction processed with its state")
	var params paramFlags
	fs.Var(&params, "p", "set the policy parameter (`NAME=VALUE`, a const volatile global) before verifying; repeatable")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim verify OBJ [-v] [-p NAME=VALUE]...\n\n"+
			"Loads the policy OBJ (a built-in name: %s; or the path of a .bpf.o) and runs\n"+
			"the verifier on each of its programs, as `schedsim run` does before a run.\n"+
			"Read-only globals are constants to the verifier, so the verdict may depend\n"+
			"on the parameters (-p). Exit status: 0 accepted, 1 rejected, 2 usage error\n"+
			"or an object that does not load. See docs/verifier.md.\n\n",
			strings.Join(policies.Builtins(), ", "))
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	spec := pos[0]
	obj, err := policies.ParseObject(spec)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim verify: %v\n", err)
		return exitUsage
	}
	ps, err := policies.ConfigParams(obj, params)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim verify: %v\n", err)
		return exitUsage
	}
	b, err := policies.LoadObject(obj, policies.Options{NumCPUs: 1, Params: ps, NoVerify: true})
	if err != nil {
		fmt.Fprintf(stderr, "schedsim verify: %v\n", err)
		return exitUsage
	}
	defer b.Close()

	var log io.Writer
	if *verbose {
		log = stdout
	}
	rep, verr := b.Verify(log)
	if *verbose {
		fmt.Fprintln(stdout)
	}
	progs := b.Instance().Programs
	if verr != nil {
		fmt.Fprintf(stdout, "%s: REJECTED\n", spec)
	} else {
		var total time.Duration
		if rep != nil {
			for _, d := range rep.Times {
				total += d
			}
		}
		fmt.Fprintf(stdout, "%s: accepted (%d programs, %s)\n", spec, len(progs), fmtDuration(total))
	}
	if rep != nil && len(rep.Results) > 0 {
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintf(tw, "program\tinsns processed\tstates\tpeak states\ttime\n")
		reused := false
		for i, r := range rep.Results {
			mark := ""
			if len(r.Reused) > 0 {
				mark, reused = " *", true
			}
			fmt.Fprintf(tw, "%s\t%d%s\t%d\t%d\t%s\n", r.Prog, r.InsnsProcessed, mark, r.StatesTotal, r.PeakStates, fmtDuration(rep.Times[i]))
		}
		tw.Flush()
		if reused {
			fmt.Fprintf(stdout, "* reuses the verification of global functions checked for an earlier program:\n")
			for _, r := range rep.Results {
				if len(r.Reused) > 0 {
					fmt.Fprintf(stdout, "  %s: %s\n", r.Prog, strings.Join(r.Reused, ", "))
				}
			}
		}
	}
	if verr != nil {
		var ve *verifier.Error
		if !errors.As(verr, &ve) {
			fmt.Fprintf(stdout, "%v\n", verr)
			return exitFailure
		}
		fmt.Fprintf(stdout, "\n%v\n", ve)
		if !*verbose {
			// with -v the log above already ends with the failing path
			fmt.Fprintf(stdout, "\nverifier log:\n%s", ve.Log)
		}
		return exitFailure
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stdout, "\nwarning: %s\n", w.Msg)
	}
	return exitOK
}

// fmtDuration prints a verification time in milliseconds.
func fmtDuration(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000)
}
