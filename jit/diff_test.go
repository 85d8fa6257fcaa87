package jit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// machine is a VM with one context and a 64-byte buffer in its memory
// (r1 points at it, r2 is its length).
type machine struct {
	vm    *bpfvm.VM
	c     *bpfvm.Context
	buf   uint64
	mem   *bpfvm.Memory
	init  []byte // the memory's initial contents, restored before each run
	calls int
	// alternate, if set, gives the engines run takes turns with at each
	// stop
	alternate []bpfvm.Engine
}

func newMachine(tb testing.TB, engine bpfvm.Engine) *machine {
	tb.Helper()
	mem, err := bpfvm.NewMemory(1 << 16)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { mem.Close() })
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterBase(reg)
	// helper 1000 yields at every other call and returns r1+r2 with a
	// cost; helper 1001 faults when r1 is odd
	mc := &machine{}
	reg.AddHelper(&bpfvm.Helper{ID: 1000, Name: "test_yield", Cost: 3, Fn: func(c *bpfvm.Context, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		mc.calls++
		if mc.calls%2 == 1 {
			return 0, bpfvm.ErrYield
		}
		return r1 + r2, nil
	}})
	reg.AddHelper(&bpfvm.Helper{ID: 1001, Name: "test_fault", Fn: func(c *bpfvm.Context, r1, r2, r3, r4, r5 uint64) (uint64, error) {
		if r1&1 != 0 {
			return 0, fmt.Errorf("odd argument %d", r1)
		}
		return r1 * 3, nil
	}})
	// the map helpers and bpf_get_smp_processor_id, which the JIT serves
	// natively (lower_native.go), with map 0 an array of 4 entries and
	// map 1 a hash map with keys 0, 7, 14 and 21 (genProgram looks them up)
	bpfvm.RegisterMapHelpers(reg)
	reg.AddHelper(&bpfvm.Helper{ID: 8, Name: "bpf_get_smp_processor_id", Native: bpfvm.NativeCPU,
		Fn: func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) { return uint64(c.CPU), nil }})
	vm := &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 1}
	c, err := vm.NewContext(0)
	if err != nil {
		tb.Fatal(err)
	}
	c.Engine = engine
	buf, err := mem.Alloc(64, 8)
	if err != nil {
		tb.Fatal(err)
	}
	b := mem.MustBytes(buf, 64)
	for k := range b {
		b[k] = byte(k * 7)
	}
	if _, _, err := vm.NewMap(&bpfvm.MapSpec{Name: "array", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 4}); err != nil {
		tb.Fatal(err)
	}
	hm, _, err := vm.NewMap(&bpfvm.MapSpec{Name: "hash", Type: bpfvm.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 8})
	if err != nil {
		tb.Fatal(err)
	}
	for k := range uint32(4) {
		if err := hm.Update(binary.LittleEndian.AppendUint32(nil, 7*k), make([]byte, 8), 0); err != nil {
			tb.Fatal(err)
		}
	}
	*mc = machine{vm: vm, c: c, buf: buf, mem: mem}
	mc.init = append([]byte(nil), mem.MustBytes(mem.Base(), mem.Size())...)
	return mc
}

// outcome is everything two engines must agree on.
type outcome struct {
	r0      uint64
	err     string
	insns   uint64
	regs    [11]uint64
	mem     []byte
	stops   []string // (status, pc, insns) at each stop
	fpInMem bool
}

// run runs p in quanta of q (0: in one piece) with the given limit.
func (mc *machine) run(p *bpfvm.Program, q, limit uint64, args ...uint64) outcome {
	c := mc.c
	c.Limit = limit
	copy(mc.mem.MustBytes(mc.mem.Base(), mc.mem.Size()), mc.init)
	mc.calls = 0
	c.Insns, c.Cost = 0, 0
	var o outcome
	if err := c.Start(p, append([]uint64{mc.buf, 64}, args...)...); err != nil {
		o.err = err.Error()
		return o
	}
	for turn := 0; ; turn++ {
		if len(mc.alternate) > 0 {
			c.Engine = mc.alternate[turn%len(mc.alternate)]
		}
		st, err := c.Run(q)
		o.stops = append(o.stops, fmt.Sprintf("%v@%d/%d", st, c.PC, c.Insns))
		if st == bpfvm.StatusPreempted || st == bpfvm.StatusYielded {
			if len(o.stops) > 100000 {
				o.err = "too many stops"
				break
			}
			continue
		}
		if err != nil {
			o.err = err.Error()
		}
		break
	}
	c.Reset()
	o.regs = c.Regs
	o.r0 = o.regs[0]
	o.insns = c.Insns<<16 | c.Cost
	o.mem = append([]byte(nil), mc.mem.MustBytes(mc.buf, 64)...)
	return o
}

