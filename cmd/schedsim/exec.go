package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
)

const execUsage = `usage: schedsim exec [--mem HEX] [--engine jit|interp] [--count N] [PROG]
       schedsim exec --plugin [--engine jit|interp] [--elf] [--program HEX] [MEM]

Runs a BPF program and prints r0 in hex. PROG (a file,
or standard input when absent or "-") is hex-encoded instructions (as the
BPF conformance suite passes them), assembly in the syntax of the verifier
log, or raw little-endian instructions. r1 points at the memory given by
--mem (hex bytes, copied into the VM) and r2 is its length.

--engine chooses the JIT (default on linux/amd64) or the interpreter.
--count N runs the program N times (the memory restored before each run)
and prints r0, the instructions per run and the wall-clock ns per run, to
compare the engines on a raw program.

--plugin follows the process contract of the BPF conformance suite's
plugins (github.com/Alan-Jowett/bpf_conformance, as uBPF's ubpf_plugin):
MEM, the optional operand, is the memory as hex bytes ("01 02 ...");
standard input (or --program) is the program as hex bytes of raw
instructions, run unverified; r1 points at a copy of MEM (0 without one) and r2 is its
length; helper 5 returns its first argument, as in the suite's reference
plugins. With --elf (the runner's --elf true) standard input is an ELF
object instead, whose function "main" runs. It prints r0 in hex without
0x (exit 0), or an error on standard error (exit 1). Flags may follow
MEM. docs/isa-conformance.md and scripts/bpf-conformance.sh run the
suite with it.
`

// cmdExec implements "schedsim exec". It returns the process exit status:
// 0 on success, 1 when the program faults, 2 for bad usage or input.
func cmdExec(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if pluginMode(args) {
		return cmdExecPlugin(args, stdin, stdout, stderr)
	}
	fs := newFlagSet("exec", args, stdout, stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), execUsage) }
	memHex := fs.String("mem", "", "initial memory, hex bytes")
	engine := fs.String("engine", "", "`ENGINE`: jit or interp (default: jit on linux/amd64)")
	count := fs.Int("count", 0, "run `N` times and print r0, insns/run and ns/run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "schedsim exec: one program at most, got %d arguments\n", fs.NArg())
		fs.Usage()
		return 2
	}
	mem, err := decodeHex(*memHex)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec: --mem: %v\n", err)
		return 2
	}
	name := "<stdin>"
	var src []byte
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		name = fs.Arg(0)
		src, err = os.ReadFile(name)
	} else {
		src, err = io.ReadAll(stdin)
	}
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec: %v\n", err)
		return 2
	}
	code, err := programBytes(src)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec: %s:%v\n", name, err)
		return 2
	}
	eng, note, err := policies.NewEngine(*engine)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec: --engine: %v\n", err)
		return 2
	}
	if note != "" {
		fmt.Fprintln(stderr, note)
	}
	if *count < 0 {
		fmt.Fprintf(stderr, "schedsim exec: --count %d: expected a positive count\n", *count)
		return 2
	}
	x, err := bpfvm.NewExec(code, len(mem))
	if err != nil {
		fmt.Fprintf(stderr, "schedsim exec: %v\n", err)
		return 1
	}
	defer x.Close()
	x.C.Engine = eng
	if *count == 0 {
		r0, _, err := x.Run(mem)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim exec: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%#x\n", r0)
		return 0
	}
	init := append([]byte(nil), mem...)
	var r0, insns uint64
	start := time.Now()
	for range *count {
		copy(mem, init)
		if r0, insns, err = x.Run(mem); err != nil {
			fmt.Fprintf(stderr, "schedsim exec: %v\n", err)
			return 1
		}
	}
	ns := float64(time.Since(start).Nanoseconds()) / float64(*count)
	fmt.Fprintf(stdout, "engine %s  r0 %#x  insns/run %d  ns/run %.1f  ns/insn %.3f  runs %d\n",
		eng.Name(), r0, insns, ns, ns/float64(max(insns, 1)), *count)
	return 0
}

// decodeHex decodes hex bytes, ignoring white space and an optional 0x.
func decodeHex(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex bytes: %v", err)
	}
	return b, nil
}

// programBytes turns the program text into raw instructions: hex, then
// assembly, else raw bytes.
func programBytes(src []byte) ([]byte, error) {
	text := string(src)
	isHex := len(strings.TrimSpace(text)) > 0
	for _, c := range text {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			isHex = false
			break
		}
	}
	if isHex {
		b, err := decodeHex(text)
		if err != nil {
			return nil, fmt.Errorf(" %v", err)
		}
		return b, nil
	}
	if utf8.Valid(src) && !bytes.ContainsRune(src, 0) {
		insns, err := bpfvm.Assemble(text)
		if err != nil {
			return nil, err // line:col: message
		}
		var out []byte
		for _, in := range insns {
			out = in.Encode(out)
		}
		return out, nil
	}
	return src, nil
}
