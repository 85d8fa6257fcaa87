package sim

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ConfigError is one problem in a config file: where, which key, what.
type ConfigError struct {
	Pos Pos
	Key string // the key's path, e.g. workload[1].rate; empty for syntax errors
	Msg string
}

func (e *ConfigError) Error() string {
	var parts []string
	if p := e.Pos.String(); p != "" {
		parts = append(parts, p)
	}
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	return strings.Join(append(parts, e.Msg), ": ")
}

// ConfigErrors is every problem found in a config file, in file order.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// maxConfigErrors bounds how many problems one load reports.
const maxConfigErrors = 20

// decoder walks the generic value tree the TOML library produced, checking
// each key against the schema of its table, and records errors with the
// positions the locator found.
type decoder struct {
	file string
	pos  map[string]Pos
	errs ConfigErrors
}

func (d *decoder) where(path string) Pos {
	for {
		if p, ok := d.pos[path]; ok {
			return p
		}
		// Fall back on the enclosing key or table.
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return Pos{File: d.file, Line: 1, Col: 1}
		}
		path = path[:i]
	}
}

func (d *decoder) errorf(path, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{Pos: d.where(path), Key: path, Msg: fmt.Sprintf(format, args...)})
}

// result returns the errors sorted by position, or nil.
func (d *decoder) result() error {
	if len(d.errs) == 0 {
		return nil
	}
	es := slices.Clone(d.errs)
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if len(es) > maxConfigErrors {
		es = es[:maxConfigErrors]
	}
	return es
}

// table is one TOML table being decoded against a schema.
type table struct {
	d     *decoder
	path  string
	what  string // "[machine]", "workload \"web\" (server)" ... for messages
	m     map[string]any
	valid []string
	used  map[string]bool
}

func (d *decoder) table(path, what string, m map[string]any, valid ...string) *table {
	return &table{d: d, path: path, what: what, m: m, valid: valid, used: map[string]bool{}}
}

func (t *table) key(k string) string { return keyPath(t.path, k) }

// has reports whether k is present.
func (t *table) has(k string) bool {
	_, ok := t.m[k]
	return ok
}

func (t *table) get(k string) (any, bool) {
	v, ok := t.m[k]
	if ok {
		t.used[k] = true
	}
	return v, ok
}

// allow adds keys to the table's schema.
func (t *table) allow(keys ...string) { t.valid = append(t.valid, keys...) }

// finish reports every key the schema does not know.
func (t *table) finish() {
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(t.valid, k) {
			continue
		}
		valid := slices.Clone(t.valid)
		sort.Strings(valid)
		t.d.errorf(t.key(k), "unknown key in %s; valid keys: %s", t.what, strings.Join(valid, ", "))
	}
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case []map[string]any:
		return "an array of tables"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("a %T", v)
}

func (t *table) wrongType(k string, v any, want string) {
	t.d.errorf(t.key(k), "expected %s, found %s", want, typeName(v))
}

// str reads a string; if choices are given the value must be one of them.
func (t *table) str(k, def string, choices ...string) string {
	v, ok := t.get(k)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		if len(choices) > 0 {
			t.wrongType(k, v, "a string, one of "+strings.Join(choices, ", "))
		} else {
			t.wrongType(k, v, "a string")
		}
		return def
	}
	if len(choices) > 0 && !slices.Contains(choices, s) {
		t.d.errorf(t.key(k), "unknown value %q; valid choices: %s", s, strings.Join(choices, ", "))
		return def
	}
	return s
}

// integer reads an integer in [lo, hi].
func (t *table) integer(k string, def, lo, hi int64) int64 {
	v, ok := t.get(k)
	if !ok {
		return def
	}
	return t.d.intValue(t.key(k), v, def, lo, hi)
}

func (d *decoder) intValue(path string, v any, def, lo, hi int64) int64 {
	n, ok := v.(int64)
	if !ok {
		if f, isf := v.(float64); isf && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			n, ok = int64(f), true
		}
	}
	if !ok {
		d.errorf(path, "expected an integer between %d and %d, found %s", lo, hi, typeName(v))
		return def
	}
	if n < lo || n > hi {
		d.errorf(path, "%d is out of range: expected an integer between %d and %d", n, lo, hi)
		return def
	}
	return n
}

// number reads a float (or integer) in [lo, hi].
func (t *table) number(k string, def, lo, hi float64) float64 {
	v, ok := t.get(k)
	if !ok {
		return def
	}
	return t.d.numberValue(t.key(k), v, def, lo, hi)
}

func (d *decoder) numberValue(path string, v any, def, lo, hi float64) float64 {
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		d.errorf(path, "expected a number between %s and %s, found %s", fmtNum(lo), fmtNum(hi), typeName(v))
		return def
	}
	if math.IsNaN(f) || f < lo || f > hi {
		d.errorf(path, "%s is out of range: expected a number between %s and %s", fmtNum(f), fmtNum(lo), fmtNum(hi))
		return def
	}
	return f
}

