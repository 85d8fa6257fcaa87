package bpfvm

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cilium/ebpf/btf"
)

// Helper and kfunc ids and names served by RegisterBase.
const (
	HelperLoop = 181 // BPF_FUNC_loop
)

// Negative errno values the base helpers return.
const (
	retEINVAL = ^uint64(22 - 1) // -EINVAL
	retE2BIG  = ^uint64(7 - 1)  // -E2BIG
)

// RegisterBase registers the generic helpers and kfuncs that need the VM
// itself rather than a simulated kernel: bpf_loop (helper 181) and the
// open-coded numeric iterator bpf_iter_num_new/next/destroy (what
// bpf_for() and bpf_repeat() compile to). Semantics follow
// kernel/bpf/bpf_iter.c.
func RegisterBase(r *Registry) {
	r.AddHelper(&Helper{
		ID:   HelperLoop,
		Name: "bpf_loop",
		Fn:   bpfLoop,
		// kernel: ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING
		Args: [5]ArgType{ArgAnything, ArgPtrToFunc, ArgAnything, ArgAnything},
		Ret:  RetInteger,
	})

	s32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	iter := &btf.Struct{Name: "bpf_iter_num", Size: 8, Members: []btf.Member{
		{Name: "__opaque", Type: &btf.Array{Type: &btf.Int{Name: "long long unsigned int", Size: 8}, Index: s32, Nelems: 1}},
	}}
	itp := &btf.Pointer{Target: iter}
	r.AddKfunc(&Kfunc{
		Name:  "bpf_iter_num_new",
		Fn:    iterNumNew,
		Flags: KfIter | KfLockSafe, // schedsim: bounded iteration is allowed under a lock
		Proto: &btf.FuncProto{Return: s32, Params: []btf.FuncParam{{Name: "it", Type: itp}, {Name: "start", Type: s32}, {Name: "end", Type: s32}}},
	})
	r.AddKfunc(&Kfunc{
		Name:  "bpf_iter_num_next",
		Fn:    iterNumNext,
		Flags: KfIter | KfRetNull | KfLockSafe,
		Proto: &btf.FuncProto{Return: &btf.Pointer{Target: s32}, Params: []btf.FuncParam{{Name: "it", Type: itp}}},
	})
	r.AddKfunc(&Kfunc{
		Name:  "bpf_iter_num_destroy",
		Fn:    iterNumDestroy,
		Flags: KfIter | KfLockSafe,
		Proto: &btf.FuncProto{Return: (*btf.Void)(nil), Params: []btf.FuncParam{{Name: "it", Type: itp}}},
	})
}

// bpfLoop is long bpf_loop(u32 nr_loops, void *callback_fn, void
// *callback_ctx, u64 flags): it calls callback_fn(i, callback_ctx) for i
// in [0, nr_loops) until the callback returns non-zero, and returns the
// number of calls made.
func bpfLoop(c *Context, nrLoops, fn, ctx, flags, _ uint64) (uint64, error) {
	if flags != 0 {
		return retEINVAL, nil
	}
	n := uint32(nrLoops)
	if n > MaxLoops {
		return retE2BIG, nil
	}
	pc, ok := FuncPC(fn)
	if !ok {
		return 0, fmt.Errorf("callback %#x is not the address of a subprogram", fn)
	}
	for i := uint32(0); i < n; i++ {
		ret, err := c.CallSubprog(c.Prog, pc, uint64(i), ctx)
		if err != nil {
			return 0, err
		}
		if ret != 0 {
			return uint64(i) + 1, nil
		}
	}
	return uint64(n), nil
}

// struct bpf_iter_num_kern { int cur; int end; } in the 8 bytes of
// struct bpf_iter_num.
func iterState(c *Context, it uint64) ([]byte, error) {
	b, err := c.VM.Mem.Bytes(it, 8)
	if err != nil {
		return nil, errors.New("iterator state: " + err.Error())
	}
	return b, nil
}

func getI32(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) }

func putI32(b []byte, v int32) { binary.LittleEndian.PutUint32(b, uint32(v)) }

func iterNumNew(c *Context, it, start, end, _, _ uint64) (uint64, error) {
	b, err := iterState(c, it)
	if err != nil {
		return 0, err
	}
	s, e := int32(start), int32(end)
	if s > e {
		putI32(b[0:], 0)
		putI32(b[4:], 0)
		return retEINVAL, nil
	}
	if int64(e)-int64(s) > MaxLoops {
		putI32(b[0:], 0)
		putI32(b[4:], 0)
		return retE2BIG, nil
	}
	putI32(b[0:], s-1) // next() increments before returning
	putI32(b[4:], e)
	return 0, nil
}

func iterNumNext(c *Context, it, _, _, _, _ uint64) (uint64, error) {
	b, err := iterState(c, it)
	if err != nil {
		return 0, err
	}
	cur, end := getI32(b[0:]), getI32(b[4:])
	if int64(cur+1) >= int64(end) { // int wraps as in C; see bpf_iter.c
		putI32(b[0:], 0)
		putI32(b[4:], 0)
		return 0, nil
	}
	putI32(b[0:], cur+1)
	return it, nil // &s->cur
}

func iterNumDestroy(c *Context, it, _, _, _, _ uint64) (uint64, error) {
	b, err := iterState(c, it)
	if err != nil {
		return 0, err
	}
	putI32(b[0:], 0)
	putI32(b[4:], 0)
	return 0, nil
}
