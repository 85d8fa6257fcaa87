package traces

import (
	"io"
	"testing"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/sim"
)

// countingWriter counts the bytes a writer produces.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// BenchmarkWriters runs 300 ms of configs/web.toml (16 CPUs) under the Go
// FIFO with each writer attached (output counted and discarded), and
// without: the writers' cost per run and the size of what they write.
func BenchmarkWriters(b *testing.B) {
	data, err := configs.FS.ReadFile("web.toml")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := sim.ParseConfig("web.toml", data)
	if err != nil {
		b.Fatal(err)
	}
	dur := uint64(300e6)
	for _, f := range []Format{"none", Perfetto, Chrome, Ftrace} {
		b.Run(string(f), func(b *testing.B) {
			var bytes int64
			for i := 0; i < b.N; i++ {
				o := sim.Overrides{Duration: &dur}
				cw := &countingWriter{}
				var w Writer
				if f != "none" {
					w, _ = New(cw, f, Options{CPUs: 16})
					o.Observers = append(o.Observers, w)
				}
				scn, err := cfg.Build(&sim.FIFO{}, o)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := scn.Run(); err != nil {
					b.Fatal(err)
				}
				if w != nil {
					w.Close()
				}
				bytes = cw.n
			}
			b.ReportMetric(float64(bytes), "trace-bytes")
		})
	}
}

var _ io.Writer = (*countingWriter)(nil)

// TestWritersKeepSchedule: attaching every writer leaves the schedule as
// it is.
func TestWritersKeepSchedule(t *testing.T) {
	plain := traced(t, "fifo-go", "20ms", 4, 5).Machine.ScheduleHash()
	var obs []sim.Observer
	for _, f := range []Format{Perfetto, Chrome, Ftrace} {
		w, _ := New(io.Discard, f, Options{CPUs: 4})
		obs = append(obs, w)
	}
	if h := traced(t, "fifo-go", "20ms", 4, 5, obs...).Machine.ScheduleHash(); h != plain {
		t.Errorf("schedule hash %x with writers, %x without", h, plain)
	}
}
