package sim

import (
	"fmt"
	"strings"
)

// [[cgroup]] tables: the scenario's cgroup hierarchy (cgroup.go).
//
//	[[cgroup]]
//	path = "/web"          # missing ancestors are created
//	weight = 200           # cpu.weight, 1..10000 (default 100)
//	max = "50ms 100ms"     # cpu.max: quota and period ("max 100ms": none)
//	burst = "10ms"         # cpu.max.burst
//
// and a workload's `cgroup = "/web"` puts its tasks there.

func (d *decoder) cgroupTables(rt *table, c *Config) {
	arr, ok := rt.array("cgroup")
	if !ok {
		return
	}
	seen := map[string]string{}
	for i, v := range arr {
		path := elemPath("cgroup", i)
		m, ok := v.(map[string]any)
		if !ok {
			d.errorf(path, "expected a table ([[cgroup]]), found %s", typeName(v))
			continue
		}
		t := d.table(path, "[[cgroup]]", m, "path", "weight", "max", "burst")
		var spec CgroupSpec
		if !t.has("path") {
			d.errorf(path, "missing key: a [[cgroup]] needs a path such as \"/web\"")
		} else {
			p, err := cleanCgroupPath(t.str("path", ""))
			if err != nil {
				d.errorf(t.key("path"), "%v", err)
			} else if p == "/" {
				d.errorf(t.key("path"), "the root cgroup \"/\" always exists and cannot be configured")
			} else if prev, dup := seen[p]; dup {
				d.errorf(t.key("path"), "cgroup %s declared twice (also %s)", p, prev)
			}
			spec.Path = p
			seen[p] = path
		}
		spec.Weight = uint32(t.integer("weight", DefaultCgroupWeight, 1, 10000))
		if t.has("max") {
			spec.QuotaUs, spec.PeriodUs = d.cpuMax(t)
		}
		if t.has("burst") {
			spec.BurstUs = t.duration("burst", 0) / 1000
		}
		t.finish()
		c.Cgroups = append(c.Cgroups, spec)
	}
}

// cpuMax reads cpu.max: "QUOTA PERIOD" as durations, QUOTA "max" for none.
func (d *decoder) cpuMax(t *table) (quotaUs, periodUs uint64) {
	s := t.str("max", "")
	f := strings.Fields(s)
	if len(f) != 2 {
		d.errorf(t.key("max"), "cpu.max %q: expected \"QUOTA PERIOD\" such as \"50ms 100ms\" or \"max 100ms\"", s)
		return 0, 0
	}
	p, err := ParseDuration(f[1])
	if err != nil || p < 1000 || p > 1_000_000_000 {
		d.errorf(t.key("max"), "cpu.max period %q: expected a duration from 1ms to 1s", f[1])
		return 0, 0
	}
	if f[0] == "max" {
		return 0, p / 1000
	}
	q, err := ParseDuration(f[0])
	if err != nil || q < 1000 {
		d.errorf(t.key("max"), "cpu.max quota %q: expected \"max\" or a duration of at least 1ms", f[0])
		return 0, 0
	}
	return q / 1000, p / 1000
}

// checkWorkloadCgroups checks that each workload's cgroup is declared.
func (d *decoder) checkWorkloadCgroups(c *Config) {
	declared := map[string]bool{"/": true}
	for _, s := range c.Cgroups {
		for p := s.Path; p != "" && p != "/"; p = p[:max(strings.LastIndexByte(p, '/'), 0)] {
			declared[p] = true
		}
	}
	for i, w := range c.Workloads {
		cg := w.Common().Cgroup
		if cg == "" {
			continue
		}
		p, err := cleanCgroupPath(cg)
		if err == nil && !declared[p] {
			err = fmt.Errorf("cgroup %s is not declared; add a [[cgroup]] with path = %q", p, p)
		}
		if err != nil {
			d.errorf(keyPath(elemPath("workload", i), "cgroup"), "%v", err)
		}
	}
}
