package bpfvm

import (
	"errors"
	"fmt"
	"unsafe"
)

// Red-black trees in linear memory: the algorithm of the kernel's
// lib/rbtree.c (__rb_insert, __rb_erase_augmented, ____rb_erase_color,
// rb_next) and include/linux/rbtree.h (rb_root_cached, leftmost cache),
// written in Go over the bytes of struct bpf_rb_root and struct
// bpf_rb_node (layouts in graph.go), and the kfuncs of
// kernel/bpf/helpers.c (Linux 6.12: __bpf_rbtree_add, bpf_rbtree_remove,
// bpf_rbtree_first; 6.16: bpf_rbtree_root, bpf_rbtree_left,
// bpf_rbtree_right).

// Offsets in struct bpf_rb_node (struct bpf_rb_node_kern) and struct
// bpf_rb_root (struct rb_root_cached).
const (
	rbParentColor  = 0
	rbRight        = 8
	rbLeft         = 16
	rbOwner        = 24
	rbRootNode     = 0
	rbRootLeftmost = 8

	rbRed   = 0
	rbBlack = 1
)

// rbMaxDepth bounds every walk of a tree. A red-black tree of n nodes is
// at most 2*log2(n+1) deep; n < 2^42 in any linear memory, so a deeper
// walk means the tree's bytes are corrupted (or cyclic).
const rbMaxDepth = 128

// gmem reads and writes 8-byte words of graph structures in linear memory.
// Every access is checked (one compare, and native loads and stores, as
// the interpreter's); a failed load returns 0 and a failed store does
// nothing, and the first failure is kept in err, so that an algorithm over
// corrupted bytes ends (its loops are bounded) and reports err instead of
// crashing. Only the tree or list being operated on is at risk.
type gmem struct {
	m    *Memory
	mp   unsafe.Pointer // &m.buf[0]
	base uint64         // m.base
	lim  uint64         // the largest offset of an 8-byte word
	err  error
}

func newGmem(m *Memory) *gmem {
	g := &gmem{m: m, base: m.base}
	buf := m.buf
	if len(buf) < 8 {
		buf, g.err = make([]byte, 8), errors.New("linear memory is closed")
	}
	g.mp, g.lim = unsafe.Pointer(unsafe.SliceData(buf)), uint64(len(buf))-8
	return g
}

func (g *gmem) ld(a uint64) uint64 {
	off := a - g.base
	if off > g.lim {
		return g.fail(a)
	}
	return *(*uint64)(unsafe.Add(g.mp, off))
}

func (g *gmem) st(a, v uint64) {
	if off := a - g.base; off > g.lim {
		g.fail(a)
	} else {
		*(*uint64)(unsafe.Add(g.mp, off)) = v
	}
}

// fail records an access of a at an address outside linear memory, and
// returns 0 (the value of a failed load).
func (g *gmem) fail(a uint64) uint64 {
	if g.err == nil {
		g.err = fmt.Errorf("a tree or list link points to %s, outside linear memory (corrupted node)", g.m.Describe(a))
	}
	return 0
}

func (g *gmem) corrupt(root uint64) {
	if g.err == nil {
		g.err = fmt.Errorf("the rbtree at %s is corrupted (a walk went deeper than %d levels)", g.m.Describe(root), rbMaxDepth)
	}
}

// Node accessors (lib/rbtree.c, include/linux/rbtree_augmented.h).

func (g *gmem) parent(n uint64) uint64 { return g.ld(n+rbParentColor) &^ 3 }
func (g *gmem) isBlack(n uint64) bool  { return g.ld(n+rbParentColor)&1 == rbBlack }
func (g *gmem) isRed(n uint64) bool    { return !g.isBlack(n) }
func (g *gmem) left(n uint64) uint64   { return g.ld(n + rbLeft) }
func (g *gmem) right(n uint64) uint64  { return g.ld(n + rbRight) }

func (g *gmem) setParentColor(n, p uint64, color uint64) { g.st(n+rbParentColor, p|color) }

func (g *gmem) setParent(n, p uint64) {
	g.st(n+rbParentColor, g.ld(n+rbParentColor)&1|p)
}

func (g *gmem) setBlack(n uint64) { g.st(n+rbParentColor, g.ld(n+rbParentColor)|rbBlack) }

// changeChild is __rb_change_child: make new the child of parent (or the
// root of the tree) where old was.
func (g *gmem) changeChild(old, new, parent, root uint64) {
	if parent != 0 {
		if g.left(parent) == old {
			g.st(parent+rbLeft, new)
		} else {
			g.st(parent+rbRight, new)
		}
	} else {
		g.st(root+rbRootNode, new)
	}
}

