package policies

import (
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// KernelVersion is the Linux version the simulated kernel reports by
// default (LINUX_KERNEL_VERSION, KERNEL_VERSION(6, 18, 0), the machine's
// kernel = "latest"; Options.Kernel picks another): schedulers compare it to
// choose code paths (scx's common.bpf.h: is_migration_disabled() trusts
// p->migration_disabled without a probe from 6.18 on). The kfuncs a policy
// finds are what bpf_ksym_exists() reports, whatever the version.
const KernelVersion = 6<<16 | 18<<8

// kconfigDefaults are the .kconfig values libbpf would read from
// /proc/config.gz and uname on the simulated machine: the version, the tick
// rate, NR_CPUS, an x86-64 kernel without preemptible RCU. A recipe or
// Options.Kconfig overrides them; a weak extern with no value reads 0.
func kconfigDefaults(hz int, kv sim.KernelVersion) map[string]any {
	if hz <= 0 {
		hz = 1000
	}
	version := KernelVersion
	if kv != 0 {
		version = 6<<16 | int(kv)<<8
	}
	return map[string]any{
		"LINUX_KERNEL_VERSION":   version,
		"CONFIG_HZ":              hz,
		"CONFIG_NR_CPUS":         sim.NrCPUs,
		"CONFIG_X86_64":          true,
		"CONFIG_SMP":             true,
		"CONFIG_SCHED_CLASS_EXT": true,
		"CONFIG_PREEMPT_RCU":     false,
		"CONFIG_PREEMPT_RT":      false,
		"CONFIG_NO_HZ_IDLE":      true,
		"CONFIG_CC_VERSION_TEXT": "clang version 19 (schedsim)",
		"CONFIG_LOCALVERSION":    "-schedsim",
	}
}

// chooseOps returns the struct sched_ext_ops of obj named want (its variable
// name or its .name), or the only one if want is "".
func chooseOps(obj *bpfvm.Object, want string) (*bpfvm.StructOps, error) {
	var all []*bpfvm.StructOps
	var names []string
	for _, s := range obj.StructOps {
		if s.TypeName != "sched_ext_ops" {
			continue
		}
		all = append(all, s)
		names = append(names, s.Name)
		if want == "" {
			continue
		}
		if n, _ := s.String("name"); s.Name == want || n == want {
			return s, nil
		}
	}
	switch {
	case len(all) == 0:
		return nil, fmt.Errorf("%s: no struct sched_ext_ops map (define one with SCX_OPS_DEFINE in SEC(\".struct_ops.link\"))", obj.Name)
	case want != "":
		return nil, fmt.Errorf("%s: no struct sched_ext_ops called %q; it defines %s", obj.Name, want, strings.Join(names, ", "))
	case len(all) > 1:
		return nil, fmt.Errorf("%s: %d struct sched_ext_ops (%s): choose one with --ops NAME", obj.Name, len(all), strings.Join(names, ", "))
	}
	return all[0], nil
}
