package verifier

import (
	"fmt"
	"sort"
	"strings"
)

// Warning is a potential deadlock found across the programs of a policy.
type Warning struct {
	// Cycle lists the edges of the lock-order cycle: Cycle[i].Taken is
	// Cycle[i+1].Held, and the last edge leads back to the first.
	Cycle []LockEdge
	Msg   string
}

func (w Warning) String() string { return w.Msg }

// CheckLockOrder builds the lock-order graph of all programs of a policy
// (an edge A -> B for each program that takes lock class B while holding
// A, as lockdep does) and reports each cycle once: an ABBA deadlock that
// can happen when two CPUs run the programs concurrently, found before
// anything runs. Edges between two locks of the same class (two elements
// of one map) are not recorded: their order is decided at run time and
// checked by the runtime lock validator.
func CheckLockOrder(results []*Result) []Warning {
	type key = LockClass
	adj := map[key][]LockEdge{}
	var nodes []key
	seenNode := map[key]bool{}
	addNode := func(k key) {
		if !seenNode[k] {
			seenNode[k] = true
			nodes = append(nodes, k)
		}
	}
	for _, r := range results {
		if r == nil {
			continue
		}
		for _, e := range r.LockEdges {
			addNode(e.Held)
			addNode(e.Taken)
			adj[e.Held] = append(adj[e.Held], e)
		}
	}
	less := func(a, b key) bool {
		if a.Map != b.Map {
			return a.Map < b.Map
		}
		return a.Off < b.Off
	}
	sort.Slice(nodes, func(i, j int) bool { return less(nodes[i], nodes[j]) })
	for _, k := range nodes {
		es := adj[k]
		sort.SliceStable(es, func(i, j int) bool {
			if es[i].Taken != es[j].Taken {
				return less(es[i].Taken, es[j].Taken)
			}
			if es[i].Prog != es[j].Prog {
				return es[i].Prog < es[j].Prog
			}
			return es[i].PC < es[j].PC
		})
	}
	var out []Warning
	reported := map[string]bool{}
	for _, u := range nodes {
		for _, first := range adj[u] {
			// shortest path back from first.Taken to u (BFS, deterministic)
			path := shortestPath(adj, first.Taken, u)
			if path == nil {
				continue
			}
			cycle := append([]LockEdge{first}, path...)
			k := cycleKey(cycle)
			if reported[k] {
				continue
			}
			reported[k] = true
			out = append(out, Warning{Cycle: cycle, Msg: describeCycle(cycle)})
		}
	}
	return out
}

func shortestPath(adj map[LockClass][]LockEdge, from, to LockClass) []LockEdge {
	if from == to {
		return []LockEdge{}
	}
	prev := map[LockClass]LockEdge{}
	seen := map[LockClass]bool{from: true}
	q := []LockClass{from}
	for len(q) > 0 {
		n := q[0]
		q = q[1:]
		for _, e := range adj[n] {
			if seen[e.Taken] {
				continue
			}
			seen[e.Taken] = true
			prev[e.Taken] = e
			if e.Taken == to {
				var p []LockEdge
				for c := to; c != from; c = prev[c].Held {
					p = append([]LockEdge{prev[c]}, p...)
				}
				return p
			}
			q = append(q, e.Taken)
		}
	}
	return nil
}

// cycleKey names a cycle by its set of (held, taken) class pairs,
// independent of its starting point and of which program took them.
func cycleKey(c []LockEdge) string {
	var parts []string
	for _, e := range c {
		parts = append(parts, e.Held.String()+">"+e.Taken.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func edgeWhere(prog string, pc int, line string, ok bool) string {
	s := fmt.Sprintf("%s insn %d", prog, pc)
	if ok && line != "" {
		s += " (" + line + ")"
	}
	return s
}

func describeCycle(c []LockEdge) string {
	var b strings.Builder
	if len(c) == 2 {
		b.WriteString("possible ABBA deadlock between lock classes ")
	} else {
		fmt.Fprintf(&b, "possible circular locking dependency of %d lock classes ", len(c))
	}
	for i, e := range c {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(e.Held.String())
	}
	b.WriteString(" -> ")
	b.WriteString(c[0].Held.String())
	b.WriteString(":")
	for _, e := range c {
		hl := fmt.Sprintf("%s:%d", e.HeldLine.File, e.HeldLine.Line)
		tl := fmt.Sprintf("%s:%d", e.Line.File, e.Line.Line)
		if e.HasHeldL && strings.TrimSpace(e.HeldLine.Source) != "" {
			hl += " `" + strings.TrimSpace(e.HeldLine.Source) + "`"
		}
		if e.HasLine && strings.TrimSpace(e.Line.Source) != "" {
			tl += " `" + strings.TrimSpace(e.Line.Source) + "`"
		}
		fmt.Fprintf(&b, "\n  %s holds %s (taken at %s) and takes %s at %s",
			e.Prog, e.Held, edgeWhere(e.Prog, e.HeldPC, hl, e.HasHeldL), e.Taken, edgeWhere(e.Prog, e.PC, tl, e.HasLine))
	}
	return b.String()
}
