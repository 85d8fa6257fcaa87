package jit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// miniLocks is a lock runtime on a bpfvm.NativeState as the contract of
// bpfvm/native_lock.go asks (policies/locks.go is the real one): the
// helpers move the native held stack to their own list first, keep each
// lock's state in its LockWord, and put a lock they took in the cache.
type miniLocks struct {
	vm    *bpfvm.VM
	ns    *bpfvm.NativeState
	words map[uint64]*bpfvm.LockWord
	held  [][]bpfvm.HeldLock
	calls int
}

func (l *miniLocks) sync(cpu int) {
	nc := &l.ns.CPUs[cpu]
	l.held[cpu] = append(l.held[cpu], nc.Held[:nc.N]...)
	nc.N = 0
}

func (l *miniLocks) lock(c *bpfvm.Context, addr, _, _, _, _ uint64) (uint64, error) {
	l.calls++
	l.sync(c.CPU)
	w := l.words[addr]
	if w == nil {
		w = &bpfvm.LockWord{Holder: -1}
		l.words[addr] = w
	}
	if w.Holder != -1 {
		return 0, fmt.Errorf("lock %#x held by cpu %d", addr-l.vm.Mem.Base(), w.Holder)
	}
	w.Holder, w.HeldAt = int64(c.CPU), l.ns.Now
	w.Acquisitions++
	l.held[c.CPU] = append(l.held[c.CPU], bpfvm.HeldLock{Addr: addr, Word: w.Addr(), PC: uint64(c.PC), At: l.ns.Now, Prog: uint64(l.vm.ProgramIndex(c.Prog))})
	l.ns.Cache[bpfvm.CacheIndex(addr)] = bpfvm.LockCacheEntry{Addr: addr, Word: w.Addr()}
	return 0, nil
}

func (l *miniLocks) unlock(c *bpfvm.Context, addr, _, _, _, _ uint64) (uint64, error) {
	l.calls++
	l.sync(c.CPU)
	w := l.words[addr]
	if w == nil || w.Holder != int64(c.CPU) {
		return 0, errors.New("unlock of a lock not held")
	}
	h := l.held[c.CPU]
	i := len(h) - 1
	for h[i].Addr != addr {
		i--
	}
	l.held[c.CPU] = append(h[:i], h[i+1:]...)
	d := l.ns.Now - w.HeldAt
	w.HoldTotal += d
	w.HoldMax = max(w.HoldMax, d)
	w.Holder = -1
	return 0, nil
}

// state renders what the runtime knows, after moving native entries.
func (l *miniLocks) state(locks []uint64) string {
	for cpu := range l.held {
		l.sync(cpu)
	}
	s := ""
	for cpu, h := range l.held {
		for _, e := range h {
			s += fmt.Sprintf("cpu%d holds %#x (word ok %v) pc %d at %d prog %d; ", cpu, e.Addr-l.vm.Mem.Base(), l.words[e.Addr].Addr() == e.Word, e.PC, e.At, e.Prog)
		}
	}
	for _, a := range locks {
		if w := l.words[a]; w != nil {
			s += fmt.Sprintf(" %+v", *w)
		}
	}
	return s
}

