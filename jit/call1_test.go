package jit

import (
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestCall1Site: Engine.Call1 with a Site shared by the engines of two
// contexts gives what Context.Call1 gives on the interpreter, call by
// call (r0, faults, instructions, costs), while the registry replaces a
// helper and adds a kfunc (the site's code is then found again), after
// Forget, and on a context that is not idle (Call1's own error).
func TestCall1Site(t *testing.T) {
	vm0, _ := nativeVM(t, 1<<20, 2)
	mem := vm0.Mem
	insns, err := bpfvm.AssembleWith("r1 = *(u64 *)(r1 + 0)\ncall 1003\nr6 = r0\ncall kfunc 0\nr0 += r6\nexit", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &bpfvm.Program{Name: "p", Insns: insns}
	var out [2][]string
	for k, jit := range []bool{false, true} {
		reg := bpfvm.NewRegistry()
		vm := &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 2}
		add := func(m uint64) {
			reg.AddHelper(&bpfvm.Helper{ID: 1003, Name: "h", Cost: m, Fn: func(_ *bpfvm.Context, r1, _, _, _, _ uint64) (uint64, error) { return r1 * m, nil }})
		}
		var cs []*bpfvm.Context
		var es []*Engine
		for cpu := range 2 {
			c, err := vm.NewContext(cpu)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if jit {
				e := New().(*Engine)
				c.Engine, es = e, append(es, e)
			}
			cs = append(cs, c)
		}
		arg, err := mem.Alloc(8, 8)
		if err != nil {
			t.Fatal(err)
		}
		mem.Store64(arg, 5)
		add(2)
		var site Site
		for step := range 8 {
			switch step {
			case 2:
				add(3)
				reg.AddKfunc(&bpfvm.Kfunc{Name: "k", Fn: func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 100, nil }})
			case 5:
				if jit {
					es[0].Forget(p)
				}
			case 6:
				cs[1].Start(p, arg) // not idle: Call1 says so
			}
			c := cs[step%2]
			var r0 uint64
			var err error
			if jit {
				r0, err = es[step%2].Call1(c, p, arg, &site)
			} else {
				r0, err = c.Call1(p, arg)
			}
			out[k] = append(out[k], fmt.Sprintf("%d %v insns %d cost %d", r0, err, c.Insns, c.Cost))
		}
	}
	if fmt.Sprint(out[0]) != fmt.Sprint(out[1]) {
		t.Errorf("interpreter: %q\njit: %q", out[0], out[1])
	}
	if s := out[1][3]; s != "115 <nil> insns 10 cost 5" {
		t.Errorf("step 3: %q", s)
	}
}
