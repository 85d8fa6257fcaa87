package verifier

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

const lockAB = `
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+4
call bpf_spin_lock
r1 = map[id:4][0]+4
call bpf_spin_unlock
r1 = map[id:4][0]+0
call bpf_spin_unlock
r0 = 0
exit
`

const lockBA = `
r1 = map[id:4][0]+4
call bpf_spin_lock
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+0
call bpf_spin_unlock
r1 = map[id:4][0]+4
call bpf_spin_unlock
r0 = 0
exit
`

func lockProg(t *testing.T, e *testEnv, name, src, file string, firstLine int) *bpfvm.Program {
	insns, err := bpfvm.AssembleWith(src, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	p := &bpfvm.Program{Name: name, Insns: insns}
	// one C line per call: the lock calls are at insns 2 and 5
	p.Lines = []bpfvm.LineInfo{
		{Insn: 0, File: file, Line: firstLine, Source: "bpf_spin_lock(&first);"},
		{Insn: 3, File: file, Line: firstLine + 1, Source: "bpf_spin_lock(&second);"},
		{Insn: 6, File: file, Line: firstLine + 2, Source: "bpf_spin_unlock(&second);"},
	}
	return p
}

func TestCheckLockOrderABBA(t *testing.T) {
	e := newTestEnv(t)
	pa := lockProg(t, e, "enqueue", lockAB, "sched.bpf.c", 10)
	pb := lockProg(t, e, "dispatch", lockBA, "sched.bpf.c", 40)
	ra, err := Verify(pa, e.env())
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Verify(pb, e.env())
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.LockEdges) != 1 || len(rb.LockEdges) != 1 {
		t.Fatalf("edges: %+v / %+v", ra.LockEdges, rb.LockEdges)
	}
	if w := CheckLockOrder([]*Result{ra}); len(w) != 0 {
		t.Fatalf("one program alone has no cycle, got %v", w)
	}
	ws := CheckLockOrder([]*Result{ra, rb})
	if len(ws) != 1 {
		t.Fatalf("got %d warnings, want 1: %v", len(ws), ws)
	}
	msg := ws[0].Msg
	for _, want := range []string{"ABBA", "enqueue", "dispatch", ".data+0", ".data+4",
		"sched.bpf.c:10", "sched.bpf.c:11", "sched.bpf.c:40", "sched.bpf.c:41", "bpf_spin_lock(&second);"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning lacks %q:\n%s", want, msg)
		}
	}
	if len(ws[0].Cycle) != 2 || ws[0].Cycle[0].Prog == ws[0].Cycle[1].Prog {
		t.Errorf("cycle should have one edge from each program: %+v", ws[0].Cycle)
	}
	// same order in both programs: no warning
	pc := lockProg(t, e, "tick", lockAB, "sched.bpf.c", 70)
	rc, err := Verify(pc, e.env())
	if err != nil {
		t.Fatal(err)
	}
	if w := CheckLockOrder([]*Result{ra, rc}); len(w) != 0 {
		t.Fatalf("consistent order reported: %v", w)
	}
}

func TestCheckLockOrderThreeWay(t *testing.T) {
	mk := func(prog string, a, b LockClass) *Result {
		return &Result{Prog: prog, LockEdges: []LockEdge{{Held: a, Taken: b, Prog: prog, HeldPC: 1, PC: 3}}}
	}
	x, y, z := LockClass{"m", 0}, LockClass{"m", 8}, LockClass{"n", 0}
	ws := CheckLockOrder([]*Result{mk("p1", x, y), mk("p2", y, z), mk("p3", z, x)})
	if len(ws) != 1 || len(ws[0].Cycle) != 3 {
		t.Fatalf("want one 3-cycle, got %v", ws)
	}
	for _, p := range []string{"p1", "p2", "p3"} {
		if !strings.Contains(ws[0].Msg, p) {
			t.Errorf("warning lacks %s: %s", p, ws[0].Msg)
		}
	}
	// deterministic
	ws2 := CheckLockOrder([]*Result{mk("p3", z, x), mk("p1", x, y), mk("p2", y, z)})
	if len(ws2) != 1 || ws2[0].Msg != ws[0].Msg {
		t.Fatalf("not deterministic:\n%s\n%s", ws[0].Msg, ws2[0].Msg)
	}
}
