package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/jit"
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
	// Errors about it then begin "-p NAME=VALUE: policy.params.NAME: ".
	*p = append(*p, sim.Param{Name: name, Value: paramValue(val), Pos: sim.Pos{File: "-p " + s}})
	return nil
}

// paramValue types a -p VALUE as the TOML [policy.params] table would:
// an integer (decimal, 0x, 0o, 0b), true or false as a bool, else the
// string itself.
func paramValue(val string) any {
	if n, err := strconv.ParseInt(val, 0, 64); err == nil {
		return n
	}
	switch val {
	case "true":
		return true
	case "false":
		return false
	}
	return val
}

// cmdVerify implements `schedsim verify OBJ... [-v] [-p NAME=VALUE]...
// [--prog NAME] [--out FILE] [--compare FILE]`, a veristat for BPF
// objects: it loads each object (a built-in policy name or the path of a
// .bpf.o, sched_ext or not) without running it, verifies every program on
// its own as loading it for a run does, and prints per program the
// verdict, the instructions processed, the states stored, the peak number
// of states and the time; on a rejection, the kernel-style log of the
// failing path. Programs whose type's context, helpers or kfuncs schedsim
// does not model get the verdict "not modelled". Lock-order warnings
// (possible ABBA deadlocks between programs) are printed too. --out writes
// the table as CSV; --compare prints it beside such a file. Exit status:
// 0 nothing rejected, 1 a program rejected, 2 usage error or an object
// that does not load.
func cmdVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", args, stdout, stderr)
	verbose := fs.Bool("v", false, "print the full verifier log: every instruction processed with its state")
	prog := fs.String("prog", "", "verify only the programs with this `NAME` (comma-separated)")
	out := fs.String("out", "", "write the table to `FILE` as CSV (for a later --compare)")
	compare := fs.String("compare", "", "compare with a table written by --out to `FILE` earlier")
	var params paramFlags
	fs.Var(&params, "p", "set the policy parameter (`NAME=VALUE`, a const volatile global) before verifying; repeatable")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim verify OBJ... [-v] [-p NAME=VALUE]... [--prog NAME] [--out FILE] [--compare FILE]\n\n"+
			"Loads each object OBJ (a built-in policy: %s; or the path of a .bpf.o,\n"+
			"sched_ext or not) and runs the verifier on each of its programs, as\n"+
			"`schedsim run` does before a run, like the kernel's veristat. Read-only\n"+
			"globals are constants to the verifier, so the verdict may depend on the\n"+
			"parameters (-p). Exit status: 0 nothing rejected, 1 a program rejected,\n"+
			"2 usage error or an object that does not load. See docs/verifier.md.\n\n",
			strings.Join(policies.Builtins(), ", "))
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fs.Usage()
		return exitUsage
	}
	var prev []verifyRow
	if *compare != "" {
		var err error
		if prev, err = readVerifyTable(*compare); err != nil {
			fmt.Fprintf(stderr, "schedsim verify: --compare: %v\n", err)
			return exitUsage
		}
	}
	var filter func(string) bool
	if *prog != "" {
		names := strings.Split(*prog, ",")
		filter = func(n string) bool {
			for _, x := range names {
				if x == n {
					return true
				}
			}
			return false
		}
	}
	status := exitOK
	var rows []verifyRow
	for _, spec := range pos {
		obj, err := policies.ParseObject(spec)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim verify: %v\n", err)
			return exitUsage
		}
		var ps map[string]any
		if len(params) > 0 {
			if ps, err = policies.ConfigParams(obj, params); err != nil {
				fmt.Fprintf(stderr, "schedsim verify: %v\n", err)
				return exitUsage
			}
		}
		var log io.Writer
		if *verbose {
			log = stdout
		}
		vs, err := policies.VerifyObject(obj, policies.VerifyObjectOptions{Params: ps, Log: log, Filter: filter})
		if err != nil {
			fmt.Fprintf(stderr, "schedsim verify: %v\n", err)
			return exitUsage
		}
		if *verbose {
			fmt.Fprintln(stdout)
		}
		s := printVerdicts(stdout, spec, vs, !*verbose)
		if s > status {
			status = s
		}
		if *verbose && s == exitOK {
			jitReportObject(stdout, obj, ps)
		}
		for _, v := range vs {
			rows = append(rows, rowOf(spec, &v))
		}
	}
	if prev != nil {
		fmt.Fprintln(stdout)
		printVerifyComparison(stdout, prev, rows)
	}
	if *out != "" {
		if err := writeVerifyTable(*out, rows); err != nil {
			fmt.Fprintf(stderr, "schedsim verify: --out: %v\n", err)
			return exitUsage
		}
	}
	return status
}