func (o outcome) diff(p outcome) string {
	switch {
	case o.err != p.err:
		return fmt.Sprintf("error %q vs %q", o.err, p.err)
	case o.insns != p.insns:
		return fmt.Sprintf("insns %d vs %d", o.insns, p.insns)
	case o.err == "" && o.r0 != p.r0:
		return fmt.Sprintf("r0 %#x vs %#x", o.r0, p.r0)
	case !bytes.Equal(o.mem, p.mem):
		return fmt.Sprintf("memory\n%x\n%x", o.mem, p.mem)
	case fmt.Sprint(o.stops) != fmt.Sprint(p.stops):
		return fmt.Sprintf("stops\n%v\n%v", o.stops, p.stops)
	case o.regs != p.regs:
		return fmt.Sprintf("registers\n%x\n%x", o.regs, p.regs)
	}
	return ""
}

// differ runs insns on both engines (in one piece and in quanta) and
// reports the first difference.
func differ(tb testing.TB, insns []bpfvm.Insn, q, limit uint64, args ...uint64) string {
	tb.Helper()
	// without function information, and with it (what blocks know then
	// crosses to the blocks after them: lower_mem.go, enterFacts)
	if d := differProg(tb, &bpfvm.Program{Name: "prog", Insns: insns}, q, limit, args...); d != "" {
		return d
	}
	p := &bpfvm.Program{Name: "prog", Insns: insns, Funcs: []bpfvm.Subprog{{Name: "prog", Start: 0}}}
	if d := differProg(tb, p, q, limit, args...); d != "" {
		return "with function information: " + d
	}
	return ""
}

func differProg(tb testing.TB, p *bpfvm.Program, q, limit uint64, args ...uint64) string {
	tb.Helper()
	mc := newMachine(tb, nil)
	interp, jit := bpfvm.NewInterpreter(), New()
	for _, quantum := range []uint64{0, q} {
		mc.c.Engine = interp
		a := mc.run(p, quantum, limit, args...)
		mc.c.Engine = jit
		b := mc.run(p, quantum, limit, args...)
		if d := a.diff(b); d != "" {
			return fmt.Sprintf("quantum %d: interp vs jit: %s", quantum, d)
		}
	}
	// the engines share the suspended state: switching engine at every
	// preemption or yield changes nothing
	mc.alternate = []bpfvm.Engine{interp, jit}
	defer func() { mc.alternate = nil }()
	mc.c.Engine = interp
	a := mc.run(p, q, limit, args...)
	mc.alternate = nil
	b := mc.run(p, q, limit, args...)
	if d := a.diff(b); d != "" {
		return fmt.Sprintf("quantum %d: alternating engines vs interp: %s", q, d)
	}
	return ""
}

