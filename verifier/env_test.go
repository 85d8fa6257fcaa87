package verifier

import (
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// testEnv is a small simulated kernel for the corpus: helpers and kfuncs
// with their prototypes, a task_struct, and maps whose values hold locks,
// rbtree roots and list heads.
type testEnv struct {
	reg      *bpfvm.Registry
	kbtf     *btf.Spec
	progBTF  *btf.Spec
	maps     []*bpfvm.MapSpec
	task     *btf.Struct
	nodeID   btf.TypeID
	rnodeID  btf.TypeID
	writable func(t *btf.Struct, off, size uint32) bool
}

var (
	tU8   = &btf.Int{Name: "u8", Size: 1}
	tBool = &btf.Int{Name: "bool", Size: 1, Encoding: btf.Bool}
	tU32  = &btf.Int{Name: "u32", Size: 4}
	tS32  = &btf.Int{Name: "s32", Size: 4, Encoding: btf.Signed}
	tU64  = &btf.Int{Name: "u64", Size: 8}
	tS64  = &btf.Int{Name: "s64", Size: 8, Encoding: btf.Signed}
	tVoid = &btf.Void{}
)

func member(name string, t btf.Type, off uint32, tags ...string) btf.Member {
	return btf.Member{Name: name, Type: t, Offset: btf.Bits(off * 8), Tags: tags}
}

func opaque(name string, size uint32) *btf.Struct {
	var ms []btf.Member
	for o := uint32(0); o+4 <= size; o += 4 {
		ms = append(ms, btf.Member{Name: "", Type: tU32, Offset: btf.Bits(o * 8)})
	}
	return &btf.Struct{Name: name, Size: size, Members: ms}
}

func proto(ret btf.Type, params ...btf.FuncParam) *btf.FuncProto {
	return &btf.FuncProto{Return: ret, Params: params}
}

func param(name string, t btf.Type) btf.FuncParam { return btf.FuncParam{Name: name, Type: t} }

func ptr(t btf.Type) *btf.Pointer { return &btf.Pointer{Target: t} }

func newTestEnv(t testing.TB) *testEnv {
	e := &testEnv{reg: bpfvm.NewRegistry()}
	// ---- kernel types ----
	cpumask := &btf.Struct{Name: "cpumask", Size: 16, Members: []btf.Member{
		member("bits", &btf.Array{Type: tU64, Index: tU32, Nelems: 2}, 0)}}
	bpfCpumask := &btf.Struct{Name: "bpf_cpumask", Size: 24, Members: []btf.Member{
		member("cpumask", cpumask, 0), member("usage", tU32, 16)}}
	scx := &btf.Struct{Name: "sched_ext_entity", Size: 64, Members: []btf.Member{
		member("dsq_vtime", tU64, 0), member("slice", tU64, 8), member("weight", tU32, 16),
		member("disallow", tBool, 20), member("flags", tU32, 24)}}
	task := &btf.Struct{Name: "task_struct", Size: 128, Members: []btf.Member{
		member("pid", tS32, 0), member("flags", tU32, 4),
		member("comm", &btf.Array{Type: tU8, Index: tU32, Nelems: 16}, 8),
		member("scx", scx, 32), member("cpus_ptr", ptr(&btf.Const{Type: cpumask}), 96)}}
	task.Members = append(task.Members, member("parent", ptr(task), 104))
	e.task = task
	b, err := btf.NewBuilder([]btf.Type{task, bpfCpumask}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.kbtf, err = b.Spec(); err != nil {
		t.Fatal(err)
	}
	e.writable = func(s *btf.Struct, off, size uint32) bool {
		if s.Name != "task_struct" {
			return false
		}
		for _, f := range [][2]uint32{{32, 8}, {40, 8}, {52, 1}} { // scx.dsq_vtime, scx.slice, scx.disallow
			if off >= f[0] && off+size <= f[0]+f[1] {
				return true
			}
		}
		return false
	}

	// ---- program types (for bpf_obj_new) ----
	rbNode := opaque("bpf_rb_node", 32)
	listNode := opaque("bpf_list_node", 24)
	node := &btf.Struct{Name: "node_data", Size: 72, Members: []btf.Member{
		member("key", tS64, 0), member("node", rbNode, 8), member("lnode", listNode, 40), member("val", tU64, 64)}}
	// a refcounted node: in a tree and stashed as a kptr at once
	rnode := &btf.Struct{Name: "rnode_data", Size: 48, Members: []btf.Member{
		member("rb", rbNode, 0), member("ref", opaque("bpf_refcount", 4), 32), member("key", tU64, 40)}}
	pb, err := btf.NewBuilder(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.nodeID, err = pb.Add(node); err != nil {
		t.Fatal(err)
	}
	if e.rnodeID, err = pb.Add(rnode); err != nil {
		t.Fatal(err)
	}
	if e.progBTF, err = pb.Spec(); err != nil {
		t.Fatal(err)
	}

	// ---- maps ----
	spin := opaque("bpf_spin_lock", 4)
	resSpin := opaque("bpf_res_spin_lock", 4)
	rbRoot := opaque("bpf_rb_root", 16)
	listHead := opaque("bpf_list_head", 16)
	arrVal := &btf.Struct{Name: "val", Size: 16, Members: []btf.Member{member("a", tU64, 0), member("b", tU64, 8)}}
	lockedVal := &btf.Struct{Name: "locked_val", Size: 24, Members: []btf.Member{
		member("cnt", tU64, 0), member("lock", spin, 8), member("x", tU32, 12), member("y", tU64, 16)}}
	locked2Val := &btf.Struct{Name: "locked2_val", Size: 16, Members: []btf.Member{
		member("lock", spin, 0), member("pad", tU32, 4), member("val", tU64, 8)}}
	dataVal := &btf.Struct{Name: ".data", Size: 16, Members: []btf.Member{
		member("a", spin, 0), member("b", spin, 4), member("c", tU64, 8)}}
	treeVal := &btf.Struct{Name: "tree_val", Size: 40, Members: []btf.Member{
		member("lock", spin, 0), member("pad", tU32, 4),
		member("root", rbRoot, 8, "contains:node_data:node"),
		member("head", listHead, 24, "contains:node_data:lnode")}}
	resVal := &btf.Struct{Name: "res_val", Size: 8, Members: []btf.Member{member("lock", resSpin, 0), member("x", tU32, 4)}}
	u64v := &btf.Struct{Name: "u64v", Size: 8, Members: []btf.Member{member("v", tU64, 0)}}
	timerVal := &btf.Struct{Name: "timer_val", Size: 24, Members: []btf.Member{
		member("t", opaque("bpf_timer", 16), 0), member("cnt", tU64, 16)}}
	kptr := func(tag string, t btf.Type) *btf.Pointer { return ptr(&btf.TypeTag{Value: tag, Type: t}) }
	kptrVal := &btf.Struct{Name: "kptr_val", Size: 32, Members: []btf.Member{
		member("n", kptr("kptr", node), 0), member("m", kptr("kptr", bpfCpumask), 8),
		member("r", kptr("kptr", rnode), 16), member("u", kptr("kptr_untrusted", node), 24)}}
	rtreeVal := &btf.Struct{Name: "rtree_val", Size: 24, Members: []btf.Member{
		member("lock", spin, 0), member("pad", tU32, 4), member("root", rbRoot, 8, "contains:rnode_data:rb")}}
	half := &btf.Struct{Name: "half", Size: 24, Members: []btf.Member{
		member("lock", spin, 0), member("pad", tU32, 4), member("root", rbRoot, 8, "contains:node_data:node")}}
	twoVal := &btf.Struct{Name: "two_trees", Size: 48, Members: []btf.Member{member("a", half, 0), member("b", half, 24)}}
	ambigVal := &btf.Struct{Name: "ambig", Size: 24, Members: []btf.Member{
		member("l1", spin, 0), member("l2", spin, 4), member("root", rbRoot, 8, "contains:node_data:node")}}
	// .rodata: a = 3 (the bound of accept_rodata_*), b = 1<<40 + 0x0201
	rodata := make([]byte, 16)
	rodata[0] = 3
	rodata[8], rodata[9], rodata[13] = 1, 2, 1
	e.maps = []*bpfvm.MapSpec{
		{Name: "arr", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 4, Value: arrVal},
		{Name: "hash", Type: bpfvm.MapHash, KeySize: 8, ValueSize: 8, MaxEntries: 64, Value: u64v},
		{Name: "locked", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 24, MaxEntries: 4, Value: lockedVal},
		{Name: "locked2", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 4, Value: locked2Val},
		{Name: ".data", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, Value: dataVal, Section: ".data"},
		{Name: ".rodata", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, Value: arrVal, Section: ".rodata", ReadOnly: true, Data: rodata},
		{Name: "tree", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 40, MaxEntries: 1, Value: treeVal},
		{Name: "res", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4, Value: resVal},
		{Name: "res2", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4, Value: resVal},
		{Name: "timers", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 24, MaxEntries: 4, Value: timerVal},              // 9
		{Name: "queue", Type: bpfvm.MapQueue, KeySize: 0, ValueSize: 4, MaxEntries: 16},                                // 10
		{Name: "tstore", Type: bpfvm.MapTaskStorage, KeySize: 4, ValueSize: 16, MaxEntries: 0, Value: arrVal},          // 11
		{Name: "kptrs", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 32, MaxEntries: 4, Value: kptrVal},                // 12
		{Name: "rtree", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 24, MaxEntries: 1, Value: rtreeVal},               // 13
		{Name: "two_trees", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 48, MaxEntries: 1, Value: twoVal},             // 14
		{Name: "ambig", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 24, MaxEntries: 1, Value: ambigVal},               // 15
		{Name: "wronly", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, Value: arrVal, Flags: 1 << 8}, // 16 BPF_F_WRONLY_PROG
		{Name: "rdonly", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, Value: arrVal, Flags: 1 << 7}, // 17 BPF_F_RDONLY_PROG
		{Name: "arena", Type: bpfvm.MapArena, KeySize: 0, ValueSize: 0, MaxEntries: 16},                                // 18
		{Name: "queues", Type: bpfvm.MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, // 19: inner maps are queues
			Inner: &bpfvm.MapSpec{Name: "queues.inner", Type: bpfvm.MapQueue, ValueSize: 4, MaxEntries: 16}},
		{Name: "progs", Type: 3, KeySize: 4, ValueSize: 4, MaxEntries: 4}, // 20: a program array (not modelled)
	}

	// ---- helpers ----
	A := func(a ...bpfvm.ArgType) [5]bpfvm.ArgType {
		var r [5]bpfvm.ArgType
		copy(r[:], a)
		return r
	}
	// queue, task storage and timer helpers as the runtime declares them
	bpfvm.RegisterMapHelpers(e.reg)
	for _, h := range []*bpfvm.Helper{
		{ID: 1, Name: "bpf_map_lookup_elem", Args: A(bpfvm.ArgConstMapPtr, bpfvm.ArgPtrToMapKey), Ret: bpfvm.RetPtrToMapValueOrNull},
		{ID: 2, Name: "bpf_map_update_elem", Args: A(bpfvm.ArgConstMapPtr, bpfvm.ArgPtrToMapKey, bpfvm.ArgPtrToMapValue, bpfvm.ArgScalar)},
		{ID: 3, Name: "bpf_map_delete_elem", Args: A(bpfvm.ArgConstMapPtr, bpfvm.ArgPtrToMapKey)},
		{ID: 5, Name: "bpf_ktime_get_ns", LockSafe: true},
		{ID: 6, Name: "bpf_trace_printk", Args: A(bpfvm.ArgPtrToMem, bpfvm.ArgConstSize)},
		{ID: 7, Name: "bpf_get_prandom_u32"},
		{ID: 8, Name: "bpf_get_smp_processor_id"},
		{ID: 93, Name: "bpf_spin_lock", Args: A(bpfvm.ArgPtrToSpinLock), Ret: bpfvm.RetVoid},
		{ID: 94, Name: "bpf_spin_unlock", Args: A(bpfvm.ArgPtrToSpinLock), Ret: bpfvm.RetVoid},
		{ID: 113, Name: "bpf_probe_read_kernel", Args: A(bpfvm.ArgPtrToUninitMem, bpfvm.ArgConstSizeOrZero, bpfvm.ArgAnything)},
		{ID: 158, Name: "bpf_get_current_task_btf", Ret: bpfvm.RetPtrToBTFID, RetBTFType: "task_struct"},
		{ID: 181, Name: "bpf_loop", Args: A(bpfvm.ArgScalar, bpfvm.ArgPtrToFunc, bpfvm.ArgAnything, bpfvm.ArgScalar)},
		// as bpfvm.RegisterGraph declares it; the verifier knows its rules
		{ID: 194, Name: "bpf_kptr_xchg", Args: A(bpfvm.ArgAnything, bpfvm.ArgAnything), Ret: bpfvm.RetPtrToBTFIDOrNull,
			Acquire: true, Release: true, ReleaseArg: 1, LockSafe: true},
	} {
		e.reg.AddHelper(h)
	}
	// ---- kfuncs ----
	taskP := ptr(task)
	bcmP := ptr(bpfCpumask)
	voidP := ptr(tVoid)
	for _, k := range []*bpfvm.Kfunc{
		{Name: "bpf_task_from_pid", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull, Proto: proto(taskP, param("pid", tS32))},
		{Name: "bpf_task_release", Flags: bpfvm.KfRelease, Proto: proto(tVoid, param("p", taskP))},
		{Name: "bpf_task_acquire", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfTrustedArgs, Proto: proto(taskP, param("p", taskP))},
		{Name: "bpf_cpumask_create", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull, Proto: proto(bcmP)},
		{Name: "bpf_cpumask_release", Flags: bpfvm.KfRelease, Proto: proto(tVoid, param("cpumask", bcmP))},
		{Name: "bpf_cpumask_set_cpu", Flags: bpfvm.KfTrustedArgs, Proto: proto(tVoid, param("cpu", tU32), param("cpumask", bcmP))},
		{Name: "bpf_cpumask_test_cpu", Flags: bpfvm.KfTrustedArgs | bpfvm.KfRCU, Proto: proto(tBool, param("cpu", tU32), param("cpumask", ptr(cpumask)))},
		{Name: "bpf_obj_new_impl", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfLockSafe, Proto: proto(voidP, param("local_type_id__k", tU64), param("meta__ign", voidP))},
		{Name: "bpf_obj_drop_impl", Flags: bpfvm.KfRelease | bpfvm.KfLockSafe, Proto: proto(tVoid, param("p__alloc", voidP), param("meta__ign", voidP))},
		{Name: "bpf_rbtree_add_impl", Flags: bpfvm.KfLockSafe},
		{Name: "bpf_rbtree_first", Flags: bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_rbtree_remove", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_list_push_front_impl", Flags: bpfvm.KfLockSafe},
		{Name: "bpf_list_push_back_impl", Flags: bpfvm.KfLockSafe},
		{Name: "bpf_list_pop_front", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_list_pop_back", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_list_front", Flags: bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_list_back", Flags: bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_rbtree_root", Flags: bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_rbtree_left", Flags: bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_rbtree_right", Flags: bpfvm.KfRetNull | bpfvm.KfLockSafe},
		{Name: "bpf_refcount_acquire_impl", Flags: bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfRCU | bpfvm.KfLockSafe},
		{Name: "bpf_res_spin_lock"},
		{Name: "bpf_res_spin_unlock"},
		{Name: "bpf_iter_num_new", Flags: bpfvm.KfIter},
		{Name: "bpf_iter_num_next", Flags: bpfvm.KfIter | bpfvm.KfRetNull},
		{Name: "bpf_iter_num_destroy", Flags: bpfvm.KfIter},
		{Name: "scx_bpf_dsq_insert", Flags: bpfvm.KfLockSafe | bpfvm.KfTrustedArgs, Proto: proto(tVoid, param("p", taskP), param("dsq_id", tU64), param("slice", tU64), param("enq_flags", tU64))},
		{Name: "scx_bpf_kick_cpu", Proto: proto(tVoid, param("cpu", tS32), param("flags", tU64))},
		{Name: "scx_bpf_nr_cpu_ids", Proto: proto(tU32)},
		{Name: "scx_bpf_now", Proto: proto(tU64)},
		{Name: "scx_bpf_exit_bstr", Proto: proto(tVoid, param("exit_code", tS64), param("fmt", ptr(tU8)), param("data", ptr(tU64)), param("data__sz", tU32))},
		{Name: "scx_sleepy", Flags: bpfvm.KfSleepable, Proto: proto(tVoid)},
		// kfuncs of each trust kind (check_kfunc_args): no flags, KF_RCU
		{Name: "test_kfunc_plain_task", Proto: proto(tVoid, param("p", taskP))},
		{Name: "test_kfunc_rcu_task", Flags: bpfvm.KfRCU, Proto: proto(tVoid, param("p", taskP))},
		{Name: "test_kfunc_u64_ptr", Proto: proto(tVoid, param("x", ptr(tU64)))},
		{Name: "test_kfunc_scalar_struct", Proto: proto(tVoid, param("v", ptr(arrVal)))},
		{Name: "bpf_rcu_read_lock", Flags: bpfvm.KfLockSafe, Proto: proto(tVoid)},
		{Name: "bpf_rcu_read_unlock", Flags: bpfvm.KfLockSafe, Proto: proto(tVoid)},
	} {
		e.reg.AddKfunc(k)
	}
	return e
}

func (e *testEnv) env() *Env {
	return &Env{Maps: e.maps, Registry: e.reg, KernelBTF: e.kbtf, WritableField: e.writable,
		ReadOnlyValue: e.readOnlyValue}
}

// readOnlyValue reads the initial data of a read-only map, as the policy
// loader reads the frozen map's memory.
func (e *testEnv) readOnlyValue(i int, off, size uint32) (uint64, bool) {
	if i < 0 || i >= len(e.maps) || !e.maps[i].ReadOnly || uint64(off)+uint64(size) > uint64(len(e.maps[i].Data)) {
		return 0, false
	}
	var x uint64
	for k := int(size) - 1; k >= 0; k-- {
		x = x<<8 | uint64(e.maps[i].Data[off+uint32(k)])
	}
	return x, true
}
