package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/schedsim/schedsim/policies"
)

// cmdVmlinux implements `schedsim vmlinux [-o FILE] [--dir DIR]`: it
// writes the C header of the simulated kernel's types
// (policies/include/vmlinux.h), to stdout or to FILE; with --dir, every
// header a policy includes (vmlinux.h, scx/common.bpf.h, ...) under DIR,
// to be used as `-I DIR`. An existing file with the same content is left
// untouched (its modification time too).
func cmdVmlinux(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("vmlinux", args, stdout, stderr)
	out := fs.String("o", "", "write the header to `FILE` instead of stdout")
	dir := fs.String("dir", "", "write every header a policy includes (vmlinux.h, scx/*.h) under `DIR`, for clang -I DIR")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim vmlinux [-o FILE] [--dir DIR]\n\n"+
			"Writes the C header of the simulated kernel's types (task_struct,\n"+
			"sched_ext_ops, sched_ext enums, BPF types), generated from the same BTF\n"+
			"that policies are loaded against. With --dir, writes every header a\n"+
			"policy includes: DIR/vmlinux.h and DIR/scx/common.bpf.h (build with\n"+
			"-I DIR; libbpf's <bpf/*.h> come from libbpf-dev). See docs/policies.md.\n\n")
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
	if *dir != "" && *out != "" {
		fmt.Fprintf(stderr, "schedsim vmlinux: -o and --dir exclude each other (--dir writes DIR/vmlinux.h)\n")
		return exitUsage
	}
	if *dir != "" {
		written, err := writeHeaders(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim vmlinux: %v\n", err)
			return exitFailure
		}
		for _, p := range written {
			fmt.Fprintln(stdout, p)
		}
		return exitOK
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
	if err := writeFileAtomic(*out, h); err != nil {
		fmt.Fprintf(stderr, "schedsim vmlinux: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// writeHeaders writes every header a policy includes under dir and
// returns their paths.
func writeHeaders(dir string) ([]string, error) {
	hs, names, err := policies.Headers()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(p, hs[n]); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeFileAtomic writes data to path through a temporary file renamed
// over it, so that an interrupted run never leaves a truncated file; a
// file that already holds data is left untouched.
func writeFileAtomic(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".schedsim-*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	werr = errors.Join(werr, tmp.Close())
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
	}
	return werr
}
