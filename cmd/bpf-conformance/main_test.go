package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunInProcess(t *testing.T) {
	var out, errOut bytes.Buffer
	status := run([]string{"--suite", "../../bpfvm/conformance/testdata", "-v"}, &out, &errOut)
	if status != 0 {
		t.Fatalf("status %d: %s %s", status, out.String(), errOut.String())
	}
	for _, want := range []string{"PASS: sum-mem.data", "engine interp: 3 passed, 0 failed", "engine jit: 3 passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if status := run([]string{"--suite", "../../bpfvm/conformance/testdata", "--engine", "interp", "--run", "^sum"}, &out, &errOut); status != 0 || !strings.Contains(out.String(), "engine interp: 1 passed") || strings.Contains(out.String(), "jit") {
		t.Errorf("--run: status %d, %s", status, out.String())
	}
	if status := run([]string{"--suite", t.TempDir()}, &out, &errOut); status != 2 {
		t.Errorf("empty suite: status %d", status)
	}
}

// TestPluginExecutor checks the process contract with a shell plugin that
// records its arguments and input.
func TestPluginExecutor(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "plugin")
	os.WriteFile(plugin, []byte("#!/bin/sh\necho \"$@\" > \""+dir+"/args\"\ncat > \""+dir+"/stdin\"\necho 2a\n"), 0o755)
	r0, err := pluginExecutor([]string{plugin, "--engine", "jit"})([]byte{0xb7, 1}, []byte{0xaa, 0x0b})
	if err != nil || r0 != 0x2a {
		t.Fatalf("r0 %#x, %v", r0, err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
	if string(args) != "aa  0b   --engine jit\n" || string(stdin) != "b7  01  \n" {
		t.Errorf("args %q, stdin %q", args, stdin)
	}
	failing := filepath.Join(dir, "failing")
	os.WriteFile(failing, []byte("#!/bin/sh\necho 'Failed to load' >&2\nexit 1\n"), 0o755)
	if _, err := pluginExecutor([]string{failing})(nil, nil); err == nil || err.Error() != "Failed to load" {
		t.Errorf("failing plugin: %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("#!/bin/sh\necho hello\n"), 0o755)
	if _, err := pluginExecutor([]string{bad})(nil, nil); err == nil || !strings.Contains(err.Error(), `"hello" is not a hex number`) {
		t.Errorf("bad output: %v", err)
	}
}
