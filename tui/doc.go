// Package tui is schedsim's live dashboard (`schedsim top`), built on
// tcell as model / update / view:
//
//   - Session owns one running scenario: its machine, the Collector (a
//     sim.Observer gathering what the panels show: per-CPU timelines,
//     rates, latency histograms, lock contention, events) and a way to
//     rebuild it for going back in time (runs are deterministic).
//   - Take reads a Session between events into a Snapshot: plain data,
//     no pointers into the machine.
//   - Model is the UI state (focus, speed, pause, filter, sort, prompts);
//     keys and ticks update it (App.HandleEvent, App.Advance).
//   - Draw is a function of the model, the snapshots and the screen size;
//     views are tested on tcell's SimulationScreen from hand-made
//     snapshots, without running a simulation.
//
// The simulation runs in the UI's own goroutine, in slices of simulated
// time between frames (App.Run), so it stays deterministic: where a slice
// ends decides only what is drawn, never what is simulated.
package tui
