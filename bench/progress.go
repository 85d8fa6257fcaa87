package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// ProgressWriter reports progress on w: on a terminal (tty) a bar redrawn
// in place with the runs done and the estimated time left; otherwise a
// plain line at every tenth of the way.
type ProgressWriter struct {
	W       io.Writer
	TTY     bool
	lastPct int
}

// Update draws p.
func (pw *ProgressWriter) Update(p Progress) {
	eta := "?"
	if p.Done > 0 {
		left := time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(p.Total-p.Done))
		eta = left.Round(time.Second).String()
	}
	pct := 100 * p.Done / max(1, p.Total)
	if pw.TTY {
		const width = 30
		fill := width * p.Done / max(1, p.Total)
		fmt.Fprintf(pw.W, "\r[%s%s] %d/%d runs %3d%%  elapsed %s  ETA %s   ", strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
			p.Done, p.Total, pct, p.Elapsed.Round(time.Second), eta)
		if p.Done == p.Total {
			fmt.Fprintln(pw.W)
		}
		return
	}
	if p.Done == p.Total || pct/10 > pw.lastPct/10 {
		pw.lastPct = pct
		fmt.Fprintf(pw.W, "bench: %d/%d runs (%d%%), elapsed %s, ETA %s\n", p.Done, p.Total, pct, p.Elapsed.Round(time.Millisecond), eta)
	}
}
