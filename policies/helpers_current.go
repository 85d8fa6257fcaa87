package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// Helper ids (enum bpf_func_id).
const (
	helperGetCurrentPidTgid = 14
	helperGetCurrentUidGid  = 15
	helperGetCurrentComm    = 16
	helperStrncmp           = 182
)

// current is the task_struct of the task running on c's CPU: the CPU's
// idle task between tasks, as in the kernel. ops.init and the syscall
// programs of a recipe run in the context of CPU 0's current task (the
// kernel runs them in the loading process; the simulator has none).
func (b *BPFPolicy) current(c *bpfvm.Context) *sim.TaskStruct {
	return bpfvm.Ptr[sim.TaskStruct](b.vm.Mem, b.currAddr(c.CPU))
}

func (b *BPFPolicy) registerCurrentHelpers(helper func(id int32, name string, fn bpfvm.Func, ret bpfvm.RetType, args ...bpfvm.ArgType)) {
	// bpf_get_current_pid_tgid: tgid << 32 | pid (kernel/bpf/helpers.c)
	helper(helperGetCurrentPidTgid, "bpf_get_current_pid_tgid", func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) {
		t := b.current(c)
		return uint64(uint32(t.Tgid))<<32 | uint64(uint32(t.Pid)), nil
	}, bpfvm.RetInteger)
	// bpf_get_current_uid_gid: every simulated task runs as root
	helper(helperGetCurrentUidGid, "bpf_get_current_uid_gid", func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 0, nil
	}, bpfvm.RetInteger)
	// bpf_get_current_comm(buf, size): the comm, NUL-terminated, truncated
	helper(helperGetCurrentComm, "bpf_get_current_comm", func(c *bpfvm.Context, buf, size, _, _, _ uint64) (uint64, error) {
		if size == 0 {
			return negErrno(errnoEINVAL), nil
		}
		dst, err := c.VM.Mem.Bytes(buf, size)
		if err != nil {
			return 0, fmt.Errorf("bpf_get_current_comm: %w", err)
		}
		clear(dst)
		comm := b.current(c).Comm
		copy(dst[:size-1], comm[:])
		return 0, nil
	}, bpfvm.RetInteger, bpfvm.ArgPtrToUninitMem, bpfvm.ArgConstSize)
	// bpf_strncmp(s1, s1_sz, s2): strncmp of s1 (at most s1_sz bytes) with
	// the read-only string s2; <0, 0 or >0
	helper(helperStrncmp, "bpf_strncmp", func(c *bpfvm.Context, s1, n, s2, _, _ uint64) (uint64, error) {
		a, err := c.VM.Mem.Bytes(s1, n)
		if err != nil {
			return 0, fmt.Errorf("bpf_strncmp: s1: %w", err)
		}
		bs, err := c.VM.Mem.CString(s2, int(n)+1)
		if err != nil {
			return 0, fmt.Errorf("bpf_strncmp: s2: %w", err)
		}
		for i := uint64(0); i < n; i++ {
			var x, y byte = a[i], 0
			if i < uint64(len(bs)) {
				y = bs[i]
			}
			if x != y {
				return uint64(int64(int(x) - int(y))), nil
			}
			if x == 0 {
				break
			}
		}
		return 0, nil
	}, bpfvm.RetInteger, bpfvm.ArgPtrToMem, bpfvm.ArgConstSize, bpfvm.ArgConstStrPtr)
	helper(helperSnprintf, "bpf_snprintf", bpfSnprintf, bpfvm.RetInteger,
		bpfvm.ArgPtrToMemOrNull, bpfvm.ArgConstSizeOrZero, bpfvm.ArgConstStrPtr, bpfvm.ArgPtrToMemOrNull, bpfvm.ArgConstSizeOrZero)
}
