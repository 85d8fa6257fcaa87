package policies

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/sim"
)

// The simulated kernel's BTF.
//
// The structures a policy shares with the simulator (task_struct,
// sched_ext_entity, cpumask) are derived by reflection from their Go
// definitions in package sim, so that the BTF, the C header and the bytes the
// simulator reads and writes cannot disagree. Everything else (sched_ext_ops,
// the callback argument structs, the BPF uapi types and enums, the kfunc
// prototypes) is declared below with the kernel's names, member order and
// values; its layout is computed with C's natural alignment, as clang does
// for the BPF target.

// The callback argument structs the simulator writes into a policy's memory,
// with a fixed layout (their BTF is derived from these definitions, like
// task_struct's). A bridge may place them in a VM's linear memory and hand
// their address to the program.

// ScxInitTaskArgs is struct scx_init_task_args (ops.init_task).
type ScxInitTaskArgs struct {
	Fork   uint8 `btf:"fork" ctype:"bool"`
	_      [7]uint8
	Cgroup uint64 `btf:"cgroup" ctype:"struct cgroup *"` // NULL: no cgroups simulated
}

// ScxExitTaskArgs is struct scx_exit_task_args (ops.exit_task).
type ScxExitTaskArgs struct {
	Cancelled uint8 `btf:"cancelled" ctype:"bool"`
}

// ScxExitInfo is struct scx_exit_info (ops.exit). Pointer fields hold
// addresses of NUL-terminated strings (or 0).
type ScxExitInfo struct {
	Kind     int32 `btf:"kind" ctype:"enum scx_exit_kind"`
	_        uint32
	ExitCode int64  `btf:"exit_code"`
	Reason   uint64 `btf:"reason" ctype:"const char *"`
	Bt       uint64 `btf:"bt" ctype:"unsigned long *"`
	BtLen    uint32 `btf:"bt_len"`
	_        uint32
	Msg      uint64 `btf:"msg" ctype:"char *"`
	Dump     uint64 `btf:"dump" ctype:"char *"`
}

// ScxCPUAcquireArgs is struct scx_cpu_acquire_args (empty, as in the kernel).
type ScxCPUAcquireArgs struct{}

// ScxCPUReleaseArgs is struct scx_cpu_release_args (ops.cpu_release).
type ScxCPUReleaseArgs struct {
	Reason int32 `btf:"reason" ctype:"enum scx_cpu_preempt_reason"`
	_      uint32
	Task   uint64 `btf:"task" ctype:"struct task_struct *"`
}

// ScxDumpCtx is struct scx_dump_ctx (ops.dump*; the simulator does not dump).
type ScxDumpCtx struct {
	Kind      int32 `btf:"kind" ctype:"enum scx_exit_kind"`
	_         uint32
	ExitCode  int64  `btf:"exit_code"`
	Reason    uint64 `btf:"reason" ctype:"const char *"`
	AtNs      uint64 `btf:"at_ns"`
	AtJiffies uint64 `btf:"at_jiffies"`
}

// goKernelStructs lists the Go types whose layout is the kernel struct's, in
// definition order (a struct's by-value members come first).
var goKernelStructs = []struct {
	name string
	typ  reflect.Type
}{
	{"cpumask", reflect.TypeFor[sim.CPUMask]()},
	{"sched_ext_entity", reflect.TypeFor[sim.SchedExtEntity]()},
	{"sched_avg", reflect.TypeFor[sim.SchedAvg]()},
	{"sched_entity", reflect.TypeFor[sim.SchedEntity]()},
	{"task_struct", reflect.TypeFor[sim.TaskStruct]()},
	{"scx_init_task_args", reflect.TypeFor[ScxInitTaskArgs]()},
	{"scx_exit_task_args", reflect.TypeFor[ScxExitTaskArgs]()},
	{"scx_exit_info", reflect.TypeFor[ScxExitInfo]()},
	{"scx_cpu_acquire_args", reflect.TypeFor[ScxCPUAcquireArgs]()},
	{"scx_cpu_release_args", reflect.TypeFor[ScxCPUReleaseArgs]()},
	{"scx_dump_ctx", reflect.TypeFor[ScxDumpCtx]()},
}

// SchedExtOpsMembers are the members of struct sched_ext_ops, in the
// kernel's order (Linux 6.12-6.15 kernel/sched/ext.c). The first
// SchedExtOpsCallbacks are function pointers (8 bytes each, offset 8*i).
var SchedExtOpsMembers = []string{
	"select_cpu", "enqueue", "dequeue", "dispatch", "tick", "runnable",
	"running", "stopping", "quiescent", "yield", "core_sched_before",
	"set_weight", "set_cpumask", "update_idle", "cpu_acquire", "cpu_release",
	"init_task", "exit_task", "enable", "disable", "dump", "dump_cpu",
	"dump_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move",
	"cgroup_move", "cgroup_cancel_move", "cgroup_set_weight", "cpu_online",
	"cpu_offline", "init", "exit",
	"dispatch_max_batch", "flags", "timeout_ms", "exit_dump_len",
	"hotplug_seq", "name",
}

// SchedExtOpsCallbacks is the number of function-pointer members at the
// start of struct sched_ext_ops.
const SchedExtOpsCallbacks = 33

var kernelBTF struct {
	once sync.Once
	spec *btf.Spec
	err  error
}

// KernelBTF returns the simulated kernel's BTF: the spec a policy's CO-RE
// relocations, struct_ops map and kfunc calls are resolved against. It is
// built once; the returned Spec is shared and must not be modified (Copy it
// first).
func KernelBTF() (*btf.Spec, error) {
	kernelBTF.once.Do(func() {
		kernelBTF.spec, kernelBTF.err = buildKernelBTF()
	})
	return kernelBTF.spec, kernelBTF.err
}

// KernelBTFRaw returns the simulated kernel's BTF in wire format
// (little-endian), as /sys/kernel/btf/vmlinux would hold it.
func KernelBTFRaw() ([]byte, error) {
	types, err := kernelTypes()
	if err != nil {
		return nil, err
	}
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		return nil, fmt.Errorf("policies: kernel BTF: %w", err)
	}
	raw, err := b.Marshal(nil, &btf.MarshalOptions{Order: binary.LittleEndian})
	if err != nil {
		return nil, fmt.Errorf("policies: kernel BTF: %w", err)
	}
	return raw, nil
}

func buildKernelBTF() (*btf.Spec, error) {
	raw, err := KernelBTFRaw()
	if err != nil {
		return nil, err
	}
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("policies: kernel BTF: %w", err)
	}
	return spec, nil
}

// KernelTypes returns the simulated kernel's top-level types (named structs,
// enums, typedefs, integer types and the kfuncs as btf.Func), freshly built:
// the caller may modify them. It returns nil if the definitions are
// inconsistent, which KernelBTF reports as an error (and the tests catch).
func KernelTypes() []btf.Type {
	types, err := kernelTypes()
	if err != nil {
		return nil
	}
	return types
}

// KernelBTFTypeByName returns the kernel type with the given name: "u32",
// "cpumask_t", or with a kind for structs, unions and enums ("struct
// task_struct", "enum scx_dsq_id_flags"; a bare name is looked up among all
// kinds and must be unique), or a kfunc's btf.Func.
func KernelBTFTypeByName(name string) (btf.Type, error) {
	spec, err := KernelBTF()
	if err != nil {
		return nil, err
	}
	kind, bare, hasKind := strings.Cut(name, " ")
	if !hasKind || (kind != "struct" && kind != "union" && kind != "enum") {
		return spec.AnyTypeByName(name)
	}
	ts, err := spec.AnyTypesByName(bare)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		switch t.(type) {
		case *btf.Struct:
			if kind == "struct" {
				return t, nil
			}
		case *btf.Union:
			if kind == "union" {
				return t, nil
			}
		case *btf.Enum:
			if kind == "enum" {
				return t, nil
			}
		}
	}
	return nil, fmt.Errorf("policies: kernel BTF: %s: %w", name, btf.ErrNotFound)
}

