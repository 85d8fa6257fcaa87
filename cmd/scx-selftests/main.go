// Command scx-selftests runs the Linux kernel's sched_ext selftests
// (tools/testing/selftests/sched_ext) in schedsim: each test's BPF
// scheduler, compiled unmodified by scripts/scx-selftests.sh, is loaded,
// attached and run under the workload its runner (NAME.c) creates, and the
// runner's assertions are checked (suite.go holds them as data).
//
//	scx-selftests [-suite 6.12|newer|all] [-run REGEXP] [-md] DIR
//
// DIR holds the compiled objects: DIR/6.12/NAME.bpf.o for the 6.12
// suite, DIR/newer/NAME.bpf.o for tests of newer kernels. A test whose
// object is missing is reported as "no object". The exit status is 1 if
// any test failed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scx-selftests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	which := fs.String("suite", "all", "which tests: 6.12, newer or all")
	pattern := fs.String("run", "", "only the tests whose name matches this regular expression")
	md := fs.Bool("md", false, "print a Markdown table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: scx-selftests [-suite 6.12|newer|all] [-run REGEXP] [-md] DIR")
		return 2
	}
	dir := fs.Arg(0)
	re, err := regexp.Compile(*pattern)
	if err != nil {
		fmt.Fprintf(stderr, "scx-selftests: -run: %v\n", err)
		return 2
	}
	var tests []selftest
	switch *which {
	case "6.12":
		tests = suite612()
	case "newer":
		tests = suiteNewer()
	case "all":
		tests = append(suite612(), suiteNewer()...)
	default:
		fmt.Fprintf(stderr, "scx-selftests: -suite %q: expected 6.12, newer or all\n", *which)
		return 2
	}
	rows := [][]string{{"suite", "test", "case", "expected", "got", "result"}}
	var needs []string
	failed := 0
	counts := map[string]int{}
	for _, t := range tests {
		if !re.MatchString(t.Name) {
			continue
		}
		if t.Skip != "" {
			rows = append(rows, []string{t.Suite, t.Name, "", "", t.Skip, "skip"})
			counts["skip"]++
			continue
		}
		objDir := filepath.Join(dir, t.Suite)
		for _, c := range t.Cases {
			o := runCase(objDir, t.Kernel, c)
			res := "pass"
			if !o.Pass {
				res = "FAIL"
				failed++
				if t.Needs != "" && (len(needs) == 0 || !strings.HasPrefix(needs[len(needs)-1], t.Name+":")) {
					needs = append(needs, t.Name+": needs "+t.Needs)
				}
			}
			counts[res]++
			rows = append(rows, []string{t.Suite, t.Name, c.Label, expected(c), o.Got, res})
		}
	}
	printTable(stdout, rows, *md)
	if len(needs) > 0 {
		fmt.Fprintf(stdout, "\n%s\n", strings.Join(needs, "\n"))
	}
	fmt.Fprintf(stdout, "\n%d pass, %d FAIL, %d skip\n", counts["pass"], counts["FAIL"], counts["skip"])
	if failed > 0 {
		return 1
	}
	return 0
}

// expected says in a few words what the runner asserts.
func expected(c tcase) string {
	switch c.Expect {
	case expectLoadFail:
		return "load fails (verifier)"
	}
	var parts []string
	for _, ch := range c.Checks {
		switch {
		case ch.Op == "streq":
			parts = append(parts, fmt.Sprintf("%s == %q", ch.Var, ch.Str))
		case ch.Var2 != "":
			parts = append(parts, fmt.Sprintf("%s %s %s", ch.Var, ch.Op, ch.Var2))
		case strings.HasSuffix(ch.Var, "kind"):
			parts = append(parts, fmt.Sprintf("%s %s %s", ch.Var, ch.Op, kindName(ch.Val)))
		default:
			parts = append(parts, fmt.Sprintf("%s %s %d", ch.Var, ch.Op, ch.Val))
		}
	}
	if len(parts) == 0 {
		return "loads, attaches"
	}
	return strings.Join(parts, ", ")
}

func printTable(w io.Writer, rows [][]string, md bool) {
	if md {
		for i, r := range rows {
			for j := range r {
				r[j] = strings.ReplaceAll(r[j], "|", `\|`)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
			if i == 0 {
				fmt.Fprintf(w, "|%s\n", strings.Repeat(" --- |", len(r)))
			}
		}
		return
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, c := range r[:len(r)-1] {
			width[j] = max(width[j], min(len(c), 60))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for j, c := range r {
			if j == len(r)-1 {
				b.WriteString(c)
				break
			}
			fmt.Fprintf(&b, "%-*s  ", width[j], c)
		}
		fmt.Fprintln(w, b.String())
	}
}
