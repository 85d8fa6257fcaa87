package bpfvm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds random and mutated ELF objects to LoadObjectReader and
// loads what parses into a VM: neither may panic.
func FuzzLoad(f *testing.F) {
	objs, _ := filepath.Glob("testdata/*.bpf.o")
	for _, name := range objs {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add(raw[:len(raw)*3/4])
	}
	kernel := testKernelBTF(f)
	reg := NewRegistry()
	RegisterMapHelpers(reg)
	reg.AddKfunc(&Kfunc{Name: "bpf_task_acquire"})
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := LoadObjectReader(bytes.NewReader(data), "fuzz.o")
		if err != nil {
			return
		}
		for _, so := range obj.StructOps {
			for _, m := range so.Type.Members {
				_, _ = so.Uint(m.Name)
				_, _ = so.String(m.Name)
			}
		}
		vm, err := NewVM(VMConfig{MemSize: 16 << 20, NumCPUs: 2, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer vm.Close()
		in, err := vm.Load(obj, LoadOptions{KernelBTF: kernel,
			Kconfig: map[string]any{"LINUX_KERNEL_VERSION": 1, "CONFIG_SCHED_SMT": true}})
		if err != nil {
			return
		}
		for _, m := range in.Maps {
			m.Iterate(func(k, v []byte) bool { return true })
		}
	})
}