// KfuncProto returns the prototype of the kfunc name in the simulated
// kernel's BTF. Parameter names carry the kernel's verifier suffixes
// (data__sz, meta__ign, local_type_id__k, p__alloc).
func KfuncProto(name string) (*btf.FuncProto, error) {
	spec, err := KernelBTF()
	if err != nil {
		return nil, err
	}
	var fn *btf.Func
	if err := spec.TypeByName(name, &fn); err != nil {
		return nil, fmt.Errorf("policies: kfunc %s: %w", name, err)
	}
	proto, ok := fn.Type.(*btf.FuncProto)
	if !ok {
		return nil, fmt.Errorf("policies: kfunc %s: type %v is not a prototype", name, fn.Type)
	}
	return proto, nil
}

// KernelFieldOffset returns the byte offset of member field of the kernel
// struct name ("scx_exit_info", "sched_ext_ops", ...).
func KernelFieldOffset(name, field string) (uint32, error) {
	t, err := KernelBTFTypeByName("struct " + name)
	if err != nil {
		return 0, err
	}
	for _, m := range t.(*btf.Struct).Members {
		if m.Name == field {
			return m.Offset.Bytes(), nil
		}
	}
	return 0, fmt.Errorf("policies: struct %s has no member %s: %w", name, field, btf.ErrNotFound)
}

// KernelSizeof returns the size in bytes of the named kernel type (as
// KernelBTFTypeByName names it).
func KernelSizeof(name string) (uint32, error) {
	t, err := KernelBTFTypeByName(name)
	if err != nil {
		return 0, err
	}
	n, err := btf.Sizeof(t)
	if err != nil {
		return 0, fmt.Errorf("policies: sizeof %s: %w", name, err)
	}
	return uint32(n), nil
}

// Kfuncs lists the kfuncs the simulated kernel's BTF declares, in the order
// they are declared (the same set policies/include/scx/common.bpf.h
// declares).
func Kfuncs() []string {
	types, err := kernelTypes()
	if err != nil {
		return nil
	}
	var names []string
	for _, t := range types {
		if fn, ok := t.(*btf.Func); ok {
			names = append(names, fn.Name)
		}
	}
	return names
}

// ktypes builds the kernel's types. byName is only looked up, never
// iterated: the order of the types is that of roots.
type ktypes struct {
	byName  map[string]btf.Type // "u32", "cpumask_t", "struct cpumask", "enum scx_exit_kind"
	derived map[string]btf.Type // pointer, const and array types by spelling
	roots   []btf.Type
	err     error
}

func kernelTypes() ([]btf.Type, error) {
	k := &ktypes{byName: map[string]btf.Type{}, derived: map[string]btf.Type{}}
	k.build()
	if k.err != nil {
		return nil, k.err
	}
	return k.roots, nil
}

func (k *ktypes) fail(format string, args ...any) {
	if k.err == nil {
		k.err = fmt.Errorf("policies: kernel BTF: "+format, args...)
	}
}

// define registers a named type as a root.
func (k *ktypes) define(key string, t btf.Type) btf.Type {
	if _, dup := k.byName[key]; dup {
		k.fail("%s defined twice", key)
	}
	k.byName[key] = t
	k.roots = append(k.roots, t)
	return t
}

func (k *ktypes) lookup(key string) btf.Type {
	if key == "void" {
		return &btf.Void{}
	}
	t, ok := k.byName[key]
	if !ok {
		k.fail("unknown type %q", key)
		return &btf.Void{}
	}
	return t
}

func (k *ktypes) integer(name string, size uint32, enc btf.IntEncoding) {
	k.define(name, &btf.Int{Name: name, Size: size, Encoding: enc})
}

func (k *ktypes) typedef(name, target string) {
	t, _ := k.decl(target)
	k.define(name, &btf.Typedef{Name: name, Type: t})
}

// decl parses a C declaration of the simple forms the kernel types need:
// "[const] BASE [*...] [NAME[N]]" where BASE is a known type name or
// "struct|union|enum TAG". It returns the type and the declared name ("" if
// none).
func (k *ktypes) decl(s string) (btf.Type, string) {
	toks := strings.Fields(strings.ReplaceAll(s, "*", " * "))
	if len(toks) == 0 {
		k.fail("empty declaration")
		return &btf.Void{}, ""
	}
	isConst := toks[0] == "const"
	if isConst {
		toks = toks[1:]
	}
	var base string
	switch {
	case len(toks) >= 2 && (toks[0] == "struct" || toks[0] == "union" || toks[0] == "enum"):
		base, toks = toks[0]+" "+toks[1], toks[2:]
	default:
		n := 0
		for n < len(toks) && toks[n] != "*" {
			n++
		}
		if n == len(toks) && n > 1 {
			if _, known := k.byName[strings.Join(toks, " ")]; !known {
				n-- // the last word is the declared name
			}
		}
		base, toks = strings.Join(toks[:n], " "), toks[n:]
	}
	t := k.lookup(base)
	spelling := base
	if isConst {
		spelling = "const " + base
		t = k.derive(spelling, func() btf.Type { return &btf.Const{Type: k.lookup(base)} })
	}
	for len(toks) > 0 && toks[0] == "*" {
		target := t
		spelling += " *"
		t = k.derive(spelling, func() btf.Type { return &btf.Pointer{Target: target} })
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return t, ""
	}
	if len(toks) > 1 {
		k.fail("cannot parse declaration %q", s)
		return t, ""
	}
	name := toks[0]
	if i := strings.IndexByte(name, '['); i >= 0 {
		n, err := strconv.ParseUint(strings.TrimSuffix(name[i+1:], "]"), 10, 32)
		if err != nil || !strings.HasSuffix(name, "]") {
			k.fail("cannot parse array declaration %q", s)
			return t, ""
		}
		t = k.array(spelling, t, uint32(n))
		name = name[:i]
	}
	return t, name
}

func (k *ktypes) derive(spelling string, mk func() btf.Type) btf.Type {
	if t, ok := k.derived[spelling]; ok {
		return t
	}
	t := mk()
	k.derived[spelling] = t
	return t
}

func (k *ktypes) array(elemSpelling string, elem btf.Type, n uint32) btf.Type {
	return k.derive(fmt.Sprintf("%s[%d]", elemSpelling, n), func() btf.Type {
		return &btf.Array{Index: k.lookup("__ARRAY_SIZE_TYPE__"), Type: elem, Nelems: n}
	})
}

// field is a struct member before layout.
type field struct {
	name string
	typ  btf.Type
}

func (k *ktypes) f(decl string) field {
	t, name := k.decl(decl)
	if name == "" {
		k.fail("member %q has no name", decl)
	}
	return field{name, t}
}

// fp is a function-pointer member.
func (k *ktypes) fp(name, ret string, params ...string) field {
	return field{name, &btf.Pointer{Target: k.proto(ret, params...)}}
}

func (k *ktypes) proto(ret string, params ...string) *btf.FuncProto {
	rt, _ := k.decl(ret)
	return &btf.FuncProto{Return: rt, Params: k.params(params...)}
}

