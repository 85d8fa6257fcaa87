package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestTopArgErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"top", "--speed", "fast"}, "valid speeds: 1/10000"},
		{[]string{"top", "--column", "0"}, "--column"},
		{[]string{"top", "--policy", "fifo,eevdf,fifo,eevdf"}, "at most 3 policies"},
		{[]string{"top", "--policy", "nosuch"}, "unknown policy"},
		{[]string{"top", "a.toml", "b.toml"}, "one config at most"},
	} {
		var out, errb strings.Builder
		if code := run(c.args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
}

// TestTopInTmux starts `schedsim top` in a real terminal (tmux): it
// draws, pauses, shows the help and quits with exit status 0. It skips
// when tmux is absent, unless SCHEDSIM_REQUIRE_TMUX is set (.ci/run sets
// it).
func TestTopInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("SCHEDSIM_REQUIRE_TMUX") != "" {
			t.Fatal("tmux is required (SCHEDSIM_REQUIRE_TMUX) but not installed")
		}
		t.Skip("tmux not installed")
	}
	if testing.Short() {
		t.Skip("builds the command; -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "schedsim")
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gocmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exitFile := filepath.Join(dir, "exit")
	sock := "schedsim-test-" + filepath.Base(dir)
	tm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	shell := bin + " top --speed 1/100; echo $? > " + exitFile
	tm("new-session", "-d", "-s", "top", "-x", "100", "-y", "30", "sh", "-c", shell)
	t.Cleanup(func() { exec.Command(tmux, "-L", sock, "kill-server").Run() })
	screen := func() string { return tm("capture-pane", "-p", "-t", "top") }
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := screen()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s; the screen:\n%s", what, s)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	has := func(sub string) func(string) bool { return func(s string) bool { return strings.Contains(s, sub) } }

	// It draws: the header, the CPU panel with every CPU of web.toml.
	s := waitFor("the dashboard", has("CPUs (16)"))
	for _, want := range []string{"schedsim top", "web.toml", "speed 1/100", "running", "timeline"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	// It runs: simulated time moves.
	timeRe := regexp.MustCompile(`t ([0-9.]+s) /`)
	first := timeRe.FindStringSubmatch(s)
	waitFor("time to move", func(s string) bool {
		m := timeRe.FindStringSubmatch(s)
		return m != nil && first != nil && m[1] != first[1]
	})

	// Space pauses: the header says so and the time stands still.
	tm("send-keys", "-t", "top", "Space")
	s = waitFor("pause", has("paused"))
	at := timeRe.FindStringSubmatch(s)
	time.Sleep(500 * time.Millisecond)
	if now := timeRe.FindStringSubmatch(screen()); at == nil || now == nil || now[1] != at[1] {
		t.Errorf("paused, time moved: %v then %v", at, now)
	}

	// ? shows the help.
	tm("send-keys", "-t", "top", "?")
	waitFor("the help", has("pause / resume"))

	// q quits with exit status 0.
	tm("send-keys", "-t", "top", "q")
	deadline := time.Now().Add(15 * time.Second)
	for {
		data, err := os.ReadFile(exitFile)
		if err == nil && len(data) > 0 {
			if code := strings.TrimSpace(string(data)); code != "0" {
				t.Fatalf("schedsim top exited %s", code)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("schedsim top did not quit; the screen:\n%s", screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
