package policies

import (
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestKfuncTrustFlags: the kfuncs that take a task or cpumask carry the
// trust flags of Linux 6.12's BTF_ID_FLAGS (kernel/sched/ext.c,
// kernel/bpf/cpumask.c), which the verifier's check_kfunc_args reads: a
// KF_RCU kfunc refuses a pointer that is neither trusted nor RCU.
func TestKfuncTrustFlags(t *testing.T) {
	var b BPFPolicy
	r := bpfvm.NewRegistry()
	b.registerKernel(r)
	for _, name := range []string{"scx_bpf_dsq_insert", "scx_bpf_dsq_insert_vtime", "scx_bpf_select_cpu_dfl",
		"scx_bpf_pick_idle_cpu", "scx_bpf_pick_any_cpu", "scx_bpf_task_running", "scx_bpf_task_cpu",
		"scx_bpf_dsq_move", "scx_bpf_task_cgroup", "bpf_cpumask_test_cpu", "bpf_cpumask_set_cpu"} {
		id, ok := r.KfuncByName(name)
		if !ok {
			t.Errorf("%s not registered", name)
			continue
		}
		if k := r.Kfunc(id); k.Flags&(bpfvm.KfRCU|bpfvm.KfTrustedArgs) == 0 {
			t.Errorf("%s: flags %#x lack KF_RCU / KF_TRUSTED_ARGS", name, k.Flags)
		}
	}
}