func (k *ktypes) params(decls ...string) []btf.FuncParam {
	ps := make([]btf.FuncParam, 0, len(decls))
	for _, d := range decls {
		t, name := k.decl(d)
		ps = append(ps, btf.FuncParam{Name: name, Type: t})
	}
	return ps
}

// cstruct defines struct name with the members laid out as C lays them out
// (natural alignment, no packing).
func (k *ktypes) cstruct(name string, fields ...field) *btf.Struct {
	st := &btf.Struct{Name: name}
	k.layout(st, fields...)
	k.define("struct "+name, st)
	return st
}

// declare defines struct name, empty, for self-referencing structs whose
// members layout fills in later.
func (k *ktypes) declare(name string) *btf.Struct {
	st := &btf.Struct{Name: name}
	k.define("struct "+name, st)
	return st
}

// layout lays out fields in st as C does.
func (k *ktypes) layout(st *btf.Struct, fields ...field) {
	name := st.Name
	var off, align uint32 = 0, 1
	for _, f := range fields {
		sz, err := btf.Sizeof(f.typ)
		if err != nil {
			k.fail("struct %s: %s: %v", name, f.name, err)
			return
		}
		a, err := alignOf(f.typ)
		if err != nil {
			k.fail("struct %s: %s: %v", name, f.name, err)
			return
		}
		off = alignUp(off, a)
		align = max(align, a)
		st.Members = append(st.Members, btf.Member{Name: f.name, Type: f.typ, Offset: btf.Bits(off * 8)})
		off += uint32(sz)
	}
	st.Size = alignUp(off, align)
}

// opaque declares struct name without a definition (a forward declaration:
// policies only hold pointers to it).
func (k *ktypes) opaque(name string) {
	k.define("struct "+name, &btf.Fwd{Name: name, Kind: btf.FwdStruct})
}

// enum defines an enum (anonymous if name is ""). Its size is 4 unless a
// value needs 8 bytes, as clang chooses (an 8-byte enum is BTF ENUM64).
func (k *ktypes) enum(name string, signed bool, vals ...btf.EnumValue) {
	var size uint32 = 4
	for _, v := range vals {
		if signed && (int64(v.Value) < math.MinInt32 || int64(v.Value) > math.MaxInt32) ||
			!signed && v.Value > math.MaxUint32 {
			size = 8
		}
	}
	e := &btf.Enum{Name: name, Size: size, Signed: signed, Values: vals}
	if name == "" {
		k.roots = append(k.roots, e)
		return
	}
	k.define("enum "+name, e)
}

type ev = btf.EnumValue

// kfunc declares a kernel function "RET NAME" with its parameters.
func (k *ktypes) kfunc(retName string, params ...string) {
	rt, name := k.decl(retName)
	k.kfuncProto(name, &btf.FuncProto{Return: rt, Params: k.params(params...)})
}

func (k *ktypes) kfuncProto(name string, proto *btf.FuncProto) {
	if name == "" {
		k.fail("kfunc without a name")
		return
	}
	k.define("func "+name, &btf.Func{Name: name, Type: proto, Linkage: btf.GlobalFunc})
}

// goStruct defines struct name from the Go type rt: members from the fields'
// btf tags at the Go offsets, types from the Go kinds or the ctype tags.
func (k *ktypes) goStruct(name string, rt reflect.Type) {
	st := &btf.Struct{Name: name, Size: uint32(rt.Size())}
	if d, ok := k.byName["struct "+name].(*btf.Struct); ok && len(d.Members) == 0 {
		st = d // declared earlier (self-referencing)
		st.Size = uint32(rt.Size())
	}
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Name == "_" {
			continue
		}
		bname := f.Tag.Get("btf")
		if bname == "" {
			k.fail("%s.%s has no btf tag", rt.Name(), f.Name)
			continue
		}
		t := k.goType(f.Type, f.Tag.Get("ctype"))
		if t == nil {
			k.fail("%s.%s: no C type for Go type %v", rt.Name(), f.Name, f.Type)
			continue
		}
		if sz, err := btf.Sizeof(t); err != nil || uintptr(sz) != f.Type.Size() {
			k.fail("%s.%s: C type %v has size %d (%v), Go field has %d", rt.Name(), f.Name, t, sz, err, f.Type.Size())
			continue
		}
		st.Members = append(st.Members, btf.Member{Name: bname, Type: t, Offset: btf.Bits(f.Offset * 8)})
	}
	if k.byName["struct "+name] != st {
		k.define("struct "+name, st)
	}
}

func (k *ktypes) goType(gt reflect.Type, ctype string) btf.Type {
	if gt.Kind() == reflect.Array {
		elem := k.goType(gt.Elem(), ctype)
		if elem == nil {
			return nil
		}
		return &btf.Array{Index: k.lookup("__ARRAY_SIZE_TYPE__"), Type: elem, Nelems: uint32(gt.Len())}
	}
	if ctype != "" {
		t, name := k.decl(ctype)
		if name != "" {
			k.fail("ctype %q declares a name", ctype)
		}
		return t
	}
	switch gt.Kind() {
	case reflect.Uint8:
		return k.lookup("u8")
	case reflect.Int8:
		return k.lookup("s8")
	case reflect.Uint16:
		return k.lookup("u16")
	case reflect.Int16:
		return k.lookup("s16")
	case reflect.Uint32:
		return k.lookup("u32")
	case reflect.Int32:
		return k.lookup("s32")
	case reflect.Uint64:
		return k.lookup("u64")
	case reflect.Int64:
		return k.lookup("s64")
	case reflect.Bool:
		return k.lookup("bool")
	case reflect.Struct:
		for _, s := range goKernelStructs {
			if s.typ == gt {
				return k.lookup("struct " + s.name)
			}
		}
	}
	return nil
}

func alignUp(x, a uint32) uint32 { return (x + a - 1) &^ (a - 1) }

// alignOf is a type's natural alignment on the BPF target (as on x86-64).
func alignOf(t btf.Type) (uint32, error) {
	switch t := t.(type) {
	case *btf.Int:
		return t.Size, nil
	case *btf.Enum:
		return t.Size, nil
	case *btf.Pointer:
		return 8, nil
	case *btf.Array:
		return alignOf(t.Type)
	case *btf.Typedef:
		return alignOf(t.Type)
	case *btf.Const:
		return alignOf(t.Type)
	case *btf.Volatile:
		return alignOf(t.Type)
	case *btf.Struct:
		return membersAlign(t.Members)
	case *btf.Union:
		return membersAlign(t.Members)
	}
	return 0, fmt.Errorf("no alignment for %v", t)
}

func membersAlign(ms []btf.Member) (uint32, error) {
	var a uint32 = 1
	for _, m := range ms {
		ma, err := alignOf(m.Type)
		if err != nil {
			return 0, err
		}
		a = max(a, ma)
	}
	return a, nil
}

