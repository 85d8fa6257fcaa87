package jit

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestNativeLookup compares bpf_map_lookup_elem served natively by the JIT
// (lower_native.go) with the interpreter's helper call on the same VM: r0
// (the value's address), the instruction count, the cost charged and the
// fault, for every map kind the JIT inlines and some it does not, hits and
// misses, keys outside the linear memory, a map in r1 other than the one
// the code guessed, a cost limit, and a CPU outside the VM.
func TestNativeLookup(t *testing.T) {
	vm, reg := nativeVM(t, 1<<22, 3)
	mem := vm.Mem
	bpfvm.RegisterBase(reg)
	specs := []*bpfvm.MapSpec{
		{Name: "array", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 12, MaxEntries: 10},
		{Name: "pcpu_array", Type: bpfvm.MapPercpuArray, KeySize: 4, ValueSize: 8, MaxEntries: 10},
		{Name: "hash1", Type: bpfvm.MapHash, KeySize: 1, ValueSize: 8, MaxEntries: 256},
		{Name: "hash2", Type: bpfvm.MapHash, KeySize: 2, ValueSize: 8, MaxEntries: 1000},
		{Name: "hash4", Type: bpfvm.MapHash, KeySize: 4, ValueSize: 16, MaxEntries: 1000},
		{Name: "hash8", Type: bpfvm.MapHash, KeySize: 8, ValueSize: 8, MaxEntries: 1000},
		{Name: "hash3", Type: bpfvm.MapHash, KeySize: 3, ValueSize: 8, MaxEntries: 100},
		{Name: "pcpu_hash", Type: bpfvm.MapPercpuHash, KeySize: 4, ValueSize: 8, MaxEntries: 100},
		{Name: "lru", Type: bpfvm.MapLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
	}
	var maps []bpfvm.Map
	for _, s := range specs {
		m, _, err := vm.NewMap(s)
		if err != nil {
			t.Fatal(err)
		}
		maps = append(maps, m)
	}
	// keys 0, 3, 6, ... present in the hash maps (300 in the big ones,
	// so that their indexes grow), every other one deleted again
	for i, m := range maps {
		s := specs[i]
		if s.Type == bpfvm.MapArray || s.Type == bpfvm.MapPercpuArray {
			continue
		}
		n := min(300, int(s.MaxEntries))
		for k := 0; k < n*3; k += 3 {
			v := uint64(k)
			if s.KeySize >= 4 {
				v = uint64(k * 0x01010101)
			}
			key := binary.LittleEndian.AppendUint64(nil, v)[:s.KeySize] // wraps in hash1
			val := make([]byte, s.ValueSize)
			if s.Type == bpfvm.MapPercpuHash {
				val = make([]byte, 8*3)
			}
			if err := m.Update(key, val, 0); err != nil && s.KeySize != 1 {
				t.Fatalf("%s: %v", s.Name, err)
			}
			if k%6 == 3 && s.Type != bpfvm.MapLRUHash {
				if err := m.Delete(key); err != nil {
					t.Fatalf("%s: delete: %v", s.Name, err)
				}
			}
		}
	}
	keys := []uint64{897, 0x01010101 * 6, 0x01010101 * 12, 0x01010101 * 15, 1 << 40}
	for k := range uint64(610) {
		keys = append(keys, k, k*0x01010101)
	}
	interp, jit := bpfvm.NewInterpreter(), New()
	hits, misses := 0, 0
	for idx, s := range specs {
		// lookup(map idx, key in r1): r0 = value address, or 0; a wrong
		// map in r1 when r6 is odd; the key outside memory when r7 is set
		src := fmt.Sprintf(`
	*(u64 *)(r10 -8) = r1
	r6 = r2
	r7 = r3
	r1 = map[id:%d]
	if r6 & 1 goto other
call:
	r2 = r10
	r2 += -8
	if r7 == 0 goto look
	r2 = r7
look:
	call 1
	exit
other:
	r1 = map[id:%d]
	goto call`, idx, (idx+1)%len(specs))
		insns, err := bpfvm.AssembleWith(src, reg)
		if err != nil {
			t.Fatal(err)
		}
		p := &bpfvm.Program{Name: s.Name, Insns: insns}
		for _, key := range keys {
			for _, cfg := range []struct {
				cpu       int
				costLimit uint64
				other     uint64
				keyAddr   uint64
			}{{0, 0, 0, 0}, {2, 0, 0, 0}, {1, 0, 1, 0}, {0, 1000, 0, 0}, {7, 0, 0, 0}, {0, 0, 0, mem.Base() + mem.Size() - 2}, {0, 0, 0, 8}} {
				run := func(e bpfvm.Engine) string {
					c, err := vm.NewContext(0)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					c.CPU, c.CostLimit, c.Engine = cfg.cpu, cfg.costLimit, e
					r0, err := c.Call(p, key, cfg.other, cfg.keyAddr)
					if err == nil && r0 != 0 {
						hits++
					} else if err == nil {
						misses++
					}
					return fmt.Sprintf("r0 %#x err %v insns %d cost %d", r0, err, c.Insns, c.Cost)
				}
				want, got := run(interp), run(jit)
				if want != got {
					t.Errorf("%s key %#x %+v:\ninterp %s\njit    %s", s.Name, key, cfg, want, got)
				}
			}
		}
	}
	if hits == 0 || misses == 0 {
		t.Errorf("%d hits and %d misses: the test does not look up what it should", hits, misses)
	}
}

// TestCallRefReplaced: the JIT keeps each call site's resolved function;
// a helper replaced in the registry (AddHelper again) is called from then
// on, and a kfunc registered after the first call is found, as the
// interpreter's per-call lookup does.
func TestCallRefReplaced(t *testing.T) {
	vm0, _ := nativeVM(t, 1<<20, 1)
	mem := vm0.Mem
	insns, err := bpfvm.AssembleWith("r1 = 5\ncall 1003\nr6 = r0\ncall kfunc 0\nr0 += r6\nexit", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &bpfvm.Program{Name: "p", Insns: insns}
	for _, e := range []bpfvm.Engine{bpfvm.NewInterpreter(), New()} {
		reg := bpfvm.NewRegistry()
		vm := &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 1}
		add := func(k uint64) {
			reg.AddHelper(&bpfvm.Helper{ID: 1003, Name: "h", Cost: k, Fn: func(_ *bpfvm.Context, r1, _, _, _, _ uint64) (uint64, error) { return r1 * k, nil }})
		}
		c, err := vm.NewContext(0)
		if err != nil {
			t.Fatal(err)
		}
		c.Engine = e
		add(2)
		var got []string
		for step := range 3 {
			if step == 1 {
				add(3)
				reg.AddKfunc(&bpfvm.Kfunc{Name: "k", Fn: func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 100, nil }})
			}
			r0, err := c.Call(p)
			got = append(got, fmt.Sprintf("%d %v cost %d", r0, err, c.Cost))
		}
		want := []string{"0 BPF fault at p+3: call of unknown kfunc #0 cost 2", "115 <nil> cost 5", "115 <nil> cost 8"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %q, want %q", e.Name(), got, want)
		}
		c.Close()
	}
}

