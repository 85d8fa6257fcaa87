// Package jit compiles bpfvm programs to native amd64 code, in pure Go (no
// cgo, no external assembler), behind the bpfvm.Engine interface. It is
// the second engine beside bpfvm's interpreter, which stays the reference:
// every interpreter test and a differential fuzz target run on both, and a
// simulation gives the same schedule hash on either.
//
// # Layout
//
//   - encoding.go: amd64 instruction encoding, bytes only (tested against
//     llvm-mc's bytes in encoding_test.go);
//   - compile.go: block analysis, the state shared with Go, prologue, exit
//     stubs and the entry table; addrmap.go: a debugging map of the code
//     (SCHEDSIM_JIT_MAP);
//   - lower_alu.go, lower_jmp.go, lower_mem.go: one BPF instruction class
//     each (ALU/ALU64; JMP/JMP32 with calls, exits and may_goto; loads,
//     stores, atomics and LD_IMM64);
//   - lower_native.go: helpers served without leaving native code (map
//     lookups, the CPU id, locks and the clock); lower_graph.go: the
//     graph kfuncs so served (objects and rbtrees);
//   - entry_amd64.s / entry_amd64.go: the trampoline into generated code;
//     engine.go: the Go side of the exit protocol (Engine.Run; a call's
//     start is entered inline when the engine's key still holds, so a
//     call that exits without calling out is one enter between
//     Context.Call's set-up and its result);
//   - execmem_linux_amd64.go: executable memory; other platforms build
//     without it (Supported is false; New returns the interpreter).
//
// # Register mapping
//
//	BPF r0  rax    BPF r6  rbx     r10  instruction budget
//	BPF r1  rdi    BPF r7  r13     r11  scratch (addresses, divisors)
//	BPF r2  rsi    BPF r8  r14     rcx  scratch (shift counts, frames)
//	BPF r3  rdx    BPF r9  r15     r12  *state (shared with Go)
//	BPF r4  r9     BPF r10 rbp
//	BPF r5  r8
//
// (A native graph kfunc keeps an offset in state.spill[2]; native map
// lookups and locks use only the scratch registers, and rax once their
// last check has passed.)
//
// BPF addresses are host addresses inside the VM's linear memory, so a
// checked load or store uses its BPF address directly. Every access is
// checked as the interpreter checks it: (addr + off - memBase) >
// memSize - size faults. Accesses through r10 at a constant offset inside
// its 512-byte frame are not checked when the program never writes r10
// (the frame lies inside the linear memory, so the check cannot fail).
// Checks are shared (lower_mem.go, check): the first access through a
// register in a block checks every offset the block's accesses through
// it reach before it changes; if that fails the code exits to the
// interpreter at that first access (exitStep), which runs the block with
// its own checks, so faults keep their instruction and message. What a
// block knows of its registers (offsets checked, constants, r10 + k,
// ranges: a value in [v, v+span] after a mask, shifts and additions that
// cannot wrap) passes to the blocks after it that only it and other
// blocks before them reach, each predecessor counted once (so also to
// checkpoints that only split a long path for the budget); loop heads
// know what holds on every path, found by a fixed point over the blocks
// (headFacts: constants, r10 + k, ranges; not offsets checked); call
// targets, return sites and callbacks know nothing. The facts hold on
// every path, whichever engine ran it. Accesses whose address the facts
// place inside the VM's memory (a known address or range of addresses:
// a map value's, loaded by LD_IMM64, plus a bounded index), at r10 + k
// inside the frame, or inside a map value once the result of its native
// lookup (r1 known to be the map) is tested against 0, need no check, nor
// do a native lookup's map and key checks, or a graph kfunc's bounds
// check of its root or node, that the facts prove. Facts cross blocks
// only in programs with function information (a raw program may call back
// or callx any instruction). A 64-bit move followed by an addition to
// the same register in its block is one lea (lowerFused).
// SCHEDSIM_JIT_MAP=FILE writes where each program's code and each
// instruction's code lie, to attribute a profile (addrmap.go).
// Division gives RFC 9669's results (x/0 = 0, x%0 = x, INT_MIN/-1 =
// INT_MIN, INT_MIN%-1 = 0). Unsigned division with both operands below
// 2^52 (always in 32-bit forms) is done in double precision (divsd in
// xmm0/xmm1, exact: the proof is at divFP), without rax and rdx; the rest
// saves rax and rdx around div/idiv. Atomics are
// lock-prefixed: add/or/and/xor on memory, xadd, a cmpxchg loop for
// fetch_or/and/xor, xchg and cmpxchg.
//
// # Entry and exit protocol
//
// As in wazero, generated code never calls Go. Go calls enter(code, st)
// (entry_amd64.s), which puts st in r12, saves rbp and calls one of two
// prologues: both load the BPF registers the code uses (compiler.used:
// the others are never in a host register, Context.Regs holds them
// throughout) from Context.Regs and the budget from st; the first then
// jumps to the entry instruction st.entryPC through a table of int32
// offsets (one per instruction, at the end of the code), the second
// (code.entry0, a call's start: Go enters it only with Depth = Base = 1)
// falls through to instruction 0, a checkpoint, whose budget check comes
// first (non-checkpoint entries go through the table to their entry
// stubs, see Instruction counting).
// Generated code returns to Go by storing an exit code in st, the
// instruction it exited at in Context.PC, Context.Insns (st.target less
// the budget left), the registers the program may change back into
// Context.Regs (compiler.written: the others still hold what the
// prologue loaded), and returning to the trampoline, which restores rbp.
// The exit codes:
//
//   - exitExit: EXIT at the depth Run was started at (Context.Base); the
//     code has counted it and decremented Context.Depth, Run returns
//     StatusExited. In a program without bpf-to-bpf calls or callx
//     (code.noCalls), which Go runs only with Depth == Base, EXIT exits
//     without comparing them.
//   - exitCall: a helper or kfunc call. Go serves it with Context.CallFunc
//     (costs, faults and yields exactly as the interpreter), puts r0 in
//     Context.Regs and re-enters at the next instruction (a block start,
//     entered through the table without looking it up: its checkpoint or
//     entry stub checks the budget and adds its pending count). A call
//     writes only r0 among the registers the exit stores: Go leaves
//     Context.Regs[1..5] as they are, as the interpreter does. Some
//     helpers are served in the generated code instead when they can be
//     (lower_native.go), as the kernel's JIT inlines map lookups:
//     bpf_map_lookup_elem on an array, per-CPU array or non-LRU hash map
//     with a key of 1, 2, 4 or 8 bytes (hash maps through their
//     bpfvm.HashIndex, an open-addressing table Go and the code both
//     read), bpf_get_smp_processor_id, bpf_rbtree_first, kfuncs that
//     only return 0 (bpfvm.NativeZero), the graph kfuncs in their common
//     cases (lower_graph.go, bpfvm/graph_native.go: bpf_obj_new of the
//     type id loaded into r1 from its size class's free list, bpf_obj_drop
//     of an object whose whole header is that of a record the VM's
//     programs allocate, bpf_rbtree_add into an empty tree,
//     bpf_rbtree_remove of a tree's only node or of a node the root does
//     not own; each checks everything before it changes anything, so any
//     other case exits to the kfunc with the state untouched), and, on a VM with a
//     bpfvm.NativeState, bpf_spin_lock, bpf_spin_unlock and the clock
//     helpers (their state is integers the embedder's Go code shares,
//     never Go pointers; docs/locks.md). Each has the helper's result
//     and cost; the cases where the helper would do more (a cost limit to
//     check, a key outside the memory, a CPU outside the VM, r1 not the
//     map the code expected) take exitCall. Go calls the function each call
//     site resolved at its first call (bpfvm.Context.CallRef); when the
//     registry replaces a helper or kfunc (bpfvm.Registry.Gen), call sites
//     resolve again and code that inlined helpers is compiled again.
//   - exitBudget: a path from Context.PC (a checkpoint, or an entry) may
//     need more instructions than are left before the quantum or the
//     limit ends; the interpreter runs the rest, so preemption and limit
//     faults land on the same instruction.
//   - exitStep: the interpreter executes the one instruction at Context.PC and
//     Go re-enters after it: memory faults, invalid instructions, calls
//     too deep, falling off the end, callx (so every fault has the
//     interpreter's message, instruction and source line).
//
// bpf-to-bpf calls and returns do not exit: the code pushes and pops
// Context.Frames itself (return pc, r6..r9, r10, the may_goto budget) and
// returns through the entry table, so a program suspended in a subprogram
// resumes on either engine. may_goto counts down the frame's loop budget
// in Context.Frames as the interpreter does; in a program with may_goto
// the prologues put the current frame's address in state.frame, and
// native calls and returns keep it, so may_goto reads it from there.
//
// # Instruction counting
//
// Instructions are counted exactly, with as few budget operations as a
// path allows (compiler.budgets). A block ends at every jump, call, exit
// and may_goto and before every jump target (LD_IMM64 counts one); calls
// are blocks of their own, so that a yielding helper is retried from a
// block start. Checkpoints (instruction 0, subprogram starts, the targets
// of backward jumps, so every loop has one) compare the budget with the
// most instructions any path from there executes before the next
// checkpoint or an exit (at most 32): "cmp r10, need; jb exit". A block
// that fits in the budget's check subtracts without a branch, and only
// when its count cannot be passed on: a block whose successors are each
// entered from it alone leaves its count pending, and the block that
// reaches a join, a checkpoint or an exit subtracts what is pending with
// its own. Exits add back the instructions counted and not executed, or
// subtract those executed and not counted, so Context.Insns is exact at
// every exit; the entry table's entry at a block that is not a
// checkpoint checks its need and adds its pending count first. The budget
// is min(quantum end, Context.Limit) as in the interpreter; when a
// checkpoint's need does not fit, the interpreter runs the rest of the
// quantum, so preemption and limit faults land on exactly the
// instruction they would have.
//
// # The Go side's fast path
//
// An Engine belongs to one Context. It keeps one state (st0) for the
// outermost Run and a two-way table of recent programs' code. Run
// serves its context without looking further while a key holds: the
// same context (Engine.fast), no Run in progress, the same VM, memory,
// registry and registry generation, CPU, cost limit and CPU count as
// when st0 and the table were set up (Engine.state, Engine.sync: the
// table holds only code current for that VM and registry generation).
// Call1 leaves the CPU out of its key: a context made by
// bpfvm.NewSharedContext acts for another CPU on every call, and Call1
// rewrites only st0's CPU part then (state.setCPU: cpu, natMap and the
// native locks' lockNS, lockCPU).
// Nothing else is checked per call; when the key fails, runSlow checks
// the context, finds the code and sets the key up again. At a call's
// start (PC 0, Depth = Base = 1, no quantum) the first entry is inline.
//
// Engine.Call1 is Context.Call1 for a context whose engine is e, as the
// struct_ops bridge calls every callback: the context's set-up
// (Context.Idle, Begin1; Done or End after), the key and the entry in one
// frame, without the interface call and the checks a call's start makes
// true. The caller passes a Site, its cache of the program's code shared
// by all the engines of the VM (the bridge keeps one per callback): it
// holds while the key does and it was filled for the same program, VM,
// registry and generation (and no Engine.Forget since); otherwise the
// code comes from the recent table and fills it. A machine has hundreds
// of contexts, each with its engine, and their callbacks interleave, so
// an engine's own table is rarely in the cache; the Site is. The bridge
// avoids the same misses on the contexts and engines themselves: in
// synchronous mode one shared context and its engine run every CPU's
// outermost callbacks (policies/bridge.go, callArgs).
//
// The served calls (exitCall at a call site whose FuncRef is Ready) run
// in a loop of their own, Engine.calls, which Engine.run calls after
// each entry: the function is called inline (FuncRef.Fn, then
// Context.CallEnd only for an error or a cost limit), and the next block
// is entered through the entry table. A call's start that exits to call
// out goes to calls directly from Call1 (which then ends an exited
// program with Context.Done, inline, not Context.End) or through callOut
// from Run's fast path, so that the kfunc is one frame away from Call1;
// calls goes on in run only for an exit it does not serve.
//
// The fields a call's start touches come first in Context (its
// registers, counters, limits, program state, frame 0's FP, Loops and
// RetPC) and in Engine (the key, then st0), so that a call's set-up
// touches four lines of the context and three of the engine.
//
// # Memory and the Go runtime
//
// Code is mapped outside the Go heap read+write, copied, then made
// read+execute (never both), and unmapped by a cleanup when the program's
// code is unreachable. The VM keeps each program's code (VM.Compiled), so
// the hundreds of contexts of a machine compile each program once.
// Generated code runs on the goroutine's stack for two words (the return
// address and rbp); it makes no calls, so the goroutine stack cannot move
// under it, and the Go runtime treats it as external code (no asynchronous
// preemption inside it). State it reads or writes lives in Go heap
// objects (Context, state) that the engine keeps alive.
package jit
