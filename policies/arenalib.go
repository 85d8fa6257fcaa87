package policies

import (
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// runArenaLib does what scx's ArenaLib::setup() (rust/scx_arena
// arenalib.rs) does for a scheduler built on scx's arena library (lib/
// arena.bpf.c): initialise the allocators, then describe the topology to
// the BPF side one node at a time, the machine, each NUMA node, LLC, core
// and CPU, each node's CPU mask written by user space into arena memory
// that arena_alloc_mask returned.
func (b *BPFPolicy) runArenaLib(r *Recipe) error {
	st := r.ArenaLib
	fail := func(format string, args ...any) error {
		return fmt.Errorf("recipe %s: arena_lib: %s", r.file, fmt.Sprintf(format, args...))
	}
	prog := func(name string) (*bpfvm.Program, error) {
		if b.inst.Program(name) == nil {
			return nil, fail("the object has no SEC(\"syscall\") program %s (is it built with scx's lib/arena.bpf.c?)", name)
		}
		return b.program(r, name)
	}
	run := func(name string, ctx []byte) ([]byte, error) {
		p, err := prog(name)
		if err != nil {
			return nil, err
		}
		ret, out, err := b.progRun(p, ctx)
		if err != nil {
			return nil, fail("%s: %v", name, err)
		}
		if ret != 0 {
			return nil, fail("%s returned %d", name, ret)
		}
		return out, nil
	}
	le := binary.LittleEndian
	var taskSize uint64
	if st.TaskCtx != "" {
		var s *btf.Struct
		if b.obj.BTF == nil || b.obj.BTF.TypeByName(st.TaskCtx, &s) != nil {
			var td *btf.Typedef
			if b.obj.BTF == nil || b.obj.BTF.TypeByName(st.TaskCtx, &td) != nil {
				return fail("task_ctx: the object's BTF has no type %s", st.TaskCtx)
			}
			n, err := btf.Sizeof(td)
			if err != nil {
				return fail("task_ctx %s: %v", st.TaskCtx, err)
			}
			taskSize = uint64(n)
		} else {
			taskSize = uint64(s.Size)
		}
	}
	pages := st.StaticPages
	if pages == 0 {
		pages = 8
	}
	// struct arena_init_args { u64 static_pages; u64 task_ctx_size; }
	args := make([]byte, 16)
	le.PutUint64(args, pages)
	le.PutUint64(args[8:], taskSize)
	if _, err := run("arena_init", args); err != nil {
		return err
	}
	t := b.topo
	// struct arena_topology_init_args { u32 max_children[TOPO_MAX_LEVEL]; }:
	// children of the machine, a node, an LLC, a core, a CPU.
	maxKids := []uint32{uint32(len(t.NodeMask)), uint32(t.Spec.LLCsPerNode), uint32(t.Spec.CoresPerLLC),
		uint32(t.Spec.ThreadsPerCore), 0}
	args = make([]byte, 4*len(maxKids))
	for i, v := range maxKids {
		le.PutUint32(args[4*i:], v)
	}
	if _, err := run("arena_topology_init", args); err != nil {
		return err
	}
	node := func(mask *sim.CPUMask, words int, id int) error {
		// struct arena_alloc_mask_args { u64 bitmap; }
		out, err := run("arena_alloc_mask", make([]byte, 8))
		if err != nil {
			return err
		}
		bitmap := le.Uint64(out)
		dst, err := b.vm.Mem.Bytes(bitmap, uint64(8*words))
		if err != nil {
			return fail("arena_alloc_mask returned %#x, not arena memory: %v", bitmap, err)
		}
		for i := 0; i < words; i++ {
			w := uint64(0)
			if i < len(mask.Bits) {
				w = mask.Bits[i]
			}
			le.PutUint64(dst[8*i:], w)
		}
		// struct arena_topology_node_init_args { u64 bitmap, data_size, id; }
		args := make([]byte, 24)
		le.PutUint64(args, bitmap)
		le.PutUint64(args[16:], uint64(id))
		_, err = run("arena_topology_node_init", args)
		return err
	}
	// Cpumask::as_raw_slice(): the words covering nr_cpu_ids; a CPU's own
	// mask is MAX_CPU_ARRSZ - 1 words (arenalib.rs).
	words := (t.NumCPUs() + 63) / 64
	const cpuWords = (640+63)/64 - 1
	if err := node(&t.All, words, 0); err != nil {
		return err
	}
	for i := range t.NodeMask {
		if err := node(&t.NodeMask[i], words, i); err != nil {
			return err
		}
	}
	for i := range t.LLCMask {
		if err := node(&t.LLCMask[i], words, i); err != nil {
			return err
		}
	}
	for i := range t.CoreMask {
		if err := node(&t.CoreMask[i], words, i); err != nil {
			return err
		}
	}
	for _, c := range t.CPUs {
		var m sim.CPUMask
		m.Set(c.ID)
		if err := node(&m, cpuWords, c.ID); err != nil {
			return err
		}
	}
	return nil
}
