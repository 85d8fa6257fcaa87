package bench

import (
	"fmt"
	"testing"
)

// BenchmarkExecute measures a bench's wall time with 1 and 2 workers (32
// runs: FIFO and EEVDF on web.toml and mixed.toml, 8 seeds, 100 ms each).
// The ratio of the two is the parallel speedup docs/performance.md
// records:
//
//	go test ./bench -run '^$' -bench Execute -benchtime 3x
func BenchmarkExecute(b *testing.B) {
	s, src := loadSuite(b, writeSuite(b, `
configs = ["{configs}/web.toml", "{configs}/mixed.toml"]
seeds = 8
duration = "100ms"
warmup = "20ms"
[[policy]]
name = "fifo"
[[policy]]
name = "eevdf"
[[metric]]
path = "wakeup_latency.p99_ns"
direction = "lower"
tolerance = "10%"
`))
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				if _, err := Execute(s, src, Options{Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/32/1e6, "ms/run")
		})
	}
}