// rotateSetParents is __rb_rotate_set_parents: new takes old's place and
// colour; old becomes new's child with the given colour.
func (g *gmem) rotateSetParents(old, new, root uint64, color uint64) {
	parent := g.parent(old)
	g.st(new+rbParentColor, g.ld(old+rbParentColor))
	g.setParentColor(old, new, color)
	g.changeChild(old, new, parent, root)
}

// rbAdd inserts node into the tree at root, ordered by less(a, b) ("a goes
// before b"): equal keys go to the right, so equal nodes stay in insertion
// order (the kernel's __bpf_rbtree_add, a copy of rb_add_cached). less is
// called with node first, as the kernel calls the BPF callback. The node's
// bytes are overwritten; its owner field is the caller's business.
func (g *gmem) rbAdd(root, node uint64, less func(a, b uint64) (bool, error)) error {
	link := root + rbRootNode
	var parent uint64
	leftmost := true
	for depth := 0; ; depth++ {
		cur := g.ld(link)
		if g.err != nil {
			return g.err
		}
		if cur == 0 {
			break
		}
		if depth >= rbMaxDepth {
			g.corrupt(root)
			return g.err
		}
		parent = cur
		lt, err := less(node, parent)
		if err != nil {
			return err
		}
		if lt {
			link = parent + rbLeft
		} else {
			link = parent + rbRight
			leftmost = false
		}
	}
	// rb_link_node: red, no children.
	g.st(node+rbParentColor, parent)
	g.st(node+rbLeft, 0)
	g.st(node+rbRight, 0)
	g.st(link, node)
	// rb_insert_color_cached
	if leftmost {
		g.st(root+rbRootLeftmost, node)
	}
	g.insertColor(node, root)
	return g.err
}

// insertColor is __rb_insert: restore the red-black properties after node
// was linked in red.
func (g *gmem) insertColor(node, root uint64) {
	parent := g.parent(node) // rb_red_parent
	for i := 0; g.err == nil; i++ {
		if i > rbMaxDepth {
			g.corrupt(root)
			return
		}
		if parent == 0 {
			// The inserted node is the root: black.
			g.setParentColor(node, 0, rbBlack)
			return
		}
		if g.isBlack(parent) {
			return
		}
		gparent := g.parent(parent) // a red parent is never the root
		if gparent == 0 {
			g.corrupt(root)
			return
		}
		tmp := g.right(gparent)
		if parent != tmp { // parent == gparent->rb_left
			if tmp != 0 && g.isRed(tmp) {
				// Case 1: the uncle is red: colour flips, go up.
				g.setParentColor(tmp, gparent, rbBlack)
				g.setParentColor(parent, gparent, rbBlack)
				node = gparent
				parent = g.parent(node)
				g.setParentColor(node, parent, rbRed)
				continue
			}
			tmp = g.right(parent)
			if node == tmp {
				// Case 2: left rotate at parent.
				tmp = g.left(node)
				g.st(parent+rbRight, tmp)
				g.st(node+rbLeft, parent)
				if tmp != 0 {
					g.setParentColor(tmp, parent, rbBlack)
				}
				g.setParentColor(parent, node, rbRed)
				parent = node
				tmp = g.right(node)
			}
			// Case 3: right rotate at gparent.
			g.st(gparent+rbLeft, tmp) // == parent->rb_right
			g.st(parent+rbRight, gparent)
			if tmp != 0 {
				g.setParentColor(tmp, gparent, rbBlack)
			}
			g.rotateSetParents(gparent, parent, root, rbRed)
			return
		}
		tmp = g.left(gparent)
		if tmp != 0 && g.isRed(tmp) {
			// Case 1, mirrored.
			g.setParentColor(tmp, gparent, rbBlack)
			g.setParentColor(parent, gparent, rbBlack)
			node = gparent
			parent = g.parent(node)
			g.setParentColor(node, parent, rbRed)
			continue
		}
		tmp = g.left(parent)
		if node == tmp {
			// Case 2: right rotate at parent.
			tmp = g.right(node)
			g.st(parent+rbLeft, tmp)
			g.st(node+rbRight, parent)
			if tmp != 0 {
				g.setParentColor(tmp, parent, rbBlack)
			}
			g.setParentColor(parent, node, rbRed)
			parent = node
			tmp = g.left(node)
		}
		// Case 3: left rotate at gparent.
		g.st(gparent+rbRight, tmp) // == parent->rb_left
		g.st(parent+rbLeft, gparent)
		if tmp != 0 {
			g.setParentColor(tmp, gparent, rbBlack)
		}
		g.rotateSetParents(gparent, parent, root, rbRed)
		return
	}
}

