package bpfvm

import (
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf/btf"
)

// arenaMap is BPF_MAP_TYPE_ARENA (kernel/bpf/arena.c): MaxEntries pages of
// memory shared by the program and user space, handed out a page at a time
// by bpf_arena_alloc_pages(). In schedsim the arena is a page-aligned
// region of the VM's linear memory, and a pointer into it is the same
// address in both address spaces (the kernel's user_vm_start and
// kern_vm_start coincide), so addr_space_cast is a plain move (the loader
// rewrites it; Program.ArenaCasts lists where).
//
// The arena globals of the object (section .addr_space.1, __arena
// variables) sit at the end of the arena, as libbpf places them
// (arena_data_off = mmap size - rounded data size), in pages that count as
// allocated.
type arenaMap struct {
	mapBase
	data     uint64 // first byte of the arena
	npages   uint64
	used     []uint64 // bitmap of allocated pages
	globals  uint64   // offset of the globals
	nglobals uint64   // their size
}

const (
	arenaPageSize = 4096
	// maxArenaPages bounds the pages reserved for one arena (the kernel
	// allows 4 GiB); scx's arenas ask for 1<<20 pages and use few.
	maxArenaPages = 1 << 16
)

func newArenaMap(vm *VM, spec *MapSpec) (*arenaMap, error) {
	m := &arenaMap{}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	m.npages = min(uint64(spec.MaxEntries), maxArenaPages)
	addr, err := vm.Mem.Alloc(m.npages*arenaPageSize, arenaPageSize)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: arena %s (%d pages): %w: %v", spec.Name, m.npages, errNoMem, err)
	}
	m.data = addr
	m.used = make([]uint64, (m.npages+63)/64)
	m.globals = m.npages * arenaPageSize
	return m, nil
}

// placeGlobals reserves the last pages of the arena for n bytes of globals
// with initial contents data, and returns their offset.
func (m *arenaMap) placeGlobals(data []byte, n uint64) (uint64, error) {
	pages := (n + arenaPageSize - 1) / arenaPageSize
	if pages > m.npages {
		return 0, fmt.Errorf("bpfvm: arena %s: %d bytes of arena globals do not fit its %d pages", m.spec.Name, n, m.npages)
	}
	first := m.npages - pages
	for p := first; p < m.npages; p++ {
		m.used[p/64] |= 1 << (p % 64)
	}
	m.globals, m.nglobals = first*arenaPageSize, n
	copy(m.mem().MustBytes(m.data+m.globals, n), data)
	return m.globals, nil
}

func (m *arenaMap) ValueAddr(uint32) (uint64, bool) { return 0, false }

func (m *arenaMap) pageUsed(p uint64) bool { return m.used[p/64]&(1<<(p%64)) != 0 }

// alloc is bpf_arena_alloc_pages(): cnt zeroed pages at the user address
// addr (0: the lowest free range), or 0.
func (m *arenaMap) alloc(addr, cnt uint64) uint64 {
	if cnt == 0 || cnt > m.npages {
		return 0
	}
	start := uint64(0)
	if addr != 0 {
		if addr < m.data || (addr-m.data)%arenaPageSize != 0 {
			return 0
		}
		start = (addr - m.data) / arenaPageSize
		if start+cnt > m.npages {
			return 0
		}
		for p := start; p < start+cnt; p++ {
			if m.pageUsed(p) {
				return 0
			}
		}
	} else {
		run := uint64(0)
		found := false
		for p := uint64(0); p < m.npages; p++ {
			if m.pageUsed(p) {
				run = 0
				continue
			}
			run++
			if run == cnt {
				start, found = p+1-cnt, true
				break
			}
		}
		if !found {
			return 0
		}
	}
	for p := start; p < start+cnt; p++ {
		m.used[p/64] |= 1 << (p % 64)
	}
	a := m.data + start*arenaPageSize
	clear(m.mem().MustBytes(a, cnt*arenaPageSize))
	return a
}

// free is bpf_arena_free_pages(): the pages of [addr, +cnt) that are
// allocated become free (the kernel unmaps them; here they stay readable).
func (m *arenaMap) free(addr, cnt uint64) {
	if addr < m.data {
		return
	}
	start := (addr - m.data) / arenaPageSize
	for p := start; p < start+cnt && p < m.npages; p++ {
		m.used[p/64] &^= 1 << (p % 64)
	}
}

// Addresses user space sees (the arena is mmapable).

// Data returns the arena's bytes: user space reads and writes arena memory
// through it, as it would through the arena's mmap.
func (m *arenaMap) Data() []byte { return m.mem().MustBytes(m.data, m.npages*arenaPageSize) }

// Base is the address of the arena's first byte (user_vm_start).
func (m *arenaMap) Base() uint64 { return m.data }

