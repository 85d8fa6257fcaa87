// Command bpf-conformance runs the BPF ISA conformance suite
// (github.com/Alan-Jowett/bpf_conformance) on schedsim's engines without
// the suite's C++ runner: it parses the suite's tests/*.data files and
// assembles their programs itself (bpfvm/conformance), then runs each
// either through a plugin process, exactly as the suite's runner does, or
// in this process on an engine.
//
//	bpf-conformance --suite DIR [--plugin "CMD ARGS..."] [--engine jit|interp|both] [-v] [--run REGEX]
//
// DIR is a checkout of the suite (or its tests directory). With --plugin,
// each test starts CMD with the test's memory (hex bytes) as the first
// argument when it has memory, then ARGS, and writes the program as hex
// bytes to its standard input; CMD prints r0 in hex (scripts/bpf-conformance.sh
// passes "schedsim exec --plugin --engine E"). Without --plugin the
// programs run here on the engines --engine names (default both).
// It prints the tests that did not pass (all with -v) and a summary line
// per engine; the exit status is 1 when a test failed or errored.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/bpfvm/conformance"
	"github.com/schedsim/schedsim/policies"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bpf-conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suite := fs.String("suite", "", "`DIR`: a bpf_conformance checkout, or its tests directory")
	plugin := fs.String("plugin", "", "run each test through the plugin `CMD` (space-separated command and options)")
	engine := fs.String("engine", "both", "in-process `ENGINE`: jit, interp or both (without --plugin)")
	verbose := fs.Bool("v", false, "print every test, not only those that did not pass")
	only := fs.String("run", "", "run only the tests whose file name matches `REGEX`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *suite == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: bpf-conformance --suite DIR [--plugin CMD] [--engine jit|interp|both] [-v] [--run REGEX]")
		return 2
	}
	files, err := conformance.Files(*suite)
	if err != nil {
		fmt.Fprintf(stderr, "bpf-conformance: %v\n", err)
		return 2
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintf(stderr, "bpf-conformance: --run: %v\n", err)
			return 2
		}
		var keep []string
		for _, f := range files {
			if re.MatchString(filepath.Base(f)) {
				keep = append(keep, f)
			}
		}
		files = keep
	}

	type target struct {
		name string
		exec conformance.Executor
	}
	var targets []target
	if *plugin != "" {
		cmd := strings.Fields(*plugin)
		targets = append(targets, target{"plugin " + *plugin, pluginExecutor(cmd)})
	} else {
		names := []string{*engine}
		if *engine == "both" {
			names = []string{"interp", "jit"}
		}
		for _, n := range names {
			eng, note, err := policies.NewEngine(n)
			if err != nil {
				fmt.Fprintf(stderr, "bpf-conformance: --engine: %v\n", err)
				return 2
			}
			if note != "" {
				fmt.Fprintln(stderr, note)
			}
			targets = append(targets, target{"engine " + n, func(code, mem []byte) (uint64, error) {
				return conformance.Exec(code, mem, eng)
			}})
		}
	}

	status := 0
	for _, tg := range targets {
		var results []conformance.Result
		for _, f := range files {
			r := conformance.RunFile(f, tg.exec)
			results = append(results, r)
			if *verbose || r.Status != conformance.Pass {
				fmt.Fprintf(stdout, "%s: %s %s\n", r.Status, r.Test, r.Message)
			}
		}
		c := conformance.Count(results)
		fmt.Fprintf(stdout, "%s: %v\n", tg.name, c)
		if c[conformance.Fail]+c[conformance.Error] > 0 {
			status = 1
		}
	}
	return status
}

// pluginExecutor runs a test in a plugin process with the suite runner's
// contract: PLUGIN [MEM] [OPTIONS...], the program as hex bytes on
// standard input, r0 in hex on standard output; on a non-zero exit the
// error is standard output, or standard error when that is empty.
func pluginExecutor(cmd []string) conformance.Executor {
	return func(code, mem []byte) (uint64, error) {
		var args []string
		if len(mem) > 0 {
			args = append(args, hexBytes(mem))
		}
		args = append(args, cmd[1:]...)
		c := exec.Command(cmd[0], args...)
		c.Stdin = strings.NewReader(hexBytes(code) + "\n")
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		if err := c.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return 0, fmt.Errorf("starting the plugin: %v", err)
			}
			msg := strings.TrimSpace(out.String())
			if msg == "" {
				msg = strings.TrimSpace(errOut.String())
			}
			return 0, fmt.Errorf("%s", msg)
		}
		s := strings.TrimSpace(out.String())
		v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("plugin output %q is not a hex number", s)
		}
		return v, nil
	}
}

// hexBytes formats b as the suite's runner does: two hex digits and two
// spaces per byte.
func hexBytes(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "%02x  ", c)
	}
	return s.String()
}
