package policies

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// The css iterator (bpf_iter_css_new/next/destroy, kernel/bpf/cgroup_iter.c)
// over the cgroup hierarchy: from a start css, its descendants in pre-order
// (css_next_descendant_pre: the start, then each child before its own
// children), in post-order (css_next_descendant_post: each child after its
// children, the start last), or the start and its ancestors up to the root.
// Children come in creation order (the kernel's children list). As in the
// kernel, the iterator's 24 bytes hold its state (struct
// bpf_iter_css_kern: start, pos, flags), so a step depends only on them
// and the hierarchy.

// enum bpf_cgroup_iter_order
const (
	cssIterSelfOnly = 1
	cssIterPre      = 2
	cssIterPost     = 3
	cssIterUp       = 4
)

const cssIterSize = 24

func kfIterCSSNew(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, it, start, fl, _, _ uint64) (uint64, error) {
		mem, err := c.VM.Mem.Bytes(it, cssIterSize)
		if err != nil {
			return 0, fmt.Errorf("bpf_iter_css_new: %w", err)
		}
		clear(mem)
		switch uint32(fl) {
		case cssIterPre, cssIterPost, cssIterUp:
		default:
			return negErrno(errnoEINVAL), nil
		}
		if _, err := b.cssCgroup(start, "bpf_iter_css_new"); err != nil {
			return 0, err
		}
		c.VM.Mem.Store64(it, start)
		c.VM.Mem.Store64(it+16, uint64(uint32(fl)))
		return 0, nil
	}
}

func kfIterCSSNext(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, it, _, _, _, _ uint64) (uint64, error) {
		mem, err := c.VM.Mem.Bytes(it, cssIterSize)
		if err != nil {
			return 0, fmt.Errorf("bpf_iter_css_next: %w", err)
		}
		le := binary.LittleEndian
		start, pos, fl := le.Uint64(mem), le.Uint64(mem[8:]), le.Uint32(mem[16:])
		if start == 0 {
			return 0, nil
		}
		root, err := b.cssCgroup(start, "bpf_iter_css_next")
		if err != nil {
			return 0, err
		}
		var cur *sim.Cgroup
		if pos != 0 {
			if cur, err = b.cssCgroup(pos, "bpf_iter_css_next"); err != nil {
				return 0, err
			}
		}
		var next *sim.Cgroup
		switch fl {
		case cssIterPre:
			next = nextDescendantPre(cur, root)
		case cssIterPost:
			next = nextDescendantPost(cur, root)
		case cssIterUp:
			if next = root; cur != nil {
				next = cur.Parent
			}
		}
		a, err := b.cssAddr(next)
		if err != nil {
			return 0, err
		}
		c.VM.Mem.Store64(it+8, a)
		return a, nil
	}
}

// cssAddr is &cg->self (nil for no cgroup).
func (b *BPFPolicy) cssAddr(cg *sim.Cgroup) (uint64, error) {
	a, err := b.cgroupAddr(cg)
	if err != nil || a == 0 {
		return 0, err
	}
	off, _ := KernelFieldOffset("cgroup", "self")
	return a + uint64(off), nil
}

// cssCgroup returns the cgroup whose self css is at addr.
func (b *BPFPolicy) cssCgroup(addr uint64, what string) (*sim.Cgroup, error) {
	off, _ := KernelFieldOffset("cgroup", "self")
	if cg := b.cgs.byAddr[addr-uint64(off)]; cg != nil {
		return cg, nil
	}
	return nil, fmt.Errorf("%s: %#x is not a struct cgroup_subsys_state", what, addr)
}

// children returns cg's children in creation (id) order.
func children(cg *sim.Cgroup) []*sim.Cgroup {
	kids := slices.Clone(cg.Children)
	slices.SortFunc(kids, func(x, y *sim.Cgroup) int { return cmp.Compare(x.ID, y.ID) })
	return kids
}

// nextSibling is css_next_child(pos, parent): the child after pos.
func nextSibling(pos *sim.Cgroup) *sim.Cgroup {
	if pos.Parent == nil {
		return nil
	}
	kids := children(pos.Parent)
	if i := slices.Index(kids, pos); i >= 0 && i+1 < len(kids) {
		return kids[i+1]
	}
	return nil
}

// nextDescendantPre is css_next_descendant_pre: root first, then a
// pre-order walk of its subtree; nil at the end.
func nextDescendantPre(pos, root *sim.Cgroup) *sim.Cgroup {
	if pos == nil {
		return root
	}
	if kids := children(pos); len(kids) > 0 {
		return kids[0]
	}
	for pos != root {
		if n := nextSibling(pos); n != nil {
			return n
		}
		pos = pos.Parent
	}
	return nil
}

// leftmostDescendant is css_leftmost_descendant.
func leftmostDescendant(pos *sim.Cgroup) *sim.Cgroup {
	for {
		kids := children(pos)
		if len(kids) == 0 {
			return pos
		}
		pos = kids[0]
	}
}

// nextDescendantPost is css_next_descendant_post: the leftmost leaf
// first, each cgroup after its children, root last; nil after root.
func nextDescendantPost(pos, root *sim.Cgroup) *sim.Cgroup {
	switch {
	case pos == nil:
		return leftmostDescendant(root)
	case pos == root:
		return nil
	}
	if n := nextSibling(pos); n != nil {
		return leftmostDescendant(n)
	}
	return pos.Parent
}
