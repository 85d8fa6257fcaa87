// Package traces writes a simulated run as a trace that existing tools
// open: Perfetto protobuf (ui.perfetto.dev, trace_processor), Chrome JSON
// trace events (chrome://tracing, Perfetto's legacy importer) and ftrace
// text as the kernel's tracing "trace" file prints it.
//
// Every writer is a sim.Observer: attach it with sim.Overrides.Observers
// (or Machine.Observe), run, then Close it. Writers stream: events are
// encoded as they arrive and written through a buffer, so the size of a
// run does not bound what can be traced.
//
// The readers (ftrace text, perf sched script, rt-app JSON) live in sim as
// workload kinds ("trace" and "rtapp"), because config loading is sim's and
// sim imports nothing of this package; docs/traces.md describes both sides.
package traces
