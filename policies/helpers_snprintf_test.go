package policies

import (
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestBpfSnprintf: the output is formatted, truncated to str_size with its
// NUL, and the return value is the whole output's length plus the NUL.
func TestBpfSnprintf(t *testing.T) {
	vm, err := bpfvm.NewVM(bpfvm.VMConfig{MemSize: 1 << 20, NumCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := &bpfvm.Context{VM: vm}
	alloc := func(n uint64) uint64 {
		a, err := vm.Mem.Alloc(n, 8)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f := alloc(32)
	copy(vm.Mem.MustBytes(f, 12), "pid %d x%x\x00")
	data := alloc(16)
	vm.Mem.Store64(data, 42)
	vm.Mem.Store64(data+8, 255)
	for _, tc := range []struct {
		size uint64
		want string
	}{{32, "pid 42 xff"}, {6, "pid 4"}, {1, ""}} {
		str := alloc(32)
		n, err := bpfSnprintf(c, str, tc.size, f, data, 16)
		if err != nil {
			t.Fatal(err)
		}
		if n != 11 {
			t.Errorf("size %d: returned %d, want 11", tc.size, n)
		}
		got, _ := vm.Mem.CString(str, 32)
		if got != tc.want {
			t.Errorf("size %d: wrote %q, want %q", tc.size, got, tc.want)
		}
	}
}
