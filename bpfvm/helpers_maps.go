package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// Kernel helper ids (enum bpf_func_id) served by RegisterMapHelpers.
const (
	HelperMapLookupElem       = 1
	HelperMapUpdateElem       = 2
	HelperMapDeleteElem       = 3
	HelperMapPushElem         = 87
	HelperMapPopElem          = 88
	HelperMapPeekElem         = 89
	HelperProbeReadKernel     = 113
	HelperProbeReadKernelStr  = 115
	HelperTaskStorageGet      = 156
	HelperTaskStorageDelete   = 157
	HelperCgrpStorageGet      = 210
	HelperCgrpStorageDelete   = 211
	HelperForEachMapElem      = 164
	HelperTimerInit           = 169
	HelperTimerSetCallback    = 170
	HelperTimerStart          = 171
	HelperTimerCancel         = 172
	HelperMapLookupPercpuElem = 195
)

// RegisterMapHelpers registers the map, probe-read, task storage and
// bpf_timer helpers with their kernel ids and prototypes.
//
// Costs are rough simulated nanoseconds of the kernel implementation. The
// map and probe-read helpers are LockSafe (schedsim allows them under a
// lock); the timer helpers and bpf_for_each_map_elem, which runs BPF
// callbacks, are not.
func RegisterMapHelpers(r *Registry) {
	a := func(ts ...ArgType) (out [5]ArgType) {
		copy(out[:], ts)
		return out
	}
	for _, h := range []*Helper{
		{ID: HelperMapLookupElem, Name: "bpf_map_lookup_elem", Fn: helperMapLookup,
			Args: a(ArgConstMapPtr, ArgPtrToMapKey), Ret: RetPtrToMapValueOrNull, LockSafe: true, Cost: 15, Native: NativeMapLookup},
		{ID: HelperMapUpdateElem, Name: "bpf_map_update_elem", Fn: helperMapUpdate,
			Args: a(ArgConstMapPtr, ArgPtrToMapKey, ArgPtrToMapValue, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 40},
		{ID: HelperMapDeleteElem, Name: "bpf_map_delete_elem", Fn: helperMapDelete,
			Args: a(ArgConstMapPtr, ArgPtrToMapKey), Ret: RetInteger, LockSafe: true, Cost: 30},
		{ID: HelperMapPushElem, Name: "bpf_map_push_elem", Fn: helperMapPush,
			Args: a(ArgConstMapPtr, ArgPtrToMapValue, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 20},
		{ID: HelperMapPopElem, Name: "bpf_map_pop_elem", Fn: helperMapPop,
			Args: a(ArgConstMapPtr, ArgPtrToUninitMapValue), Ret: RetInteger, LockSafe: true, Cost: 20},
		{ID: HelperMapPeekElem, Name: "bpf_map_peek_elem", Fn: helperMapPeek,
			Args: a(ArgConstMapPtr, ArgPtrToUninitMapValue), Ret: RetInteger, LockSafe: true, Cost: 20},
		{ID: HelperProbeReadKernel, Name: "bpf_probe_read_kernel", Fn: helperProbeRead,
			Args: a(ArgPtrToUninitMem, ArgConstSizeOrZero, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 10},
		{ID: HelperProbeReadKernelStr, Name: "bpf_probe_read_kernel_str", Fn: helperProbeReadStr,
			Args: a(ArgPtrToUninitMem, ArgConstSizeOrZero, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 20},
		{ID: HelperTaskStorageGet, Name: "bpf_task_storage_get", Fn: helperTaskStorageGet,
			Args:       a(ArgConstMapPtr, ArgPtrToBTFIDOrNull, ArgPtrToMapValueOrNull, ArgAnything),
			ArgBTFType: [5]string{1: "task_struct"}, Ret: RetPtrToMapValueOrNull, LockSafe: true, Cost: 15},
		{ID: HelperTaskStorageDelete, Name: "bpf_task_storage_delete", Fn: helperTaskStorageDelete,
			Args: a(ArgConstMapPtr, ArgPtrToBTFID), ArgBTFType: [5]string{1: "task_struct"}, Ret: RetInteger, LockSafe: true, Cost: 30},
		{ID: HelperCgrpStorageGet, Name: "bpf_cgrp_storage_get", Fn: helperTaskStorageGet,
			Args:       a(ArgConstMapPtr, ArgPtrToBTFIDOrNull, ArgPtrToMapValueOrNull, ArgAnything),
			ArgBTFType: [5]string{1: "cgroup"}, Ret: RetPtrToMapValueOrNull, LockSafe: true, Cost: 15},
		{ID: HelperCgrpStorageDelete, Name: "bpf_cgrp_storage_delete", Fn: helperTaskStorageDelete,
			Args: a(ArgConstMapPtr, ArgPtrToBTFID), ArgBTFType: [5]string{1: "cgroup"}, Ret: RetInteger, LockSafe: true, Cost: 30},
		{ID: HelperRingbufOutput, Name: "bpf_ringbuf_output", Fn: helperRingbufOutput,
			Args: a(ArgConstMapPtr, ArgPtrToMem, ArgConstSizeOrZero, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 30},
		{ID: HelperRingbufReserve, Name: "bpf_ringbuf_reserve", Fn: helperRingbufReserve,
			Args: a(ArgConstMapPtr, ArgAnything, ArgAnything), Ret: RetPtrToMemOrNull, Acquire: true, LockSafe: true, Cost: 20},
		{ID: HelperRingbufSubmit, Name: "bpf_ringbuf_submit", Fn: ringbufCommit(true),
			Args: a(ArgAnything, ArgAnything), Ret: RetVoid, Release: true, LockSafe: true, Cost: 20},
		{ID: HelperRingbufDiscard, Name: "bpf_ringbuf_discard", Fn: ringbufCommit(false),
			Args: a(ArgAnything, ArgAnything), Ret: RetVoid, Release: true, LockSafe: true, Cost: 10},
		{ID: HelperRingbufQuery, Name: "bpf_ringbuf_query", Fn: helperRingbufQuery,
			Args: a(ArgConstMapPtr, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 5},
		{ID: HelperForEachMapElem, Name: "bpf_for_each_map_elem", Fn: helperForEachMapElem,
			Args: a(ArgConstMapPtr, ArgPtrToFunc, ArgPtrToStack, ArgAnything), Ret: RetInteger, Cost: 20},
		{ID: HelperTimerInit, Name: "bpf_timer_init", Fn: helperTimerInit,
			Args: a(ArgPtrToTimer, ArgConstMapPtr, ArgAnything), Ret: RetInteger, Cost: 50},
		{ID: HelperTimerSetCallback, Name: "bpf_timer_set_callback", Fn: helperTimerSetCallback,
			Args: a(ArgPtrToTimer, ArgPtrToFunc), Ret: RetInteger, Cost: 20},
		{ID: HelperTimerStart, Name: "bpf_timer_start", Fn: helperTimerStart,
			Args: a(ArgPtrToTimer, ArgAnything, ArgAnything), Ret: RetInteger, Cost: 50},
		{ID: HelperTimerCancel, Name: "bpf_timer_cancel", Fn: helperTimerCancel,
			Args: a(ArgPtrToTimer), Ret: RetInteger, Cost: 50},
		{ID: HelperMapLookupPercpuElem, Name: "bpf_map_lookup_percpu_elem", Fn: helperMapLookupPercpu,
			Args: a(ArgConstMapPtr, ArgPtrToMapKey, ArgAnything), Ret: RetPtrToMapValueOrNull, LockSafe: true, Cost: 15},
	} {
		r.AddHelper(h)
	}
	registerUserRingbufHelpers(r)
}

// argMap resolves the map argument (an address from LD_IMM64 PseudoMapIdx
// or a map-in-map lookup).
func argMap(c *Context, addr uint64) (bpfMap, error) {
	if m := c.VM.mapAt(addr); m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("map argument %#x is not a map", addr)
}

// argBytes views n bytes of linear memory at addr for argument what.
func argBytes(c *Context, addr, n uint64, what string) ([]byte, error) {
	b, err := c.VM.Mem.Bytes(addr, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return b, nil
}

func mapKey(c *Context, m bpfMap, addr uint64) ([]byte, error) {
	return argBytes(c, addr, uint64(m.Spec().KeySize), "key")
}

func checkCPU(c *Context) error {
	if c.CPU < 0 || c.CPU >= max(c.VM.NumCPUs, 1) {
		return fmt.Errorf("context CPU %d outside the VM's %d CPUs", c.CPU, c.VM.NumCPUs)
	}
	return nil
}

func helperMapLookup(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return 0, err
	}
	if err := checkCPU(c); err != nil {
		return 0, err
	}
	key, err := mapKey(c, m, r2)
	if err != nil {
		return 0, err
	}
	return m.lookupElem(c.CPU, key), nil
}

func helperMapLookupPercpu(c *Context, r1, r2, r3, _, _ uint64) (uint64, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return 0, err
	}
	switch m.(type) {
	case *percpuArray, *percpuHash:
	default:
		return 0, nil
	}
	if r3 >= uint64(max(c.VM.NumCPUs, 1)) {
		return 0, nil
	}
	key, err := mapKey(c, m, r2)
	if err != nil {
		return 0, err
	}
	return m.lookupElem(int(r3), key), nil
}

func helperMapUpdate(c *Context, r1, r2, r3, r4, _ uint64) (uint64, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return 0, err
	}
	if err := checkCPU(c); err != nil {
		return 0, err
	}
	key, err := mapKey(c, m, r2)
	if err != nil {
		return 0, err
	}
	val, err := argBytes(c, r3, uint64(m.Spec().ValueSize), "value")
	if err != nil {
		return 0, err
	}
	if err := m.updateElem(c.CPU, key, val, r4); err != nil {
		return negErrno(errnoOf(err)), nil
	}
	return 0, nil
}

func helperMapDelete(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return 0, err
	}
	key, err := mapKey(c, m, r2)
	if err != nil {
		return 0, err
	}
	if err := m.deleteElem(key); err != nil {
		return negErrno(errnoOf(err)), nil
	}
	return 0, nil
}

func queueArg(c *Context, r1 uint64) (*queueMap, uint64, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return nil, 0, err
	}
	q, ok := m.(*queueMap)
	if !ok {
		return nil, negErrno(errnoEINVAL), nil
	}
	return q, 0, nil
}

func helperMapPush(c *Context, r1, r2, r3, _, _ uint64) (uint64, error) {
	q, ret, err := queueArg(c, r1)
	if q == nil {
		return ret, err
	}
	val, err := argBytes(c, r2, uint64(q.spec.ValueSize), "value")
	if err != nil {
		return 0, err
	}
	if err := q.Push(val, r3); err != nil {
		return negErrno(errnoOf(err)), nil
	}
	return 0, nil
}

func queueOut(c *Context, r1, r2 uint64, pop bool) (uint64, error) {
	q, ret, err := queueArg(c, r1)
	if q == nil {
		return ret, err
	}
	dst, err := argBytes(c, r2, uint64(q.spec.ValueSize), "value")
	if err != nil {
		return 0, err
	}
	if err := q.peekInto(dst, pop); err != nil {
		return negErrno(errnoOf(err)), nil
	}
	return 0, nil
}

func helperMapPop(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
	return queueOut(c, r1, r2, true)
}

func helperMapPeek(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
	return queueOut(c, r1, r2, false)
}

// helperProbeRead is bpf_probe_read_kernel(dst, size, src): "kernel memory"
// is the linear memory; an unreadable source zeroes dst and returns -EFAULT.
func helperProbeRead(c *Context, r1, r2, r3, _, _ uint64) (uint64, error) {
	dst, err := argBytes(c, r1, r2, "dst")
	if err != nil {
		return 0, err
	}
	src, err := c.VM.Mem.Bytes(r3, r2)
	if err != nil {
		clear(dst)
		return negErrno(errnoEFAULT), nil
	}
	copy(dst, src)
	return 0, nil
}

// helperProbeReadStr is bpf_probe_read_kernel_str(dst, size, src): copies
// a NUL-terminated string of at most size-1 bytes plus the NUL, and returns
// the bytes written including the NUL.
func helperProbeReadStr(c *Context, r1, r2, r3, _, _ uint64) (uint64, error) {
	dst, err := argBytes(c, r1, r2, "dst")
	if err != nil {
		return 0, err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	n := 0
	for ; n < len(dst)-1; n++ {
		b, err := c.VM.Mem.Bytes(r3+uint64(n), 1)
		if err != nil {
			clear(dst)
			return negErrno(errnoEFAULT), nil
		}
		if b[0] == 0 {
			break
		}
		dst[n] = b[0]
	}
	dst[n] = 0
	return uint64(n + 1), nil
}

func storageArg(c *Context, r1 uint64) (*taskStorage, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return nil, err
	}
	ts, ok := m.(*taskStorage)
	if !ok {
		return nil, fmt.Errorf("map %s is a %s, not task storage", m.Spec().Name, mapTypeName(m.Spec().Type))
	}
	return ts, nil
}

// helperTaskStorageGet is bpf_task_storage_get(map, task, value, flags).
func helperTaskStorageGet(c *Context, r1, r2, r3, r4, _ uint64) (uint64, error) {
	ts, err := storageArg(c, r1)
	if err != nil {
		return 0, err
	}
	if r2 == 0 || r4&^uint64(LocalStorageGetCreate) != 0 {
		return 0, nil
	}
	var init []byte
	if r3 != 0 {
		if init, err = argBytes(c, r3, uint64(ts.spec.ValueSize), "value"); err != nil {
			return 0, err
		}
	}
	addr, err := ts.get(r2, init, r4)
	if err != nil {
		return 0, nil // NULL, as the kernel on -ENOMEM / -E2BIG
	}
	return addr, nil
}

func helperTaskStorageDelete(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
	ts, err := storageArg(c, r1)
	if err != nil {
		return 0, err
	}
	if err := ts.deleteTask(r2); err != nil {
		return negErrno(errnoOf(err)), nil
	}
	return 0, nil
}

// helperForEachMapElem is bpf_for_each_map_elem(map, callback_fn,
// callback_ctx, flags): callback_fn(map, key, value, ctx) for each element
// (index order for arrays, insertion order for hashes) until it returns
// non-zero; returns the number of elements visited.
func helperForEachMapElem(c *Context, r1, r2, r3, r4, _ uint64) (uint64, error) {
	m, err := argMap(c, r1)
	if err != nil {
		return 0, err
	}
	if r4 != 0 {
		return negErrno(errnoEINVAL), nil
	}
	if err := checkCPU(c); err != nil {
		return 0, err
	}
	pc, ok := FuncPC(r2)
	if !ok || c.Prog == nil || pc >= len(c.Prog.Insns) {
		return 0, fmt.Errorf("callback_fn = %#x is not a subprogram of the running program", r2)
	}
	prog := c.Prog
	call := func(key, value uint64) (bool, error) {
		r0, err := c.CallSubprog(prog, pc, r1, key, value, r3)
		return r0 != 0, err
	}
	var n uint64
	switch mm := m.(type) {
	case *arrayMap, *percpuArray:
		var am *arrayMap
		if p, ok := mm.(*percpuArray); ok {
			am = p.arrayMap
		} else {
			am = mm.(*arrayMap)
		}
		key, err := c.VM.Mem.Alloc(8, 8)
		if err != nil {
			return negErrno(errnoENOMEM), nil
		}
		defer func() { _ = c.VM.Mem.Free(key) }()
		cpu := c.CPU
		if !am.percpu {
			cpu = 0
		}
		for i := range am.spec.MaxEntries {
			binary.LittleEndian.PutUint32(c.VM.Mem.MustBytes(key, 4), i)
			n++
			stop, err := call(key, am.slot(i, cpu))
			if err != nil {
				return 0, err
			}
			if stop {
				break
			}
		}
	case *hashMap, *percpuHash:
		var hm *hashMap
		if p, ok := mm.(*percpuHash); ok {
			hm = p.hashMap
		} else {
			hm = mm.(*hashMap)
		}
		cpu := c.CPU
		if !hm.percpu {
			cpu = 0
		}
		for _, e := range hm.elems() {
			if e.dead {
				continue
			}
			n++
			stop, err := call(e.addr, hm.valueAddr(e, cpu))
			if err != nil {
				return 0, err
			}
			if stop {
				break
			}
		}
	default:
		return negErrno(errnoEINVAL), nil
	}
	return n, nil
}

func helperTimerInit(c *Context, r1, r2, r3, _, _ uint64) (uint64, error) {
	return timerInit(c, r1, r2, r3)
}

func helperTimerSetCallback(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
	return timerSetCallback(c, r1, r2)
}

func helperTimerStart(c *Context, r1, r2, r3, _, _ uint64) (uint64, error) {
	return timerStart(c, r1, r2, r3)
}

func helperTimerCancel(c *Context, r1, _, _, _, _ uint64) (uint64, error) {
	return timerCancel(c, r1)
}