func fmtNum(f float64) string {
	if math.IsInf(f, 1) {
		return "inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func (t *table) boolean(k string, def bool) bool {
	v, ok := t.get(k)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		t.wrongType(k, v, "true or false")
		return def
	}
	return b
}

// maxDuration bounds durations to about 11.6 days of simulated time.
const maxDuration = uint64(1e15)

// duration reads a duration: a string such as "2ms", "150us", "1.5s", or
// an integer number of nanoseconds.
func (t *table) duration(k string, def uint64) uint64 {
	v, ok := t.get(k)
	if !ok {
		return def
	}
	d, ok := t.d.durationValue(t.key(k), v)
	if !ok {
		return def
	}
	return d
}

const durationHelp = `a duration: a string such as "2ms", "150us", "1.5s" (units ns, us, µs, ms, s, m, h) or an integer number of nanoseconds`

func (d *decoder) durationValue(path string, v any) (uint64, bool) {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			d.errorf(path, "negative duration %d; expected %s", x, durationHelp)
			return 0, false
		}
		if uint64(x) > maxDuration {
			d.errorf(path, "duration %dns is too long (at most %s)", x, FormatDuration(maxDuration))
			return 0, false
		}
		return uint64(x), true
	case string:
		n, err := ParseDuration(x)
		if err != nil {
			d.errorf(path, "%v; expected %s", err, durationHelp)
			return 0, false
		}
		return n, true
	}
	d.errorf(path, "expected %s, found %s", durationHelp, typeName(v))
	return 0, false
}

// ParseDuration parses a non-negative duration string ("2ms", "150us",
// "1.5s", "1m30s") into nanoseconds.
func ParseDuration(s string) (uint64, error) {
	dd, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if dd < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	if uint64(dd) > maxDuration {
		return 0, fmt.Errorf("duration %q is too long (at most %s)", s, FormatDuration(maxDuration))
	}
	return uint64(dd), nil
}

// FormatDuration writes ns the way a person reads it: 850ns, 12.3µs,
// 4.56ms, 1.234s.
func FormatDuration(ns uint64) string {
	f := float64(ns)
	switch {
	case ns < 1000:
		return strconv.FormatUint(ns, 10) + "ns"
	case ns < 1e6:
		return trimFloat(f/1e3) + "µs"
	case ns < 1e9:
		return trimFloat(f/1e6) + "ms"
	default:
		return trimFloat(f/1e9) + "s"
	}
}

func trimFloat(f float64) string {
	prec := 2
	if f >= 100 {
		prec = 0
	} else if f >= 10 {
		prec = 1
	}
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// subtable reads a table-valued key.
func (t *table) subtable(k, what string, valid ...string) *table {
	v, ok := t.get(k)
	if !ok {
		return t.d.table(t.key(k), what, map[string]any{}, valid...)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.wrongType(k, v, "a table")
		m = map[string]any{}
	}
	return t.d.table(t.key(k), what, m, valid...)
}

// array reads an array-valued key (arrays of tables included).
func (t *table) array(k string) ([]any, bool) {
	v, ok := t.get(k)
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case []any:
		return x, true
	case []map[string]any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = x[i]
		}
		return out, true
	}
	t.wrongType(k, v, "an array")
	return nil, false
}

// cpuList reads a CPU list: an array of CPU numbers or a string such as
// "0-3,8". CPUs must be below ncpu when ncpu > 0.
func (t *table) cpuList(k string, ncpu int) []int {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	path := t.key(k)
	var cpus []int
	switch x := v.(type) {
	case string:
		c, err := ParseCPUList(x)
		if err != nil {
			t.d.errorf(path, "%v; expected a list of CPUs such as \"0-3,8\" or [0, 1, 2]", err)
			return nil
		}
		cpus = c
	case []any:
		for i, e := range x {
			n := t.d.intValue(elemPath(path, i), e, -1, 0, NrCPUs-1)
			if n >= 0 {
				cpus = append(cpus, int(n))
			}
		}
		if len(cpus) != len(x) {
			return nil
		}
	default:
		t.wrongType(k, v, "a list of CPUs such as \"0-3,8\" or [0, 1, 2]")
		return nil
	}
	if len(cpus) == 0 {
		t.d.errorf(path, "empty CPU list; expected at least one CPU")
		return nil
	}
	for _, c := range cpus {
		if ncpu > 0 && c >= ncpu {
			t.d.errorf(path, "CPU %d does not exist: the machine has CPUs 0-%d", c, ncpu-1)
			return nil
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus)
}

// ParseCPUList parses a Linux-style CPU list such as "0-3,8,10-11".
func ParseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("invalid CPU list %q: empty element", s)
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 0 || a >= NrCPUs {
			return nil, fmt.Errorf("invalid CPU %q in list %q", lo, s)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
			if err != nil || b < 0 || b >= NrCPUs {
				return nil, fmt.Errorf("invalid CPU %q in list %q", hi, s)
			}
			if b < a {
				return nil, fmt.Errorf("invalid range %q in list %q: end before start", part, s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