// rbNext is rb_next: the node after n in order, or 0.
func (g *gmem) rbNext(root, n uint64) uint64 {
	if r := g.right(n); r != 0 {
		n = r
		for i := 0; g.err == nil; i++ {
			l := g.left(n)
			if l == 0 {
				return n
			}
			if i > rbMaxDepth {
				g.corrupt(root)
				return 0
			}
			n = l
		}
		return 0
	}
	for i := 0; g.err == nil; i++ {
		p := g.parent(n)
		if p == 0 || n != g.right(p) {
			return p
		}
		if i > rbMaxDepth {
			g.corrupt(root)
			return 0
		}
		n = p
	}
	return 0
}

// rbErase is rb_erase_cached: unlink node from the tree at root, keeping the
// leftmost cache. The node's own bytes are left as they were.
func (g *gmem) rbErase(root, node uint64) error {
	if g.ld(root+rbRootLeftmost) == node {
		g.st(root+rbRootLeftmost, g.rbNext(root, node))
	}
	if rebalance := g.eraseLinks(node, root); rebalance != 0 {
		g.eraseColor(rebalance, root)
	}
	return g.err
}

// eraseLinks is __rb_erase_augmented (without augmentation): it unlinks
// node and returns the node from which colours must be rebalanced, or 0.
func (g *gmem) eraseLinks(node, root uint64) uint64 {
	child := g.right(node)
	tmp := g.left(node)
	var parent, rebalance uint64
	switch {
	case tmp == 0:
		// Case 1: at most one child (then red, and node black).
		pc := g.ld(node + rbParentColor)
		parent = pc &^ 3
		g.changeChild(node, child, parent, root)
		if child != 0 {
			g.st(child+rbParentColor, pc)
		} else if pc&1 == rbBlack {
			rebalance = parent
		}
	case child == 0:
		// Case 1 again, the child is on the left.
		pc := g.ld(node + rbParentColor)
		g.st(tmp+rbParentColor, pc)
		parent = pc &^ 3
		g.changeChild(node, tmp, parent, root)
	default:
		successor := child
		var child2 uint64
		tmp = g.left(child)
		if tmp == 0 {
			// Case 2: the successor is node's right child.
			parent = successor
			child2 = g.right(successor)
		} else {
			// Case 3: the successor is the leftmost node under node's
			// right child.
			for i := 0; ; i++ {
				parent = successor
				successor = tmp
				tmp = g.left(tmp)
				if tmp == 0 || g.err != nil {
					break
				}
				if i > rbMaxDepth {
					g.corrupt(root)
					return 0
				}
			}
			child2 = g.right(successor)
			g.st(parent+rbLeft, child2)
			g.st(successor+rbRight, child)
			g.setParent(child, successor)
		}
		tmp = g.left(node)
		g.st(successor+rbLeft, tmp)
		g.setParent(tmp, successor)

		pc := g.ld(node + rbParentColor)
		g.changeChild(node, successor, pc&^3, root)
		if child2 != 0 {
			g.setParentColor(child2, parent, rbBlack)
		} else if g.isBlack(successor) {
			rebalance = parent
		}
		g.st(successor+rbParentColor, pc)
	}
	return rebalance
}

