package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// userRingbufMap is BPF_MAP_TYPE_USER_RINGBUF (kernel/bpf/ringbuf.c): a ring
// of MaxEntries bytes (a power of 2) that user space fills with samples and
// BPF programs drain with bpf_user_ringbuf_drain, in order. Each sample is
// an 8-byte header (its length, with BPF_RINGBUF_BUSY_BIT while user space
// writes it and BPF_RINGBUF_DISCARD_BIT if it was discarded) followed by
// the sample, 8-byte aligned, at the producer position; positions only
// grow, and a sample that crosses the end of the ring stays contiguous, as
// the kernel and libbpf map the data pages twice (the data area here is
// 2*MaxEntries bytes).
type userRingbufMap struct {
	mapBase
	data       uint64 // 2*MaxEntries bytes
	prod, cons uint64 // producer and consumer positions
	busy       bool   // a drain is in progress (rb->busy)
	dynptr     uint64 // the struct bpf_dynptr_kern the callback gets (16 bytes)
	// Drained and Discarded count the samples handed to callbacks and the
	// discarded samples skipped.
	Drained, Discarded uint64
}

// Header bits of a ring buffer sample (uapi BPF_RINGBUF_*).
const (
	ringbufBusyBit    = 1 << 31
	ringbufDiscardBit = 1 << 30
	// maxUserRingbufSamples is BPF_MAX_USER_RINGBUF_SAMPLES: the most
	// samples one bpf_user_ringbuf_drain call visits.
	maxUserRingbufSamples = 128 * 1024
	dynptrMaxSize         = 1<<24 - 1
)

func newUserRingbufMap(vm *VM, spec *MapSpec) (*userRingbufMap, error) {
	m := &userRingbufMap{}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	addr, err := vm.Mem.Alloc(2*uint64(spec.MaxEntries), 8)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: user_ringbuf %s: %w: %v", spec.Name, errNoMem, err)
	}
	m.data = addr
	if m.dynptr, err = vm.Mem.Alloc(16, 8); err != nil {
		return nil, fmt.Errorf("bpfvm: user_ringbuf %s: %w: %v", spec.Name, errNoMem, err)
	}
	return m, nil
}

// UserRingbuf is the user-space side of a BPF_MAP_TYPE_USER_RINGBUF map
// (libbpf's user_ring_buffer__reserve/submit/discard).
type UserRingbuf interface {
	Map
	// Reserve reserves size bytes for a sample and returns it, to fill
	// before Submit or Discard. The sample is busy until then: a drain
	// stops at it. It fails (ErrMapFull) when the ring has no room, as
	// libbpf's does with ENOSPC, and on a size over the ring's.
	Reserve(size uint32) (*UserRingbufSample, error)
	// Submit makes a reserved sample visible to bpf_user_ringbuf_drain.
	Submit(s *UserRingbufSample)
	// Discard releases a reserved sample: a drain skips it.
	Discard(s *UserRingbufSample)
	// Write reserves, fills and submits one sample.
	Write(sample []byte) error
	// Pending is the bytes written and not yet drained (headers included).
	Pending() uint64
}

// UserRingbufSample is a reserved sample: Data views its bytes in linear
// memory.
type UserRingbufSample struct {
	Data []byte
	hdr  uint64 // address of its header
}

func (m *userRingbufMap) size() uint64 { return uint64(m.spec.MaxEntries) }

func (m *userRingbufMap) Reserve(size uint32) (*UserRingbufSample, error) {
	total := (uint64(size) + ringbufHdr + 7) &^ 7
	if total > m.size() {
		return nil, m.errf(ErrMapFull, "sample of %d bytes larger than the ring", size)
	}
	if m.size()-(m.prod-m.cons) < total {
		return nil, m.errf(ErrMapFull, "no room for %d bytes", size)
	}
	hdr := m.data + m.prod&(m.size()-1)
	m.mem().Store32(hdr, size|ringbufBusyBit)
	m.mem().Store32(hdr+4, 0)
	m.prod += total
	b := m.mem().MustBytes(hdr+ringbufHdr, uint64(size))
	clear(b)
	return &UserRingbufSample{Data: b, hdr: hdr}, nil
}

