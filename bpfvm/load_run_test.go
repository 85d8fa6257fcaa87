package bpfvm

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// These tests run the loaded test objects on the interpreter.

func runProg(t *testing.T, vm *VM, cpu int, p *Program, args ...uint64) uint64 {
	t.Helper()
	if p == nil {
		t.Fatal("no such program")
	}
	c, err := vm.NewContext(cpu)
	if err == nil {
		c.Engine = testEngine()
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r0, err := c.Call(p, args...)
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	return r0
}

func TestRunGlobals(t *testing.T) { onEngines(t, testRunGlobals) }

func testRunGlobals(t *testing.T) {
	obj := loadTestObject(t, "globals")
	vm := newLoaderVM(t, 1, nil)
	in, err := vm.Load(obj, LoadOptions{
		KernelBTF: testKernelBTF(t),
		Params:    map[string]any{"nr_cpus": 3, "slice_ns": -7, "verbose": true, "weights": []int{9, 8}, "label": "abc"},
		DataSizes: map[string]uint32{".data.cpu_load": 4 * 8},
	})
	if err != nil {
		t.Fatal(err)
	}
	// sum_weights(3) = (9+42) + (8+42) + (3+42) = 146; r0 = (int)(146 + __SCX_DSQ_LOCAL).
	if r0 := runProg(t, vm, 0, in.Program("read_globals")); r0 != 148 {
		t.Errorf("read_globals = %d, want 148", r0)
	}
	mem := func(name string) []byte {
		v, addr, err := in.Var(name)
		if err != nil {
			t.Fatal(err)
		}
		return vm.Mem.MustBytes(addr, uint64(v.Size))
	}
	if got := binary.LittleEndian.Uint64(mem("total")); got != 146 {
		t.Errorf("total = %d", got)
	}
	if got := binary.LittleEndian.Uint64(mem("pair")[8:]); got != 146 {
		t.Errorf("pair.b = %d", got)
	}
	if got := int64(binary.LittleEndian.Uint64(mem("cpu_load"))); got != -7 {
		t.Errorf("cpu_load[0] = %d", got)
	}
	if got := binary.LittleEndian.Uint32(mem("hits")[4:]); got != 9 {
		t.Errorf("hits[1] = %d", got)
	}
	if got := binary.LittleEndian.Uint32(mem("scratch")); got != 'a' {
		t.Errorf("scratch[0] = %d", got)
	}
	// other_entry shares add_weight: add_weight(2) + counter = 45 + 42.
	if r0 := runProg(t, vm, 0, in.Program("other_entry")); r0 != 87 {
		t.Errorf("other_entry = %d, want 87", r0)
	}
}

func TestRunCORE(t *testing.T) { onEngines(t, testRunCORE) }

func testRunCORE(t *testing.T) {
	obj := loadTestObject(t, "core")
	reg := NewRegistry()
	RegisterMapHelpers(reg)
	var acquired, released uint64
	reg.AddKfunc(&Kfunc{Name: "bpf_task_acquire", Fn: func(_ *Context, p, _, _, _, _ uint64) (uint64, error) {
		acquired = p
		return p, nil
	}})
	reg.AddKfunc(&Kfunc{Name: "bpf_task_release", Fn: func(_ *Context, p, _, _, _, _ uint64) (uint64, error) {
		released = p
		return 0, nil
	}})
	reg.AddKfunc(&Kfunc{Name: "scx_bpf_now", Fn: func(*Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 5000, nil
	}})
	vm := newLoaderVM(t, 1, reg)
	in, err := vm.Load(obj, LoadOptions{KernelBTF: testKernelBTF(t),
		Kconfig: map[string]any{"LINUX_KERNEL_VERSION": 0x60c00, "CONFIG_SCHED_SMT": true},
		Ksyms:   map[string]uint64{"bpf_some_ksym_var": 0xffff0000}})
	if err != nil {
		t.Fatal(err)
	}
	// A task_struct in the kernel's layout.
	task, _ := vm.Mem.Alloc(kTaskSize, 8)
	vm.Mem.Store64(task+kVruntime, 1000)
	vm.Mem.Store64(task+kDsqVtime, 200)
	vm.Mem.Store32(task+kWeight, 30)
	vm.Mem.Store64(task+kSlice, 1<<40) // must not be read
	want := uint64(1000+200+30) + kTaskSize + kDsqLocal
	if r0 := runProg(t, vm, 0, in.Program("core_read"), task); r0 != want {
		t.Errorf("core_read = %#x, want %#x", r0, want)
	}
	want = 5000 + 1000 + 0x60c00 + 7
	if r0 := runProg(t, vm, 0, in.Program("kfuncs"), task); r0 != want {
		t.Errorf("kfuncs = %d, want %d", r0, want)
	}
	if acquired != task || released != task {
		t.Errorf("acquired %#x released %#x, want %#x", acquired, released, task)
	}

	// With scx_bpf_nr_cpu_ids present, its branch runs too.
	reg.AddKfunc(&Kfunc{Name: "scx_bpf_nr_cpu_ids", Fn: func(*Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 8, nil
	}})
	in2, err := vm.Load(obj, LoadOptions{KernelBTF: testKernelBTF(t),
		Kconfig: map[string]any{"LINUX_KERNEL_VERSION": 0x60c00, "CONFIG_SCHED_SMT": false}})
	if err != nil {
		t.Fatal(err)
	}
	want = 5000 + 8 + 0x60c00
	if r0 := runProg(t, vm, 0, in2.Program("kfuncs"), task); r0 != want {
		t.Errorf("kfuncs with nr_cpu_ids = %d, want %d", r0, want)
	}

	// Reaching a poisoned instruction faults with the relocation.
	p := in.Program("core_read")
	forced := *p
	forced.Insns = slices.Clone(p.Insns)
	forced.Insns[6] = Insn{Op: ClassJMP | JmpJA} // skip the field_exists test
	c, _ := vm.NewContext(0)
	c.Engine = testEngine()
	defer c.Close()
	_, err = c.Call(&forced, task)
	if err == nil || !strings.Contains(err.Error(), "CO-RE") || !strings.Contains(err.Error(), "core.bpf.c:41") {
		t.Errorf("poisoned instruction: %v", err)
	}
}

func TestRunMaps(t *testing.T) { onEngines(t, testRunMaps) }

func testRunMaps(t *testing.T) {
	obj := loadTestObject(t, "maps")
	vm := newLoaderVM(t, 2, nil)
	in, err := vm.Load(obj, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...uint64) int32 { return int32(runProg(t, vm, 0, in.Program(name), args...)) }
	for i, want := range []int32{1, 2} {
		if got := run("use_array"); got != want {
			t.Errorf("use_array run %d = %d, want %d", i, got, want)
		}
	}
	if v, _ := in.Map("arr").Lookup(u32b(1)); binary.LittleEndian.Uint64(v) != 2 {
		t.Errorf("arr[1].count = %d", binary.LittleEndian.Uint64(v))
	}
	if got := run("use_hash"); got != 11 {
		t.Errorf("use_hash = %d", got)
	}
	if n := in.Map("hash").Len(); n != 0 {
		t.Errorf("hash has %d entries after use_hash", n)
	}
	if got := run("use_queue"); got != 2 {
		t.Errorf("use_queue = %d", got)
	}
	if in.Map("queue").Len() != 1 || in.Map("stack").Len() != 0 {
		t.Errorf("queue %d, stack %d", in.Map("queue").Len(), in.Map("stack").Len())
	}
	if got := run("use_outer"); got != 3 {
		t.Errorf("use_outer = %d", got)
	}
	if v, _ := in.Map("inner_b").Lookup(u32b(0)); binary.LittleEndian.Uint64(v) != 3 {
		t.Errorf("inner_b[0] = %v", v)
	}
	task, _ := vm.Mem.Alloc(64, 8)
	for _, want := range []int32{1, 2} {
		if got := run("use_task_storage", task); got != want {
			t.Errorf("use_task_storage = %d, want %d", got, want)
		}
	}
	if v, err := in.Map("task_ctxs").Lookup(u64b(task)); err != nil || binary.LittleEndian.Uint64(v) != 2 {
		t.Errorf("task storage of the task: %v, %v", v, err)
	}
	_ = in.Map("arr").Update(u32b(3), append(u64b(40), make([]byte, 8)...), 0)
	if got := run("use_for_each"); got != 42 {
		t.Errorf("use_for_each = %d, want 2 + 40", got)
	}
	pm := in.Map("pcpu_arr").(PerCPUMap)
	_ = pm.UpdatePerCPU(u32b(0), [][]byte{u64b(5), u64b(77)}, 0)
	if got := run("use_percpu"); got != 77 {
		t.Errorf("use_percpu = %d", got)
	}
	vals, _ := pm.LookupPerCPU(u32b(0))
	if binary.LittleEndian.Uint64(vals[0]) != 6 || binary.LittleEndian.Uint64(vals[1]) != 77 {
		t.Errorf("pcpu_arr[0] = %v", vals)
	}
}
