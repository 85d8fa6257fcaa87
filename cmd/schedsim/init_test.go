package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/policies"
)

func TestVmlinuxDir(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cli(t, "vmlinux", "--dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hs, names, err := policies.Headers()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 2 || names[0] != "scx/common.bpf.h" && names[1] != "vmlinux.h" {
		t.Errorf("headers %v", names)
	}
	for _, n := range names {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || !bytes.Equal(got, hs[n]) {
			t.Errorf("%s: %v (or content differs)", n, err)
		}
		if !strings.Contains(out, filepath.Join(dir, n)) {
			t.Errorf("output does not list %s: %q", n, out)
		}
	}
	if code, _, errOut := cli(t, "vmlinux", "--dir", dir, "-o", "x.h"); code != exitUsage || !strings.Contains(errOut, "exclude") {
		t.Errorf("-o with --dir: exit %d %q", code, errOut)
	}
}

func TestPolicyName(t *testing.T) {
	for in, want := range map[string]string{"mysched": "mysched", "a/b/my-sched/": "my_sched", "2fast": "p2fast", ".": "mysched"} {
		if got := policyName(in); got != want {
			t.Errorf("policyName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInitBuildRun is the tutorial's path for each starting point: init,
// build (when clang 19+ is installed), run with --maps and --printk.
func TestInitBuildRun(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // where build puts its headers
	_, clangErr := findClang()
	for _, from := range initStarts {
		t.Run(from, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "my-"+from)
			code, out, errOut := cli(t, "init", dir, "--from", from)
			if code != exitOK {
				t.Fatalf("init: exit %d: %s", code, errOut)
			}
			name := "my_" + from
			for _, f := range []string{name + ".bpf.c", "Makefile", "config.toml", "include/vmlinux.h", "include/scx/common.bpf.h"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("init wrote no %s: %v", f, err)
				}
				if !strings.Contains(out, filepath.Join(dir, f)) {
					t.Errorf("init output does not list %s", f)
				}
			}
			if code, _, errOut := cli(t, "init", dir, "--from", from); code != exitUsage || !strings.Contains(errOut, "already exist") {
				t.Errorf("init over an existing project: exit %d %q", code, errOut)
			}
			if clangErr != nil {
				t.Skipf("no clang: %v", clangErr)
			}
			src := filepath.Join(dir, name+".bpf.c")
			if code, out, errOut := cli(t, "build", src); code != exitOK || strings.TrimSpace(out) != filepath.Join(dir, name+".bpf.o") {
				t.Fatalf("build: exit %d, %q, %s", code, out, errOut)
			}
			pk := filepath.Join(dir, "printk.txt")
			code, out, errOut = cli(t, "run", filepath.Join(dir, "config.toml"), "--duration", "200ms", "--maps", "--printk", pk)
			if code != exitOK {
				t.Fatalf("run: exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "policy         "+name) || !strings.Contains(out, "EXIT: unregistered from user space") {
				t.Errorf("run output:\n%s", out)
			}
			if from == "eevdf" {
				return
			}
			log, _ := os.ReadFile(pk)
			if !strings.Contains(string(log), "init: slice 3000000 ns") || !strings.Contains(string(log), "exit: kind 64: unregistered from user space") {
				t.Errorf("printk:\n%s", log)
			}
			if !strings.Contains(out, `"reason": "unregistered from user space"`) || !strings.Contains(out, `"dispatched": `) {
				t.Errorf("maps lack exit_info or stats:\n%s", out)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.bpf.c")
	if err := os.WriteFile(bad, []byte("#include <scx/common.bpf.h>\nint f(void) { return undeclared; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No clang anywhere: the message says how to install one.
	t.Run("no clang", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		t.Setenv("CLANG", "")
		code, _, errOut := cli(t, "build", bad)
		if code != exitFailure || !strings.Contains(errOut, "no clang 19 or newer found") || !strings.Contains(errOut, "apt-get install clang-19 libbpf-dev") {
			t.Errorf("exit %d %q", code, errOut)
		}
	})
	if code, _, errOut := cli(t, "build", filepath.Join(dir, "missing.bpf.c")); code != exitUsage || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing source: exit %d %q", code, errOut)
	}
	if _, err := findClang(); err != nil {
		t.Skipf("no clang: %v", err)
	}
	// clang's own message, with file:line:col, reaches the user.
	code, _, errOut := cli(t, "build", bad, "-o", filepath.Join(dir, "x.o"))
	if code != exitFailure || !strings.Contains(errOut, "bad.bpf.c:2:") || !strings.Contains(errOut, "undeclared") ||
		!strings.Contains(errOut, "failed to compile") {
		t.Errorf("compile error: exit %d %q", code, errOut)
	}
}