func (m *userRingbufMap) Submit(s *UserRingbufSample) {
	m.mem().Store32(s.hdr, m.mem().Load32(s.hdr)&^ringbufBusyBit)
}

func (m *userRingbufMap) Discard(s *UserRingbufSample) {
	m.mem().Store32(s.hdr, m.mem().Load32(s.hdr)&^ringbufBusyBit|ringbufDiscardBit)
}

func (m *userRingbufMap) Write(sample []byte) error {
	s, err := m.Reserve(uint32(len(sample)))
	if err != nil {
		return err
	}
	copy(s.Data, sample)
	m.Submit(s)
	return nil
}

func (m *userRingbufMap) Pending() uint64 { return m.prod - m.cons }

// peek is __bpf_user_ringbuf_peek: the next sample's address and size, or
// a negative errno (-ENODATA: none, or busy; -EAGAIN: a discarded sample,
// now skipped).
func (m *userRingbufMap) peek() (addr uint64, size uint32, errno int64) {
	if m.cons >= m.prod {
		return 0, 0, -61 // -ENODATA
	}
	hdr := m.data + m.cons&(m.size()-1)
	h := m.mem().Load32(hdr)
	flags := h & (ringbufBusyBit | ringbufDiscardBit)
	n := h &^ flags
	total := (uint64(n) + ringbufHdr + 7) &^ 7
	switch {
	case total > m.prod-m.cons:
		return 0, 0, -errnoEINVAL
	case total > m.size(), n > dynptrMaxSize:
		return 0, 0, -errnoE2BIG
	case flags&ringbufDiscardBit != 0:
		m.cons += total
		return 0, 0, -errnoEAGAIN
	case flags&ringbufBusyBit != 0:
		return 0, 0, -61
	}
	return hdr + ringbufHdr, n, 0
}

func (m *userRingbufMap) ValueAddr(uint32) (uint64, bool) { return 0, false }
func (m *userRingbufMap) Lookup([]byte) ([]byte, error) {
	return nil, m.errf(ErrNotSupported, "lookup")
}
func (m *userRingbufMap) Update([]byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *userRingbufMap) Delete([]byte) error                  { return m.errf(ErrNotSupported, "delete") }
func (m *userRingbufMap) Iterate(func(key, value []byte) bool) {}
func (m *userRingbufMap) Len() int                             { return 0 }
func (m *userRingbufMap) lookupElem(int, []byte) uint64        { return 0 }
func (m *userRingbufMap) updateElem(int, []byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *userRingbufMap) deleteElem([]byte) error { return m.errf(ErrNotSupported, "delete") }

// Helper ids of the user ring buffer and dynptr helpers (enum bpf_func_id).
const (
	HelperDynptrFromMem        = 197
	HelperRingbufReserveDynptr = 198
	HelperRingbufSubmitDynptr  = 199
	HelperRingbufDiscardDynptr = 200
	HelperDynptrRead           = 201
	HelperDynptrWrite          = 202
	HelperDynptrData           = 203
	HelperUserRingbufDrain     = 209
)

// Flags of bpf_user_ringbuf_drain and bpf_ringbuf_* (BPF_RB_NO_WAKEUP,
// BPF_RB_FORCE_WAKEUP). schedsim has no waiting consumers: both only pass
// the flags check.
const (
	RBNoWakeup    = 1
	RBForceWakeup = 2
)

// struct bpf_dynptr_kern { void *data; u32 size; u32 offset; }: size holds
// the type in bits 28..30 and the read-only flag in bit 31
// (kernel/bpf/helpers.c).
const (
	dynptrTypeShift = 28
	dynptrSizeMask  = 0xffffff
	dynptrRdonlyBit = 1 << 31
	// DynptrLocal and DynptrRingbuf are enum bpf_dynptr_type's
	// BPF_DYNPTR_TYPE_LOCAL and BPF_DYNPTR_TYPE_RINGBUF.
	DynptrLocal   = 1
	DynptrRingbuf = 2
)

