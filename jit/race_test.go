//go:build race

package jit

// raceEnabled: the race detector slows the differential tests tenfold, so
// they run fewer random programs under it.
const raceEnabled = true
