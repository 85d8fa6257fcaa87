package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Metrics are named by a path into the JSON document of a run's results:
// what `schedsim run --json` writes (sim.Result, with the policy's extra
// sections) plus a "verifier" section (see runDoc). Nothing here knows a
// metric by name, so a metric that a later version adds to the results
// is a metric for bench without any change.
//
// A path is keys joined by dots. In an array of objects a key selects
// the element whose identifying field ("name", "callback", "program",
// "cpu", "pid" or "comm", the first one the element has) equals it, or
// else the element at that index; "*" stands for every key of an object
// or every element of an array:
//
//	wakeup_latency.p99_ns            one number
//	workloads.web.latency.p99_ns     the workload named web
//	workloads.*.latency.p99_ns       one metric per workload that has it
//	extra.locks.*.wait_total_ns      with aggregate = "sum": one number
//	verifier.programs.*.insns_processed
//
// Booleans count as 0 and 1.

// idKeys are the fields that name an element of an array, by preference.
var idKeys = []string{"name", "callback", "program", "cpu", "pid", "comm"}

// Name is how results and tables name the metric: its path, or
// aggregate(path).
func (m MetricDef) Name() string {
	if m.Aggregate != "" {
		return m.Aggregate + "(" + m.Path + ")"
	}
	return m.Path
}

// checkPath checks the syntax of a metric path.
func checkPath(p string) error {
	if p == "" {
		return fmt.Errorf("missing or empty: the path of a number in the results, such as wakeup_latency.p99_ns")
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return fmt.Errorf("path %q has an empty key", p)
		}
		if strings.Contains(seg, "*") && seg != "*" {
			return fmt.Errorf("path %q: a wildcard stands for a whole key (\"*\"), not part of one", p)
		}
	}
	return nil
}

// Match is one number a path found.
type Match struct {
	// Path is the concrete path (wildcards replaced by what they matched).
	Path  string
	Value float64
}

// Resolve finds the numbers path names in doc, a JSON value decoded into
// any (map[string]any, []any, float64, bool, string, nil). A path without
// wildcards finds one number or fails with an error that lists the keys
// there are; a path with wildcards finds every number it matches, in
// document order, and no match (as for extra.locks.*.wait_total_ns when the
// policy takes no lock) is not an error.
func Resolve(doc any, path string) ([]Match, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	var out []Match
	strict := !strings.Contains(path, "*")
	err := resolve(doc, strings.Split(path, "."), nil, &out, strict)
	if !strict {
		err = nil // a part of the document a run does not have matches nothing
	}
	return out, err
}

func resolve(v any, segs []string, done []string, out *[]Match, strict bool) error {
	here := strings.Join(done, ".")
	if here == "" {
		here = "the results"
	}
	if len(segs) == 0 {
		switch x := v.(type) {
		case float64:
			*out = append(*out, Match{strings.Join(done, "."), x})
			return nil
		case bool:
			f := 0.0
			if x {
				f = 1
			}
			*out = append(*out, Match{strings.Join(done, "."), f})
			return nil
		case map[string]any:
			return fmt.Errorf("%s is an object, not a number; its keys: %s", here, strings.Join(mapKeys(x), ", "))
		case []any:
			return fmt.Errorf("%s is an array, not a number; its elements: %s", here, strings.Join(elemIDs(x), ", "))
		case nil:
			return fmt.Errorf("%s is null in this run", here)
		}
		return fmt.Errorf("%s is %T, not a number", here, v)
	}
	seg := segs[0]
	switch x := v.(type) {
	case map[string]any:
		if seg == "*" {
			for _, k := range mapKeys(x) {
				if err := resolve(x[k], segs[1:], append(done, k), out, strict); err != nil && strict {
					return err
				}
			}
			return nil
		}
		e, ok := x[seg]
		if !ok {
			return fmt.Errorf("%s has no key %q; its keys: %s", here, seg, strings.Join(mapKeys(x), ", "))
		}
		return resolve(e, segs[1:], append(done, seg), out, strict)
	case []any:
		ids := elemIDs(x)
		if seg == "*" {
			for i, e := range x {
				if err := resolve(e, segs[1:], append(done, ids[i]), out, strict); err != nil && strict {
					return err
				}
			}
			return nil
		}
		for i, id := range ids {
			if id == seg {
				return resolve(x[i], segs[1:], append(done, seg), out, strict)
			}
		}
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(x) {
			return resolve(x[i], segs[1:], append(done, seg), out, strict)
		}
		return fmt.Errorf("%s has no element %q; its elements: %s", here, seg, strings.Join(ids, ", "))
	case nil:
		return fmt.Errorf("%s is null in this run", here)
	}
	return fmt.Errorf("%s is a %s, not an object or array: no key %q in it", here, jsonKind(v), seg)
}

func jsonKind(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func mapKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// elemIDs names the elements of an array: by their identifying field, or
// by index.
func elemIDs(arr []any) []string {
	ids := make([]string, len(arr))
	for i, e := range arr {
		ids[i] = strconv.Itoa(i)
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
	keys:
		for _, k := range idKeys {
			switch id := m[k].(type) {
			case string:
				ids[i] = id
				break keys
			case float64:
				ids[i] = strconv.FormatFloat(id, 'f', -1, 64)
				break keys
			}
		}
	}
	return ids
}

// Measure evaluates the metrics on a run's document and returns them by
// name. A wildcard metric without an aggregate gives one value per
// match, named by the match's path.
func Measure(doc any, defs []MetricDef) (map[string]float64, error) {
	out := map[string]float64{}
	for _, d := range defs {
		ms, err := Resolve(doc, d.Path)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", d.Name(), err)
		}
		if d.Aggregate == "" {
			for _, m := range ms {
				out[m.Path] = m.Value
			}
			continue
		}
		out[d.Name()] = aggregate(d.Aggregate, ms)
	}
	return out, nil
}

func aggregate(how string, ms []Match) float64 {
	if how == "count" {
		return float64(len(ms))
	}
	if len(ms) == 0 {
		return 0
	}
	acc := ms[0].Value
	for _, m := range ms[1:] {
		switch how {
		case "sum", "mean":
			acc += m.Value
		case "max":
			acc = math.Max(acc, m.Value)
		case "min":
			acc = math.Min(acc, m.Value)
		}
	}
	if how == "mean" {
		acc /= float64(len(ms))
	}
	return acc
}

// defFor returns the definition a measured metric name comes from.
func defFor(defs []MetricDef, name string) (MetricDef, bool) {
	for _, d := range defs {
		if d.Name() == name {
			return d, true
		}
	}
	for _, d := range defs {
		if d.Aggregate == "" && pathMatches(d.Path, name) {
			return d, true
		}
	}
	return MetricDef{}, false
}

// pathMatches reports whether a concrete path is an instance of pattern.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "."), strings.Split(path, ".")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// toDoc turns a value into its generic JSON form.
func toDoc(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc any
	err = json.Unmarshal(data, &doc)
	return doc, err
}

func trimG(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
