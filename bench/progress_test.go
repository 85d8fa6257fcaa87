package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressWriter(t *testing.T) {
	var plain, tty bytes.Buffer
	pp := &ProgressWriter{W: &plain}
	pt := &ProgressWriter{W: &tty, TTY: true}
	for i := 1; i <= 20; i++ {
		p := Progress{Done: i, Total: 20, Elapsed: time.Duration(i) * time.Second}
		pp.Update(p)
		pt.Update(p)
	}
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if len(lines) != 10 || lines[0] != "bench: 2/20 runs (10%), elapsed 2s, ETA 18s" || lines[9] != "bench: 20/20 runs (100%), elapsed 20s, ETA 0s" {
		t.Errorf("plain progress:\n%s", plain.String())
	}
	if !strings.Contains(tty.String(), "\r[===============               ] 10/20 runs  50%  elapsed 10s  ETA 10s") ||
		!strings.HasSuffix(tty.String(), "\n") || strings.Count(tty.String(), "\n") != 1 {
		t.Errorf("terminal progress: %q", tty.String())
	}
}
