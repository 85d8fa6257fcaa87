// Package sim is schedsim's machine: a deterministic discrete-event simulator
// of a multi-core Linux computer whose CPU scheduler is a sched_ext policy.
//
// It owns time (integer nanoseconds; events ordered by time then sequence
// number), the topology (NUMA nodes, LLCs, cores, SMT siblings), tasks and
// their workloads, the sched_ext core (dispatch queues and the callback
// protocol of kernel/sched/ext.c, Linux 6.12 to 6.18), and metrics.
//
// sim imports none of bpfvm, verifier, jit or policies. A policy is anything
// implementing [Scheduler], the Go mirror of struct sched_ext_ops; the kfuncs
// a BPF policy calls are methods of [Kernel]. Go policies (such as the
// reference [FIFO]) implement Scheduler directly and serve as oracles for
// differential tests of BPF policies.
//
// Nothing in this package reads the wall clock, starts goroutines, or lets
// Go map iteration order decide anything: the same config and seed give the
// same schedule, bit for bit.
package sim
