package tui

import (
	"fmt"
	"time"

	"github.com/schedsim/schedsim/sim"
)

// Build creates a fresh run of the scenario with obs attached from its
// first event. The dashboard calls it at the start and again to go back in
// time: the same config and seed give the same schedule, so re-simulating
// reaches the same state.
type Build func(obs sim.Observer) (*sim.Scenario, sim.Scheduler, error)

// Session is one running scenario under one policy.
type Session struct {
	Name   string // the policy's name, as the header shows it
	build  Build
	scn    *sim.Scenario
	sched  sim.Scheduler
	col    *Collector
	groups []string
	at     uint64 // the simulated time the display stands at
	maps   MapReader

	bucketNs, periodNs uint64

	// The maps last decoded: at simulated time mapsAt, wall time
	// mapsWall; all of them, or only the per-task map (perTask).
	mapsCache []MapSnap
	mapsAt    uint64
	mapsWall  time.Time
	mapsAll   bool
	perTask   string // the per-task map's name, once known
	ptKnown   bool   // whether the maps were looked at for it
}

// MapReader lists the maps of a loaded policy, decoded (only the map
// called only, if it is not ""); nil when the policy has no maps (a Go
// policy).
type MapReader func(sched sim.Scheduler, only string) []MapSnap

// policyMaps returns the policy's maps for a snapshot: all of them, or
// (all false) at least the per-task map. Decoding a large policy's maps
// takes milliseconds, so they are decoded again only when the simulated
// time moved and, while it runs, at most once per every of wall time
// (the dashboard passes 250 ms: four refreshes a second).
func (s *Session) policyMaps(all bool, now time.Time, every time.Duration) []MapSnap {
	if s.maps == nil {
		return nil
	}
	fresh := s.mapsCache != nil && (s.mapsAll || !all)
	if fresh && (s.mapsAt == s.at || now.Sub(s.mapsWall) < every) {
		return s.mapsCache
	}
	only := ""
	if !all && s.ptKnown {
		if s.perTask == "" {
			return nil // no per-task map: nothing to decode for the tasks
		}
		only = s.perTask
	}
	ms := s.maps(s.sched, only)
	if !s.ptKnown {
		s.perTask, s.ptKnown = perTaskName(ms), true
	}
	s.mapsCache, s.mapsAt, s.mapsWall, s.mapsAll = ms, s.at, now, only == ""
	return ms
}

// NewSession builds the run. bucketNs is the width of a timeline cell,
// periodNs the sparklines' sample period.
func NewSession(name string, b Build, maps MapReader, bucketNs, periodNs uint64) (*Session, error) {
	s := &Session{Name: name, build: b, maps: maps, bucketNs: bucketNs, periodNs: periodNs}
	return s, s.restart()
}

// Close releases the policy (a BPF policy's VM).
func (s *Session) Close() {
	if c, ok := s.sched.(interface{ Close() error }); ok {
		c.Close()
	}
	s.sched = nil
}

// restart rebuilds the run from time 0. If that fails, the run it had
// stays as it was.
func (s *Session) restart() error {
	col := NewCollector(s.bucketNs, s.periodNs)
	scn, sched, err := s.build(col)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	s.Close()
	groups := make([]string, len(scn.Workloads))
	for i, w := range scn.Workloads {
		groups[i] = w.Common().Name
	}
	col.Attach(scn.Machine, len(groups))
	s.scn, s.sched, s.col, s.groups, s.at = scn, sched, col, groups, 0
	s.mapsCache = nil
	return nil
}

// Machine is the session's machine.
func (s *Session) Machine() *sim.Machine { return s.scn.Machine }

// At is the simulated time the session stands at.
func (s *Session) At() uint64 { return s.at }

// Done reports whether the run is over.
func (s *Session) Done() bool { return s.scn.Machine.Done() }

// End is the run's duration.
func (s *Session) End() uint64 { return s.scn.Machine.P.Duration }

// RunUntil advances the run to simulated time t.
func (s *Session) RunUntil(t uint64) {
	if t <= s.at {
		return
	}
	m := s.scn.Machine
	m.RunUntil(t)
	s.at = t
	if m.Done() {
		s.at = max(m.Now(), min(t, m.P.Duration))
	}
}

// Step processes one event; the session then stands at its time.
func (s *Session) Step() {
	m := s.scn.Machine
	if m.Done() {
		return
	}
	m.Step()
	s.at = max(s.at, m.Now())
}