// TestNativeLocks compares bpf_spin_lock/unlock, scx_bpf_now-style clock
// reads, a kfunc returning 0 and bpf_rbtree_first served natively by the
// JIT with the helpers the interpreter calls: r0, faults, instructions,
// costs and the lock runtime's state (held lists with their sites, lock
// words), for nested locks, out-of-order unlocks, AA, more than
// NativeHeldMax locks, NativeState.On clear and a cost limit.
func TestNativeLocks(t *testing.T) {
	mem, err := bpfvm.NewMemory(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	locksAt, err := mem.Alloc(16*8, 8)
	if err != nil {
		t.Fatal(err)
	}
	var locks []uint64
	for i := range uint64(10) {
		locks = append(locks, locksAt+4*i)
	}
	root, _ := mem.Alloc(16, 8)
	binary.LittleEndian.PutUint64(mem.MustBytes(root+8, 8), 0x1234)
	// r1..r3: three lock indexes (r3 = 9: nine nested locks); r4: the
	// unlock order (0 LIFO, 1 FIFO); r5: the rbtree root
	src := `
	r6 = r1
	r7 = r2
	r8 = r3
	r9 = r4
	*(u64 *)(r10 -8) = r5
	call kfunc 1
	if r0 != 0 goto bad
	r0 = 0
	call kfunc 0
	*(u64 *)(r10 -16) = r0
	r1 = *(u64 *)(r10 -8)
	call kfunc 2
	*(u64 *)(r10 -24) = r0
	if r8 == 9 goto nine
	r1 = r6
	call 93
	r1 = r7
	call 93
	if r9 != 0 goto fifo
	r1 = r7
	call 94
	r1 = r6
	call 94
	goto out
fifo:
	r1 = r6
	call 94
	r1 = r7
	call 94
	goto out
nine:
	r6 = ` + fmt.Sprint(locksAt) + ` ll
	r7 = 0
loop:
	r1 = r6
	call 93
	r6 += 4
	r7 += 1
	if r7 < 9 goto loop
unloop:
	r6 += -4
	r1 = r6
	call 94
	r7 += -1
	if r7 != 0 goto unloop
out:
	r0 = *(u64 *)(r10 -16)
	r1 = *(u64 *)(r10 -24)
	r0 += r1
	exit
bad:
	r0 = 99
	exit`
	insns, err := bpfvm.AssembleWith(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	type cfg struct {
		a, b, nine, fifo int
		root             uint64
		on               uint64
		costLimit        uint64
	}
	// (AA on lock 2, first taken by the helper; on lock 0, first taken
	// natively: the helper reports the native entry)
	cfgs := []cfg{{0, 1, 0, 0, root, 1, 0}, {0, 1, 0, 1, root, 1, 0}, {2, 2, 0, 0, root, 1, 0}, {0, 0, 0, 0, root, 1, 0}, {0, 0, 9, 0, root, 1, 0},
		{3, 4, 0, 0, root + 1, 1, 0}, {3, 4, 0, 0, 0, 1, 0}, {3, 4, 0, 0, mem.Base() + mem.Size() - 8, 1, 0},
		{3, 4, 0, 0, mem.Base() + mem.Size() - 16, 1, 0}, {0, 1, 0, 0, root, 0, 0}, {0, 1, 0, 0, root, 1, 1 << 20}}
	run := func(e bpfvm.Engine) (string, int) {
		reg := bpfvm.NewRegistry()
		vm := &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 2, Native: bpfvm.NewNativeState(2)}
		ml := &miniLocks{vm: vm, ns: vm.Native, words: map[uint64]*bpfvm.LockWord{}, held: make([][]bpfvm.HeldLock, 2)}
		reg.AddHelper(&bpfvm.Helper{ID: 93, Name: "bpf_spin_lock", Fn: ml.lock, Native: bpfvm.NativeSpinLock})
		reg.AddHelper(&bpfvm.Helper{ID: 94, Name: "bpf_spin_unlock", Fn: ml.unlock, Native: bpfvm.NativeSpinUnlock})
		reg.AddKfunc(&bpfvm.Kfunc{Name: "now", Cost: 2, Native: bpfvm.NativeClock,
			Fn: func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
				return vm.Native.Clock, nil
			}})
		reg.AddKfunc(&bpfvm.Kfunc{Name: "zero", Native: bpfvm.NativeZero,
			Fn: func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }})
		bpfvm.RegisterGraph(reg)
		first, _ := reg.KfuncByName("bpf_rbtree_first")
		reg.Alias("first", "bpf_rbtree_first")
		p := &bpfvm.Program{Name: "locks", Insns: append([]bpfvm.Insn(nil), insns...)}
		for i := range p.Insns { // kfunc 2 is bpf_rbtree_first
			if in := &p.Insns[i]; in.Src == bpfvm.CallKfunc && in.Imm == 2 {
				in.Imm = first
			}
		}
		vm.Programs = append(vm.Programs, &bpfvm.Program{Name: "other"}, p)
		out := ""
		for round, k := range cfgs {
			c, err := vm.NewContext(round % 2)
			if err != nil {
				t.Fatal(err)
			}
			c.Engine, c.CostLimit = e, k.costLimit
			vm.Native.On, vm.Native.Clock, vm.Native.Now = k.on, 1000+uint64(round), 50*uint64(round)
			r0, err := c.Call(p, locks[k.a], locks[k.b], uint64(k.nine), uint64(k.fifo), k.root)
			out += fmt.Sprintf("%+v: r0 %#x err %v insns %d cost %d\n  %s\n", k, r0, err, c.Insns, c.Cost, ml.state(locks))
			// a fault leaves locks held: free them for the next round
			for cpu := range ml.held {
				for _, h := range ml.held[cpu] {
					ml.words[h.Addr].Holder = -1
				}
				ml.held[cpu] = nil
			}
			c.Close()
		}
		return out, ml.calls
	}
	want, all := run(bpfvm.NewInterpreter())
	got, n := run(New())
	if want != got {
		t.Errorf("interp:\n%s\njit:\n%s", want, got)
	}
	if n+8 > all { // at least the inner lock and unlock of the first four rounds are native
		t.Errorf("the JIT called the lock helpers %d times, the interpreter %d", n, all)
	}
}
