package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/policies/fifo"
)

// TestHelpGoesToStdout: asked-for help is output (stdout, exit 0) for
// every command, and `schedsim help COMMAND` is COMMAND's help.
func TestHelpGoesToStdout(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			code, out, errOut := cli(t, args...)
			if code != exitOK || errOut != "" || !strings.Contains(out, "usage: schedsim "+c.name) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
			}
		}
	}
	code, _, errOut := cli(t, "help", "nosuch")
	if code != exitUsage || !strings.Contains(errOut, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, %q", code, errOut)
	}
	// A mistake prints usage to stderr, not stdout.
	code, out, errOut := cli(t, "run", "--bogus")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "usage: schedsim run") {
		t.Errorf("run --bogus: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		code, out, _ := cli(t, arg)
		if code != exitOK || !strings.HasPrefix(out, "schedsim ") || !strings.Contains(out, " commit ") {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}}
	if v, c, mod := buildInfo(bi, true); v != "v0.3.0" || c != "0123456789abcdef0123456789abcdef01234567" || !mod {
		t.Errorf("stamped build: %s %s %v", v, c, mod)
	}
	// go install ...@latest of an untagged commit: a pseudo-version, no VCS stamps.
	bi = &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207150405-abcdef123456"}}
	if v, c, _ := buildInfo(bi, true); v != bi.Main.Version || c != "abcdef123456" {
		t.Errorf("pseudo-version: %s %s", v, c)
	}
	if v, c, _ := buildInfo(nil, false); v != "unknown" || c != "unknown" {
		t.Errorf("no build info: %s %s", v, c)
	}
}

func TestExploreArgErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explore", "--runs", "0"}, "--runs 0: expected a positive number of runs"},
		{[]string{"explore", "--depth", "0"}, "--depth 0: expected an integer of at least 1"},
		{[]string{"explore", "a.toml", "b.toml"}, "one config at most"},
	} {
		code, _, errOut := cli(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errOut, c.want)
		}
	}
}

// TestPolicyOverrideNote: the note that --policy drops the config's
// [policy.params] appears only when the user gave that config.
func TestPolicyOverrideNote(t *testing.T) {
	code, _, errOut := cli(t, "run", "--policy", "eevdf", "--duration", "250ms")
	if code != exitOK || strings.Contains(errOut, "note:") {
		t.Errorf("no config: exit %d, stderr %q", code, errOut)
	}
	p := writeConfig(t, smallConfig)
	code, _, errOut = cli(t, "run", p, "--policy", "eevdf", "--duration", "50ms")
	if code != exitOK || !strings.Contains(errOut, "note: --policy eevdf replaces the config's policy fifo") {
		t.Errorf("with a config: exit %d, stderr %q", code, errOut)
	}
}

// TestRelativePolicyPathFromConfigDir: a config naming "my.bpf.o" finds
// it beside the config, whatever the working directory.
func TestRelativePolicyPathFromConfigDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "my.bpf.o"), fifo.Object, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(smallConfig, `name = "fifo"`, `name = "my.bpf.o"`, 1)
	p := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "run", p, "--duration", "50ms")
	if code != exitOK || !strings.Contains(out, "policy         fifo") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// From the config's directory, --policy my.bpf.o is the config's own
	// policy: its params apply (no note), in a comparison too.
	t.Chdir(dir)
	code, _, errOut = cli(t, "run", "c.toml", "--policy", "my.bpf.o", "--duration", "50ms")
	if code != exitOK || errOut != "" {
		t.Errorf("--policy naming the config's policy file: exit %d, stderr %q", code, errOut)
	}
	if !samePolicy("my.bpf.o", filepath.Join(dir, "my.bpf.o")) || samePolicy("my.bpf.o", p) || samePolicy("fifo", "eevdf") || !samePolicy("fifo", "fifo") {
		t.Error("samePolicy")
	}
}

// TestRunSeeInside: --printk creates its file even when nothing is
// printed, the summary ends with the EXIT report of ops.exit, --maps prints
// and exports the policy's maps, and the JSON has instructions per
// callback.
func TestRunSeeInside(t *testing.T) {
	dir := t.TempDir()
	pk, js := filepath.Join(dir, "printk.txt"), filepath.Join(dir, "r.json")
	p := writeConfig(t, smallConfig)
	code, out, errOut := cli(t, "run", p, "--policy", "eevdf", "--duration", "100ms", "--maps", "--printk", pk, "--json", js)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if st, err := os.Stat(pk); err != nil || st.Size() != 0 {
		t.Errorf("--printk file: %v, %v (eevdf prints nothing)", st, err)
	}
	for _, want := range []string{"EXIT: unregistered from user space  [kind SCX_EXIT_UNREG, exit_code 0]",
		"maps of eevdf at the end of the run:", "map tasks: hash, key 4 bytes", `"vruntime": `,
		"map rqs: array", `"lock": <bpf_spin_lock>`, "map .bss: array", `"stats": {`, `"picks": `} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Exit struct {
			KindName string `json:"kind_name"`
		} `json:"exit"`
		Extra struct {
			Callbacks []struct {
				Callback string `json:"callback"`
				Calls    uint64 `json:"calls"`
				Insns    uint64 `json:"insns"`
			} `json:"callbacks"`
			Maps []struct {
				Name    string `json:"name"`
				Entries []struct {
					Key   any            `json:"key"`
					Value map[string]any `json:"value"`
				} `json:"entries"`
			} `json:"maps"`
		} `json:"extra"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Exit.KindName != "SCX_EXIT_UNREG" {
		t.Errorf("JSON exit %+v", r.Exit)
	}
	insns := map[string]uint64{}
	for _, c := range r.Extra.Callbacks {
		insns[c.Callback] = c.Insns
	}
	for _, cb := range []string{"enqueue", "dispatch", "running", "stopping"} {
		if insns[cb] == 0 {
			t.Errorf("JSON callbacks: no instructions for %s: %+v", cb, r.Extra.Callbacks)
		}
	}
	found := false
	for _, m := range r.Extra.Maps {
		if m.Name == "tasks" && len(m.Entries) > 0 {
			_, ok := m.Entries[0].Value["vruntime"].(float64)
			found = ok
		}
	}
	if !found {
		t.Errorf("JSON extra.maps has no decoded tasks entry")
	}
}

// TestPrintkSideBySide: --printk works (and creates its file) when
// --policy lists several policies.
func TestPrintkSideBySide(t *testing.T) {
	pk := filepath.Join(t.TempDir(), "printk.txt")
	code, _, errOut := cli(t, "run", writeConfig(t, smallConfig), "--policy", "fifo,eevdf", "--duration", "50ms", "--printk", pk)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(pk); err != nil {
		t.Errorf("--printk file not created: %v", err)
	}
}