// eraseColor is ____rb_erase_color: after an erase, the paths through
// parent and its (now possibly empty) child node have one black node too
// few; recolour and rotate upwards until they do not.
func (g *gmem) eraseColor(parent, root uint64) {
	var node uint64
	for i := 0; g.err == nil; i++ {
		if i > rbMaxDepth {
			g.corrupt(root)
			return
		}
		sibling := g.right(parent)
		if node != sibling { // node == parent->rb_left
			if g.isRed(sibling) {
				// Case 1: left rotate at parent.
				tmp1 := g.left(sibling)
				g.st(parent+rbRight, tmp1)
				g.st(sibling+rbLeft, parent)
				g.setParentColor(tmp1, parent, rbBlack)
				g.rotateSetParents(parent, sibling, root, rbRed)
				sibling = tmp1
			}
			tmp1 := g.right(sibling)
			if tmp1 == 0 || g.isBlack(tmp1) {
				tmp2 := g.left(sibling)
				if tmp2 == 0 || g.isBlack(tmp2) {
					// Case 2: sibling colour flip.
					g.setParentColor(sibling, parent, rbRed)
					if g.isRed(parent) {
						g.setBlack(parent)
					} else {
						node = parent
						parent = g.parent(node)
						if parent != 0 {
							continue
						}
					}
					return
				}
				// Case 3: right rotate at sibling.
				tmp1 = g.right(tmp2)
				g.st(sibling+rbLeft, tmp1)
				g.st(tmp2+rbRight, sibling)
				g.st(parent+rbRight, tmp2)
				if tmp1 != 0 {
					g.setParentColor(tmp1, sibling, rbBlack)
				}
				tmp1 = sibling
				sibling = tmp2
			}
			// Case 4: left rotate at parent, colour flips.
			tmp2 := g.left(sibling)
			g.st(parent+rbRight, tmp2)
			g.st(sibling+rbLeft, parent)
			g.setParentColor(tmp1, sibling, rbBlack)
			if tmp2 != 0 {
				g.setParent(tmp2, parent)
			}
			g.rotateSetParents(parent, sibling, root, rbBlack)
			return
		}
		sibling = g.left(parent)
		if g.isRed(sibling) {
			// Case 1: right rotate at parent.
			tmp1 := g.right(sibling)
			g.st(parent+rbLeft, tmp1)
			g.st(sibling+rbRight, parent)
			g.setParentColor(tmp1, parent, rbBlack)
			g.rotateSetParents(parent, sibling, root, rbRed)
			sibling = tmp1
		}
		tmp1 := g.left(sibling)
		if tmp1 == 0 || g.isBlack(tmp1) {
			tmp2 := g.right(sibling)
			if tmp2 == 0 || g.isBlack(tmp2) {
				// Case 2: sibling colour flip.
				g.setParentColor(sibling, parent, rbRed)
				if g.isRed(parent) {
					g.setBlack(parent)
				} else {
					node = parent
					parent = g.parent(node)
					if parent != 0 {
						continue
					}
				}
				return
			}
			// Case 3: left rotate at sibling.
			tmp1 = g.left(tmp2)
			g.st(sibling+rbRight, tmp1)
			g.st(tmp2+rbLeft, sibling)
			g.st(parent+rbLeft, tmp2)
			if tmp1 != 0 {
				g.setParentColor(tmp1, sibling, rbBlack)
			}
			tmp1 = sibling
			sibling = tmp2
		}
		// Case 4: right rotate at parent, colour flips.
		tmp2 := g.right(sibling)
		g.st(parent+rbLeft, tmp2)
		g.st(sibling+rbRight, parent)
		g.setParentColor(tmp1, sibling, rbBlack)
		if tmp2 != 0 {
			g.setParent(tmp2, parent)
		}
		g.rotateSetParents(parent, sibling, root, rbBlack)
		return
	}
}

// clearRbNode is RB_CLEAR_NODE plus the owner: the node is in no tree.
func (g *gmem) clearRbNode(n uint64) {
	g.st(n+rbParentColor, n)
	g.st(n+rbRight, 0)
	g.st(n+rbLeft, 0)
	g.st(n+rbOwner, 0)
}

// drainTree empties the tree at root (as bpf_rb_root_free) and returns its
// nodes, each cleared (in no tree). The nodes must be owned by root.
func drainTree(m *Memory, root uint64) ([]uint64, error) {
	g := newGmem(m)
	top := g.ld(root + rbRootNode)
	if g.err != nil || top == 0 {
		return nil, g.err
	}
	limit := m.Size() / RbNodeSize
	type entry struct {
		n     uint64
		depth int
	}
	var nodes []uint64
	stack := []entry{{top, 1}}
	for len(stack) > 0 && g.err == nil {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if uint64(len(nodes)) >= limit || e.depth > rbMaxDepth {
			g.corrupt(root)
			break
		}
		n := e.n
		if owner := g.ld(n + rbOwner); owner != root && g.err == nil {
			return nil, fmt.Errorf("node at %s in the rbtree at %s has owner %s", m.Describe(n), m.Describe(root), m.Describe(owner))
		}
		nodes = append(nodes, n)
		if l := g.left(n); l != 0 {
			stack = append(stack, entry{l, e.depth + 1})
		}
		if r := g.right(n); r != 0 {
			stack = append(stack, entry{r, e.depth + 1})
		}
	}
	if g.err != nil {
		return nil, g.err
	}
	g.st(root+rbRootNode, 0)
	g.st(root+rbRootLeftmost, 0)
	for _, n := range nodes {
		g.clearRbNode(n)
	}
	return nodes, g.err
}

// ---- kfuncs ----

func checkRoot(m *Memory, root uint64) error {
	return checkPtr(m, root, RbRootSize, "struct bpf_rb_root")
}