func TestDiffPrograms(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	progs := []string{
		"r0 = 42\nexit",
		"r0 = r1\nr0 += 1\nexit",
		primeSrc,
		"r0 = *(u64 *)(r1 +0)\nr0 += r2\nexit",
		"r0 = *(u64 *)(r1 +64)\nexit",
		"*(u32 *)(r10 -4) = 7\nr0 = *(u32 *)(r10 -4)\nexit",
		"r0 = *(u64 *)(r10 +8)\nexit",
		"w0 = 0x80000000\nw0 s/= -1\nr0 s%= 0\nr0 = bswap64 r0\nexit",
		"r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nexit",
		"r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1\nexit",
		"r0 = 7\nr1 = 0\nr0 /= r1\nexit",
		"r0 = -7\nr1 = 0\nw0 %= w1\nexit",
		"r0 = -7\nr0 %= 0\nexit",
		"r0 = -7\nr3 = 2\nr0 s/= r3\nr3 = 5\nexit",
		"r3 = 100\nr0 = 7\nr3 /= r0\nr0 = r3\nexit",
		"r3 = 100\nr0 = 7\nr0 %= r3\nexit",
		"r0 = -1\nw0 <<= 0\nexit",
		"r0 = -1\nr1 = 32\nw0 <<= w1\nexit",
		"r0 = -1\nr1 = 65\nr0 >>= r1\nexit",
		"r0 = -8\nr1 = 2\nr0 s>>= r1\nexit",
		"r0 = 0x1234\nr0 = be16 r0\nexit",
		"r0 = 0x123456789 ll\nr0 = be32 r0\nexit",
		"r0 = 0x123456789 ll\nr0 = le16 r0\nexit",
		"r0 = 0x123456789 ll\nr0 = bswap16 r0\nexit",
		"r1 = 0xff80 ll\nr0 = (s8)r1\nexit",
		"r1 = 0xff80 ll\nw0 = (s16)w1\nexit",
		"r1 = 0x80000000 ll\nr0 = (s32)r1\nexit",
		"r0 = *(s8 *)(r1 +20)\nexit",
		"r0 = *(s16 *)(r1 +20)\nexit",
		"r0 = *(s32 *)(r1 +20)\nexit",
		"r2 = 5\nlock *(u64 *)(r1 +8) += r2\nr0 = *(u64 *)(r1 +8)\nexit",
		"r2 = 5\nr2 = atomic64_fetch_add((u64 *)(r1 +8), r2)\nr0 = r2\nexit",
		"r2 = 5\nr2 = atomic_fetch_or((u32 *)(r1 +8), r2)\nr0 = *(u64 *)(r1 +8)\nr0 += r2\nexit",
		"r0 = 5\nr0 = atomic64_fetch_xor((u64 *)(r1 +8), r0)\nexit",
		"r2 = 5\nr2 = atomic64_xchg((u64 *)(r1 +8), r2)\nr0 = r2\nexit",
		"r0 = *(u64 *)(r1 +8)\nr2 = 9\nr0 = atomic64_cmpxchg((u64 *)(r1 +8), r0, r2)\nr0 = *(u64 *)(r1 +8)\nexit",
		"r0 = 3\nr2 = 9\nr0 = atomic_cmpxchg((u32 *)(r1 +8), r0, r2)\nexit",
		"l: may_goto pc+1\ngoto l\nexit",
		"call pc+1\nexit\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)\nexit",
		"r6 = 1\nr7 = 2\ncall sub\nr0 += r6\nr0 += r7\nexit\nsub: r6 = 10\nr7 = 20\nr0 = 100\nexit",
		"call sub\nexit\nsub: call sub\nexit",
		"r1 = 3\nr2 = func cb\nr3 = 0\nr4 = 0\ncall 181\nexit\ncb: r0 = 0\nexit",
		"r1 = 2\nif r1 s> -1 goto l\nr0 = 1\nexit\nl: r0 = 2\nexit",
		"w1 = -1\nif w1 > 5 goto l\nr0 = 1\nexit\nl: r0 = 2\nexit",
		"r1 = 6\nif r1 & 4 goto l\nr0 = 1\nexit\nl: r0 = 2\nexit",
		"r0 = 1\ngoto pc+5\nexit",
		"r0 = 1\nr1 = 2\nr2 = r1\nr0 *= 3\nr0 -= r2\nr0 |= 8\nr0 &= 0xf\nr0 ^= r1\nr0 = -r0\nw0 = -w0\nexit",
	}
	for _, src := range progs {
		insns, err := bpfvm.AssembleWith(src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		for q := uint64(1); q <= 7; q += 3 {
			if d := differ(t, insns, q, 100000, 3000); d != "" {
				t.Errorf("%q: %s", src, d)
				break
			}
		}
	}
}

const primeSrc = `
	r6 = r3
	r0 = 0
	r2 = 2
outer:
	if r2 >= r6 goto done
	r3 = 2
inner:
	r4 = r3
	r4 *= r3
	if r4 > r2 goto prime
	r5 = r2
	r5 %= r3
	if r5 == 0 goto next
	r3 += 1
	goto inner
prime:
	r0 += 1
next:
	r2 += 1
	goto outer
done:
	exit
`

func TestDiffCallx(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	for _, src := range []string{
		"r6 = 5\nr1 = func f\ncallx r1\nr0 += r6\nexit\nf: r0 = 10\nr6 = 1\nexit",
		"r1 = 7\ncallx r1\nexit",
		"r2 = func f\nr1 = 3\ncallx r2\nr0 *= 2\nexit\nf: r0 = r1\nr0 += 1\nexit",
	} {
		insns, err := bpfvm.AssembleWith(src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if d := differ(t, insns, 2, 1000); d != "" {
			t.Errorf("%q: %s", src, d)
		}
	}
	mc := newMachine(t, New())
	insns, _ := bpfvm.AssembleWith("r6 = 5\nr1 = func f\ncallx r1\nr0 += r6\nexit\nf: r0 = 10\nr6 = 1\nexit", nil)
	if o := mc.run(&bpfvm.Program{Name: "callx", Insns: insns}, 0, 1000); o.err != "" || o.r0 != 15 {
		t.Errorf("callx: r0 = %d, %s; want 15", o.r0, o.err)
	}
	insns, _ = bpfvm.AssembleWith("r1 = 7\ncallx r1\nexit", nil)
	if o := mc.run(&bpfvm.Program{Name: "callx", Insns: insns}, 0, 1000); !strings.Contains(o.err, "callx of 0x7, which is not a subprogram") {
		t.Errorf("callx of a scalar: %q", o.err)
	}
}

// TestDiffCounting: the budget's checkpoints, counts passed on along paths
// and copied blocks (compiler.budgets) stop at the same instruction as the
// interpreter at every quantum and limit.
func TestDiffCounting(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	var progs []string
	for _, bp := range benchProgs {
		if bp.name == "switch" || bp.name == "prime" {
			progs = append(progs, bp.src)
		}
	}
	progs = append(progs,
		// a copied latch with a division, a join after an if/else
		"r0 = 0\nr2 = 0\nl: if r2 > 40 goto e\nif r2 & 1 goto o\nr0 += 3\ngoto j\no: r0 ^= r2\ngoto j\nj: r4 = r2\nr4 /= 3\nr2 += 1\ngoto l\ne: exit",
		// a long straight run with forward branches (need capped at maxNeed)
		"r0 = 0\nr2 = 0\nl: "+strings.Repeat("r0 += 1\nif r0 > 1000000 goto e\n", 30)+"r2 += 1\nif r2 < 20 goto l\ne: exit",
		// a helper call inside a loop: the call's block passes its count on
		"r6 = 0\nl: r1 = r6\nr2 = 1\ncall 1000\nr6 += 1\nif r6 < 9 goto l\nr0 = r6\nexit",
	)
	for _, src := range progs {
		insns, err := bpfvm.AssembleWith(src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		for _, limit := range []uint64{0, 37, 500} {
			for q := uint64(1); q <= 13; q += 2 {
				if d := differ(t, insns, q, limit, 60); d != "" {
					t.Fatalf("%q limit %d: %s", src, limit, d)
				}
			}
		}
	}
}

// TestDiffCallStart: Run's fast path (a call's start entered at entry0,
// the re-entry after a helper call) stops, faults and exits as the
// interpreter at every limit, the budget check at instruction 0 included.
// differ builds a new engine each time, so it does not reach the fast
// path; here one engine runs each program repeatedly.
func TestDiffCallStart(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	progs := []string{
		"r0 = 0\nr2 = 0\nl: if r2 > 40 goto e\nif r2 & 1 goto o\nr0 += 3\ngoto j\no: r0 ^= r2\ngoto j\nj: r4 = r2\nr4 /= 3\nr2 += 1\ngoto l\ne: exit",
		"r0 = 1\nif r1 > 5 goto a\nr0 += 2\nr0 += 3\nexit\na: r0 += 4\nexit",
		"r1 = 1\nr2 = 1\ncall 1000\nr0 += 1\nif r0 > 5 goto a\nr0 += 2\nexit\na: r0 += 4\nexit",
		"r1 = 2\nr2 = 1\ncall 1001\nr0 += 1\nif r0 > 5 goto a\nr0 += 2\nexit\na: r0 += 4\nexit",
		"r6 = 1\ncall f\nr0 += r6\nexit\nf: r0 = 5\nif r1 > 3 goto g\nr0 += 1\nexit\ng: r0 += 2\nexit",
	}
	for _, src := range progs {
		insns, err := bpfvm.AssembleWith(src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		p := &bpfvm.Program{Name: "prog", Insns: insns}
		mc := newMachine(t, nil)
		interp, jit := bpfvm.NewInterpreter(), New()
		for limit := uint64(0); limit <= 40; limit++ {
			mc.c.Engine = interp
			a := mc.run(p, 0, limit, 60)
			mc.c.Engine = jit
			for k := range 3 {
				if d := a.diff(mc.run(p, 0, limit, 60)); d != "" {
					t.Fatalf("%q limit %d, run %d: %s", src, limit, k, d)
				}
			}
		}
	}
}

// TestDiffRanges: accesses through an address that the code knows lies in
// a range (a constant plus an index bounded by a mask, shifts and
// additions; lower_mem.go, track) skip their bounds check only when the
// whole range lies inside the memory. Indexes that reach past its end
// fault on both engines alike, at the same instruction.
func TestDiffRanges(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	mc := newMachine(t, nil)
	end := mc.mem.Base() + mc.mem.Size()
	// map 2: one value of 512 bytes, its address a constant (LD_IMM64)
	if _, _, err := mc.vm.NewMap(&bpfvm.MapSpec{Name: "data", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 512, MaxEntries: 1}); err != nil {
		t.Fatal(err)
	}
	mc.init = append([]byte(nil), mc.mem.MustBytes(mc.mem.Base(), mc.mem.Size())...)
	progs := []string{
		"r2 = r3\nw2 &= 7\nr2 <<= 3\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nexit",
		"r2 = r3\nw2 &= 0xffff\nr2 <<= 3\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nexit",
		"w2 = w3\nw2 &= 0x1fff\nr1 = map[id:2][0]+8\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"r2 = r3\nr2 >>= 52\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"r2 = r3\nr2 &= 0xff\nr2 += -8\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"w2 = w3\nw2 <<= 20\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"r2 = r3\nr2 &= -8\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"r2 = r3\nr2 &= 15\nr4 = r3\nr4 >>= 60\nr2 += r4\nr2 += 3\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u32 *)(r1 +2)\n*(u8 *)(r1 +1) = 5\nexit",
		fmt.Sprintf("r2 = r3\nr2 &= 0x3f\nr1 = %#x ll\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nexit", end-72),
		fmt.Sprintf("r2 = r3\nr2 &= 0x3f\nr1 = %#x ll\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nexit", end-64),
		fmt.Sprintf("r2 = r3\nr2 &= 0x3f\nr1 = %#x ll\nr1 += r2\n*(u16 *)(r1 +4) = 1\nr0 = 1\nexit", end-70),
		fmt.Sprintf("r2 = r3\nr2 &= 0x3f\nr1 = %#x ll\nr2 += r1\nr0 = *(u8 *)(r2 +0)\nexit", mc.mem.Base()-8),
		fmt.Sprintf("r2 = r3\nr2 &= 0x3f\nr1 = %#x ll\nr2 += r1\nr0 = *(u8 *)(r2 +0)\nexit", mc.mem.Base()+64),
		"r2 = r3\nr2 &= 7\nr2 <<= 61\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"r2 = r3\nr2 |= 1\nr2 &= 7\nr2 <<= 3\nr1 = map[id:2][0]+0\nr1 += r2\nr0 = *(u64 *)(r1 +0)\nexit",
	}
	interp, jit := bpfvm.NewInterpreter(), New()
	for _, src := range progs {
		insns, err := bpfvm.AssembleWith(src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		p := &bpfvm.Program{Name: "prog", Insns: insns}
		for _, idx := range []uint64{0, 1, 5, 7, 8, 9, 63, 64, 0xff, 0x1fff, 0xffff, 1 << 52, 1<<63 | 7, 1<<64 - 1} {
			mc.c.Engine = interp
			a := mc.run(p, 0, 100000, idx)
			mc.c.Engine = jit
			b := mc.run(p, 0, 100000, idx)
			if d := a.diff(b); d != "" {
				t.Errorf("%q index %#x: interp vs jit: %s", src, idx, d)
			}
		}
	}
}
