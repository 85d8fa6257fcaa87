/* arena.bpf.c: a test policy that keeps its per-task data in an arena, as
 * scx's sdt_task / p2dq do: __arena globals (section .addr_space.1), pages
 * from bpf_arena_alloc_pages() carved into per-task records linked in a
 * free list, pointers into the arena kept in task storage and in arena
 * memory itself, a value user space writes into the arena before ops.init
 * (arena_seed, set by the test through the arena map), and a
 * SEC("syscall") program that allocates pages and returns their address in
 * its context, as scx's arena_alloc_mask does. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 64); /* pages */
} arena SEC(".maps");

struct rec {
	struct rec __arena *next;
	u64 pid;
	u64 runs;
	u64 runtime;
};

#define RECS_PER_PAGE (4096 / sizeof(struct rec))

/* __arena globals */
struct rec __arena *free_list __arena_global;
u64 nr_pages __arena_global;
u64 arena_seed __arena_global = 7;	/* user space overwrites it */
u64 live_recs __arena_global;

struct task_ref {
	struct rec __arena *rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ref);
} task_refs SEC(".maps");

u64 seen_seed, nr_alloc_fail, total_runs, arena_span_ok = 1;

struct alloc_args {
	u64 addr;
	u32 pages;
};

SEC("syscall")
int alloc_for_user(struct alloc_args *args)
{
	void __arena *p = bpf_arena_alloc_pages(&arena, NULL, args->pages, NUMA_NO_NODE, 0);

	if (!p)
		return -ENOMEM;
	args->addr = (u64)p;
	return 0;
}

static int refill(void)
{
	struct rec __arena *page;
	int i;

	page = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);
	if (!page)
		return -ENOMEM;
	nr_pages++;
	bpf_for(i, 0, RECS_PER_PAGE) {
		struct rec __arena *r = &page[i];

		r->next = free_list;
		free_list = r;
	}
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ar_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ref *ref;
	struct rec __arena *r;

	ref = bpf_task_storage_get(&task_refs, p, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ref)
		return -ENOMEM;
	if (!free_list && refill()) {
		nr_alloc_fail++;
		return -ENOMEM;
	}
	r = free_list;
	if (!r)
		return -ENOMEM;
	free_list = r->next;
	r->next = NULL;
	r->pid = p->pid;
	r->runs = 0;
	ref->rec = r;
	live_recs++;
	return 0;
}

void BPF_STRUCT_OPS(ar_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	struct task_ref *ref = bpf_task_storage_get(&task_refs, p, NULL, 0);
	struct rec __arena *r;

	if (!ref || !ref->rec)
		return;
	r = ref->rec;
	r->next = free_list;
	free_list = r;
	ref->rec = NULL;
	live_recs--;
}

void BPF_STRUCT_OPS(ar_running, struct task_struct *p)
{
	struct task_ref *ref = bpf_task_storage_get(&task_refs, p, NULL, 0);
	struct rec __arena *r;

	if (!ref || !ref->rec)
		return;
	r = ref->rec;
	if (r->pid != p->pid)
		scx_bpf_error("arena record of pid %d holds pid %llu", p->pid, r->pid);
	r->runs++;
	total_runs++;
}

void BPF_STRUCT_OPS(ar_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ar_init)
{
	seen_seed = arena_seed;
	return 0;
}

SCX_OPS_DEFINE(arena_ops,
	       .enqueue = (void *)ar_enqueue,
	       .running = (void *)ar_running,
	       .init_task = (void *)ar_init_task,
	       .exit_task = (void *)ar_exit_task,
	       .init = (void *)ar_init,
	       .name = "arena");