// build declares every kernel type, in the order the header presents them.
func (k *ktypes) build() {
	// Integer types, as the kernel's BTF names them in C spelling.
	k.integer("char", 1, btf.Signed)
	k.integer("signed char", 1, btf.Signed)
	k.integer("unsigned char", 1, btf.Unsigned)
	k.integer("short", 2, btf.Signed)
	k.integer("unsigned short", 2, btf.Unsigned)
	k.integer("int", 4, btf.Signed)
	k.integer("unsigned int", 4, btf.Unsigned)
	k.integer("long", 8, btf.Signed)
	k.integer("unsigned long", 8, btf.Unsigned)
	k.integer("long long", 8, btf.Signed)
	k.integer("unsigned long long", 8, btf.Unsigned)
	k.integer("_Bool", 1, btf.Bool)
	k.integer("__ARRAY_SIZE_TYPE__", 4, btf.Unsigned)

	for _, td := range [][2]string{
		{"__s8", "signed char"}, {"__u8", "unsigned char"},
		{"__s16", "short"}, {"__u16", "unsigned short"},
		{"__s32", "int"}, {"__u32", "unsigned int"},
		{"__s64", "long long"}, {"__u64", "unsigned long long"},
		{"s8", "__s8"}, {"u8", "__u8"}, {"s16", "__s16"}, {"u16", "__u16"},
		{"s32", "__s32"}, {"u32", "__u32"}, {"s64", "__s64"}, {"u64", "__u64"},
		{"__be16", "__u16"}, {"__be32", "__u32"}, {"__be64", "__u64"},
		{"__le16", "__u16"}, {"__le32", "__u32"}, {"__le64", "__u64"},
		{"__wsum", "__u32"}, {"__sum16", "__u16"},
		{"bool", "_Bool"},
		{"__kernel_long_t", "long"}, {"__kernel_ulong_t", "unsigned long"},
		{"__kernel_size_t", "__kernel_ulong_t"}, {"__kernel_ssize_t", "__kernel_long_t"},
		{"size_t", "__kernel_size_t"}, {"ssize_t", "__kernel_ssize_t"},
		{"__kernel_pid_t", "int"}, {"pid_t", "__kernel_pid_t"},
		{"uintptr_t", "unsigned long"},
	} {
		k.typedef(td[0], td[1])
	}
	k.enum("", false, ev{Name: "false", Value: 0}, ev{Name: "true", Value: 1})

	// Kernel objects whose definitions this simulator does not have.
	k.opaque("scx_dispatch_q")
	cgrp, css := k.declare("cgroup"), k.declare("cgroup_subsys_state")
	k.declare("task_struct") // task_struct points to task_structs
	cssSet := k.declare("css_set")
	k.opaque("mm_struct")
	// include/linux/mempolicy.h: the members scx_rusty reads when a task
	// has one (schedsim's tasks have none: p->mempolicy is NULL)
	k.cstruct("mempolicy", k.f("int refcnt"), k.f("unsigned short mode"), k.f("unsigned short flags"),
		k.f("int home_node"))
	// include/linux/uidgid_types.h and cred.h: the members scx_layered's
	// user/group id rules read (schedsim's p->real_cred is NULL)
	for _, id := range []string{"kuid_t", "kgid_t"} {
		st := &btf.Struct{}
		k.layout(st, k.f("unsigned int val"))
		k.define(id, &btf.Typedef{Name: id, Type: st})
	}
	k.cstruct("cred", k.f("int usage"), k.f("kuid_t uid"), k.f("kgid_t gid"), k.f("kuid_t suid"),
		k.f("kgid_t sgid"), k.f("kuid_t euid"), k.f("kgid_t egid"))
	// include/linux/pid.h, pid_namespace.h, ns_common.h, sched/signal.h:
	// what scx's namespace.bpf.h reads (p->thread_pid and p->signal are
	// NULL here: no pid namespaces)
	k.enum("pid_type", false, ev{Name: "PIDTYPE_PID", Value: 0}, ev{Name: "PIDTYPE_TGID", Value: 1},
		ev{Name: "PIDTYPE_PGID", Value: 2}, ev{Name: "PIDTYPE_SID", Value: 3}, ev{Name: "PIDTYPE_MAX", Value: 4})
	pidns := k.declare("pid_namespace")
	k.cstruct("ns_common", k.f("unsigned int inum"))
	k.layout(pidns, k.f("unsigned int level"), k.f("struct ns_common ns"))
	k.cstruct("upid", k.f("int nr"), k.f("struct pid_namespace *ns"))
	k.cstruct("pid", k.f("int count"), k.f("unsigned int level"), k.f("struct upid numbers[1]"))
	k.cstruct("signal_struct", k.f("int nr_threads"), k.f("struct pid *pids[4]"))

	k.schedExtEnums()

	// The structs shared with the simulator, from the Go definitions.
	for _, s := range goKernelStructs[:1] {
		k.goStruct(s.name, s.typ)
	}
	k.typedef("cpumask_t", "struct cpumask")
	for _, s := range goKernelStructs[1:] {
		k.goStruct(s.name, s.typ)
	}
	k.cstruct("scx_cgroup_init_args", k.f("u32 weight"), k.f("u64 bw_period_us"), k.f("u64 bw_quota_us"),
		k.f("u64 bw_burst_us"))
	k.cgroupTypes(cgrp, css)
	k.layout(cssSet, k.f("struct cgroup_subsys_state *subsys[14]"), k.f("struct cgroup *dfl_cgrp"))
	// The guard class of rcu (include/linux/cleanup.h DEFINE_LOCK_GUARD_0,
	// rcupdate.h), which scx's cleanup.bpf.h mirrors.
	k.define("class_rcu_t", &btf.Typedef{Name: "class_rcu_t", Type: &btf.Struct{Size: 8,
		Members: []btf.Member{{Name: "lock", Type: &btf.Pointer{Target: &btf.Void{}}}}}})
	// struct rq: the members schedulers read (kernel/sched/sched.h); the
	// simulator refreshes them when a policy asks for a run queue.
	k.cstruct("rq", k.f("unsigned int nr_running"), k.f("int cpu"),
		k.f("struct task_struct *curr"), k.f("u64 clock"), k.f("u64 clock_task"),
		k.f("u64 clock_pelt"), k.f("unsigned long cpu_capacity"), k.f("u64 lost_idle_time"))
	// struct cpufreq_policy (include/linux/cpufreq.h): the members
	// scx_lavd reads through cpufreq_cpu_data, which is NULL here (no
	// cpufreq driver): the type is for CO-RE only.
	k.cstruct("cpufreq_cpuinfo", k.f("unsigned int max_freq"), k.f("unsigned int min_freq"),
		k.f("unsigned int transition_latency"))
	k.cstruct("cpufreq_policy", k.f("unsigned int cpu"), k.f("struct cpufreq_cpuinfo cpuinfo"),
		k.f("unsigned int min"), k.f("unsigned int max"), k.f("unsigned int cur"))

	k.schedExtOps()
	k.bpfTypes()
	k.bpfUapiEnums()
	k.kfuncs()
}

