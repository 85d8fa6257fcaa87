package sim

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DefaultMaxTasks is the default Params.MaxTasks (run.max_tasks).
const DefaultMaxTasks = 1 << 20

// TaskBytes is what a task costs in memory, about: measured as the peak
// resident size of runs of 100,000 and 200,000 CPU-bound tasks divided by
// their number (1.8-2.0 KiB under fifo, fifo-go and eevdf;
// docs/performance.md).
const TaskBytes = 2048

func (p *Params) maxTasks() int {
	if p.MaxTasks > 0 {
		return p.MaxTasks
	}
	return DefaultMaxTasks
}

// checkTaskBudget refuses, before anything runs, workloads that would
// create more than Params.MaxTasks tasks, or need more memory than the
// host has available (MemAvailable, where /proc/meminfo exists).
func checkTaskBudget(p Params, ws []Workload) error {
	total := 0
	var parts []string
	for _, w := range ws {
		n := w.NumTasks()
		total += n
		if len(parts) < 8 {
			parts = append(parts, fmt.Sprintf("%s %d", w.Common().Name, n))
		}
	}
	if len(ws) > len(parts) {
		parts = append(parts, "...")
	}
	need := uint64(total) * TaskBytes
	if limit := p.maxTasks(); total > limit {
		return fmt.Errorf("the workloads create %d tasks (%s): more than the limit of %d (run.max_tasks); they would need about %s of memory (%d bytes a task)",
			total, strings.Join(parts, ", "), limit, fmtBytes(need), TaskBytes)
	}
	if avail, ok := memAvailable(); ok && need > avail {
		return fmt.Errorf("the workloads create %d tasks (%s), which need about %s of memory (%d bytes a task): more than the %s available (MemAvailable)",
			total, strings.Join(parts, ", "), fmtBytes(need), TaskBytes, fmtBytes(avail))
	}
	return nil
}

func fmtBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}

// memAvailable reads MemAvailable from /proc/meminfo (Linux); it only
// decides whether a run may start, never what it does.
func memAvailable() (uint64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(fs[1], 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
