package verifier

// Loop entries (kernel/bpf/verifier.c, Linux 6.12: get_loop_entry,
// update_loop_entry, update_branch_counts and is_state_visited's
// force_exact). A checkpoint whose exploration ended may still belong to a
// loop whose head is in progress: some path below it was pruned against
// an in-progress state of that loop (an iterator's next call or a
// may_goto), so not everything reachable from it has been explored with
// final read and precision marks. Such a checkpoint may prune only states
// that are equal to it in every register and slot (RANGE_WITHIN), not
// merely in the ones marked read or precise: otherwise a state with a
// different value that some later iteration would use is dropped unseen
// (the kernel's iters.c test loop_state_deps2).

// loopEntryOf is get_loop_entry: the outermost loop head recorded for c,
// with the chain shortened on the way.
func loopEntryOf(e *checkpoint) *checkpoint {
	top := e
	for top != nil && top.loopEntry != nil && top != top.loopEntry {
		top = top.loopEntry
	}
	for e != nil && e.loopEntry != top {
		old := e.loopEntry
		e.loopEntry = top
		e = old
	}
	return top
}

// entryDepth returns the outermost loop head of a state (entry, depth) and
// its depth: the head's, or the state's own depth if it has none.
func entryDepth(entry *checkpoint, depth int) (*checkpoint, int) {
	if e := loopEntryOf(entry); e != nil {
		return e, e.depth
	}
	return nil, depth
}

// loopHeadInProgress reports whether hdr's outermost loop head is still on
// the current path (has paths pending), and its depth.
func loopHeadInProgress(hdr *checkpoint) (bool, int) {
	h := loopEntryOf(hdr.loopEntry)
	if h == nil {
		h = hdr
	}
	return h.pending > 0, h.depth
}

// updateStateLoopEntry is update_loop_entry for the current path's state.
func updateStateLoopEntry(st *vstate, hdr *checkpoint) {
	ok, hd := loopHeadInProgress(hdr)
	_, cd := entryDepth(st.loopEntry, st.dfsDepth)
	if ok && hd <= cd {
		st.loopEntry = hdr
	}
}

// updateCheckpointLoopEntry is update_loop_entry for a stored state.
func updateCheckpointLoopEntry(c, hdr *checkpoint) {
	ok, hd := loopHeadInProgress(hdr)
	_, cd := entryDepth(c.loopEntry, c.depth)
	if ok && hd <= cd {
		c.loopEntry = hdr
	}
}

// inLoopInProgress: c is part of a loop whose head is still being
// explored; it may prune only exactly covered states (force_exact).
func inLoopInProgress(c *checkpoint) (*checkpoint, bool) {
	e := loopEntryOf(c.loopEntry)
	return e, e != nil && e.pending > 0
}