func (k *ktypes) schedExtEnums() {
	k.enum("scx_public_consts", false,
		ev{Name: "SCX_OPS_NAME_LEN", Value: 128},
		ev{Name: "SCX_SLICE_DFL", Value: sim.SliceDfl},
		ev{Name: "SCX_SLICE_INF", Value: sim.SliceInf})
	k.enum("scx_dsq_id_flags", false,
		ev{Name: "SCX_DSQ_FLAG_BUILTIN", Value: sim.DSQFlagBuiltin},
		ev{Name: "SCX_DSQ_FLAG_LOCAL_ON", Value: sim.DSQFlagLocalOn},
		ev{Name: "SCX_DSQ_INVALID", Value: sim.DSQInvalid},
		ev{Name: "SCX_DSQ_GLOBAL", Value: sim.DSQGlobal},
		ev{Name: "SCX_DSQ_LOCAL", Value: sim.DSQLocal},
		ev{Name: "SCX_DSQ_LOCAL_ON", Value: sim.DSQLocalOn},
		ev{Name: "SCX_DSQ_LOCAL_CPU_MASK", Value: sim.DSQLocalCPUMask})
	k.enum("scx_exit_kind", false,
		ev{Name: "SCX_EXIT_NONE", Value: sim.ExitNone},
		ev{Name: "SCX_EXIT_DONE", Value: sim.ExitDone},
		ev{Name: "SCX_EXIT_UNREG", Value: sim.ExitUnreg},
		ev{Name: "SCX_EXIT_UNREG_BPF", Value: sim.ExitUnregBPF},
		ev{Name: "SCX_EXIT_UNREG_KERN", Value: sim.ExitUnregKern},
		ev{Name: "SCX_EXIT_SYSRQ", Value: sim.ExitUnregKern + 1},
		ev{Name: "SCX_EXIT_ERROR", Value: sim.ExitError},
		ev{Name: "SCX_EXIT_ERROR_BPF", Value: sim.ExitErrorBPF},
		ev{Name: "SCX_EXIT_ERROR_STALL", Value: sim.ExitErrorStall})
	k.enum("scx_exit_code", false,
		ev{Name: "SCX_ECODE_RSN_HOTPLUG", Value: 1 << 32},
		ev{Name: "SCX_ECODE_ACT_RESTART", Value: 1 << 48})
	k.enum("scx_ops_flags", false,
		ev{Name: "SCX_OPS_KEEP_BUILTIN_IDLE", Value: sim.OpsKeepBuiltinIdle},
		ev{Name: "SCX_OPS_ENQ_LAST", Value: sim.OpsEnqLast},
		ev{Name: "SCX_OPS_ENQ_EXITING", Value: sim.OpsEnqExiting},
		ev{Name: "SCX_OPS_SWITCH_PARTIAL", Value: sim.OpsSwitchPartial})
	k.enum("scx_enq_flags", false,
		ev{Name: "SCX_ENQ_WAKEUP", Value: sim.EnqWakeup},
		ev{Name: "SCX_ENQ_HEAD", Value: sim.EnqHead},
		ev{Name: "SCX_ENQ_CPU_SELECTED", Value: sim.EnqCPUSelected},
		ev{Name: "SCX_ENQ_PREEMPT", Value: sim.EnqPreempt},
		ev{Name: "SCX_ENQ_REENQ", Value: sim.EnqReenq},
		ev{Name: "SCX_ENQ_LAST", Value: sim.EnqLast},
		ev{Name: "__SCX_ENQ_INTERNAL_MASK", Value: 0xff << 56},
		ev{Name: "SCX_ENQ_CLEAR_OPSS", Value: 1 << 56},
		ev{Name: "SCX_ENQ_DSQ_PRIQ", Value: sim.EnqDSQPriq})
	k.enum("scx_deq_flags", false,
		ev{Name: "SCX_DEQ_SLEEP", Value: sim.DeqSleep},
		ev{Name: "SCX_DEQ_CORE_SCHED_EXEC", Value: 1 << 32})
	k.enum("scx_wake_flags", false,
		ev{Name: "SCX_WAKE_FORK", Value: sim.WakeFork},
		ev{Name: "SCX_WAKE_TTWU", Value: sim.WakeTTWU},
		ev{Name: "SCX_WAKE_SYNC", Value: sim.WakeSync})
	k.enum("scx_kick_flags", false,
		ev{Name: "SCX_KICK_IDLE", Value: sim.KickIdle},
		ev{Name: "SCX_KICK_PREEMPT", Value: sim.KickPreempt},
		ev{Name: "SCX_KICK_WAIT", Value: sim.KickWait})
	k.enum("scx_pick_idle_cpu_flags", false,
		ev{Name: "SCX_PICK_IDLE_CORE", Value: sim.PickIdleCore})
	k.enum("scx_ent_flags", false,
		ev{Name: "SCX_TASK_QUEUED", Value: uint64(sim.TaskQueued)},
		ev{Name: "SCX_TASK_RESET_RUNNABLE_AT", Value: uint64(sim.TaskResetRunnableAt)},
		ev{Name: "SCX_TASK_DEQD_FOR_SLEEP", Value: uint64(sim.TaskDeqdForSleep)})
	k.enum("scx_consts", false,
		ev{Name: "SCX_DSP_DFL_MAX_BATCH", Value: 32},
		ev{Name: "SCX_DSP_MAX_LOOPS", Value: 32},
		ev{Name: "SCX_WATCHDOG_MAX_TIMEOUT", Value: 30000},
		ev{Name: "SCX_EXIT_BT_LEN", Value: 64},
		ev{Name: "SCX_EXIT_MSG_LEN", Value: 1024},
		ev{Name: "SCX_EXIT_DUMP_DFL_LEN", Value: 32768},
		ev{Name: "SCX_CPUPERF_ONE", Value: cpuperfOne})
	k.enum("scx_cpu_preempt_reason", false,
		ev{Name: "SCX_CPU_PREEMPT_RT", Value: 0},
		ev{Name: "SCX_CPU_PREEMPT_DL", Value: 1},
		ev{Name: "SCX_CPU_PREEMPT_STOP", Value: 2},
		ev{Name: "SCX_CPU_PREEMPT_UNKNOWN", Value: 3})
	k.enum("scx_dsq_iter_flags", false,
		ev{Name: "SCX_DSQ_ITER_REV", Value: 1 << 16})
}

// schedExtOps declares struct sched_ext_ops with the kernel's member order
// and prototypes.
func (k *ktypes) schedExtOps() {
	const p = "struct task_struct *p"
	fs := []field{
		k.fp("select_cpu", "s32", p, "s32 prev_cpu", "u64 wake_flags"),
		k.fp("enqueue", "void", p, "u64 enq_flags"),
		k.fp("dequeue", "void", p, "u64 deq_flags"),
		k.fp("dispatch", "void", "s32 cpu", "struct task_struct *prev"),
		k.fp("tick", "void", p),
		k.fp("runnable", "void", p, "u64 enq_flags"),
		k.fp("running", "void", p),
		k.fp("stopping", "void", p, "bool runnable"),
		k.fp("quiescent", "void", p, "u64 deq_flags"),
		k.fp("yield", "bool", "struct task_struct *from", "struct task_struct *to"),
		k.fp("core_sched_before", "bool", "struct task_struct *a", "struct task_struct *b"),
		k.fp("set_weight", "void", p, "u32 weight"),
		k.fp("set_cpumask", "void", p, "const struct cpumask *cpumask"),
		k.fp("update_idle", "void", "s32 cpu", "bool idle"),
		k.fp("cpu_acquire", "void", "s32 cpu", "struct scx_cpu_acquire_args *args"),
		k.fp("cpu_release", "void", "s32 cpu", "struct scx_cpu_release_args *args"),
		k.fp("init_task", "s32", p, "struct scx_init_task_args *args"),
		k.fp("exit_task", "void", p, "struct scx_exit_task_args *args"),
		k.fp("enable", "void", p),
		k.fp("disable", "void", p),
		k.fp("dump", "void", "struct scx_dump_ctx *ctx"),
		k.fp("dump_cpu", "void", "struct scx_dump_ctx *ctx", "s32 cpu", "bool idle"),
		k.fp("dump_task", "void", "struct scx_dump_ctx *ctx", p),
		k.fp("cgroup_init", "s32", "struct cgroup *cgrp", "struct scx_cgroup_init_args *args"),
		k.fp("cgroup_exit", "void", "struct cgroup *cgrp"),
		k.fp("cgroup_prep_move", "s32", p, "struct cgroup *from", "struct cgroup *to"),
		k.fp("cgroup_move", "void", p, "struct cgroup *from", "struct cgroup *to"),
		k.fp("cgroup_cancel_move", "void", p, "struct cgroup *from", "struct cgroup *to"),
		k.fp("cgroup_set_weight", "void", "struct cgroup *cgrp", "u32 weight"),
		k.fp("cpu_online", "void", "s32 cpu"),
		k.fp("cpu_offline", "void", "s32 cpu"),
		k.fp("init", "s32"),
		k.fp("exit", "void", "struct scx_exit_info *info"),
		k.f("u32 dispatch_max_batch"),
		k.f("u64 flags"),
		k.f("u32 timeout_ms"),
		k.f("u32 exit_dump_len"),
		k.f("u64 hotplug_seq"),
		k.f("char name[128]"),
	}
	if len(fs) != len(SchedExtOpsMembers) {
		k.fail("sched_ext_ops: %d members, SchedExtOpsMembers lists %d", len(fs), len(SchedExtOpsMembers))
	}
	for i, f := range fs {
		if i < len(SchedExtOpsMembers) && f.name != SchedExtOpsMembers[i] {
			k.fail("sched_ext_ops: member %d is %s, SchedExtOpsMembers says %s", i, f.name, SchedExtOpsMembers[i])
		}
	}
	k.cstruct("sched_ext_ops", fs...)
}

