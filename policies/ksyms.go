package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// Kernel variables a policy may declare as typed ksyms (extern const int
// sd_llc_size __ksym __weak) and read with bpf_per_cpu_ptr() /
// bpf_this_cpu_ptr(), as scx's percpu.bpf.h does. Each is a per-CPU
// variable: one instance per CPU, laid out at a fixed stride in linear
// memory; the ksym's address is CPU 0's instance, which is what the per-CPU
// helpers take. A ksym the simulator does not have resolves to 0 when weak
// (the headers test &var before use) and fails the load when not.

// Helper ids (enum bpf_func_id).
const (
	helperPerCPUPtr  = 153
	helperThisCPUPtr = 154
)

// percpuVar is one per-CPU kernel variable.
type percpuVar struct {
	name   string
	base   uint64 // CPU 0's instance
	stride uint64
	// refresh, if set, brings an instance up to date before the program
	// gets its address (runqueues)
	refresh func(cpu int)
}

// percpuValues are the per-CPU int variables the topology determines
// (kernel/sched/topology.c, update_top_cache_domain()): sd_llc_size is the
// weight of the CPU's LLC domain, sd_llc_id its first CPU.
func percpuValues(t *sim.Topology) map[string]func(cpu int) int32 {
	return map[string]func(cpu int) int32{
		"sd_llc_size": func(cpu int) int32 { return int32(t.LLCMask[t.CPUs[cpu].LLC].Weight()) },
		"sd_llc_id":   func(cpu int) int32 { return int32(t.LLCMask[t.CPUs[cpu].LLC].Next(0)) },
	}
}

// kernelVars allocates the kernel variables in vm's memory and returns
// their addresses for bpfvm.LoadOptions.Ksyms.
func (b *BPFPolicy) kernelVars(vm *bpfvm.VM, spec sim.TopologySpec) (map[string]uint64, error) {
	topo, err := sim.NewTopology(spec)
	if err != nil {
		return nil, fmt.Errorf("policy topology: %w", err)
	}
	if topo.NumCPUs() != b.opts.NumCPUs {
		return nil, fmt.Errorf("policy topology %+v has %d CPUs, Options.NumCPUs is %d", spec, topo.NumCPUs(), b.opts.NumCPUs)
	}
	b.topo = topo
	ksyms := map[string]uint64{}
	vals := percpuValues(topo)
	for _, name := range []string{"sd_llc_size", "sd_llc_id"} {
		const stride = 8
		base, err := vm.Mem.Alloc(uint64(stride*topo.NumCPUs()), 8)
		if err != nil {
			return nil, err
		}
		for cpu := 0; cpu < topo.NumCPUs(); cpu++ {
			vm.Mem.Store32(base+uint64(stride*cpu), uint32(vals[name](cpu)))
		}
		b.percpu = append(b.percpu, percpuVar{name: name, base: base, stride: stride})
		ksyms[name] = base
	}
	// Per-CPU variables a simulated machine without a cpufreq driver or
	// thermal pressure has at zero: cpufreq_cpu_data (struct
	// cpufreq_policy *, NULL), hw_pressure (unsigned long).
	for _, name := range []string{"cpufreq_cpu_data", "hw_pressure"} {
		const stride = 8
		base, err := vm.Mem.Alloc(uint64(stride*topo.NumCPUs()), 8)
		if err != nil {
			return nil, err
		}
		b.percpu = append(b.percpu, percpuVar{name: name, base: base, stride: stride})
		ksyms[name] = base
	}
	// runqueues: the per-CPU struct rq (scx_bpf_cpu_rq() returns the same
	// instances), refreshed when a program asks for one.
	rqSize, err := KernelSizeof("struct rq")
	if err != nil {
		return nil, err
	}
	stride := (uint64(rqSize) + 63) &^ 63
	base, err := vm.Mem.Alloc(stride*uint64(topo.NumCPUs()), 64)
	if err != nil {
		return nil, err
	}
	for cpu := 0; cpu < topo.NumCPUs(); cpu++ {
		b.ks.rq = append(b.ks.rq, base+uint64(cpu)*stride)
	}
	b.percpu = append(b.percpu, percpuVar{name: "runqueues", base: base, stride: stride,
		refresh: func(cpu int) { b.refreshRq(cpu) }})
	ksyms["runqueues"] = base
	return ksyms, nil
}

// isPerCPUVar reports whether name is one of the per-CPU kernel
// variables (the verifier's Env.PerCPUKsym).
func (b *BPFPolicy) isPerCPUVar(name string) bool {
	for _, v := range b.percpu {
		if v.name == name {
			return true
		}
	}
	return false
}

// perCPUPtr is bpf_per_cpu_ptr(ptr, cpu): the instance of the per-CPU
// variable ptr on cpu, NULL if cpu >= nr_cpu_ids (kernel/bpf/helpers.c).
func (b *BPFPolicy) perCPUPtr(c *bpfvm.Context, ptr, cpu, _, _, _ uint64) (uint64, error) {
	for _, v := range b.percpu {
		if v.base == ptr {
			if cpu >= uint64(b.opts.NumCPUs) {
				return 0, nil
			}
			if v.refresh != nil {
				v.refresh(int(cpu))
			}
			return v.base + cpu*v.stride, nil
		}
	}
	return 0, fmt.Errorf("bpf_per_cpu_ptr: %#x is not a per-CPU kernel variable", ptr)
}

// thisCPUPtr is bpf_this_cpu_ptr(ptr): the current CPU's instance.
func (b *BPFPolicy) thisCPUPtr(c *bpfvm.Context, ptr, _, _, _, _ uint64) (uint64, error) {
	return b.perCPUPtr(c, ptr, uint64(c.CPU), 0, 0, 0)
}

func (b *BPFPolicy) registerPerCPU(r *bpfvm.Registry) {
	for _, h := range []*bpfvm.Helper{
		{ID: helperPerCPUPtr, Name: "bpf_per_cpu_ptr", Fn: b.perCPUPtr, Args: [5]bpfvm.ArgType{bpfvm.ArgAnything, bpfvm.ArgAnything},
			Ret: bpfvm.RetPtrToMemOrNull, RetSize: 4, LockSafe: true},
		{ID: helperThisCPUPtr, Name: "bpf_this_cpu_ptr", Fn: b.thisCPUPtr, Args: [5]bpfvm.ArgType{bpfvm.ArgAnything},
			Ret: bpfvm.RetPtrToMemOrNull, RetSize: 4, LockSafe: true},
	} {
		r.AddHelper(h)
	}
}
