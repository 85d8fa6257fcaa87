package policies

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/verifier"
)

// ProgramVerdict is the verification of one program of an object
// (VerifyObject), as veristat reports it.
type ProgramVerdict struct {
	Program *bpfvm.Program
	// Type is the program type the ELF section names (libbpf's section
	// names: "struct_ops", "socket_filter", "tracing", ...).
	Type   string
	Result *verifier.Result // nil when rejected
	Err    error            // the rejection; a *verifier.Error when the verifier rejected it
	Time   time.Duration
}

// NotModelled reports whether the verdict says nothing of the program
// itself: the verifier lacked a model of its program type's context or of
// a helper or kfunc it calls.
func (v *ProgramVerdict) NotModelled() bool {
	var ve *verifier.Error
	return v.Err != nil && errors.As(v.Err, &ve) && ve.NotModelled
}

// VerifyObjectOptions configure VerifyObject.
type VerifyObjectOptions struct {
	// Params set const volatile globals, as Options.Params.
	Params map[string]any
	// Log, if set, receives each program's full verifier log.
	Log io.Writer
	// Filter, if set, selects the programs to verify by name.
	Filter func(name string) bool
}

// VerifyObject verifies every program of obj, a sched_ext policy or any
// other BPF object, each on its own as veristat does (a rejection of one
// does not stop the others). A sched_ext_ops callback is verified as
// LoadObject does before a run. Other programs get the object's maps and
// the helpers and kfuncs schedsim provides; their context is not modelled
// (a program that reads it is rejected with "program type X is not
// modelled", ProgramVerdict.NotModelled), and calls to kfuncs schedsim
// does not provide are rejected the same way when reached. The error is
// for an object that does not load.
func VerifyObject(obj *bpfvm.Object, o VerifyObjectOptions) ([]ProgramVerdict, error) {
	opts := Options{NumCPUs: 1, Params: o.Params, NoVerify: true}
	var b *BPFPolicy
	var err error
	if hasSchedExtOps(obj) {
		b, err = LoadObject(obj, opts)
	} else {
		b, err = loadAnyObject(obj, opts)
	}
	if err != nil {
		return nil, err
	}
	defer b.Close()
	cache := verifier.NewCache()
	var out []ProgramVerdict
	for _, p := range b.inst.Programs {
		if o.Filter != nil && !o.Filter(p.Name) {
			continue
		}
		if opsMemberMissing(p) {
			out = append(out, ProgramVerdict{Program: p, Type: ProgramType(p.Section), Err: &verifier.Error{Prog: p.Name, NotModelled: true,
				Msg: fmt.Sprintf("sched_ext_ops has no member %s in the simulated kernel: the callback is never attached", p.StructOpsMember)}})
			continue
		}
		env, err := b.VerifierEnv(p, o.Log)
		if err != nil {
			return nil, err
		}
		typ := ProgramType(p.Section)
		env.ProgType = typ
		if (p.StructOpsMember == "" || b.so == nil) && env.CtxBuffer == 0 {
			env.Args, env.ReturnVoid = nil, false
			env.CtxNotModelled = true
			env.ExitNotModelled = exitRulesNotModelled(typ)
			env.KfuncModelled = func(name string) bool { return kfuncModelledFor(typ, name) }
			env.HelperAllowed = func(id int32) bool { return helperAllowedFor(typ, id) }
		}
		if o.Log == nil {
			env.Cache = cache
		}
		start := time.Now() // wall clock: display only
		res, verr := verifier.Verify(p, env)
		out = append(out, ProgramVerdict{Program: p, Type: typ, Result: res, Err: verr, Time: time.Since(start)}) // wall clock: display only
	}
	return out, nil
}

func hasSchedExtOps(obj *bpfvm.Object) bool {
	for _, s := range obj.StructOps {
		if s.TypeName == "sched_ext_ops" {
			return true
		}
	}
	return false
}

// loadAnyObject loads an object that is not a sched_ext policy into a VM
// with schedsim's helpers and kfuncs, for verification only: kfuncs the VM
// does not provide are bound to placeholders (as missing __weak ones are)
// that the verifier reports as not modelled if a path reaches them.
func loadAnyObject(obj *bpfvm.Object, opts Options) (*BPFPolicy, error) {
	kbtf, err := KernelBTF()
	if err != nil {
		return nil, err
	}
	b := &BPFPolicy{obj: obj, opts: opts, log: opts.Log}
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterBase(reg)
	bpfvm.RegisterMapHelpers(reg)
	bpfvm.RegisterGraph(reg)
	b.registerKernel(reg)
	b.registerLocks(reg)
	// a copy of the object whose kfunc externs are all weak
	cp := *obj
	cp.Externs = append([]bpfvm.Extern(nil), obj.Externs...)
	for i := range cp.Externs {
		if cp.Externs[i].Kind == bpfvm.ExternKfunc {
			cp.Externs[i].Weak = true
		}
	}
	vm, err := bpfvm.NewVM(bpfvm.VMConfig{NumCPUs: 1, Registry: reg})
	if err != nil {
		return nil, err
	}
	b.vm = vm
	inst, err := vm.Load(&cp, bpfvm.LoadOptions{KernelBTF: kbtf, Params: opts.Params})
	if err != nil {
		vm.Close()
		return nil, err
	}
	b.inst = inst
	return b, nil
}

