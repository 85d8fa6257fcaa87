// Command schedsim simulates a multi-core Linux machine whose CPU scheduler
// is a sched_ext policy, and reports what the policy did to the workloads.
//
//	schedsim run [CONFIG] [--policy NAME|PATH] [--seed N] [--duration D] [--json FILE] [--maps]
//	schedsim top [CONFIG] [--policy P[,Q]] [--seed N] [--speed S]
//	schedsim init DIR [--from fifo|eevdf|vtime]
//	schedsim build FILE.bpf.c [-o OUT]
//	schedsim bench SUITE [--workers N] [--json FILE] [--baseline FILE] [--report DIR] [--shard i/n]
//	schedsim exec [--mem HEX] [PROG]  (--plugin: the BPF conformance suite's plugin)
//	schedsim vmlinux [-o FILE] [--dir DIR]
//	schedsim help [COMMAND]
//	schedsim --version
//
// Exit status: 0 on success, 1 on a runtime failure (including a policy
// ejected during the run), 2 on a usage or config error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the run failed
	exitUsage   = 2 // bad command line or config
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands lists the subcommands, in the order usage shows them.
var commands = []command{
	{"run", "simulate a scenario (default: the built-in web.toml) and print its results",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return cmdRun(args, stdout, stderr) }},
	{"top", "run a scenario live in a terminal dashboard (one policy, or two side by side)",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return cmdTop(args, stdout, stderr) }},
	{"explore", "rerun a scenario with randomised interleavings and report the first deadlock or fault",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return cmdExplore(args, stdout, stderr)
		}},
	{"verify", "run the BPF verifier on a policy: verdict, statistics, log, lock-order warnings",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return cmdVerify(args, stdout, stderr) }},
	{"bench", "benchmark policies over a suite of configs and seeds: tables with CIs, baselines, plots, shards",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return cmdBench(args, stdout, stderr) }},
	{"exec", "run a BPF program (see schedsim exec -h)", cmdExec},
	{"init", "start a new policy project: C skeleton, headers, Makefile and config",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return cmdInit(args, stdout, stderr) }},
	{"build", "compile a policy's .bpf.c with clang and the bundled headers",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int { return cmdBuild(args, stdout, stderr) }},
	{"vmlinux", "write the headers a policy includes (vmlinux.h; with --dir, scx/*.h too)",
		func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return cmdVmlinux(args, stdout, stderr)
		}},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is schedsim with arguments args and no standard input.
func run(args []string, stdout, stderr io.Writer) int {
	return dispatch(args, strings.NewReader(""), stdout, stderr)
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		// The simulator must never panic on user input; if it does
		// anyway, say so plainly rather than dump a goroutine trace.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "schedsim: internal error: %v\nplease report this with the command line and config\n", r)
			code = exitFailure
		}
	}()
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		// `schedsim help run` is `schedsim run --help`.
		if len(args) > 1 {
			for _, c := range commands {
				if c.name == args[1] {
					return c.run([]string{"--help"}, stdin, stdout, stderr)
				}
			}
			fmt.Fprintf(stderr, "schedsim help: unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprint(stdout, versionText())
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "schedsim: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: schedsim COMMAND [ARGS]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'schedsim help COMMAND' (or 'schedsim COMMAND -h') for a command's options;\n'schedsim --version' for the version. Tutorial: docs/tutorial.md.\n")
}
