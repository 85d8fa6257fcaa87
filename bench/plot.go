package bench

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot sizes.
const (
	plotW = 6 * vg.Inch
	plotH = 4 * vg.Inch
)

// palette colours the policies, in suite order.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
}

func policyColor(i int) color.Color { return palette[i%len(palette)] }

// CDFPlot draws the distribution of a latency (a key of Run.CDF) on one
// config: a line per policy, the quantiles averaged across seeds. It
// returns nil when no run has that distribution.
func CDFPlot(r *Results, config, dist string) *plot.Plot {
	p := plot.New()
	p.Title.Text = strings.ReplaceAll(dist, "_", " ") + " CDF, config " + config
	p.X.Label.Text = "latency (µs)"
	p.Y.Label.Text = "fraction of events (to p99.9)"
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Millimeter
	p.Legend.YOffs = vg.Millimeter * 8
	any := false
	for pi, pol := range r.Suite.Policies {
		sum := make([]float64, len(CDFQuantiles))
		n := 0
		for _, run := range r.Runs {
			q := run.CDF[dist]
			if run.Config != config || run.Policy != pol || len(q) != len(CDFQuantiles) {
				continue
			}
			for i, v := range q {
				sum[i] += float64(v)
			}
			n++
		}
		if n == 0 {
			continue
		}
		// up to p99.9: the maximum would stretch the axis
		var pts plotter.XYs
		for i, q := range CDFQuantiles {
			if q <= 0.999 {
				pts = append(pts, plotter.XY{X: sum[i] / float64(n) / 1e3, Y: q})
			}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		l.Color = policyColor(pi)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%d seeds)", pol, n), l)
		any = true
	}
	if !any {
		return nil
	}
	p.Add(plotter.NewGrid())
	return p
}

// ciBars are bar centres with confidence intervals, for error bars.
type ciBars struct {
	x []float64
	s []Summary
}

func (b ciBars) Len() int                    { return len(b.x) }
func (b ciBars) XY(i int) (float64, float64) { return b.x[i], b.s[i].Mean }
func (b ciBars) YError(i int) (float64, float64) {
	return b.s[i].Mean - b.s[i].Lo, b.s[i].Hi - b.s[i].Mean
}

// BarPlot draws a metric's table: a group of bars per config, a bar per
// policy at its mean, with its confidence interval as an error bar.
func BarPlot(t Table, r *Results) *plot.Plot {
	p := plot.New()
	p.Title.Text = t.Metric + " (" + direction(t.Def) + ")"
	p.Y.Label.Text = "mean, " + fmt.Sprintf("%g%% CI", r.Suite.Confidence*100)
	ns := strings.HasSuffix(strings.TrimSuffix(t.Metric, ")"), "_ns")
	if ns {
		p.Y.Label.Text += " (µs)"
	}
	var configs []string
	for _, c := range r.Suite.Configs {
		for _, row := range t.Rows {
			if row.Config == c {
				configs = append(configs, c)
				break
			}
		}
	}
	np := len(r.Suite.Policies)
	// Bars sit at data x = config index + offset, so that the error bars
	// (placed in data units) meet them: the x axis spans exactly the
	// configs, and a bar's width is its share of one config's span on the
	// canvas (the plot area is about an inch narrower than the plot).
	slot := 0.8 / float64(max(1, np))
	unit := float64(plotW-vg.Inch) / float64(max(1, len(configs)))
	w := vg.Length(slot * unit * 0.9)
	for pi, pol := range r.Suite.Policies {
		vals := make(plotter.Values, len(configs))
		sums := make([]Summary, len(configs))
		xs := make([]float64, len(configs))
		off := (float64(pi) - float64(np-1)/2) * slot
		for ci, c := range configs {
			for _, row := range t.Rows {
				if row.Config == c && row.Policy == pol {
					s := row.Summary
					if ns {
						s = Summary{N: s.N, Mean: s.Mean / 1e3, Lo: s.Lo / 1e3, Hi: s.Hi / 1e3}
					}
					vals[ci], sums[ci] = s.Mean, s
				}
			}
			xs[ci] = float64(ci) + off
		}
		bc, err := plotter.NewBarChart(vals, w)
		if err != nil {
			continue
		}
		bc.XMin = off
		bc.Color = policyColor(pi)
		bc.LineStyle.Width = 0
		p.Add(bc)
		p.Legend.Add(pol, bc)
		if eb, err := plotter.NewYErrorBars(ciBars{x: xs, s: sums}); err == nil {
			p.Add(eb)
		}
	}
	p.Legend.Top = true
	p.NominalX(configs...)
	p.X.Min, p.X.Max = -0.5, float64(len(configs))-0.5
	return p
}

// SavePlot writes p as PNG (vgimg) and SVG (vgsvg) to base.png and
// base.svg.
func SavePlot(p *plot.Plot, base string) error {
	png := vgimg.New(plotW, plotH)
	p.Draw(draw.New(png))
	if err := writeFile(base+".png", vgimg.PngCanvas{Canvas: png}); err != nil {
		return err
	}
	svg := vgsvg.New(plotW, plotH)
	p.Draw(draw.New(svg))
	return writeFile(base+".svg", svg)
}

func writeFile(path string, w io.WriterTo) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileName makes a metric or config name safe as a file name.
func fileName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return filepath.Base(b.String())
}