// The map API: an arena has no keys.
func (m *arenaMap) Lookup([]byte) ([]byte, error) { return nil, m.errf(ErrNotSupported, "lookup") }
func (m *arenaMap) Update([]byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *arenaMap) Delete([]byte) error                  { return m.errf(ErrNotSupported, "delete") }
func (m *arenaMap) Iterate(func(key, value []byte) bool) {}
func (m *arenaMap) Len() int                             { return 0 }
func (m *arenaMap) lookupElem(int, []byte) uint64        { return 0 }
func (m *arenaMap) updateElem(int, []byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *arenaMap) deleteElem([]byte) error { return m.errf(ErrNotSupported, "delete") }

// ArenaMap is implemented by arena maps: user space's view.
type ArenaMap interface {
	Map
	Base() uint64
	Data() []byte
}

// arenaGlobals is the .addr_space.1 section: a window on the arena's
// globals, so that LD_IMM64 of an __arena variable yields its address in
// the arena.
type arenaGlobals struct {
	mapBase
	arena *arenaMap
}

func (m *arenaGlobals) ValueAddr(off uint32) (uint64, bool) {
	if uint64(off) >= m.arena.nglobals {
		return 0, false
	}
	return m.arena.data + m.arena.globals + uint64(off), true
}
func (m *arenaGlobals) Lookup(key []byte) ([]byte, error) {
	if len(key) != 4 || binary.LittleEndian.Uint32(key) != 0 {
		return nil, m.errf(ErrKeyNotExist, "arena globals have key 0 only")
	}
	return append([]byte(nil), m.mem().MustBytes(m.arena.data+m.arena.globals, m.arena.nglobals)...), nil
}
func (m *arenaGlobals) Update(key, value []byte, _ uint64) error {
	if len(key) != 4 || binary.LittleEndian.Uint32(key) != 0 || uint64(len(value)) != m.arena.nglobals {
		return m.errf(ErrNotSupported, "update of arena globals: key 0 and the section's size only")
	}
	copy(m.mem().MustBytes(m.arena.data+m.arena.globals, m.arena.nglobals), value)
	return nil
}
func (m *arenaGlobals) Delete([]byte) error { return m.errf(ErrNotSupported, "delete") }
func (m *arenaGlobals) Iterate(fn func(key, value []byte) bool) {
	v, _ := m.Lookup([]byte{0, 0, 0, 0})
	fn([]byte{0, 0, 0, 0}, v)
}
func (m *arenaGlobals) Len() int                      { return 1 }
func (m *arenaGlobals) lookupElem(int, []byte) uint64 { return 0 }
func (m *arenaGlobals) updateElem(int, []byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *arenaGlobals) deleteElem([]byte) error { return m.errf(ErrNotSupported, "delete") }

// RegisterArena adds bpf_arena_alloc_pages and bpf_arena_free_pages
// (kernel/bpf/arena.c) to r.
func RegisterArena(r *Registry) {
	voidp := &btf.Pointer{Target: &btf.Void{}}
	u32 := &btf.Int{Name: "unsigned int", Size: 4}
	s32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	u64 := &btf.Int{Name: "long long unsigned int", Size: 8}
	p := func(name string, t btf.Type) btf.FuncParam { return btf.FuncParam{Name: name, Type: t} }
	r.AddKfunc(&Kfunc{Name: "bpf_arena_alloc_pages", Fn: kfArenaAlloc, Flags: KfTrustedArgs | KfSleepable,
		Proto: &btf.FuncProto{Return: voidp, Params: []btf.FuncParam{p("p__map", voidp), p("addr__ign", voidp),
			p("page_cnt", u32), p("node_id", s32), p("flags", u64)}}})
	r.AddKfunc(&Kfunc{Name: "bpf_arena_free_pages", Fn: kfArenaFree, Flags: KfTrustedArgs | KfSleepable,
		Proto: &btf.FuncProto{Return: &btf.Void{}, Params: []btf.FuncParam{p("p__map", voidp), p("ptr__ign", voidp),
			p("page_cnt", u32)}}})
}

func arenaArg(c *Context, r1 uint64, what string) (*arenaMap, error) {
	m, ok := c.VM.mapAt(r1).(*arenaMap)
	if !ok {
		return nil, fmt.Errorf("%s: %#x is not an arena map", what, r1)
	}
	return m, nil
}

// kfArenaAlloc: flags must be 0 and node_id NUMA_NO_NODE or a node (the
// simulator's memory has no nodes), else NULL.
func kfArenaAlloc(c *Context, r1, addr, cnt, node, flags uint64) (uint64, error) {
	m, err := arenaArg(c, r1, "bpf_arena_alloc_pages")
	if err != nil {
		return 0, err
	}
	if flags != 0 || int32(node) < -1 {
		return 0, nil
	}
	return m.alloc(addr, uint64(uint32(cnt))), nil
}

func kfArenaFree(c *Context, r1, addr, cnt, _, _ uint64) (uint64, error) {
	m, err := arenaArg(c, r1, "bpf_arena_free_pages")
	if err != nil {
		return 0, err
	}
	if addr != 0 {
		m.free(addr, uint64(uint32(cnt)))
	}
	return 0, nil
}
