package main

import "github.com/schedsim/schedsim/sim"

// kindName spells an exit kind for the table.
func kindName(k int64) string { return sim.ExitKindName(int(k)) }

// suiteNewer lists tests of kernels after 6.12 (their sources come from
// a newer tree's tools/testing/selftests/sched_ext).
func suiteNewer() []selftest { return nil }
