package bpfvm

import "fmt"

// Linked lists in linear memory: the kernel's struct list_head (a circular
// doubly linked list, include/linux/list.h) in the bytes of struct
// bpf_list_head and struct bpf_list_node (layouts in graph.go), and the
// kfuncs of kernel/bpf/helpers.c (Linux 6.12: __bpf_list_add,
// __bpf_list_del; 6.15: bpf_list_front, bpf_list_back).

// Offsets in struct bpf_list_node (struct bpf_list_node_kern) and struct
// bpf_list_head (struct list_head).
const (
	listNext  = 0
	listPrev  = 8
	listOwner = 16
)

// initHead is INIT_LIST_HEAD on a head the map left all zero ("if
// (unlikely(!h->next)) INIT_LIST_HEAD(h)" in __bpf_list_add/_del).
func (g *gmem) initHead(h uint64) {
	if g.ld(h+listNext) == 0 {
		g.st(h+listNext, h)
		g.st(h+listPrev, h)
	}
}

// listAdd is __list_add: link n between prev and next.
func (g *gmem) listAdd(n, prev, next uint64) {
	g.st(next+listPrev, n)
	g.st(n+listNext, next)
	g.st(n+listPrev, prev)
	g.st(prev+listNext, n)
}

// listDelInit is list_del_init: unlink n and make it point at itself.
func (g *gmem) listDelInit(n uint64) {
	prev, next := g.ld(n+listPrev), g.ld(n+listNext)
	g.st(next+listPrev, prev)
	g.st(prev+listNext, next)
	g.st(n+listNext, n)
	g.st(n+listPrev, n)
}

// drainList empties the list at head (as bpf_list_head_free) and returns
// its nodes, each unlinked and without owner.
func drainList(m *Memory, head uint64) ([]uint64, error) {
	g := newGmem(m)
	first := g.ld(head + listNext)
	if g.err != nil || first == 0 || first == head {
		return nil, g.err
	}
	limit := m.Size() / ListNodeSize
	var nodes []uint64
	for n := first; n != head; n = g.ld(n + listNext) {
		if g.err != nil {
			return nil, g.err
		}
		if uint64(len(nodes)) >= limit {
			return nil, fmt.Errorf("the list at %s is corrupted (it does not lead back to its head)", m.Describe(head))
		}
		if owner := g.ld(n + listOwner); owner != head && g.err == nil {
			return nil, fmt.Errorf("node at %s in the list at %s has owner %s", m.Describe(n), m.Describe(head), m.Describe(owner))
		}
		nodes = append(nodes, n)
	}
	if g.err != nil {
		return nil, g.err
	}
	g.st(head+listNext, head)
	g.st(head+listPrev, head)
	for _, n := range nodes {
		g.st(n+listNext, n)
		g.st(n+listPrev, n)
		g.st(n+listOwner, 0)
	}
	return nodes, g.err
}

// ---- kfuncs ----

func checkHead(m *Memory, h uint64) error {
	return checkPtr(m, h, ListHeadSize, "struct bpf_list_head")
}

func checkListNode(m *Memory, n uint64) error {
	return checkPtr(m, n, ListNodeSize, "struct bpf_list_node")
}

// listPush is __bpf_list_add: link node at the front or the back of the
// list. A node that already has an owner (is in a list) is not added: the
// reference the program passed is dropped and the result is -EINVAL; for
// an object without bpf_refcount that drop is a fault here, since the
// object is still in a list.
func listPush(c *Context, head, node, off uint64, tail bool) (uint64, error) {
	m := c.VM.Mem
	if err := checkHead(m, head); err != nil {
		return 0, err
	}
	if err := checkListNode(m, node); err != nil {
		return 0, err
	}
	g := newGmem(m)
	g.initHead(head)
	if owner := g.ld(node + listOwner); owner != 0 {
		obj, found := objectOf(m, node, off, fieldListNode)
		if !found {
			return 0, graphErr("bpf_list_node at %s, already in the list at %s, is not in an object from bpf_obj_new", m.Describe(node), m.Describe(owner))
		}
		if err := dropObject(m, obj); err != nil {
			return 0, graphErr("adding a node that is already in a list: %v", err)
		}
		return retEINVAL, nil
	}
	if tail {
		g.listAdd(node, g.ld(head+listPrev), head) // list_add_tail
	} else {
		g.listAdd(node, head, g.ld(head+listNext)) // list_add
	}
	g.st(node+listOwner, head)
	return 0, g.err
}

// listPushFront is int bpf_list_push_front_impl(struct bpf_list_head
// *head, struct bpf_list_node *node, void *meta__ign, u64 off).
func listPushFront(c *Context, head, node, _, off, _ uint64) (uint64, error) {
	return listPush(c, head, node, off, false)
}

// listPushBack is int bpf_list_push_back_impl(struct bpf_list_head *head,
// struct bpf_list_node *node, void *meta__ign, u64 off).
func listPushBack(c *Context, head, node, _, off, _ uint64) (uint64, error) {
	return listPush(c, head, node, off, true)
}

// listPop is __bpf_list_del: unlink and return the first or last node (an
// owning reference), or NULL if the list is empty. A node whose owner is
// not head means corrupted memory (the kernel WARNs): a fault here.
func listPop(c *Context, head uint64, tail bool) (uint64, error) {
	m := c.VM.Mem
	if err := checkHead(m, head); err != nil {
		return 0, err
	}
	g := newGmem(m)
	g.initHead(head)
	n := g.ld(head + listNext)
	if tail {
		n = g.ld(head + listPrev)
	}
	if g.err != nil || n == head {
		return 0, g.err
	}
	if owner := g.ld(n + listOwner); owner != head {
		if g.err != nil {
			return 0, g.err
		}
		return 0, graphErr("node at %s in the list at %s has owner %s (corrupted list)", m.Describe(n), m.Describe(head), m.Describe(owner))
	}
	g.listDelInit(n)
	g.st(n+listOwner, 0)
	return n, g.err
}

// listPopFront is struct bpf_list_node *bpf_list_pop_front(struct
// bpf_list_head *head).
func listPopFront(c *Context, head, _, _, _, _ uint64) (uint64, error) {
	return listPop(c, head, false)
}

// listPopBack is struct bpf_list_node *bpf_list_pop_back(struct
// bpf_list_head *head).
func listPopBack(c *Context, head, _, _, _, _ uint64) (uint64, error) {
	return listPop(c, head, true)
}

// listPeek is bpf_list_front / bpf_list_back (6.15): the first or last
// node (a non-owning reference), or NULL if the list is empty (an all-zero
// head is empty, and is left as it is).
func listPeek(c *Context, head uint64, tail bool) (uint64, error) {
	m := c.VM.Mem
	if err := checkHead(m, head); err != nil {
		return 0, err
	}
	next := m.Load64(head + listNext)
	if next == head || next == 0 {
		return 0, nil
	}
	if tail {
		return m.Load64(head + listPrev), nil
	}
	return next, nil
}

// listFront is struct bpf_list_node *bpf_list_front(struct bpf_list_head
// *head).
func listFront(c *Context, head, _, _, _, _ uint64) (uint64, error) {
	return listPeek(c, head, false)
}

// listBack is struct bpf_list_node *bpf_list_back(struct bpf_list_head
// *head).
func listBack(c *Context, head, _, _, _, _ uint64) (uint64, error) {
	return listPeek(c, head, true)
}
