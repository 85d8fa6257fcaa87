// SPDX-License-Identifier: GPL-2.0
/*
 * Test program for bpfvm's graph kfuncs (graph_test.go): allocated objects,
 * an rbtree under a bpf_spin_lock in a map value, lists, bpf_refcount and
 * bpf_kptr_xchg. Built against schedsim's own headers:
 *
 *	clang-19 -O2 -g -target bpf -mcpu=v4 -fdebug-compilation-dir=. \
 *		-I ../../policies/include -c graph.bpf.c -o graph.bpf.o
 *	llvm-strip-19 -g graph.bpf.o
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Kfuncs newer than what scx/common.bpf.h declares. */
extern void *bpf_refcount_acquire_impl(void *p__refcounted_kptr, void *meta__ign) __ksym;
#define bpf_refcount_acquire(kptr) ((typeof(kptr))bpf_refcount_acquire_impl(kptr, NULL))
extern struct bpf_rb_node *bpf_rbtree_root(struct bpf_rb_root *root) __ksym;
extern struct bpf_rb_node *bpf_rbtree_left(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym;
extern struct bpf_rb_node *bpf_rbtree_right(struct bpf_rb_root *root, struct bpf_rb_node *node) __ksym;
extern struct bpf_list_node *bpf_list_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_back(struct bpf_list_head *head) __ksym;

#define MAX_KEYS 1024

/* The node is not at offset 0, so container_of() and the kfuncs' node
 * pointers are not object pointers. */
struct node {
	u64 seq; /* insertion order: equal keys must come out in it */
	struct bpf_rb_node rb;
	u64 key;
};

struct tree_val {
	struct bpf_spin_lock lock;
	struct bpf_rb_root root __contains(node, rb);
	struct node __kptr *stash;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct tree_val);
} trees SEC(".maps");

/* A refcounted object, in a tree and a list at once. */
struct rnode {
	struct bpf_rb_node rb;
	struct bpf_list_node ln;
	struct bpf_refcount ref;
	u64 key;
};

private(rl) struct bpf_spin_lock rl_lock;
private(rl) struct bpf_rb_root rl_root __contains(rnode, rb);
private(rl) struct bpf_list_head rl_head __contains(rnode, ln);

struct elem {
	struct bpf_list_node ln;
	u64 v;
};

private(l) struct bpf_spin_lock l_lock;
private(l) struct bpf_list_head l_head __contains(elem, ln);

const volatile u32 nr_keys;
u64 keys[MAX_KEYS];
u64 out_keys[MAX_KEYS];
u64 out_seq[MAX_KEYS];
u64 depth;

static bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct node *na = container_of(a, struct node, rb);
	struct node *nb = container_of(b, struct node, rb);

	return na->key < nb->key;
}

static bool rless(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct rnode *na = container_of(a, struct rnode, rb);
	struct rnode *nb = container_of(b, struct rnode, rb);

	return na->key < nb->key;
}

static struct tree_val *tree(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&trees, &zero);
}

/* Adds keys[0..nr_keys) to the tree. */
static int fill(struct tree_val *v)
{
	u32 i, n = nr_keys < MAX_KEYS ? nr_keys : MAX_KEYS;

	bpf_for(i, 0, n) {
		struct node *nd = bpf_obj_new(struct node);

		if (!nd)
			return -2;
		nd->key = keys[i & (MAX_KEYS - 1)];
		nd->seq = i;
		bpf_spin_lock(&v->lock);
		bpf_rbtree_add(&v->root, &nd->rb, less);
		bpf_spin_unlock(&v->lock);
	}
	return n;
}

/* Pops every node in order with first + remove into out_keys/out_seq,
 * dropping them; returns how many. */
static int drain(struct tree_val *v)
{
	u32 i;

	bpf_for(i, 0, MAX_KEYS + 1) {
		struct bpf_rb_node *r;
		struct node *nd;

		bpf_spin_lock(&v->lock);
		r = bpf_rbtree_first(&v->root);
		if (!r) {
			bpf_spin_unlock(&v->lock);
			return i;
		}
		r = bpf_rbtree_remove(&v->root, r);
		bpf_spin_unlock(&v->lock);
		if (!r)
			return -4;
		nd = container_of(r, struct node, rb);
		if (i < MAX_KEYS) {
			out_keys[i] = nd->key;
			out_seq[i] = nd->seq;
		}
		bpf_obj_drop(nd);
	}
	return -5;
}

/* Sorts keys[] through the tree into out_keys[]; returns the count. */
SEC("tc")
int rbtree_sort(void *ctx)
{
	struct tree_val *v = tree();
	int n, m;

	if (!v)
		return -1;
	n = fill(v);
	if (n < 0)
		return n;
	m = drain(v);
	return m == n ? n : -6;
}

/* Fills the tree, then looks every key up by walking down from the root
 * with bpf_rbtree_left/right; returns how many were found (and the
 * largest depth walked in `depth`), then drains the tree. */