// printVerdicts prints one object's verdict, its table, the rejections
// (with the log unless it was printed already) and lock-order warnings.
func printVerdicts(w io.Writer, spec string, vs []policies.ProgramVerdict, withLog bool) int {
	rejected, notModelled := 0, 0
	var total time.Duration
	var results []*verifier.Result
	for i := range vs {
		total += vs[i].Time
		switch {
		case vs[i].Err == nil:
			results = append(results, vs[i].Result)
		case vs[i].NotModelled():
			notModelled++
		default:
			rejected++
		}
	}
	switch {
	case rejected > 0:
		fmt.Fprintf(w, "%s: REJECTED (%d of %d programs)\n", spec, rejected, len(vs))
	default:
		fmt.Fprintf(w, "%s: accepted (%d programs, %s)\n", spec, len(vs)-notModelled, fmtDuration(total))
	}
	if notModelled > 0 {
		fmt.Fprintf(w, "%d programs not modelled: their verdict says nothing of the program\n", notModelled)
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "program\tverdict\tinsns processed\tstates\tpeak states\ttime\n")
	reused := false
	for _, v := range vs {
		r := rowOf(spec, &v)
		mark := ""
		if v.Result != nil && len(v.Result.Reused) > 0 {
			mark, reused = " *", true
		}
		fmt.Fprintf(tw, "%s\t%s\t%d%s\t%d\t%d\t%s\n", r.prog, r.verdict, r.insns, mark, r.states, r.peak, fmtDuration(v.Time))
	}
	tw.Flush()
	if reused {
		fmt.Fprintf(w, "* reuses the verification of global functions checked for an earlier program:\n")
		for _, v := range vs {
			if v.Result != nil && len(v.Result.Reused) > 0 {
				fmt.Fprintf(w, "  %s: %s\n", v.Program.Name, strings.Join(v.Result.Reused, ", "))
			}
		}
	}
	for _, v := range vs {
		if v.Err == nil {
			continue
		}
		var ve *verifier.Error
		if !errors.As(v.Err, &ve) {
			fmt.Fprintf(w, "\n%s: %v\n", v.Program.Name, v.Err)
			continue
		}
		if ve.NotModelled {
			fmt.Fprintf(w, "\n%s: not modelled: %s\n", v.Program.Name, ve.Msg)
			continue
		}
		fmt.Fprintf(w, "\n%v\n", ve)
		if withLog {
			fmt.Fprintf(w, "\nverifier log:\n%s", ve.Log)
		}
	}
	if rejected == 0 {
		for _, warn := range verifier.CheckLockOrder(results) {
			fmt.Fprintf(w, "\nwarning: %s\n", warn.Msg)
		}
	}
	if rejected > 0 {
		return exitFailure
	}
	return exitOK
}

// jitReportObject loads obj as a policy (without verifying it again) and
// reports what the JIT makes of its programs.
func jitReportObject(w io.Writer, obj *bpfvm.Object, ps map[string]any) {
	b, err := policies.LoadObject(obj, policies.Options{NumCPUs: 1, Params: ps, NoVerify: true})
	if err != nil {
		fmt.Fprintf(w, "\nJIT: not reported: the object does not load as a policy (%v)\n", err)
		return
	}
	defer b.Close()
	jitReport(w, b.VM(), b.Instance().Programs)
}