func checkRbNode(m *Memory, n uint64) error {
	return checkPtr(m, n, RbNodeSize, "struct bpf_rb_node")
}

// rbtreeAdd is int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct
// bpf_rb_node *node, bool (less)(struct bpf_rb_node *a, const struct
// bpf_rb_node *b), void *meta__ign, u64 off): insert node, ordered by the
// BPF callback less (called on this context, nested). A node that already
// has an owner (is in a tree) is not added: the reference the program
// passed is dropped and the result is -EINVAL, as in __bpf_rbtree_add
// (Linux 6.12 kernel/bpf/helpers.c); for an object without bpf_refcount
// that drop is a fault here, since the object is still in a tree.
func rbtreeAdd(c *Context, root, node, less, _, off uint64) (uint64, error) {
	m := c.VM.Mem
	if err := checkRoot(m, root); err != nil {
		return 0, err
	}
	if err := checkRbNode(m, node); err != nil {
		return 0, err
	}
	pc, ok := FuncPC(less)
	if !ok {
		return 0, graphErr("less callback %#x is not the address of a subprogram", less)
	}
	if c.Prog == nil {
		return 0, graphErr("no program is running")
	}
	g := newGmem(m)
	if owner := g.ld(node + rbOwner); owner != 0 {
		obj, found := objectOf(m, node, off, fieldRbNode)
		if !found {
			return 0, graphErr("bpf_rb_node at %s, already in the rbtree at %s, is not in an object from bpf_obj_new", m.Describe(node), m.Describe(owner))
		}
		if err := dropObject(m, obj); err != nil {
			return 0, graphErr("adding a node that is already in a tree: %v", err)
		}
		return retEINVAL, nil
	}
	g.st(node+rbOwner, ptrPoison)
	err := g.rbAdd(root, node, func(a, b uint64) (bool, error) {
		r, err := c.CallSubprog(c.Prog, pc, a, b)
		return r != 0, err
	})
	if err != nil {
		if g.ld(node+rbOwner) == ptrPoison {
			g.st(node+rbOwner, 0)
		}
		return 0, err
	}
	g.st(node+rbOwner, root)
	return 0, g.err
}

// rbtreeFirst is struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root
// *root): the leftmost node (rb_first_cached), or NULL.
func rbtreeFirst(c *Context, root, _, _, _, _ uint64) (uint64, error) {
	m := c.VM.Mem
	if err := checkRoot(m, root); err != nil {
		return 0, err
	}
	return m.Load64(root + rbRootLeftmost), nil
}

// rbtreeRemove is struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root
// *root, struct bpf_rb_node *node): unlink node and return it (now an
// owning reference), or NULL if root does not own it.
func rbtreeRemove(c *Context, root, node, _, _, _ uint64) (uint64, error) {
	m := c.VM.Mem
	if err := checkRoot(m, root); err != nil {
		return 0, err
	}
	if err := checkRbNode(m, node); err != nil {
		return 0, err
	}
	g := newGmem(m)
	if g.ld(node+rbOwner) != root {
		return 0, nil
	}
	if err := g.rbErase(root, node); err != nil {
		return 0, err
	}
	g.clearRbNode(node)
	return node, g.err
}

// rbtreeRoot is struct bpf_rb_node *bpf_rbtree_root(struct bpf_rb_root
// *root) (6.16): the root node, or NULL.
func rbtreeRoot(c *Context, root, _, _, _, _ uint64) (uint64, error) {
	m := c.VM.Mem
	if err := checkRoot(m, root); err != nil {
		return 0, err
	}
	return m.Load64(root + rbRootNode), nil
}

// rbtreeLeft is struct bpf_rb_node *bpf_rbtree_left(struct bpf_rb_root
// *root, struct bpf_rb_node *node) (6.16): node's left child, or NULL if
// it has none or root does not own node.
func rbtreeLeft(c *Context, root, node, _, _, _ uint64) (uint64, error) {
	return rbtreeChild(c, root, node, rbLeft)
}

// rbtreeRight is bpf_rbtree_left's mirror (6.16).
func rbtreeRight(c *Context, root, node, _, _, _ uint64) (uint64, error) {
	return rbtreeChild(c, root, node, rbRight)
}

func rbtreeChild(c *Context, root, node, which uint64) (uint64, error) {
	m := c.VM.Mem
	if err := checkRoot(m, root); err != nil {
		return 0, err
	}
	if err := checkRbNode(m, node); err != nil {
		return 0, err
	}
	if m.Load64(node+rbOwner) != root {
		return 0, nil
	}
	return m.Load64(node + which), nil
}