SEC("tc")
int rbtree_search(void *ctx)
{
	struct tree_val *v = tree();
	u32 i, n, found = 0;

	if (!v)
		return -1;
	n = fill(v);
	if ((int)n < 0)
		return n;
	bpf_for(i, 0, n) {
		u64 key = keys[i & (MAX_KEYS - 1)], d = 0;
		struct bpf_rb_node *cur;

		bpf_spin_lock(&v->lock);
		cur = bpf_rbtree_root(&v->root);
		while (cur && d < 64) {
			struct node *nd = container_of(cur, struct node, rb);

			d++;
			if (nd->key == key) {
				found++;
				break;
			}
			cur = key < nd->key ? bpf_rbtree_left(&v->root, cur) : bpf_rbtree_right(&v->root, cur);
		}
		bpf_spin_unlock(&v->lock);
		if (d > depth)
			depth = d;
	}
	if (drain(v) != n)
		return -7;
	return found;
}

/* A list: push_back 1..4, push_front 0, check front/back, pop alternately
 * from both ends into out_keys; returns the count popped. */
SEC("tc")
int list_ops(void *ctx)
{
	struct bpf_list_node *f, *b;
	int i, n = 0;

	bpf_for(i, 0, 5) {
		struct elem *e = bpf_obj_new(struct elem);

		if (!e)
			return -2;
		e->v = i;
		bpf_spin_lock(&l_lock);
		if (i == 0)
			bpf_list_push_front(&l_head, &e->ln);
		else
			bpf_list_push_back(&l_head, &e->ln);
		bpf_spin_unlock(&l_lock);
	}
	bpf_spin_lock(&l_lock);
	f = bpf_list_front(&l_head);
	b = bpf_list_back(&l_head);
	if (!f || !b || container_of(f, struct elem, ln)->v != 0 || container_of(b, struct elem, ln)->v != 4) {
		bpf_spin_unlock(&l_lock);
		return -3;
	}
	bpf_spin_unlock(&l_lock);
	bpf_for(i, 0, 8) {
		struct bpf_list_node *ln;

		bpf_spin_lock(&l_lock);
		ln = i & 1 ? bpf_list_pop_back(&l_head) : bpf_list_pop_front(&l_head);
		bpf_spin_unlock(&l_lock);
		if (!ln)
			break;
		out_keys[n++ & (MAX_KEYS - 1)] = container_of(ln, struct elem, ln)->v;
		bpf_obj_drop(container_of(ln, struct elem, ln));
	}
	return n;
}

/* bpf_refcount: one object in a tree and a list at once; adding it to the
 * tree a second time fails with -EINVAL and drops that reference. Returns
 * 0 on success, or the number of the failed check. */
SEC("tc")
int refcount_ops(void *ctx)
{
	struct rnode *n, *m, *o;
	struct bpf_rb_node *r;
	struct bpf_list_node *l;
	long err;

	n = bpf_obj_new(struct rnode);
	if (!n)
		return 1;
	n->key = 42;
	m = bpf_refcount_acquire(n);
	if (!m) {
		bpf_obj_drop(n);
		return 2;
	}
	o = bpf_refcount_acquire(n);
	if (!o) {
		bpf_obj_drop(n);
		bpf_obj_drop(m);
		return 3;
	}
	bpf_spin_lock(&rl_lock);
	bpf_rbtree_add(&rl_root, &n->rb, rless);
	bpf_list_push_back(&rl_head, &m->ln);
	err = bpf_rbtree_add(&rl_root, &o->rb, rless); /* already in the tree */
	bpf_spin_unlock(&rl_lock);
	if (err != -22)
		return 4;

	bpf_spin_lock(&rl_lock);
	r = bpf_rbtree_first(&rl_root);
	if (!r) {
		bpf_spin_unlock(&rl_lock);
		return 5;
	}
	r = bpf_rbtree_remove(&rl_root, r);
	l = bpf_list_pop_front(&rl_head);
	bpf_spin_unlock(&rl_lock);
	if (!r || !l) {
		if (r)
			bpf_obj_drop(container_of(r, struct rnode, rb));
		if (l)
			bpf_obj_drop(container_of(l, struct rnode, ln));
		return 6;
	}
	n = container_of(r, struct rnode, rb);
	m = container_of(l, struct rnode, ln);
	err = n == m && n->key == 42 ? 0 : 7;
	bpf_obj_drop(n);
	bpf_obj_drop(m); /* the last reference: freed */
	return err;
}

/* bpf_kptr_xchg: stash an object in the map value, take it back. */
SEC("tc")
int kptr_stash(void *ctx)
{
	struct tree_val *v = tree();
	struct node *nd, *old;
	u64 key;

	if (!v)
		return -1;
	nd = bpf_obj_new(struct node);
	if (!nd)
		return -2;
	nd->key = 7;
	old = bpf_kptr_xchg(&v->stash, nd);
	if (old) {
		bpf_obj_drop(old);
		return -3;
	}
	old = bpf_kptr_xchg(&v->stash, NULL);
	if (!old)
		return -4;
	key = old->key;
	bpf_obj_drop(old);
	return key;
}

/* Drops a node that is still in the tree: a fault at run time (the
 * verifier would reject it: nd is a non-owning reference after add). */
SEC("tc")
int drop_in_tree(void *ctx)
{
	struct tree_val *v = tree();
	struct node *nd;

	if (!v)
		return -1;
	nd = bpf_obj_new(struct node);
	if (!nd)
		return -2;
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&v->root, &nd->rb, less);
	bpf_spin_unlock(&v->lock);
	bpf_obj_drop(nd);
	return 0;
}
