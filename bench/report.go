package bench

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
)

// Report writes dir/index.html: the suite's tables and its plots, a bar
// chart with confidence intervals per metric and latency CDFs per config,
// each as PNG and SVG beside the page (the page embeds the SVG and links
// the PNG). cmp, if not nil, adds the comparison with a baseline. It
// returns the plot files written, without extension.
func Report(dir string, r *Results, cmp *Comparison) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	page := reportPage{Suite: r.Suite, Runs: len(r.Runs), Versions: r.Versions}
	var plots []string
	for _, t := range r.Tables() {
		p := BarPlot(t, r)
		base := "metric-" + fileName(t.Metric)
		if err := SavePlot(p, filepath.Join(dir, base)); err != nil {
			return plots, err
		}
		plots = append(plots, base)
		sec := reportSection{Title: t.Metric + " (" + direction(t.Def) + ", tolerance " + t.Def.Tolerance.String() + ")", Plot: base}
		for _, row := range t.Rows {
			hr := htmlRow{Config: row.Config, Policy: row.Policy, N: row.N, Mean: FormatValue(t.Metric, row.Mean),
				CI: "[" + FormatValue(t.Metric, row.Lo) + ", " + FormatValue(t.Metric, row.Hi) + "]"}
			if d := row.Diff; d != nil {
				hr.Diff = formatSigned(t.Metric, d.Mean) + " (" + formatPct(d.Relative) + ")"
				hr.P = formatP(d.Test.P)
				hr.Better, hr.Worse = d.Better, d.Worse
			}
			sec.Rows = append(sec.Rows, hr)
		}
		page.Metrics = append(page.Metrics, sec)
	}
	for _, c := range r.Suite.Configs {
		for _, dist := range []string{"wakeup_latency", "runnable_delay"} {
			p := CDFPlot(r, c, dist)
			if p == nil {
				continue
			}
			base := "cdf-" + fileName(c) + "-" + dist
			if err := SavePlot(p, filepath.Join(dir, base)); err != nil {
				return plots, err
			}
			plots = append(plots, base)
			page.CDFs = append(page.CDFs, base)
		}
	}
	if cmp != nil {
		var b bytes.Buffer
		WriteComparison(&b, cmp, "")
		page.Baseline = b.String()
	}
	var ej bytes.Buffer
	WriteEjections(&ej, r)
	page.Ejections = ej.String()
	var out bytes.Buffer
	if err := reportTmpl.Execute(&out, page); err != nil {
		return plots, err
	}
	return plots, os.WriteFile(filepath.Join(dir, "index.html"), out.Bytes(), 0o644)
}

type reportPage struct {
	Suite     Info
	Runs      int
	Versions  Versions
	Metrics   []reportSection
	CDFs      []string
	Baseline  string
	Ejections string
}

type reportSection struct {
	Title string
	Plot  string
	Rows  []htmlRow
}

type htmlRow struct {
	Config, Policy string
	N              int
	Mean, CI       string
	Diff, P        string
	Better, Worse  bool
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f float64) string { return fmt.Sprintf("%g%%", f*100) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>schedsim bench: {{.Suite.Name}}</title>
<style>
body { font-family: sans-serif; max-width: 70em; margin: 2em auto; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
td:nth-child(-n+2), th:nth-child(-n+2) { text-align: left; }
.better { color: #1a7f37; } .worse { color: #cf222e; font-weight: bold; }
pre { background: #f6f8fa; padding: 0.5em; }
img { max-width: 100%; }
</style></head><body>
<h1>schedsim bench: {{.Suite.Name}}</h1>
<p>{{len .Suite.Configs}} configs × {{len .Suite.Policies}} policies ({{range $i, $p := .Suite.Policies}}{{if $i}}, {{end}}{{$p}}{{end}})
× {{len .Suite.Seeds}} seeds = {{.Runs}} runs. Means with {{pct .Suite.Confidence}} confidence intervals across seeds;
differences from the first policy paired by seed (t-test, significant below p = {{.Suite.Alpha}}).
schedsim {{.Versions.Schedsim}}, {{.Versions.Go}}, suite hash {{.Suite.Hash}}.</p>
{{if .Ejections}}<pre class="worse">{{.Ejections}}</pre>{{end}}
{{if .Baseline}}<h2>Against the baseline</h2><pre>{{.Baseline}}</pre>{{end}}
<h2>Metrics</h2>
{{range .Metrics}}<h3>{{.Title}}</h3>
<p><img src="{{.Plot}}.svg" alt="{{.Title}}"> <a href="{{.Plot}}.png">PNG</a></p>
<table><tr><th>config</th><th>policy</th><th>n</th><th>mean</th><th>CI</th><th>difference</th><th>p</th></tr>
{{range .Rows}}<tr><td>{{.Config}}</td><td>{{.Policy}}</td><td>{{.N}}</td><td>{{.Mean}}</td><td>{{.CI}}</td>
<td{{if .Better}} class="better"{{else if .Worse}} class="worse"{{end}}>{{.Diff}}</td><td>{{.P}}</td></tr>
{{end}}</table>
{{end}}
{{if .CDFs}}<h2>Latency distributions</h2>
{{range .CDFs}}<p><img src="{{.}}.svg" alt="{{.}}"> <a href="{{.}}.png">PNG</a></p>
{{end}}{{end}}
</body></html>
`))
