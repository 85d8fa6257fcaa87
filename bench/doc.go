// Package bench runs regression benchmarks of sched_ext policies: a suite
// (TOML: policies, configs, seeds, metrics with a direction and a
// tolerance) is run as one simulation per (config, policy, seed) on a pool
// of goroutines, each an independent, deterministic machine, so results do
// not depend on the number of workers or shards.
//
// The package keeps its three concerns apart:
//
//   - running: ParseSuite, Execute (workers, shards, progress), Merge;
//   - statistics: pure functions over result tables (MeanCI, PairedT,
//     MannWhitneyU, WilcoxonSignedRank; Results.Tables, Compare);
//   - plotting and reporting: BarPlot, CDFPlot, SavePlot (PNG and SVG),
//     Report (HTML), WriteTables, WriteComparison.
//
// Metrics are paths into each run's JSON result (Resolve), so a number
// that the simulator adds to its results is a metric with no change here.
// `schedsim bench` is the command line over this package; docs/bench.md is
// the user's guide.
package bench