// ProgramType is the program type of an ELF section name, as libbpf's
// section_defs name them ("?" prefixes, which only stop autoloading, are
// ignored).
func ProgramType(section string) string {
	s := strings.TrimPrefix(section, "?")
	prefixes := []struct{ prefix, typ string }{
		{"struct_ops", "struct_ops"},
		{"socket", "socket_filter"},
		{"sk_reuseport", "sk_reuseport"},
		{"kprobe", "kprobe"}, {"uprobe", "kprobe"}, {"kretprobe", "kprobe"}, {"uretprobe", "kprobe"},
		{"ksyscall", "kprobe"}, {"kretsyscall", "kprobe"}, {"usdt", "kprobe"},
		{"tc", "sched_cls"}, {"classifier", "sched_cls"}, {"action", "sched_act"},
		{"tracepoint", "tracepoint"}, {"tp_btf", "tracing"}, {"tp/", "tracepoint"},
		{"raw_tracepoint", "raw_tracepoint"}, {"raw_tp", "raw_tracepoint"},
		{"fentry", "tracing"}, {"fexit", "tracing"}, {"fmod_ret", "tracing"}, {"iter", "tracing"},
		{"lsm", "lsm"}, {"xdp", "xdp"}, {"perf_event", "perf_event"},
		{"lwt_", "lwt"}, {"cgroup_skb", "cgroup_skb"}, {"cgroup/skb", "cgroup_skb"},
		{"cgroup/sock", "cgroup_sock"}, {"cgroup/dev", "cgroup_device"}, {"cgroup/sysctl", "cgroup_sysctl"},
		{"cgroup/", "cgroup_sock_addr"}, {"sockops", "sock_ops"}, {"sk_skb", "sk_skb"}, {"sk_msg", "sk_msg"},
		{"flow_dissector", "flow_dissector"}, {"syscall", "syscall"}, {"netfilter", "netfilter"},
		{"sk_lookup", "sk_lookup"},
	}
	for _, p := range prefixes {
		if strings.HasPrefix(s, p.prefix) {
			return p.typ
		}
	}
	return fmt.Sprintf("unknown (section %q)", section)
}

// exitRulesNotModelled: program types whose return value the kernel
// restricts (check_return_code, verifier.c 6.12: cgroup programs, sock_addr,
// sk_lookup, LSM, netfilter, tracing, struct_ops, ...); schedsim models
// none of these.
func exitRulesNotModelled(typ string) bool {
	switch typ {
	case "socket_filter", "sched_cls", "sched_act", "xdp", "kprobe", "tracepoint", "raw_tracepoint",
		"perf_event", "lwt", "sk_skb", "sk_msg", "flow_dissector", "syscall", "sk_reuseport":
		return false
	}
	return true
}

// kfuncModelledFor: whether the kernel's registration of kfunc name for
// program type typ is modelled (kernel/bpf/helpers.c, 6.12): the common
// set is registered for every type, the generic set (allocation, graphs,
// task references) for tracing, sched_cls, xdp, struct_ops and syscall.
func kfuncModelledFor(typ, name string) bool {
	switch name {
	case "bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy",
		"bpf_rcu_read_lock", "bpf_rcu_read_unlock", "bpf_cast_to_kern_ctx", "bpf_rdonly_cast",
		"bpf_preempt_disable", "bpf_preempt_enable":
		return true
	}
	if strings.HasPrefix(name, "bpf_cpumask_") {
		// kernel/bpf/cpumask.c registers them for tracing, LSM,
		// struct_ops and syscall programs
		switch typ {
		case "tracing", "lsm", "struct_ops", "syscall":
			return true
		}
		return false
	}
	switch typ {
	case "tracing", "sched_cls", "xdp", "struct_ops", "syscall":
	default:
		return false
	}
	switch {
	case strings.HasPrefix(name, "bpf_obj_"), strings.HasPrefix(name, "bpf_list_"),
		strings.HasPrefix(name, "bpf_rbtree_"), strings.HasPrefix(name, "bpf_refcount_acquire"),
		name == "bpf_task_acquire", name == "bpf_task_release", name == "bpf_task_from_pid":
		return true
	}
	return false
}

// helperAllowedFor: the helper restrictions per program type that are
// modelled: bpf_ktime_get_coarse_ns (160) is not offered to tracing
// programs (kprobe, tracepoint, perf_event, raw_tracepoint:
// bpf_tracing_func_proto, kernel/trace/bpf_trace.c 6.12).
func helperAllowedFor(typ string, id int32) bool {
	switch typ {
	case "kprobe", "tracepoint", "perf_event", "raw_tracepoint":
		return id != 160
	}
	return true
}
