package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// The DSQ iterator (bpf_iter_scx_dsq_new/next/destroy, kernel/sched/ext.c):
// it walks the tasks a DSQ held when the iteration began, in dispatch order
// (reversed with SCX_DSQ_ITER_REV), skipping any that left it meanwhile, as
// the kernel's cursor skips tasks enqueued after it started (dsq_seq) and
// never returns one that is gone. The iterator's 48 bytes in BPF memory
// only identify it; its state is kept here, by the iterator's address.

const (
	dsqIterRev       = 1 << 16 // SCX_DSQ_ITER_REV
	dsqIterUserFlags = dsqIterRev
)

type dsqIter struct {
	dsq      uint64
	tasks    []*sim.Task
	pos      int
	slice    *uint64
	vtime    *uint64
	returned *sim.Task
}

func kfIterDSQNew(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, it, id, fl, _, _ uint64) (uint64, error) {
		if _, err := c.VM.Mem.Bytes(it, 48); err != nil {
			return 0, fmt.Errorf("bpf_iter_scx_dsq_new: %w", err)
		}
		delete(b.ks.iters, it)
		if fl&^dsqIterUserFlags != 0 {
			return negErrno(errnoEINVAL), nil
		}
		ts, ok := b.k.DSQTasks(id)
		if !ok {
			return negErrno(errnoENOENT), nil
		}
		if fl&dsqIterRev != 0 {
			for i, j := 0, len(ts)-1; i < j; i, j = i+1, j-1 {
				ts[i], ts[j] = ts[j], ts[i]
			}
		}
		b.ks.iters[it] = &dsqIter{dsq: id, tasks: ts}
		return 0, nil
	}
}

func kfIterDSQNext(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, it, _, _, _, _ uint64) (uint64, error) {
		s := b.ks.iters[it]
		if s == nil {
			return 0, nil
		}
		for s.pos < len(s.tasks) {
			t := s.tasks[s.pos]
			s.pos++
			if b.k.TaskOnDSQ(t, s.dsq) {
				s.returned = t
				return b.addrOf(t), nil
			}
		}
		return 0, nil
	}
}

func kfIterDSQDestroy(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, it, _, _, _, _ uint64) (uint64, error) {
		delete(b.ks.iters, it)
		return 0, nil
	}
}

// scx_bpf_dsq_move[_vtime]: move p, which the iterator returned, to dsq_id;
// the slice and vtime set through the iterator apply to this move only.
func kfDSQMove(vtime bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, it, p, id, fl, _ uint64) (uint64, error) {
			s := b.ks.iters[it]
			if s == nil {
				return 0, fmt.Errorf("scx_bpf_dsq_move: %#x is not a live DSQ iterator", it)
			}
			t, err := b.task(c, p, "scx_bpf_dsq_move")
			if err != nil {
				return 0, err
			}
			if vtime {
				fl |= sim.EnqDSQPriq
			}
			ok := b.k.DSQMove(t, s.dsq, id, fl, s.slice, s.vtime)
			if ok {
				s.slice, s.vtime = nil, nil
			}
			return boolU(ok), nil
		}
	}
}

func kfDSQMoveSet(vtime bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, it, v, _, _, _ uint64) (uint64, error) {
			s := b.ks.iters[it]
			if s == nil {
				return 0, fmt.Errorf("scx_bpf_dsq_move_set_slice/vtime: %#x is not a live DSQ iterator", it)
			}
			if vtime {
				s.vtime = &v
			} else {
				s.slice = &v
			}
			return 0, nil
		}
	}
}
