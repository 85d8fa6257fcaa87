package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/schedsim/schedsim/bpfvm/conformance"
	"github.com/schedsim/schedsim/policies"
)

// The plugin mode of "schedsim exec": the process contract of the BPF
// conformance suite (github.com/Alan-Jowett/bpf_conformance, docs/isa-conformance.md).
// Its runner starts the plugin as
//
//	PLUGIN [MEM] [PLUGIN_OPTIONS...]
//
// where MEM (present when the test has memory) is hex bytes separated by
// spaces, and writes the program to standard input as hex bytes of raw
// little-endian instructions. The plugin runs the program with r1 = the
// address of a copy of MEM (0 without memory) and r2 = its length, and
// prints r0 in hex on standard output, exit status 0; or prints an error
// on standard error (and nothing on standard output), exit status 1, which
// the runner compares with the test's "-- error" text.

// pluginArgs separates the operands of the plugin mode from its flags in
// any order: the runner puts MEM first and the plugin options after it,
// where the flag package would stop at MEM.
func pluginArgs(fs *flag.FlagSet, args []string) (operands []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return operands, nil
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// pluginMode says whether args ask for the plugin mode (--plugin anywhere
// before a "--").
func pluginMode(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--plugin", "-plugin", "--plugin=true", "-plugin=true":
			return true
		}
	}
	return false
}

// cmdExecPlugin implements "schedsim exec --plugin". Exit status 0: r0
// printed; 1: the program was refused or faulted; 2: bad usage.
func cmdExecPlugin(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("exec", args, stdout, stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), execUsage) }
	fs.Bool("plugin", true, "BPF conformance suite plugin mode")
	engine := fs.String("engine", "", "`ENGINE`: jit or interp (default: jit on linux/amd64)")
	program := fs.String("program", "", "the program as hex bytes, instead of standard input (as uBPF's plugin takes it)")
	elf := fs.Bool("elf", false, "the program is an ELF object (the runner's --elf true): run its function main")
	operands, err := pluginArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(operands) > 1 {
		fmt.Fprintf(stderr, "schedsim exec --plugin: expected at most one operand (the memory, hex bytes), got %d: %q\n", len(operands), operands)
		return 2
	}
	var mem []byte
	if len(operands) == 1 {
		if mem, err = decodeHex(operands[0]); err != nil {
			fmt.Fprintf(stderr, "schedsim exec --plugin: memory operand: %v\n", err)
			return 2
		}
	}
	src := *program
	if src == "" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim exec --plugin: reading the program: %v\n", err)
			return 2
		}
		src = string(b)
	}
	code, err := decodeHex(src)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec --plugin: program on standard input: %v\n", err)
		return 1
	}
	if *elf {
		if code, err = conformance.ELFProgram(code, conformance.ELFFunction); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	eng, _, err := policies.NewEngine(*engine)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec --plugin: --engine: %v\n", err)
		return 2
	}
	r0, err := conformance.Exec(code, mem, eng)
	if err != nil {
		fmt.Fprintln(stderr, strings.TrimSpace(err.Error()))
		return 1
	}
	fmt.Fprintf(stdout, "%x\n", r0)
	return 0
}