// bpfTypes declares the BPF types a policy embeds in its maps and objects,
// with the kernel's sizes (include/uapi/linux/bpf.h, kernel/bpf/cpumask.c,
// asm-generic/rqspinlock.h, kernel/sched/ext.c).
func (k *ktypes) bpfTypes() {
	k.cstruct("bpf_spin_lock", k.f("__u32 val"))
	k.cstruct("bpf_res_spin_lock", k.f("u32 val"))
	k.cstruct("bpf_timer", k.f("__u64 __opaque[2]"))
	k.cstruct("bpf_wq", k.f("__u64 __opaque[2]"))
	k.cstruct("bpf_dynptr", k.f("__u64 __opaque[2]"))
	k.cstruct("bpf_list_head", k.f("__u64 __opaque[2]"))
	k.cstruct("bpf_list_node", k.f("__u64 __opaque[3]"))
	k.cstruct("bpf_rb_root", k.f("__u64 __opaque[2]"))
	k.cstruct("bpf_rb_node", k.f("__u64 __opaque[4]"))
	k.cstruct("bpf_refcount", k.f("__u32 __opaque[1]"))
	k.cstruct("bpf_iter_num", k.f("__u64 __opaque[1]"))
	k.cstruct("bpf_iter_scx_dsq", k.f("u64 __opaque[6]"))
	k.cstruct("bpf_iter_css", k.f("__u64 __opaque[3]"))

	// refcount_t is struct refcount_struct { atomic_t refs; }, atomic_t a
	// typedef of an anonymous struct { int counter; }.
	k.define("atomic_t", &btf.Typedef{Name: "atomic_t", Type: &btf.Struct{
		Size:    4,
		Members: []btf.Member{{Name: "counter", Type: k.lookup("int")}},
	}})
	k.cstruct("refcount_struct", k.f("atomic_t refs"))
	k.typedef("refcount_t", "struct refcount_struct")
	k.cstruct("bpf_cpumask", k.f("cpumask_t cpumask"), k.f("refcount_t usage"))
}

// bpfUapiEnums declares the uapi enums libbpf's headers and policies use,
// with include/uapi/linux/bpf.h's values.
func (k *ktypes) bpfUapiEnums() {
	// enum bpf_cgroup_iter_order (uapi/linux/bpf.h), the css iterator's flags
	k.enum("bpf_cgroup_iter_order", false,
		ev{Name: "BPF_CGROUP_ITER_ORDER_UNSPEC", Value: 0},
		ev{Name: "BPF_CGROUP_ITER_SELF_ONLY", Value: cssIterSelfOnly},
		ev{Name: "BPF_CGROUP_ITER_DESCENDANTS_PRE", Value: cssIterPre},
		ev{Name: "BPF_CGROUP_ITER_DESCENDANTS_POST", Value: cssIterPost},
		ev{Name: "BPF_CGROUP_ITER_ANCESTORS_UP", Value: cssIterUp})
	mapTypes := []string{
		"UNSPEC", "HASH", "ARRAY", "PROG_ARRAY", "PERF_EVENT_ARRAY",
		"PERCPU_HASH", "PERCPU_ARRAY", "STACK_TRACE", "CGROUP_ARRAY",
		"LRU_HASH", "LRU_PERCPU_HASH", "LPM_TRIE", "ARRAY_OF_MAPS",
		"HASH_OF_MAPS", "DEVMAP", "SOCKMAP", "CPUMAP", "XSKMAP", "SOCKHASH",
		"CGROUP_STORAGE", "REUSEPORT_SOCKARRAY", "PERCPU_CGROUP_STORAGE",
		"QUEUE", "STACK", "SK_STORAGE", "DEVMAP_HASH", "STRUCT_OPS",
		"RINGBUF", "INODE_STORAGE", "TASK_STORAGE", "BLOOM_FILTER",
		"USER_RINGBUF", "CGRP_STORAGE", "ARENA",
	}
	vals := make([]ev, len(mapTypes))
	for i, n := range mapTypes {
		vals[i] = ev{Name: "BPF_MAP_TYPE_" + n, Value: uint64(i)}
	}
	k.enum("bpf_map_type", false, vals...)

	// BPF_MAP_UPDATE_ELEM flags.
	k.enum("", false,
		ev{Name: "BPF_ANY", Value: 0},
		ev{Name: "BPF_NOEXIST", Value: 1},
		ev{Name: "BPF_EXIST", Value: 2},
		ev{Name: "BPF_F_LOCK", Value: 4})
	// BPF_MAP_CREATE flags.
	createFlags := []string{
		"BPF_F_NO_PREALLOC", "BPF_F_NO_COMMON_LRU", "BPF_F_NUMA_NODE",
		"BPF_F_RDONLY", "BPF_F_WRONLY", "BPF_F_STACK_BUILD_ID",
		"BPF_F_ZERO_SEED", "BPF_F_RDONLY_PROG", "BPF_F_WRONLY_PROG",
		"BPF_F_CLONE", "BPF_F_MMAPABLE", "BPF_F_PRESERVE_ELEMS",
		"BPF_F_INNER_MAP", "BPF_F_LINK", "BPF_F_PATH_FD",
		"BPF_F_VTYPE_BTF_OBJ_FD", "BPF_F_TOKEN_FD", "BPF_F_SEGV_ON_FAULT",
		"BPF_F_NO_USER_CONV",
	}
	vals = make([]ev, len(createFlags))
	for i, n := range createFlags {
		vals[i] = ev{Name: n, Value: 1 << i}
	}
	k.enum("", false, vals...)
	// Flags for bpf_perf_event_output and friends.
	k.enum("", false,
		ev{Name: "BPF_F_INDEX_MASK", Value: 0xffffffff},
		ev{Name: "BPF_F_CURRENT_CPU", Value: 0xffffffff},
		ev{Name: "BPF_F_CTXLEN_MASK", Value: 0xfffff << 32})
	// bpf_*_storage_get flags.
	k.enum("", false,
		ev{Name: "BPF_LOCAL_STORAGE_GET_F_CREATE", Value: 1},
		ev{Name: "BPF_SK_STORAGE_GET_F_CREATE", Value: 1})
	// bpf_timer_start flags.
	k.enum("", false,
		ev{Name: "BPF_F_TIMER_ABS", Value: 1},
		ev{Name: "BPF_F_TIMER_CPU_PIN", Value: 2})
	// bpf_ringbuf_output/reserve/submit/discard flags, bpf_ringbuf_query.
	k.enum("", false,
		ev{Name: "BPF_RB_NO_WAKEUP", Value: 1},
		ev{Name: "BPF_RB_FORCE_WAKEUP", Value: 2})
	k.enum("", false,
		ev{Name: "BPF_RB_AVAIL_DATA", Value: 0},
		ev{Name: "BPF_RB_RING_SIZE", Value: 1},
		ev{Name: "BPF_RB_CONS_POS", Value: 2},
		ev{Name: "BPF_RB_PROD_POS", Value: 3})
}

