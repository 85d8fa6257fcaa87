package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/schedsim/schedsim/policies"
)

// cmdVmlinux implements `schedsim vmlinux [-o FILE]`: it writes the C
// header of the simulated kernel's types (policies/include/vmlinux.h), to
// stdout or to FILE. An existing FILE with the same content is left
// untouched (its modification time too).
func cmdVmlinux(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vmlinux", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the header to `FILE` instead of stdout")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: schedsim vmlinux [-o FILE]\n\n"+
			"Writes the C header of the simulated kernel's types (task_struct,\n"+
			"sched_ext_ops, sched_ext enums, BPF types), generated from the same BTF\n"+
			"that policies are loaded against. Policies include it through\n"+
			"<scx/common.bpf.h>; see docs/policies.md.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "schedsim vmlinux: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	h, err := policies.VmlinuxHeader()
	if err != nil {
		fmt.Fprintf(stderr, "schedsim vmlinux: %v\n", err)
		return exitFailure
	}
	if *out == "" {
		if _, err := stdout.Write(h); err != nil {
			fmt.Fprintf(stderr, "schedsim vmlinux: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	if old, err := os.ReadFile(*out); err == nil && bytes.Equal(old, h) {
		return exitOK
	}
	// Write a temporary file next to FILE and rename it, so that an
	// interrupted run never leaves a truncated header.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".vmlinux-*.h")
	if err != nil {
		fmt.Fprintf(stderr, "schedsim vmlinux: %v\n", err)
		return exitFailure
	}
	_, werr := tmp.Write(h)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), *out)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		fmt.Fprintf(stderr, "schedsim vmlinux: %v\n", werr)
		return exitFailure
	}
	return exitOK
}
