package policies

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/verifier"
)

// writableTaskField is the rule of the kernel's bpf_scx_btf_struct_access():
// a sched_ext program may write only p->scx.slice, p->scx.dsq_vtime and
// p->scx.disallow of a task_struct.
func writableTaskField(s *btf.Struct, off, size uint32) bool {
	if s.Name != "task_struct" {
		return false
	}
	var base uint32
	var scx *btf.Struct
	for _, m := range s.Members {
		if m.Name == "scx" {
			base = m.Offset.Bytes()
			scx, _ = btf.UnderlyingType(m.Type).(*btf.Struct)
		}
	}
	if scx == nil {
		return false
	}
	for _, m := range scx.Members {
		switch m.Name {
		case "slice", "dsq_vtime", "disallow":
			sz, err := btf.Sizeof(m.Type)
			if err != nil {
				continue
			}
			lo := base + m.Offset.Bytes()
			if off >= lo && off+size <= lo+uint32(sz) {
				return true
			}
		}
	}
	return false
}

// readOnlyValue reads size bytes at off of the value of read-only map i
// (a frozen .rodata or .kconfig section) for the verifier, which treats
// them as constants (the kernel's bpf_map_direct_read).
func (b *BPFPolicy) readOnlyValue(i int, off, size uint32) (uint64, bool) {
	if i < 0 || i >= len(b.vm.Maps) || !b.vm.Maps[i].Spec().ReadOnly {
		return 0, false
	}
	m := b.vm.Maps[i]
	if uint64(off)+uint64(size) > uint64(m.Spec().ValueSize) {
		return 0, false
	}
	addr, ok := m.ValueAddr(off)
	if !ok {
		return 0, false
	}
	buf, err := b.vm.Mem.Bytes(addr, uint64(size))
	if err != nil {
		return 0, false
	}
	var x uint64
	for i := len(buf) - 1; i >= 0; i-- {
		x = x<<8 | uint64(buf[i])
	}
	return x, true
}

// VerifyReport is the verifier's verdict on every program of a policy.
type VerifyReport struct {
	Results  []*verifier.Result
	Times    []time.Duration // wall time per program, for display only
	Warnings []verifier.Warning
}

// VerifierEnv returns the environment program p of the policy is
// verified in: the VM's maps (read-only ones with their loaded contents),
// helpers and kfuncs, the kernel BTF, the struct_ops arguments of p's
// callback and the task_struct fields a sched_ext program may write. log,
// if not nil, receives the verbose log.
func (b *BPFPolicy) VerifierEnv(p *bpfvm.Program, log io.Writer) (*verifier.Env, error) {
	kbtf, err := KernelBTF()
	if err != nil {
		return nil, err
	}
	specs := make([]*bpfvm.MapSpec, 0, len(b.vm.Maps))
	for _, m := range b.vm.Maps {
		specs = append(specs, m.Spec())
	}
	env := &verifier.Env{Maps: specs, Registry: b.vm.Registry, KernelBTF: kbtf,
		WritableField: writableTaskField, ReadOnlyValue: b.readOnlyValue, PerCPUKsym: b.isPerCPUVar,
		Log: log, Verbose: log != nil}
	env.ProgType = ProgramType(p.Section)
	if env.ProgType == "syscall" {
		// SEC("syscall"): r1 is the buffer given to BPF_PROG_RUN
		env.CtxBuffer = 1<<16 - 1
	}
	if p.StructOpsMember != "" {
		args, void, err := verifier.StructOpsArgs(kbtf, "sched_ext_ops", p.StructOpsMember)
		if err != nil {
			return nil, fmt.Errorf("%s: program %s: %w", b.obj.Name, p.Name, err)
		}
		env.Args, env.ReturnVoid = args, void
	}
	return env, nil
}

// Verify runs the verifier on every program of the loaded policy, as the
// kernel does before a struct_ops map is attached. log, if not nil,
// receives the verifier's per-instruction log (verbose).
func (b *BPFPolicy) Verify(log io.Writer) (*VerifyReport, error) {
	rep := &VerifyReport{}
	// the programs share the verification of the global functions they
	// all link (verifier.Cache)
	cache := verifier.NewCache()
	for _, p := range b.inst.Programs {
		if opsMemberMissing(p) {
			// a callback the simulated kernel's sched_ext_ops lacks is
			// never attached nor called: scx's user space clears ops
			// members the kernel does not have, and libbpf then loads
			// no program for them
			continue
		}
		if _, off := b.unloaded[p.Name]; off {
			continue // not loaded, or nothing to attach it to (progload.go)
		}
		env, err := b.VerifierEnv(p, log)
		if err != nil {
			return nil, err
		}
		env.Cache = cache
		if p.StructOpsMember == "" {
			// a program of another type in the object (SEC("syscall")
			// programs a recipe runs): verified as `schedsim verify`
			// does
			typ := ProgramType(p.Section)
			env.ProgType = typ
			// a SEC("syscall") program's context is the buffer given
			// to BPF_PROG_RUN (VerifierEnv); others' is not modelled
			env.CtxNotModelled = typ != "syscall"
			env.ExitNotModelled = exitRulesNotModelled(typ)
			env.KfuncModelled = func(name string) bool { return kfuncModelledFor(typ, name) }
			env.HelperAllowed = func(id int32) bool { return helperAllowedFor(typ, id) }
		}
		start := time.Now() // wall clock: display only
		res, err := verifier.Verify(p, env)
		var ve *verifier.Error
		if err != nil && p.StructOpsMember == "" && errors.As(err, &ve) && ve.NotModelled {
			// what the verifier cannot model says nothing of the
			// program; it runs unverified (recipes' syscall programs)
			continue
		}
		if err != nil {
			return rep, err
		}
		rep.Results = append(rep.Results, res)
		rep.Times = append(rep.Times, time.Since(start)) // wall clock: display only
	}
	rep.Warnings = verifier.CheckLockOrder(rep.Results)
	return rep, nil
}

// opsMemberMissing reports whether p implements a sched_ext_ops member
// that the simulated kernel's sched_ext_ops does not have (e.g.
// cgroup_set_bandwidth, Linux 6.17+, for a 6.12 kernel).
func opsMemberMissing(p *bpfvm.Program) bool {
	if p.StructOpsMember == "" {
		return false
	}
	kbtf, err := KernelBTF()
	if err != nil {
		return false
	}
	_, _, err = verifier.StructOpsArgs(kbtf, "sched_ext_ops", p.StructOpsMember)
	return errors.Is(err, verifier.ErrNoStructOpsMember)
}
