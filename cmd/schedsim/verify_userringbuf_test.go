package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKernelUserRingbufSelftests verifies the kernel's own user ring buffer
// selftests (tools/testing/selftests/bpf/progs/user_ringbuf_{success,fail}.c
// of the Linux tree in $SCHEDSIM_LINUX, 6.12), compiled with clang-19 as
// they are but for two edits schedsim needs: their programs become raw_tp
// programs with autoload on (the success file's are fentry programs, which
// schedsim does not load; the failure file's are SEC("?raw_tp")), and the
// success file's ring buffers get a max_entries (its user space sets it).
// Every success program must be accepted, and every failure program
// rejected with the message its __msg() names. Skipped without the tree.
func TestKernelUserRingbufSelftests(t *testing.T) {
	linux := os.Getenv("SCHEDSIM_LINUX")
	if linux == "" {
		t.Skip("SCHEDSIM_LINUX (a Linux 6.12 source tree) not set")
	}
	if _, err := exec.LookPath("clang-19"); err != nil {
		t.Skip("no clang-19")
	}
	st := filepath.Join(linux, "tools/testing/selftests/bpf")
	dir := t.TempDir()
	build := func(name string, edit func(string) string) (string, string) {
		src, err := os.ReadFile(filepath.Join(st, "progs", name+".c"))
		if err != nil {
			t.Fatal(err)
		}
		text := edit(string(src))
		c := filepath.Join(dir, name+".c")
		if err := os.WriteFile(c, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		obj := filepath.Join(dir, name+".o")
		cmd := exec.Command("clang-19", "-O2", "-g", "-target", "bpf", "-mcpu=v3", "-w",
			"-I"+filepath.Join(st, "progs"), "-I"+st, "-I"+filepath.Join(linux, "tools/include/uapi"),
			"-c", c, "-o", obj) // libbpf's headers: the system's, as for policies
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("clang %s: %v\n%s", name, err, out)
		}
		return obj, text
	}
	verify := func(obj string) (int, string) {
		var stdout, stderr bytes.Buffer
		status := run([]string{"verify", obj}, &stdout, &stderr)
		return status, stdout.String() + stderr.String()
	}

	fentry := regexp.MustCompile(`SEC\("fentry/" SYS_PREFIX "\w+"\)`)
	ok, _ := build("user_ringbuf_success", func(s string) string {
		s = fentry.ReplaceAllString(s, `SEC("raw_tp")`)
		s = strings.ReplaceAll(s, "__uint(type, BPF_MAP_TYPE_USER_RINGBUF);", "__uint(type, BPF_MAP_TYPE_USER_RINGBUF);\n\t__uint(max_entries, 8192);")
		return strings.ReplaceAll(s, "__uint(type, BPF_MAP_TYPE_RINGBUF);", "__uint(type, BPF_MAP_TYPE_RINGBUF);\n\t__uint(max_entries, 8192);")
	})
	if status, out := verify(ok); status != 0 || !strings.Contains(out, "accepted (3 programs") {
		t.Errorf("user_ringbuf_success: status %d\n%s", status, out)
	}

	bad, text := build("user_ringbuf_fail", func(s string) string {
		return strings.ReplaceAll(s, `SEC("?raw_tp")`, `SEC("raw_tp")`)
	})
	status, out := verify(bad)
	if status != 1 {
		t.Fatalf("user_ringbuf_fail: status %d\n%s", status, out)
	}
	want := regexp.MustCompile(`__failure __msg\("([^"]*)"\)\s*\nint (\w+)\(`).FindAllStringSubmatch(text, -1)
	if len(want) != 11 {
		t.Fatalf("%d failure cases in user_ringbuf_fail.c, want 11", len(want))
	}
	for _, w := range want {
		msg, prog := w[1], w[2]
		re := regexp.MustCompile(`(?m)^verifier: ` + prog + `\+\d+ \([^)]*\): (.*)$`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("%s: not rejected", prog)
			continue
		}
		if !strings.Contains(m[1], msg) {
			t.Errorf("%s: rejected with %q, want %q", prog, m[1], msg)
		}
	}
}