// jitReport compiles each program with the JIT and prints its native code
// size and compile time.
func jitReport(w io.Writer, vm *bpfvm.VM, progs []*bpfvm.Program) {
	if !jit.Supported {
		fmt.Fprintf(w, "\nJIT: not available on this platform (the interpreter runs the programs)\n")
		return
	}
	fmt.Fprintf(w, "\nJIT (native amd64 code):\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "program\tBPF insns\tnative bytes\tcompile time\n")
	var bytes int
	var took time.Duration
	for _, p := range progs {
		st, err := jit.Compile(vm, p)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%d\t-\t%v\n", p.Name, len(p.Insns), err)
			continue
		}
		bytes += st.CodeBytes
		took += st.Took
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", p.Name, len(p.Insns), st.CodeBytes, fmtDuration(st.Took))
	}
	fmt.Fprintf(tw, "total\t\t%d\t%s\n", bytes, fmtDuration(took))
	tw.Flush()
}

// fmtDuration prints a verification time in milliseconds.
func fmtDuration(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000)
}

// verifyRow is one program's line of the table --out writes.
type verifyRow struct {
	object, prog, verdict string
	insns, states, peak   int
	ms                    float64
}

func rowOf(spec string, v *policies.ProgramVerdict) verifyRow {
	r := verifyRow{object: spec, prog: v.Program.Name, ms: float64(v.Time.Microseconds()) / 1000}
	switch {
	case v.Err == nil:
		r.verdict = "success"
		r.insns, r.states, r.peak = v.Result.InsnsProcessed, v.Result.StatesTotal, v.Result.PeakStates
	case v.NotModelled():
		r.verdict = "not modelled"
	default:
		r.verdict = "failure"
	}
	return r
}

const verifyTableHeader = "object,program,verdict,insns,states,peak_states,time_ms"

func writeVerifyTable(path string, rows []verifyRow) error {
	var b strings.Builder
	b.WriteString(verifyTableHeader + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%d,%d,%d,%.3f\n", r.object, r.prog, r.verdict, r.insns, r.states, r.peak, r.ms)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func readVerifyTable(path string) ([]verifyRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) == 0 || lines[0] != verifyTableHeader {
		return nil, fmt.Errorf("%s:1: not a table written by schedsim verify --out (want the header %q)", path, verifyTableHeader)
	}
	var rows []verifyRow
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 7 {
			return nil, fmt.Errorf("%s:%d: want 7 comma-separated fields, got %d", path, i+2, len(f))
		}
		r := verifyRow{object: f[0], prog: f[1], verdict: f[2]}
		var errs [4]error
		r.insns, errs[0] = strconv.Atoi(f[3])
		r.states, errs[1] = strconv.Atoi(f[4])
		r.peak, errs[2] = strconv.Atoi(f[5])
		r.ms, errs[3] = strconv.ParseFloat(f[6], 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+2, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// printVerifyComparison prints, per program of either table, the verdicts
// and the instructions and states of the previous run (A) and this one
// (B) with their difference, as veristat -C does.
func printVerifyComparison(w io.Writer, prev, cur []verifyRow) {
	key := func(r verifyRow) string { return r.object + "\x00" + r.prog }
	old := map[string]verifyRow{}
	for _, r := range prev {
		old[key(r)] = r
	}
	diff := func(a, b int) string {
		if a == 0 {
			return fmt.Sprintf("%+d", b-a)
		}
		return fmt.Sprintf("%+d (%+.1f%%)", b-a, 100*float64(b-a)/float64(a))
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "object\tprogram\tverdict (A)\tverdict (B)\tinsns (A)\tinsns (B)\tinsns (DIFF)\tstates (A)\tstates (B)\tstates (DIFF)\n")
	seen := map[string]bool{}
	for _, r := range cur {
		o, ok := old[key(r)]
		seen[key(r)] = true
		if !ok {
			fmt.Fprintf(tw, "%s\t%s\tN/A\t%s\tN/A\t%d\tN/A\tN/A\t%d\tN/A\n", r.object, r.prog, r.verdict, r.insns, r.states)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%s\n", r.object, r.prog, o.verdict, r.verdict,
			o.insns, r.insns, diff(o.insns, r.insns), o.states, r.states, diff(o.states, r.states))
	}
	for _, o := range prev {
		if !seen[key(o)] {
			fmt.Fprintf(tw, "%s\t%s\t%s\tN/A\t%d\tN/A\tN/A\t%d\tN/A\tN/A\n", o.object, o.prog, o.verdict, o.insns, o.states)
		}
	}
	tw.Flush()
}
