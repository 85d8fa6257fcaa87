package verifier_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/verifier"
)

//go:generate sh -c "cd testdata/c && for f in *.bpf.c; do clang-19 -O2 -g -target bpf -mcpu=v4 -fdebug-compilation-dir=. -I../../../policies/include -c $DOLLAR{f} -o $DOLLAR{f%.c}.o; done"
//go:generate sh -c "cd testdata/any && for f in *.bpf.c; do clang-19 -O2 -g -target bpf -mcpu=v4 -fdebug-compilation-dir=. -I../../../policies/include -c $DOLLAR{f} -o $DOLLAR{f%.c}.o; done"

var expectRe = regexp.MustCompile(`expect: (accept|reject "([^"]*)" in (\w+))`)

// verifyObject loads a policy object the way schedsim does and verifies
// every program; it returns the results and the first rejection.
func verifyObject(t *testing.T, path string) ([]*verifier.Result, map[string]error, []*bpfvm.Program) {
	progs, envs := policyEnvs(t, path)
	var results []*verifier.Result
	errs := map[string]error{}
	for i, p := range progs {
		res, err := verifier.Verify(p, envs[i])
		if err != nil {
			errs[p.Name] = err
			continue
		}
		results = append(results, res)
	}
	return results, errs, progs
}

func TestCorpusC(t *testing.T) {
	files, err := filepath.Glob("testdata/c/*.bpf.c")
	if err != nil || len(files) == 0 {
		t.Fatalf("no C corpus: %v", err)
	}
	for _, src := range files {
		t.Run(filepath.Base(src), func(t *testing.T) {
			text, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			m := expectRe.FindStringSubmatch(string(text))
			if m == nil {
				t.Fatal("no expect line")
			}
			obj := strings.TrimSuffix(src, ".c") + ".o"
			_, errs, progs := verifyObject(t, obj)
			if len(progs) == 0 {
				t.Fatal("no programs")
			}
			if m[1] == "accept" {
				for name, err := range errs {
					ve, _ := err.(*verifier.Error)
					log := ""
					if ve != nil {
						log = ve.Log
					}
					t.Errorf("%s rejected: %v\n%s", name, err, log)
				}
				return
			}
			want, prog := m[2], m[3]
			err = errs[prog]
			if err == nil {
				t.Fatalf("%s accepted, want %q", prog, want)
			}
			ve, ok := err.(*verifier.Error)
			if !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			if !strings.Contains(ve.Msg, want) {
				t.Fatalf("rejected with %q, want %q\n%s", ve.Msg, want, ve.Log)
			}
			if !ve.HasLine || !strings.HasSuffix(ve.Line.File, filepath.Base(src)) || ve.Line.Line == 0 {
				t.Errorf("rejection lacks the C source line: %+v", ve.Line)
			}
			if !strings.Contains(ve.Log, "; ") {
				t.Errorf("log lacks the source line:\n%s", ve.Log)
			}
		})
	}
}

// TestCLockOrderABBA: enqueue takes A then B, dispatch B then A.
func TestCLockOrderABBA(t *testing.T) {
	results, errs, _ := verifyObject(t, "testdata/c/abba.bpf.o")
	if len(errs) != 0 {
		t.Fatalf("rejections: %v", errs)
	}
	ws := verifier.CheckLockOrder(results)
	if len(ws) != 1 {
		t.Fatalf("got %d warnings, want 1: %v", len(ws), ws)
	}
	msg := ws[0].Msg
	for _, want := range []string{"abba_enqueue", "abba_dispatch", ".data.A+0", ".data.B+0",
		"abba.bpf.c:17", "abba.bpf.c:18", "abba.bpf.c:28", "abba.bpf.c:29", "bpf_spin_lock(&lock_b);"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning lacks %q:\n%s", want, msg)
		}
	}
	t.Log(msg)
}
