package verifier

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// A corpus file is assembly in bpfvm's syntax with a header of directives
// in comments:
//
//	; expect: accept                   or  ; expect: reject "message fragment"
//	; args: task_struct u64 task_struct?   (struct_ops arguments; ? = nullable)
//	; void                                  (the callback returns void)
//	; limit: N                              (complexity limit)
//	; noloops                               (reject back-edges)
//	; unpriv                                (no pointer leaks, no uninitialised stack reads)
//	; sleepable
//
// "$NODE_DATA" and "$RNODE_DATA" in the source are replaced by the BTF ids
// of struct node_data and struct rnode_data (refcounted).
type corpusCase struct {
	name    string
	src     string
	accept  bool
	msg     string
	args    []ArgDesc
	void    bool
	limit   int
	noLoops bool
	unpriv  bool
	sleep   bool
	locks   int
}

func parseCase(t testing.TB, e *testEnv, name, src string) corpusCase {
	c := corpusCase{name: name}
	seen := false
	for _, line := range strings.Split(src, "\n") {
		l := strings.TrimSpace(line)
		if !strings.HasPrefix(l, ";") {
			continue
		}
		l = strings.TrimSpace(strings.TrimPrefix(l, ";"))
		switch {
		case strings.HasPrefix(l, "expect:"):
			v := strings.TrimSpace(strings.TrimPrefix(l, "expect:"))
			seen = true
			if v == "accept" {
				c.accept = true
			} else if strings.HasPrefix(v, "reject") {
				q := strings.TrimSpace(strings.TrimPrefix(v, "reject"))
				m, err := strconv.Unquote(q)
				if err != nil {
					t.Fatalf("%s: bad expect line %q", name, l)
				}
				c.msg = m
			} else {
				t.Fatalf("%s: bad expect line %q", name, l)
			}
		case strings.HasPrefix(l, "args:"):
			for _, a := range strings.Fields(strings.TrimPrefix(l, "args:")) {
				nullable := strings.HasSuffix(a, "?")
				a = strings.TrimSuffix(a, "?")
				switch a {
				case "task_struct":
					c.args = append(c.args, ArgDesc{Name: "p", Type: ptr(e.task), Nullable: nullable})
				case "u64":
					c.args = append(c.args, ArgDesc{Name: "x", Type: tU64})
				case "u32":
					c.args = append(c.args, ArgDesc{Name: "x", Type: tU32})
				default:
					t.Fatalf("%s: unknown arg type %q", name, a)
				}
			}
		case l == "void":
			c.void = true
		case l == "noloops":
			c.noLoops = true
		case l == "unpriv":
			c.unpriv = true
		case l == "sleepable":
			c.sleep = true
		case strings.HasPrefix(l, "maxlocks:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "maxlocks:")))
			if err != nil {
				t.Fatalf("%s: bad maxlocks", name)
			}
			c.locks = n
		case strings.HasPrefix(l, "limit:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "limit:")))
			if err != nil {
				t.Fatalf("%s: bad limit", name)
			}
			c.limit = n
		}
	}
	if !seen {
		t.Fatalf("%s: no '; expect:' line", name)
	}
	c.src = strings.ReplaceAll(src, "$RNODE_DATA", fmt.Sprint(e.rnodeID))
	c.src = strings.ReplaceAll(c.src, "$NODE_DATA", fmt.Sprint(e.nodeID))
	return c
}

func (c *corpusCase) program(t testing.TB, e *testEnv) *bpfvm.Program {
	insns, err := bpfvm.AssembleWith(c.src, e.reg)
	if err != nil {
		t.Fatalf("%s: assemble: %v", c.name, err)
	}
	return &bpfvm.Program{Name: strings.TrimSuffix(c.name, ".s"), Insns: insns, BTF: e.progBTF, Sleepable: c.sleep}
}

func (c *corpusCase) env(e *testEnv, log *bytes.Buffer) *Env {
	env := e.env()
	env.Args = c.args
	env.ReturnVoid = c.void
	env.InsnLimit = c.limit
	env.NoBackEdges = c.noLoops
	env.Unprivileged = c.unpriv
	env.MaxLocks = c.locks
	if log != nil {
		env.Log = log
	}
	return env
}

func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.s")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCorpus(t *testing.T) {
	e := newTestEnv(t)
	files := corpusFiles(t)
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := parseCase(t, e, name, string(src))
			p := c.program(t, e)
			var log bytes.Buffer
			res, err := Verify(p, c.env(e, &log))
			if c.accept {
				if err != nil {
					t.Fatalf("rejected: %v\nlog:\n%s", err, log.String())
				}
				if res.InsnsProcessed == 0 {
					t.Fatalf("accepted with no instruction processed")
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want rejection %q\nlog:\n%s", c.msg, log.String())
			}
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, not *verifier.Error: %v", err, err)
			}
			if !strings.Contains(ve.Msg, c.msg) {
				t.Fatalf("rejected with %q, want %q\nlog:\n%s", ve.Msg, c.msg, ve.Log)
			}
			if !strings.Contains(ve.Log, ve.Msg) || !strings.Contains(ve.Log, fmt.Sprintf("%d: (", ve.PC)) && ve.PC < len(p.Insns) {
				t.Fatalf("log lacks the message or the failing instruction:\n%s", ve.Log)
			}
		})
	}
}

var _ = btf.Bits(0)

// BenchmarkVerifyCorpus verifies the corpus programs that take the most
// work (loops, iterators, the complexity-limit rejection), without a log.
func BenchmarkVerifyCorpus(b *testing.B) {
	e := newTestEnv(b)
	for _, name := range []string{"accept_bounded_nested_loops.s", "accept_bounded_loop.s", "accept_bpf_for_index_map.s",
		"accept_rbtree_add_under_lock.s", "accept_nested_locks_three.s", "reject_unbounded_loop.s"} {
		src, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		c := parseCase(b, e, name, string(src))
		p := c.program(b, e)
		env := c.env(e, nil)
		b.Run(strings.TrimSuffix(name, ".s"), func(b *testing.B) {
			var insns int
			for b.Loop() {
				res, err := Verify(p, env)
				if (err == nil) != c.accept {
					b.Fatalf("verdict changed: %v", err)
				}
				if res != nil {
					insns = res.InsnsProcessed
				}
			}
			if insns > 0 {
				b.ReportMetric(float64(insns), "insns/op")
			}
		})
	}
}