func registerUserRingbufHelpers(r *Registry) {
	a := func(ts ...ArgType) (out [5]ArgType) {
		copy(out[:], ts)
		return out
	}
	for _, h := range []*Helper{
		// bpf_user_ringbuf_drain: ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC,
		// ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING
		{ID: HelperUserRingbufDrain, Name: "bpf_user_ringbuf_drain", Fn: helperUserRingbufDrain,
			Args: a(ArgConstMapPtr, ArgPtrToFunc, ArgAnything, ArgAnything), Ret: RetInteger, Cost: 20},
		// bpf_dynptr_data: ARG_PTR_TO_DYNPTR | MEM_RDONLY, ARG_ANYTHING,
		// ARG_CONST_ALLOC_SIZE_OR_ZERO -> RET_PTR_TO_DYNPTR_MEM_OR_NULL
		{ID: HelperDynptrData, Name: "bpf_dynptr_data", Fn: helperDynptrData,
			Args: a(ArgPtrToDynptr, ArgAnything, ArgAnything), Ret: RetPtrToMemOrNull, LockSafe: true, Cost: 5},
		// bpf_dynptr_read: ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
		// ARG_PTR_TO_DYNPTR | MEM_RDONLY, ARG_ANYTHING, ARG_ANYTHING
		{ID: HelperDynptrRead, Name: "bpf_dynptr_read", Fn: helperDynptrRead,
			Args: a(ArgPtrToUninitMem, ArgConstSizeOrZero, ArgPtrToDynptr, ArgAnything, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 10},
		// bpf_dynptr_write: ARG_PTR_TO_DYNPTR | MEM_RDONLY, ARG_ANYTHING,
		// ARG_PTR_TO_MEM | MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING
		{ID: HelperDynptrWrite, Name: "bpf_dynptr_write", Fn: helperDynptrWrite,
			Args: a(ArgPtrToDynptr, ArgAnything, ArgPtrToMem, ArgConstSizeOrZero, ArgAnything), Ret: RetInteger, LockSafe: true, Cost: 10},
		// bpf_dynptr_from_mem: ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO,
		// ARG_ANYTHING, ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT
		{ID: HelperDynptrFromMem, Name: "bpf_dynptr_from_mem", Fn: helperDynptrFromMem,
			Args: a(ArgPtrToUninitMem, ArgConstSizeOrZero, ArgAnything, ArgPtrToDynptrUninit), Ret: RetInteger, LockSafe: true, Cost: 5},
		// bpf_ringbuf_reserve_dynptr: ARG_CONST_MAP_PTR, ARG_ANYTHING,
		// ARG_ANYTHING, ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT
		{ID: HelperRingbufReserveDynptr, Name: "bpf_ringbuf_reserve_dynptr", Fn: helperRingbufReserveDynptr,
			Args: a(ArgConstMapPtr, ArgAnything, ArgAnything, ArgPtrToDynptrUninit), Ret: RetInteger, LockSafe: true, Cost: 20},
		// bpf_ringbuf_submit/discard_dynptr: ARG_PTR_TO_DYNPTR |
		// DYNPTR_TYPE_RINGBUF | OBJ_RELEASE, ARG_ANYTHING
		{ID: HelperRingbufSubmitDynptr, Name: "bpf_ringbuf_submit_dynptr", Fn: ringbufCommitDynptr(true),
			Args: a(ArgPtrToDynptrRelease, ArgAnything), Ret: RetVoid, LockSafe: true, Cost: 20},
		{ID: HelperRingbufDiscardDynptr, Name: "bpf_ringbuf_discard_dynptr", Fn: ringbufCommitDynptr(false),
			Args: a(ArgPtrToDynptrRelease, ArgAnything), Ret: RetVoid, LockSafe: true, Cost: 10},
	} {
		r.AddHelper(h)
	}
}

// helperUserRingbufDrain is bpf_user_ringbuf_drain(map, callback_fn,
// callback_ctx, flags): callback_fn(dynptr, callback_ctx) for each sample
// in order, until the ring is empty (or the next sample is busy), the
// callback returns non-zero or BPF_MAX_USER_RINGBUF_SAMPLES were visited;
// each sample is consumed after its callback. It returns the samples
// visited, discarded ones not counted, or -EINVAL (flags), -EBUSY (a drain
// of this map is running: the callback called it again), -EINVAL/-E2BIG (a
// malformed sample).
func helperUserRingbufDrain(c *Context, r1, fn, ctx, flags, _ uint64) (uint64, error) {
	m, ok := c.VM.mapAt(r1).(*userRingbufMap)
	if !ok {
		return 0, fmt.Errorf("bpf_user_ringbuf_drain: %#x is not a user ring buffer map", r1)
	}
	if flags&^uint64(RBNoWakeup|RBForceWakeup) != 0 {
		return negErrno(errnoEINVAL), nil
	}
	pc, ok := FuncPC(fn)
	if !ok {
		return 0, fmt.Errorf("bpf_user_ringbuf_drain: callback %#x is not the address of a subprogram", fn)
	}
	if m.busy {
		return negErrno(errnoEBUSY), nil
	}
	m.busy = true
	defer func() { m.busy = false }()
	var samples, discarded int64
	ret := uint64(0)
	mem := c.VM.Mem
	for samples = 0; samples < maxUserRingbufSamples && ret == 0; samples++ {
		addr, size, errno := m.peek()
		if errno == -61 {
			break
		}
		if errno == -errnoEAGAIN {
			discarded++
			m.Discarded++
			continue
		}
		if errno != 0 {
			return uint64(errno), nil
		}
		mem.Store64(m.dynptr, addr)
		mem.Store32(m.dynptr+8, size|DynptrLocal<<dynptrTypeShift)
		mem.Store32(m.dynptr+12, 0)
		r, err := c.CallSubprog(c.Prog, pc, m.dynptr, ctx)
		mem.Store64(m.dynptr, 0) // the dynptr dies with the callback
		if err != nil {
			return 0, err
		}
		ret = r
		m.Drained++
		m.cons += (uint64(size) + ringbufHdr + 7) &^ 7
	}
	return uint64(samples - discarded), nil
}

// dynptr reads the struct bpf_dynptr_kern at p.
func dynptrAt(c *Context, p uint64) (data uint64, size uint32, typ uint32, rdonly bool, off uint32, err error) {
	b, err := c.VM.Mem.Bytes(p, 16)
	if err != nil {
		return 0, 0, 0, false, 0, fmt.Errorf("dynptr: %v", err)
	}
	sz := binary.LittleEndian.Uint32(b[8:])
	return binary.LittleEndian.Uint64(b), sz & dynptrSizeMask, (sz &^ dynptrRdonlyBit) >> dynptrTypeShift,
		sz&dynptrRdonlyBit != 0, binary.LittleEndian.Uint32(b[12:]), nil
}

// dynptrCheckOffLen is bpf_dynptr_check_off_len.
func dynptrCheckOffLen(size uint32, off, n uint64) bool {
	return n <= uint64(size) && off <= uint64(size)-n
}

func setDynptr(c *Context, p, data uint64, size uint32, typ uint32) {
	c.VM.Mem.Store64(p, data)
	c.VM.Mem.Store32(p+8, size|typ<<dynptrTypeShift)
	c.VM.Mem.Store32(p+12, 0)
}

func helperDynptrData(c *Context, p, off, n, _, _ uint64) (uint64, error) {
	data, size, typ, rdonly, doff, err := dynptrAt(c, p)
	if err != nil {
		return 0, err
	}
	off, n = uint64(uint32(off)), uint64(uint32(n))
	if data == 0 || !dynptrCheckOffLen(size, off, n) || rdonly || typ != DynptrLocal && typ != DynptrRingbuf {
		return 0, nil
	}
	return data + uint64(doff) + off, nil
}

func helperDynptrRead(c *Context, dst, n, src, off, flags uint64) (uint64, error) {
	data, size, _, _, doff, err := dynptrAt(c, src)
	if err != nil {
		return 0, err
	}
	off, n = uint64(uint32(off)), uint64(uint32(n))
	if data == 0 || flags != 0 {
		return negErrno(errnoEINVAL), nil
	}
	if !dynptrCheckOffLen(size, off, n) {
		return negErrno(errnoE2BIG), nil
	}
	d, err := argBytes(c, dst, n, "bpf_dynptr_read dst")
	if err != nil {
		return 0, err
	}
	s, err := argBytes(c, data+uint64(doff)+off, n, "bpf_dynptr_read src")
	if err != nil {
		return 0, err
	}
	copy(d, s)
	return 0, nil
}

func helperDynptrWrite(c *Context, dst, off, src, n, flags uint64) (uint64, error) {
	data, size, _, rdonly, doff, err := dynptrAt(c, dst)
	if err != nil {
		return 0, err
	}
	off, n = uint64(uint32(off)), uint64(uint32(n))
	if data == 0 || rdonly {
		return negErrno(errnoEINVAL), nil
	}
	if !dynptrCheckOffLen(size, off, n) {
		return negErrno(errnoE2BIG), nil
	}
	if flags != 0 {
		return negErrno(errnoEINVAL), nil
	}
	d, err := argBytes(c, data+uint64(doff)+off, n, "bpf_dynptr_write dst")
	if err != nil {
		return 0, err
	}
	s, err := argBytes(c, src, n, "bpf_dynptr_write src")
	if err != nil {
		return 0, err
	}
	copy(d, s)
	return 0, nil
}

func helperDynptrFromMem(c *Context, data, n, flags, p, _ uint64) (uint64, error) {
	if _, err := c.VM.Mem.Bytes(p, 16); err != nil {
		return 0, fmt.Errorf("bpf_dynptr_from_mem: %v", err)
	}
	n = uint64(uint32(n))
	switch {
	case n > dynptrMaxSize:
		setDynptr(c, p, 0, 0, 0)
		return negErrno(errnoE2BIG), nil
	case flags != 0:
		setDynptr(c, p, 0, 0, 0)
		return negErrno(errnoEINVAL), nil
	}
	setDynptr(c, p, data, uint32(n), DynptrLocal)
	return 0, nil
}

func helperRingbufReserveDynptr(c *Context, r1, size, flags, p, _ uint64) (uint64, error) {
	m, err := ringbufArg(c, r1, "bpf_ringbuf_reserve_dynptr")
	if err != nil {
		return 0, err
	}
	if _, err := c.VM.Mem.Bytes(p, 16); err != nil {
		return 0, fmt.Errorf("bpf_ringbuf_reserve_dynptr: %v", err)
	}
	size = uint64(uint32(size))
	if size > dynptrMaxSize {
		setDynptr(c, p, 0, 0, 0)
		return negErrno(errnoE2BIG), nil
	}
	if flags != 0 {
		setDynptr(c, p, 0, 0, 0)
		return negErrno(errnoEINVAL), nil
	}
	a := m.reserve(size)
	if a == 0 {
		setDynptr(c, p, 0, 0, 0)
		return negErrno(errnoEAGAIN), nil
	}
	setDynptr(c, p, a, uint32(size), DynptrRingbuf)
	return 0, nil
}

func ringbufCommitDynptr(submit bool) Func {
	commit := ringbufCommit(submit)
	return func(c *Context, p, flags, _, _, _ uint64) (uint64, error) {
		data, _, _, _, _, err := dynptrAt(c, p)
		if err != nil || data == 0 {
			return 0, err
		}
		setDynptr(c, p, 0, 0, 0)
		return commit(c, data, flags, 0, 0, 0)
	}
}