// kfuncs declares the kernel functions policies may call, with the kernel's
// prototypes (Linux 6.13+ names; the 6.12 names too).
func (k *ktypes) kfuncs() {
	const p = "struct task_struct *p"
	// sched_ext (kernel/sched/ext.c, ext_idle.c).
	k.kfunc("void scx_bpf_dsq_insert", p, "u64 dsq_id", "u64 slice", "u64 enq_flags")
	k.kfunc("void scx_bpf_dsq_insert_vtime", p, "u64 dsq_id", "u64 slice", "u64 vtime", "u64 enq_flags")
	k.kfunc("bool scx_bpf_dsq_move_to_local", "u64 dsq_id")
	k.kfunc("void scx_bpf_dispatch", p, "u64 dsq_id", "u64 slice", "u64 enq_flags")
	k.kfunc("void scx_bpf_dispatch_vtime", p, "u64 dsq_id", "u64 slice", "u64 vtime", "u64 enq_flags")
	k.kfunc("bool scx_bpf_consume", "u64 dsq_id")
	k.kfunc("u32 scx_bpf_dispatch_nr_slots")
	k.kfunc("void scx_bpf_dispatch_cancel")
	k.kfunc("s32 scx_bpf_create_dsq", "u64 dsq_id", "s32 node")
	k.kfunc("void scx_bpf_destroy_dsq", "u64 dsq_id")
	k.kfunc("void scx_bpf_kick_cpu", "s32 cpu", "u64 flags")
	k.kfunc("s32 scx_bpf_select_cpu_dfl", p, "s32 prev_cpu", "u64 wake_flags", "bool *is_idle")
	k.kfunc("s32 scx_bpf_pick_idle_cpu", "const struct cpumask *cpus_allowed", "u64 flags")
	k.kfunc("s32 scx_bpf_pick_any_cpu", "const struct cpumask *cpus_allowed", "u64 flags")
	k.kfunc("bool scx_bpf_test_and_clear_cpu_idle", "s32 cpu")
	k.kfunc("const struct cpumask *scx_bpf_get_idle_cpumask")
	k.kfunc("const struct cpumask *scx_bpf_get_idle_smtmask")
	k.kfunc("void scx_bpf_put_idle_cpumask", "const struct cpumask *idle_mask")
	k.kfunc("s32 scx_bpf_dsq_nr_queued", "u64 dsq_id")
	k.kfunc("bool scx_bpf_task_running", "const struct task_struct *p")
	k.kfunc("s32 scx_bpf_task_cpu", "const struct task_struct *p")
	k.kfunc("u64 scx_bpf_now")
	k.kfunc("u32 scx_bpf_nr_cpu_ids")
	k.kfunc("void scx_bpf_error_bstr", "char *fmt", "unsigned long long *data", "u32 data__sz")
	k.kfunc("void scx_bpf_exit_bstr", "s64 exit_code", "char *fmt", "unsigned long long *data", "u32 data__sz")
	k.kfunc("int bpf_iter_scx_dsq_new", "struct bpf_iter_scx_dsq *it", "u64 dsq_id", "u64 flags")
	k.kfunc("struct task_struct *bpf_iter_scx_dsq_next", "struct bpf_iter_scx_dsq *it")
	k.kfunc("void bpf_iter_scx_dsq_destroy", "struct bpf_iter_scx_dsq *it")

	// Tasks (kernel/bpf/helpers.c).
	k.kfunc("struct task_struct *bpf_task_from_pid", "s32 pid")
	k.kfunc("struct task_struct *bpf_task_acquire", p)
	k.kfunc("void bpf_task_release", p)

	// CPU masks (kernel/bpf/cpumask.c).
	k.kfunc("struct bpf_cpumask *bpf_cpumask_create")
	k.kfunc("void bpf_cpumask_release", "struct bpf_cpumask *cpumask")
	k.kfunc("struct bpf_cpumask *bpf_cpumask_acquire", "struct bpf_cpumask *cpumask")
	k.kfunc("void bpf_cpumask_set_cpu", "u32 cpu", "struct bpf_cpumask *cpumask")
	k.kfunc("void bpf_cpumask_clear_cpu", "u32 cpu", "struct bpf_cpumask *cpumask")
	k.kfunc("bool bpf_cpumask_test_cpu", "u32 cpu", "const struct cpumask *cpumask")
	k.kfunc("u32 bpf_cpumask_first", "const struct cpumask *cpumask")
	k.kfunc("u32 bpf_cpumask_weight", "const struct cpumask *cpumask")
	k.kfunc("bool bpf_cpumask_and", "struct bpf_cpumask *dst", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("void bpf_cpumask_or", "struct bpf_cpumask *dst", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("void bpf_cpumask_copy", "struct bpf_cpumask *dst", "const struct cpumask *src")
	k.kfunc("bool bpf_cpumask_empty", "const struct cpumask *cpumask")
	k.kfunc("void bpf_cpumask_setall", "struct bpf_cpumask *cpumask")
	k.kfunc("void bpf_cpumask_clear", "struct bpf_cpumask *cpumask")
	k.kfunc("void bpf_cpumask_xor", "struct bpf_cpumask *dst", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("bool bpf_cpumask_intersects", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("u32 bpf_cpumask_any_distribute", "const struct cpumask *cpumask")

	// Open-coded numeric iterator (kernel/bpf/bpf_iter.c).
	k.kfunc("int bpf_iter_num_new", "struct bpf_iter_num *it", "int start", "int end")
	k.kfunc("int *bpf_iter_num_next", "struct bpf_iter_num *it")
	k.kfunc("void bpf_iter_num_destroy", "struct bpf_iter_num *it")

	// Allocated objects, lists and rbtrees (kernel/bpf/helpers.c).
	k.kfunc("void *bpf_obj_new_impl", "u64 local_type_id__k", "void *meta__ign")
	k.kfunc("void bpf_obj_drop_impl", "void *p__alloc", "void *meta__ign")
	k.kfunc("int bpf_list_push_front_impl", "struct bpf_list_head *head", "struct bpf_list_node *node", "void *meta__ign", "u64 off")
	k.kfunc("int bpf_list_push_back_impl", "struct bpf_list_head *head", "struct bpf_list_node *node", "void *meta__ign", "u64 off")
	k.kfunc("struct bpf_list_node *bpf_list_pop_front", "struct bpf_list_head *head")
	k.kfunc("struct bpf_list_node *bpf_list_pop_back", "struct bpf_list_head *head")
	less := &btf.Pointer{Target: k.proto("bool", "struct bpf_rb_node *a", "const struct bpf_rb_node *b")}
	addParams := k.params("struct bpf_rb_root *root", "struct bpf_rb_node *node")
	addParams = append(addParams, btf.FuncParam{Name: "less", Type: less})
	addParams = append(addParams, k.params("void *meta__ign", "u64 off")...)
	rt, _ := k.decl("int")
	k.kfuncProto("bpf_rbtree_add_impl", &btf.FuncProto{Return: rt, Params: addParams})
	k.kfunc("struct bpf_rb_node *bpf_rbtree_first", "struct bpf_rb_root *root")
	k.kfunc("struct bpf_rb_node *bpf_rbtree_remove", "struct bpf_rb_root *root", "struct bpf_rb_node *node")

	// Resilient spin locks (6.15, kernel/bpf/rqspinlock.c).
	k.kfunc("int bpf_res_spin_lock", "struct bpf_res_spin_lock *lock")
	k.kfunc("void bpf_res_spin_unlock", "struct bpf_res_spin_lock *lock")

	k.moreKfuncs()
}

// moreKfuncs declares the kfuncs upstream schedulers use beyond the basic
// set (kernel/sched/ext.c and ext_idle.c of 6.13-6.18, kernel/bpf/cpumask.c,
// kernel/bpf/helpers.c), with their prototypes there.
func (k *ktypes) moreKfuncs() {
	const p = "struct task_struct *p"
	const it = "struct bpf_iter_scx_dsq *it__iter"
	// RCU and preemption (kernel/bpf/helpers.c).
	k.kfunc("void bpf_rcu_read_lock")
	k.kfunc("void bpf_rcu_read_unlock")
	k.kfunc("void bpf_preempt_disable")
	k.kfunc("void bpf_preempt_enable")
	// CPU masks of the machine (ext.c).
	k.kfunc("const struct cpumask *scx_bpf_get_online_cpumask")
	k.kfunc("const struct cpumask *scx_bpf_get_possible_cpumask")
	k.kfunc("void scx_bpf_put_cpumask", "const struct cpumask *cpumask")
	// CPU performance (ext.c).
	k.kfunc("u32 scx_bpf_cpuperf_cap", "s32 cpu")
	k.kfunc("u32 scx_bpf_cpuperf_cur", "s32 cpu")
	k.kfunc("void scx_bpf_cpuperf_set", "s32 cpu", "u32 perf")
	// Topology and run queues (ext.c).
	k.kfunc("u32 scx_bpf_nr_node_ids")
	k.kfunc("int scx_bpf_cpu_node", "s32 cpu")
	k.kfunc("struct task_struct *scx_bpf_cpu_curr", "s32 cpu")
	k.kfunc("struct rq *scx_bpf_cpu_rq", "s32 cpu")
	k.kfunc("struct rq *scx_bpf_locked_rq")
	// DSQs (ext.c).
	k.kfunc("struct task_struct *scx_bpf_dsq_peek", "u64 dsq_id")
	k.kfunc("bool scx_bpf_dsq_move", it, p, "u64 dsq_id", "u64 enq_flags")
	k.kfunc("bool scx_bpf_dsq_move_vtime", it, p, "u64 dsq_id", "u64 enq_flags")
	k.kfunc("void scx_bpf_dsq_move_set_slice", it, "u64 slice")
	k.kfunc("void scx_bpf_dsq_move_set_vtime", it, "u64 vtime")
	k.kfunc("u32 scx_bpf_reenqueue_local")
	k.kfunc("bool scx_bpf_task_set_slice", p, "u64 slice")
	k.kfunc("bool scx_bpf_task_set_dsq_vtime", p, "u64 vtime")
	// Idle CPUs (ext_idle.c).
	k.kfunc("s32 scx_bpf_select_cpu_and", p, "s32 prev_cpu", "u64 wake_flags", "const struct cpumask *cpus_allowed", "u64 flags")
	k.kfunc("const struct cpumask *scx_bpf_get_idle_cpumask_node", "int node")
	k.kfunc("const struct cpumask *scx_bpf_get_idle_smtmask_node", "int node")
	k.kfunc("s32 scx_bpf_pick_idle_cpu_node", "const struct cpumask *cpus_allowed", "int node", "u64 flags")
	k.kfunc("s32 scx_bpf_pick_any_cpu_node", "const struct cpumask *cpus_allowed", "int node", "u64 flags")
	// Dumps (ext.c).
	k.kfunc("void scx_bpf_dump_bstr", "char *fmt", "unsigned long long *data", "u32 data__sz")
	// More CPU masks (kernel/bpf/cpumask.c).
	k.kfunc("bool bpf_cpumask_subset", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("bool bpf_cpumask_equal", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("bool bpf_cpumask_full", "const struct cpumask *cpumask")
	k.kfunc("bool bpf_cpumask_test_and_set_cpu", "u32 cpu", "struct bpf_cpumask *cpumask")
	k.kfunc("bool bpf_cpumask_test_and_clear_cpu", "u32 cpu", "struct bpf_cpumask *cpumask")
	k.kfunc("u32 bpf_cpumask_first_zero", "const struct cpumask *cpumask")
	k.kfunc("u32 bpf_cpumask_first_and", "const struct cpumask *src1", "const struct cpumask *src2")
	k.kfunc("u32 bpf_cpumask_any_and_distribute", "const struct cpumask *src1", "const struct cpumask *src2")
	// Cgroups (kernel/bpf/helpers.c, kernel/sched/ext.c).
	k.kfunc("struct cgroup *bpf_cgroup_acquire", "struct cgroup *cgrp")
	k.kfunc("void bpf_cgroup_release", "struct cgroup *cgrp")
	k.kfunc("struct cgroup *bpf_cgroup_ancestor", "struct cgroup *cgrp", "int level")
	k.kfunc("struct cgroup *bpf_cgroup_from_id", "u64 cgid")
	k.kfunc("struct cgroup *scx_bpf_task_cgroup", "struct task_struct *p")
	k.kfunc("int bpf_iter_css_new", "struct bpf_iter_css *it", "struct cgroup_subsys_state *start", "unsigned int flags")
	k.kfunc("struct cgroup_subsys_state *bpf_iter_css_next", "struct bpf_iter_css *it")
	k.kfunc("void bpf_iter_css_destroy", "struct bpf_iter_css *it")
	// Arenas (kernel/bpf/arena.c).
	k.kfunc("void *bpf_arena_alloc_pages", "void *p__map", "void *addr__ign", "u32 page_cnt", "int node_id", "u64 flags")
	k.kfunc("void bpf_arena_free_pages", "void *p__map", "void *ptr__ign", "u32 page_cnt")
}

// cgroupTypes lays out struct cgroup and what policies read of it
// (include/linux/cgroup-defs.h, kernfs.h): the members scx_flatcg, scx_pair,
// scx_lavd and scx's cgroup libraries use. ancestors[] is a flexible array,
// level+1 entries long.
func (k *ktypes) cgroupTypes(cgrp, css *btf.Struct) {
	k.cstruct("kernfs_node", k.f("const char *name"), k.f("u64 id"), k.f("unsigned short flags"),
		k.f("unsigned short mode"))
	k.cstruct("percpu_ref", k.f("unsigned long percpu_count_ptr"), k.f("void *data"))
	k.layout(css, k.f("struct cgroup *cgroup"), k.f("struct percpu_ref refcnt"),
		k.f("struct cgroup_subsys_state *parent"), k.f("int id"), k.f("unsigned int flags"),
		k.f("u64 serial_nr"))
	k.layout(cgrp, k.f("struct cgroup_subsys_state self"), k.f("unsigned long flags"), k.f("int level"),
		k.f("int max_depth"), k.f("struct kernfs_node *kn"), k.f("struct cgroup *dom_cgrp"),
		k.f("struct cgroup *ancestors[0]"))
}
