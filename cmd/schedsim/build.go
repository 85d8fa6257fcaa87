package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/policies"
)

// minClang is the oldest clang that builds sched_ext policies as schedsim
// expects (-mcpu=v4, BTF type tags, __builtin_preserve_* for CO-RE).
const minClang = 19

const clangInstallHint = "install one with: apt-get install clang-19 libbpf-dev  (Debian/Ubuntu; other systems: LLVM 19+ and libbpf's headers), or set CLANG=/path/to/clang"

// bpfCFlags are the flags policies are built with (docs/policies.md).
var bpfCFlags = []string{"-O2", "-g", "-target", "bpf", "-mcpu=v4", "-Wall"}

// incFlags collects repeated -I DIR flags.
type incFlags []string

func (f *incFlags) String() string     { return strings.Join(*f, " ") }
func (f *incFlags) Set(s string) error { *f = append(*f, s); return nil }

// cmdBuild implements `schedsim build FILE.bpf.c [-o OUT] [-I DIR]...
// [-- CLANG FLAGS]`: it compiles a policy with the clang it finds and the
// headers bundled in schedsim, to FILE.bpf.o beside the source unless -o
// says otherwise. clang's messages are shown as clang prints them.
func cmdBuild(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("build", args, stdout, stderr)
	out := fs.String("o", "", "write the object to `OUT` (default: FILE.bpf.o beside the source)")
	verbose := fs.Bool("v", false, "print the clang command line")
	var incs incFlags
	fs.Var(&incs, "I", "search `DIR` for headers before the bundled ones; repeatable")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim build FILE.bpf.c [-o OUT] [-I DIR]... [-v] [-- CLANG FLAGS...]\n\n"+
			"Compiles a sched_ext policy for schedsim with clang %d or newer (found as $CLANG,\n"+
			"clang-NN or clang on PATH) and the flags and headers schedsim's own policies\n"+
			"use: %s -I <bundled headers: vmlinux.h, scx/common.bpf.h>.\n"+
			"libbpf's <bpf/*.h> come from the system (libbpf-dev). Flags after -- go to\n"+
			"clang. See docs/tutorial.md.\n\n", minClang, strings.Join(bpfCFlags, " "))
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	var extra []string
	for i, a := range args {
		if a == "--" {
			extra = args[i+1:]
			pos = pos[:len(pos)-len(extra)]
			break
		}
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "schedsim build: want one source file, got %d arguments\n", len(pos))
		fs.Usage()
		return exitUsage
	}
	src := pos[0]
	if _, err := os.Stat(src); err != nil {
		fmt.Fprintf(stderr, "schedsim build: %v\n", err)
		return exitUsage
	}
	obj := *out
	if obj == "" {
		obj = strings.TrimSuffix(src, ".c") + ".o"
		if !strings.HasSuffix(src, ".c") {
			obj = src + ".o"
		}
	}
	clang, err := findClang()
	if err != nil {
		fmt.Fprintf(stderr, "schedsim build: %v\n", err)
		return exitFailure
	}
	inc, err := bundledHeaders()
	if err != nil {
		fmt.Fprintf(stderr, "schedsim build: bundled headers: %v\n", err)
		return exitFailure
	}
	argv := append([]string{}, bpfCFlags...)
	for _, d := range incs {
		argv = append(argv, "-I", d)
	}
	argv = append(argv, "-I", inc)
	argv = append(argv, extra...)
	argv = append(argv, "-c", src, "-o", obj)
	if *verbose {
		fmt.Fprintf(stderr, "%s %s\n", clang, strings.Join(argv, " "))
	}
	var msgs bytes.Buffer
	cmd := exec.Command(clang, argv...)
	cmd.Stdout = stdout
	cmd.Stderr = io.MultiWriter(stderr, &msgs)
	if err := cmd.Run(); err != nil {
		if strings.Contains(msgs.String(), "'bpf/bpf_helpers.h' file not found") {
			fmt.Fprintf(stderr, "schedsim build: libbpf's headers are missing: apt-get install libbpf-dev (or add -I DIR holding bpf/bpf_helpers.h)\n")
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintf(stderr, "schedsim build: %s: %v\n", clang, err)
		} else {
			fmt.Fprintf(stderr, "schedsim build: %s failed to compile %s\n", filepath.Base(clang), src)
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s\n", obj)
	return exitOK
}

var clangVersionRE = regexp.MustCompile(`clang version (\d+)\.`)

// clangVersion is the major version clang reports, or 0.
func clangVersion(path string) int {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return 0
	}
	m := clangVersionRE.FindSubmatch(out)
	if m == nil {
		return 0
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}

// findClang returns the clang to use: $CLANG if set, else the newest
// clang-NN (NN >= 19) on PATH, else clang if it is 19 or newer.
func findClang() (string, error) {
	if c := os.Getenv("CLANG"); c != "" {
		p, err := exec.LookPath(c)
		if err != nil {
			return "", fmt.Errorf("CLANG=%s: %v", c, err)
		}
		if v := clangVersion(p); v < minClang {
			return "", fmt.Errorf("CLANG=%s is clang %d; schedsim needs clang %d or newer; %s", c, v, minClang, clangInstallHint)
		}
		return p, nil
	}
	var tried []string
	for v := minClang + 20; v >= minClang; v-- {
		if p, err := exec.LookPath("clang-" + strconv.Itoa(v)); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("clang"); err == nil {
		v := clangVersion(p)
		if v >= minClang {
			return p, nil
		}
		tried = append(tried, fmt.Sprintf("%s is clang %d", p, v))
	}
	msg := fmt.Sprintf("no clang %d or newer found on PATH", minClang)
	if len(tried) > 0 {
		msg += " (" + strings.Join(tried, "; ") + ")"
	}
	return "", errors.New(msg + "; " + clangInstallHint)
}

// bundledHeaders writes schedsim's headers to a directory named for their
// content in the user's cache (so clang's messages name files that stay)
// and returns it.
func bundledHeaders() (string, error) {
	hs, names, err := policies.Headers()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(hs[n]))
		h.Write(hs[n])
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "schedsim", fmt.Sprintf("include-%x", h.Sum(nil)[:8]))
	if _, err := writeHeaders(dir); err != nil {
		return "", err
	}
	return dir, nil
}
