package sim

import (
	"errors"
	"path/filepath"
)

// fileWorkload decodes a workload read from a file of its own: a kernel
// trace (kind "trace") or an rt-app JSON description (kind "rtapp"). The
// file's path is relative to the config's directory. Problems inside the
// file are reported at their own file:line:col.
func (d *decoder) fileWorkload(t *table, kind string, spec WorkloadSpec, c *Config) Workload {
	if !t.has("file") {
		d.errorf(t.key("file"), "missing key: a %s workload needs file, the path of the %s", kind,
			map[string]string{"trace": "trace (ftrace text or perf sched script)", "rtapp": "rt-app JSON file"}[kind])
		return nil
	}
	file := t.str("file", "")
	if file == "" {
		d.errorf(t.key("file"), "empty file name")
		return nil
	}
	path := file
	if !filepath.IsAbs(path) && d.file != "" {
		path = filepath.Join(filepath.Dir(d.file), file)
	}
	var w Workload
	var err error
	switch kind {
	case "trace":
		pin := t.boolean("pin", false)
		cost := t.duration("switch_cost", c.Machine.ContextSwitch)
		var exclude []string
		if arr, ok := t.array("exclude"); ok {
			for i, v := range arr {
				s, isStr := v.(string)
				if !isStr || s == "" {
					d.errorf(elemPath(t.key("exclude"), i), "expected a comm (\"trace-cmd\", or a prefix such as \"kworker/*\"), found %s", typeName(v))
					continue
				}
				exclude = append(exclude, s)
			}
		}
		var tr *TraceReplay
		if tr, err = LoadTraceReplay(spec, path, cost, exclude); err == nil {
			tr.Pin = pin
			w = tr
		}
	case "rtapp":
		var ra *RTApp
		if ra, err = LoadRTApp(spec, path, c.ncpu()); err == nil {
			w = ra
		}
	}
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			d.errs = append(d.errs, ce)
		} else {
			d.errorf(t.key("file"), "%v", err)
		}
		return nil
	}
	return w
}
