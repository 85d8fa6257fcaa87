package bpfvm

import (
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
)

func loadTestObject(t testing.TB, name string) *Object {
	t.Helper()
	obj, err := LoadObject("testdata/" + name + ".bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func newLoaderVM(t testing.TB, cpus int, reg *Registry) *VM {
	t.Helper()
	vm, err := NewVM(VMConfig{MemSize: 64 << 20, NumCPUs: cpus, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Close() })
	return vm
}

// Offsets of the test kernel's task_struct, which differ from the layout
// core.bpf.c is compiled with (pid 0, vruntime 8, weight 16, gone 20,
// scx 24: {slice 24, dsq_vtime 32}, size 40).
const (
	kWeight    = 0
	kPid       = 4
	kDsqVtime  = 8 // scx at 8, dsq_vtime first
	kSlice     = 16
	kVruntime  = 32
	kTaskSize  = 48
	kDsqLocal  = 1<<63 | 2
	kDsqFlagBI = 1 << 63
)

func testKernelTypes() []btf.Type {
	u64 := &btf.Int{Name: "unsigned long long", Size: 8}
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	s32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	scx := &btf.Struct{Name: "sched_ext_entity", Size: 16, Members: []btf.Member{
		{Name: "dsq_vtime", Type: u64, Offset: 0},
		{Name: "slice", Type: u64, Offset: 64},
	}}
	task := &btf.Struct{Name: "task_struct", Size: kTaskSize, Members: []btf.Member{
		{Name: "weight", Type: u32, Offset: kWeight * 8},
		{Name: "pid", Type: s32, Offset: kPid * 8},
		{Name: "scx", Type: scx, Offset: kDsqVtime * 8},
		{Name: "vruntime", Type: u64, Offset: kVruntime * 8},
		{Name: "pad", Type: u64, Offset: 40 * 8},
	}}
	enum := &btf.Enum{Name: "scx_dsq_id_flags", Size: 8, Values: []btf.EnumValue{
		{Name: "SCX_DSQ_FLAG_BUILTIN", Value: kDsqFlagBI},
		{Name: "SCX_DSQ_LOCAL", Value: kDsqLocal},
	}}
	return []btf.Type{u64, u32, s32, scx, task, enum}
}

func buildSpec(t testing.TB, types []btf.Type) *btf.Spec {
	t.Helper()
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := b.Spec()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func testKernelBTF(t testing.TB) *btf.Spec { return buildSpec(t, testKernelTypes()) }

// ldImm returns the 64-bit immediate of the LD_IMM64 at pc.
func ldImm(p *Program, pc int) uint64 {
	return uint64(uint32(p.Insns[pc].Imm)) | uint64(uint32(p.Insns[pc+1].Imm))<<32
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	t.Log(err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestObjectGlobals(t *testing.T) {
	obj := loadTestObject(t, "globals")
	if obj.License != "GPL" {
		t.Errorf("license %q", obj.License)
	}
	var names []string
	for _, m := range obj.Maps {
		names = append(names, m.Name)
		if m.Section != m.Name || m.Type != MapArray || m.MaxEntries != 1 || m.KeySize != 4 {
			t.Errorf("data map %+v", m)
		}
	}
	if want := []string{".rodata", ".data", ".bss", ".data.cpu_load", ".bss.scratch"}; !slices.Equal(names, want) {
		t.Errorf("maps %q, want %q", names, want)
	}
	if rod := obj.Maps[0]; !rod.ReadOnly || obj.Maps[1].ReadOnly {
		t.Errorf(".rodata read-only %v, .data read-only %v", rod.ReadOnly, obj.Maps[1].ReadOnly)
	}
	if ds, ok := obj.Maps[4].Value.(*btf.Datasec); !ok || ds.Name != ".bss.scratch" {
		t.Errorf(".bss.scratch value type %v", obj.Maps[4].Value)
	}
	wantVars := map[string]GlobalVar{
		"nr_cpus":  {Section: ".rodata", Offset: 0, Size: 4},
		"slice_ns": {Section: ".rodata", Offset: 8, Size: 8},
		"label":    {Section: ".rodata", Offset: 20, Size: 8},
		"counter":  {Section: ".data", Offset: 0, Size: 8},
		"hits":     {Section: ".data", Offset: 8, Size: 12},
		"pair":     {Section: ".bss", Offset: 8, Size: 16},
		"cpu_load": {Section: ".data.cpu_load", Offset: 0, Size: 8},
		"scratch":  {Section: ".bss.scratch", Offset: 0, Size: 4},
	}
	for name, w := range wantVars {
		v, ok := obj.Var(name)
		if !ok {
			t.Errorf("no variable %s", name)
			continue
		}
		if v.Section != w.Section || v.Offset != w.Offset || v.Size != w.Size || obj.Maps[v.Map].Section != w.Section || v.Type == nil {
			t.Errorf("variable %s = %+v, want %+v", name, v, w)
		}
	}
	data := obj.Maps[1].Data
	if binary.LittleEndian.Uint64(data) != 42 || binary.LittleEndian.Uint32(data[12:]) != 8 {
		t.Errorf(".data initial value % x", data)
	}

	if len(obj.Programs) != 2 || obj.Programs[0].Name != "read_globals" || obj.Programs[1].Name != "other_entry" {
		t.Fatalf("programs %v", obj.Programs)
	}
	p := obj.Programs[0]
	var fnames []string
	for _, f := range p.Funcs {
		fnames = append(fnames, f.Name)
		if f.Proto == nil {
			t.Errorf("function %s has no prototype", f.Name)
		}
	}
	if want := []string{"read_globals", "sum_weights", "add_weight"}; !slices.Equal(fnames, want) {
		t.Errorf("functions %q, want %q", fnames, want)
	}
	// Every bpf-to-bpf call lands on the start of a linked function.
	calls := 0
	for pc, in := range p.Insns {
		if in.Op == ClassJMP|JmpCALL && in.Src == CallLocal {
			calls++
			target := pc + 1 + int(in.Imm)
			if !slices.ContainsFunc(p.Funcs, func(f Subprog) bool { return f.Start == target }) {
				t.Errorf("call at %d to %d, not a function start", pc, target)
			}
		}
	}
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
	// Line info: file, line and text.
	l, ok := p.LineFor(0)
	if !ok || !strings.HasSuffix(l.File, "globals.bpf.c") || l.Line != 49 || !strings.Contains(l.Source, "sum_weights(nr_cpus)") {
		t.Errorf("line of insn 0: %+v", l)
	}
	// Map references are object-relative before Load.
	for pc := 0; pc < len(p.Insns); pc++ {
		if in := p.Insns[pc]; in.IsLdImm64() {
			if in.Src != PseudoMapValue || in.Imm < 0 || int(in.Imm) >= len(obj.Maps) {
				t.Errorf("insn %d: %+v", pc, in)
			}
			pc++
		}
	}
}

func TestLoadGlobals(t *testing.T) {
	obj := loadTestObject(t, "globals")
	vm := newLoaderVM(t, 2, nil)
	// A map already in the VM shifts the object's map indices.
	if _, _, err := vm.NewMap(&MapSpec{Name: "pre", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}); err != nil {
		t.Fatal(err)
	}
	in, err := vm.Load(obj, LoadOptions{
		KernelBTF: testKernelBTF(t),
		Params: map[string]any{"nr_cpus": 3, "slice_ns": int64(-7), "verbose": true,
			"weights": []uint8{9, 8}, "label": "abc"},
		DataSizes: map[string]uint32{".data.cpu_load": 16 * 8, ".bss.scratch": 10 * 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.MapIndex[0] != 1 || vm.Maps[1] != in.Maps[0] || len(vm.Maps) != 6 {
		t.Errorf("map indices %v, VM has %d maps", in.MapIndex, len(vm.Maps))
	}
	read := func(name string) []byte {
		t.Helper()
		v, addr, err := in.Var(name)
		if err != nil {
			t.Fatal(err)
		}
		return vm.Mem.MustBytes(addr, uint64(v.Size))
	}
	u64 := func(name string) uint64 { return binary.LittleEndian.Uint64(read(name)) }
	if got := binary.LittleEndian.Uint32(read("nr_cpus")); got != 3 {
		t.Errorf("nr_cpus = %d", got)
	}
	if got := int64(u64("slice_ns")); got != -7 {
		t.Errorf("slice_ns = %d", got)
	}
	if got := read("verbose")[0]; got != 1 {
		t.Errorf("verbose = %d", got)
	}
	if got := read("weights"); !slices.Equal(got, []byte{9, 8, 3, 4}) {
		t.Errorf("weights = %v", got)
	}
	if got := read("label"); string(got) != "abc\x00\x00\x00\x00\x00" {
		t.Errorf("label = %q", got)
	}
	if got := u64("__SCX_DSQ_LOCAL"); got != kDsqLocal {
		t.Errorf("__SCX_DSQ_LOCAL = %#x, want the kernel's %#x", got, uint64(kDsqLocal))
	}
	if got := u64("__SCX_NOT_AN_ENUMERATOR"); got != 0 {
		t.Errorf("__SCX_NOT_AN_ENUMERATOR = %#x", got)
	}
	if got := u64("counter"); got != 42 {
		t.Errorf("counter = %d", got)
	}
	// Resized arrays.
	v, _, _ := in.Var("cpu_load")
	if v.Size != 128 || in.Map(".data.cpu_load").Spec().ValueSize != 128 {
		t.Errorf("cpu_load: %d bytes, section %d", v.Size, in.Map(".data.cpu_load").Spec().ValueSize)
	}
	if arr, ok := v.Type.(*btf.Array); !ok || arr.Nelems != 16 {
		t.Errorf("cpu_load type %v", v.Type)
	}
	if ds := in.Map(".bss.scratch").Spec().Value.(*btf.Datasec); ds.Size != 40 || ds.Vars[0].Size != 40 {
		t.Errorf(".bss.scratch datasec %v", ds)
	}
	if obj.Maps[3].ValueSize != 8 {
		t.Error("Load changed the object's map spec")
	}
	// .rodata is frozen, .data is not.
	zero := make([]byte, 4)
	if err := in.Map(".rodata").Update(zero, make([]byte, 48), 0); !errors.Is(err, ErrFrozen) {
		t.Errorf(".rodata update: %v", err)
	}
	if err := in.Map(".data").Update(zero, make([]byte, 20), 0); err != nil {
		t.Errorf(".data update: %v", err)
	}
	// Instructions now hold VM map indices.
	p := in.Program("read_globals")
	for pc := 0; pc < len(p.Insns); pc++ {
		ins := p.Insns[pc]
		if !ins.IsLdImm64() {
			continue
		}
		objIns := obj.Programs[0].Insns[pc]
		if ins.Src != PseudoMapIdxValue || int(ins.Imm) != in.MapIndex[objIns.Imm] || p.Insns[pc+1].Imm != obj.Programs[0].Insns[pc+1].Imm {
			t.Errorf("insn %d: %+v (object: %+v)", pc, ins, objIns)
		}
		pc++
	}
	if obj.Programs[0].Insns[0].Src != PseudoMapValue {
		t.Error("Load changed the object's instructions")
	}
	if !slices.Contains(vm.Programs, p) {
		t.Error("program not in VM.Programs")
	}
}

func TestLoadGlobalsErrors(t *testing.T) {
	obj := loadTestObject(t, "globals")
	for _, tc := range []struct {
		name string
		opts LoadOptions
		want []string
	}{
		{"unknown param", LoadOptions{Params: map[string]any{"nr_cpu": 1}}, []string{"globals.bpf.o", `"nr_cpu"`}},
		{"negative unsigned", LoadOptions{Params: map[string]any{"nr_cpus": -1}}, []string{"nr_cpus", "negative"}},
		{"too large", LoadOptions{Params: map[string]any{"nr_cpus": uint64(1) << 32}}, []string{"nr_cpus", "does not fit"}},
		{"signed range", LoadOptions{Params: map[string]any{"weights": []int{256}}}, []string{"weights", "element 0"}},
		{"bool", LoadOptions{Params: map[string]any{"verbose": 1}}, []string{"verbose", "bool"}},
		{"string", LoadOptions{Params: map[string]any{"label": "12345678"}}, []string{"label", "NUL"}},
		{"too many", LoadOptions{Params: map[string]any{"weights": []int{1, 2, 3, 4, 5}}}, []string{"weights", "5 elements"}},
		{"not a number", LoadOptions{Params: map[string]any{"slice_ns": "5"}}, []string{"slice_ns", "integer"}},
		{"resize multiple", LoadOptions{DataSizes: map[string]uint32{".data.cpu_load": 12}}, []string{".data.cpu_load", "multiple"}},
		{"resize non-array", LoadOptions{DataSizes: map[string]uint32{".rodata": 64}}, []string{".rodata", "__SCX_NOT_AN_ENUMERATOR", "not an array"}},
		{"resize unknown", LoadOptions{DataSizes: map[string]uint32{".data.nope": 8}}, []string{".data.nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := newLoaderVM(t, 1, nil)
			_, err := vm.Load(obj, tc.opts)
			wantErr(t, err, tc.want...)
			if len(vm.Maps) != 0 || len(vm.Programs) != 0 {
				t.Errorf("failed Load left %d maps and %d programs", len(vm.Maps), len(vm.Programs))
			}
		})
	}
}

func TestLoadCORE(t *testing.T) {
	obj := loadTestObject(t, "core")
	reg := NewRegistry()
	for _, n := range []string{"bpf_task_acquire", "bpf_task_release", "scx_bpf_now"} {
		reg.AddKfunc(&Kfunc{Name: n})
	}
	vm := newLoaderVM(t, 1, reg)
	in, err := vm.Load(obj, LoadOptions{KernelBTF: testKernelBTF(t),
		Kconfig: map[string]any{"LINUX_KERNEL_VERSION": 0x60c00, "CONFIG_SCHED_SMT": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	p, op := in.Program("core_read"), obj.Program("core_read")
	// Field offsets were relocated to the kernel's layout.
	for _, c := range []struct {
		pc            int
		local, kernel int16
	}{{0, 8, kVruntime}, {1, 32, kDsqVtime}, {3, 16, kWeight}} {
		if op.Insns[c.pc].Off != c.local || p.Insns[c.pc].Off != c.kernel {
			t.Errorf("insn %d: offset %d -> %d, want %d -> %d", c.pc, op.Insns[c.pc].Off, p.Insns[c.pc].Off, c.local, c.kernel)
		}
	}
	// bpf_core_field_exists(p->gone): 1 -> 0.
	if op.Insns[5].Imm != 1 || p.Insns[5].Imm != 0 {
		t.Errorf("field_exists: %d -> %d", op.Insns[5].Imm, p.Insns[5].Imm)
	}
	// p->gone is poisoned: a call to a placeholder kfunc that faults.
	if in := p.Insns[7]; in.Op != ClassJMP|JmpCALL || in.Src != CallKfunc {
		t.Errorf("poisoned insn 7 = %+v", in)
	} else if k := reg.Kfunc(in.Imm); k == nil || k.Flags&KfPoison == 0 {
		t.Errorf("poison kfunc %+v", k)
	} else if _, err := k.Fn(nil, 0, 0, 0, 0, 0); err == nil || !strings.Contains(err.Error(), "task_struct") {
		t.Errorf("poison kfunc error %v", err)
	}
	// bpf_core_type_size and bpf_core_enum_value.
	if p.Insns[9].Imm != kTaskSize {
		t.Errorf("type size %d, want %d", p.Insns[9].Imm, kTaskSize)
	}
	if got := ldImm(p, 11); ldImm(op, 11) != 2 || got != kDsqLocal {
		t.Errorf("enum value %#x", got)
	}

	// kfuncs: ids, bpf_ksym_exists, unavailable weak kfunc, kconfig.
	k := in.Program("kfuncs")
	acq, _ := reg.KfuncByName("bpf_task_acquire")
	rel, _ := reg.KfuncByName("bpf_task_release")
	if k.Insns[0].Imm != acq || k.Insns[3].Imm != rel {
		t.Errorf("kfunc ids %d %d, want %d %d", k.Insns[0].Imm, k.Insns[3].Imm, acq, rel)
	}
	if k.Insns[5].Src != PseudoBTFID || ldImm(k, 5) == 0 {
		t.Errorf("bpf_ksym_exists(scx_bpf_now) = %#x", ldImm(k, 5))
	}
	if ldImm(k, 10) != 0 {
		t.Errorf("bpf_ksym_exists(scx_bpf_nr_cpu_ids) = %#x, want 0", ldImm(k, 10))
	}
	if pk := reg.Kfunc(k.Insns[13].Imm); pk == nil || pk.Flags&KfPoison == 0 {
		t.Errorf("call to missing weak kfunc: %+v", pk)
	} else if _, err := pk.Fn(nil, 0, 0, 0, 0, 0); err == nil || err.Error() != "call to unavailable kfunc scx_bpf_nr_cpu_ids" {
		t.Errorf("missing weak kfunc fault: %v", err)
	}
	if ldImm(k, 16) != 0 {
		t.Errorf("&bpf_some_ksym_var = %#x, want 0", ldImm(k, 16))
	}
	kc := in.Map(".kconfig")
	for pc, off := range map[int]int32{20: 0, 24: 4} { // LINUX_KERNEL_VERSION, CONFIG_SCHED_SMT
		if k.Insns[pc].Src != PseudoMapIdxValue || int(k.Insns[pc].Imm) != in.MapIndex[0] || k.Insns[pc+1].Imm != off {
			t.Errorf("kconfig load at %d: %+v %+v, want offset %d", pc, k.Insns[pc], k.Insns[pc+1], off)
		}
	}
	if v, _ := kc.Lookup(make([]byte, 4)); !slices.Equal(v, []byte{0x00, 0x0c, 0x06, 0, 1}) {
		t.Errorf(".kconfig = % x", v)
	}
}

func TestLoadCOREErrors(t *testing.T) {
	obj := loadTestObject(t, "core")
	full := NewRegistry()
	for _, n := range []string{"bpf_task_acquire", "bpf_task_release"} {
		full.AddKfunc(&Kfunc{Name: n})
	}
	kc := map[string]any{"LINUX_KERNEL_VERSION": 1, "CONFIG_SCHED_SMT": false}
	// Two kernel task_structs that disagree: an ambiguous relocation.
	types := testKernelTypes()
	other := *types[4].(*btf.Struct)
	other.Members = slices.Clone(other.Members)
	other.Members[3].Offset, other.Members[4].Offset = 40*8, 32*8 // vruntime and pad swapped
	types = append(types, &other)
	for _, tc := range []struct {
		name string
		reg  *Registry
		opts LoadOptions
		want []string
	}{
		{"no kernel BTF", full, LoadOptions{Kconfig: kc}, []string{"core.bpf.o", "core_read+0", "core.bpf.c:38", "KernelBTF"}},
		{"ambiguous", full, LoadOptions{KernelBTF: buildSpec(t, types), Kconfig: kc}, []string{"core_read+", "core.bpf.c:", "task_struct"}},
		{"missing kfunc", NewRegistry(), LoadOptions{KernelBTF: testKernelBTF(t), Kconfig: kc}, []string{"kfuncs+0", "core.bpf.c:50", "bpf_task_acquire"}},
		{"missing kconfig", full, LoadOptions{KernelBTF: testKernelBTF(t)}, []string{"LINUX_KERNEL_VERSION"}},
		{"bad kconfig", full, LoadOptions{KernelBTF: testKernelBTF(t), Kconfig: map[string]any{"LINUX_KERNEL_VERSION": 1, "CONFIG_SCHED_SMT": "m"}}, []string{"CONFIG_SCHED_SMT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm := newLoaderVM(t, 1, tc.reg)
			_, err := vm.Load(obj, tc.opts)
			wantErr(t, err, tc.want...)
		})
	}
}

func TestLoadStructOps(t *testing.T) {
	obj := loadTestObject(t, "structops")
	if len(obj.StructOps) != 2 {
		t.Fatalf("%d struct_ops maps", len(obj.StructOps))
	}
	so := obj.StructOpsMap("test_ops")
	if so == nil || so.TypeName != "sched_ext_ops" || so.Section != ".struct_ops.link" || so.Type == nil {
		t.Fatalf("test_ops = %+v", so)
	}
	for name, want := range map[string]uint64{"flags": 4, "timeout_ms": 5000, "dispatch_max_batch": 8, "exit_dump_len": 0} {
		if got, err := so.Uint(name); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", name, got, err, want)
		}
	}
	if s, err := so.String("name"); err != nil || s != "test" {
		t.Errorf("name = %q, %v", s, err)
	}
	if _, err := so.Uint("name"); err == nil {
		t.Error("Uint of a char array")
	}
	if _, err := so.Uint("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown member: %v", err)
	}
	want := []StructOpsFunc{{"select_cpu", 0, "test_select_cpu"}, {"enqueue", 8, "test_enqueue"}, {"init", 24, "test_init"}}
	if !slices.Equal(so.Funcs, want) {
		t.Errorf("funcs %+v, want %+v", so.Funcs, want)
	}
	legacy := obj.StructOpsMap("legacy_ops")
	if legacy == nil || legacy.Section != ".struct_ops" || !slices.Equal(legacy.Funcs, []StructOpsFunc{{"enqueue", 8, "test_enqueue"}}) {
		t.Errorf("legacy_ops = %+v", legacy)
	}
	if s, _ := legacy.String("name"); s != "legacy" {
		t.Errorf("legacy name %q", s)
	}
	for name, member := range map[string]string{"test_select_cpu": "select_cpu", "test_enqueue": "enqueue", "test_init": "init"} {
		p := obj.Program(name)
		if p == nil || p.StructOpsMember != member || p.Sleepable != (name == "test_init") {
			t.Errorf("program %s: %+v", name, p)
		}
	}
	vm := newLoaderVM(t, 1, nil)
	in, err := vm.Load(obj, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := in.StructOpsProgram(so, "enqueue")
	if p == nil || p == obj.Program("test_enqueue") || p.Name != "test_enqueue" || len(p.Funcs) != 2 {
		t.Errorf("enqueue program %+v", p)
	}
	if in.StructOpsProgram(so, "dispatch") != nil {
		t.Error("dispatch is not set")
	}
}

func TestLoadMapsObject(t *testing.T) {
	obj := loadTestObject(t, "maps")
	vm := newLoaderVM(t, 2, nil)
	in, err := vm.Load(obj, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]MapType{"arr": MapArray, "pcpu_arr": MapPercpuArray, "hash": MapHash, "pcpu_hash": MapPercpuHash,
		"lru": MapLRUHash, "lru_pcpu": MapLRUPercpuHash, "queue": MapQueue, "stack": MapStack, "outer": MapArrayOfMaps,
		"task_ctxs": MapTaskStorage, "timers": MapArray, "htimers": MapHash, "inner_a": MapArray, "inner_b": MapArray}
	if len(in.Maps) != len(types) {
		t.Errorf("%d maps, want %d", len(in.Maps), len(types))
	}
	for name, typ := range types {
		m := in.Map(name)
		if m == nil || m.Spec().Type != typ {
			t.Errorf("map %s: %v", name, m)
			continue
		}
		if vm.MapAt(m.Addr()) != m {
			t.Errorf("MapAt(%s.Addr()) is not %s", name, name)
		}
	}
	if _, ok := in.Map("pcpu_hash").(PerCPUMap); !ok {
		t.Error("pcpu_hash is not a PerCPUMap")
	}
	if _, ok := in.Map("hash").(PerCPUMap); ok {
		t.Error("hash is a PerCPUMap")
	}
	if _, ok := in.Map("stack").(QueueMap); !ok {
		t.Error("stack is not a QueueMap")
	}
	// outer's .values: slot 0 = inner_a, slot 2 = inner_b.
	outer := in.Map("outer")
	var slots []uint32
	outer.Iterate(func(k, v []byte) bool {
		slots = append(slots, binary.LittleEndian.Uint32(k))
		inner := vm.Maps[binary.LittleEndian.Uint32(v)]
		if want := map[uint32]string{0: "inner_a", 2: "inner_b"}[binary.LittleEndian.Uint32(k)]; inner.Spec().Name != want {
			t.Errorf("slot %d holds %s, want %s", binary.LittleEndian.Uint32(k), inner.Spec().Name, want)
		}
		return true
	})
	if !slices.Equal(slots, []uint32{0, 2}) {
		t.Errorf("outer slots %v", slots)
	}
	timer := in.Map("timers").(*arrayMap)
	if !slices.Equal(timer.timers, []uint32{0}) || len(timer.special) != 1 {
		t.Errorf("timers value: special %v, timers %v", timer.special, timer.timers)
	}
}

func TestLoadObjectErrors(t *testing.T) {
	if _, err := LoadObject("testdata/nonexistent.bpf.o"); err == nil {
		t.Error("no error for a missing file")
	}
	raw, err := os.ReadFile("testdata/globals.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadObjectReader(strings.NewReader(string(raw[:len(raw)/2])), "half.o")
	wantErr(t, err, "half.o")
	_, err = LoadObjectReader(strings.NewReader("not an ELF file at all"), "junk.o")
	wantErr(t, err, "junk.o")
}