// TestNativeReplaced: code that inlined bpf_map_lookup_elem is compiled
// again when the registry replaces the helper, so the replacement runs.
func TestNativeReplaced(t *testing.T) {
	vm, reg := nativeVM(t, 1<<20, 1)
	if _, _, err := vm.NewMap(&bpfvm.MapSpec{Name: "a", Type: bpfvm.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 2}); err != nil {
		t.Fatal(err)
	}
	insns, err := bpfvm.AssembleWith("*(u32 *)(r10 -4) = 0\nr1 = map[id:0]\nr2 = r10\nr2 += -4\ncall 1\nexit", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &bpfvm.Program{Name: "p", Insns: insns}
	c, err := vm.NewContext(0)
	if err != nil {
		t.Fatal(err)
	}
	c.Engine = New()
	if r0, err := c.Call(p); r0 == 0 || err != nil {
		t.Fatalf("lookup: %#x %v", r0, err)
	}
	reg.AddHelper(&bpfvm.Helper{ID: 1, Name: "other", Fn: func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 42, nil }})
	if r0, err := c.Call(p); r0 != 42 || err != nil {
		t.Fatalf("replaced helper: %#x %v, want 42", r0, err)
	}
}

// nativeVM is a VM with size bytes of memory and a registry with the map
// helpers, for the tests above (skipped without a JIT).
func nativeVM(t *testing.T, size uint64, ncpu int) (*bpfvm.VM, *bpfvm.Registry) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	mem, err := bpfvm.NewMemory(size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterMapHelpers(reg)
	return &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: ncpu}, reg
}
