package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
)

// Status is the outcome of one test, with the runner's categories.
type Status int

const (
	Pass  Status = iota
	Fail         // wrong r0, or the wrong error
	Error        // the executor failed where the test expects r0, or the file does not parse
	// NotApplicable: the test needs a feature schedsim deliberately does
	// not have (NotApplicableReason).
	NotApplicable
)

func (s Status) String() string {
	return [...]string{"PASS", "FAIL", "ERROR", "N/A"}[s]
}

// Result is the outcome of one test file.
type Result struct {
	Test    string // file name
	Status  Status
	Message string
}

// Executor runs raw code with mem (r1 = its address, r2 = its length)
// and returns r0, or an error (a fault, a refused program). The error's
// text is what a test's "-- error" section is compared with.
type Executor func(code, mem []byte) (uint64, error)

// HelperUnwind is the helper ID the suite's programs call
// (call_unwind_fail.data, and callx.data through a register). The
// reference plugins define it as returning its first argument (uBPF's
// ubpf_plugin test_helpers.h "unwind"; uBPF also ends the program when it
// returns 0, a uBPF extension outside RFC 9669 that we do not model).
const HelperUnwind = 5

// Exec runs raw, unverified code on eng as the suite defines it: a fresh
// VM with the base helpers and HelperUnwind, mem copied into linear
// memory with r1 its address (0 without memory) and r2 its length, a
// 512-byte stack per frame. mem receives the memory after the run.
func Exec(code, mem []byte, eng bpfvm.Engine) (uint64, error) {
	x, err := newExec(code, len(mem))
	if err != nil {
		return 0, err
	}
	defer x.Close()
	x.C.Engine = eng
	r0, _, err := x.Run(mem)
	return r0, err
}

// ExecQuanta is Exec preempted every quantum instructions, the engines
// taking turns: each quantum resumes where the previous engine stopped
// (the engines share the suspended state, docs/jit.md). turns is the
// number of quanta run.
func ExecQuanta(code, mem []byte, engines []bpfvm.Engine, quantum uint64) (r0 uint64, turns int, err error) {
	x, err := newExec(code, len(mem))
	if err != nil {
		return 0, 0, err
	}
	defer x.Close()
	if err := x.Start(mem); err != nil {
		return 0, 0, err
	}
	for turns = 1; ; turns++ {
		x.C.Engine = engines[(turns-1)%len(engines)]
		st, err := x.C.Run(quantum)
		switch st {
		case bpfvm.StatusPreempted:
			continue
		case bpfvm.StatusExited:
			copy(mem, x.Memory())
			return x.C.Regs[0], turns, nil
		}
		if err == nil {
			err = fmt.Errorf("program ended with status %v", st)
		}
		return 0, turns, err
	}
}

// newExec loads code into a VM of its own with the suite's helper.
func newExec(code []byte, memSize int) (*bpfvm.Exec, error) {
	x, err := bpfvm.NewExec(code, memSize)
	if err != nil {
		return nil, err
	}
	x.C.VM.Registry.AddHelper(&bpfvm.Helper{
		ID:   HelperUnwind,
		Name: "conformance_unwind",
		Fn:   func(_ *bpfvm.Context, r1, _, _, _, _ uint64) (uint64, error) { return r1, nil },
		Args: [5]bpfvm.ArgType{bpfvm.ArgAnything},
		Ret:  bpfvm.RetInteger,
	})
	return x, nil
}

// NotApplicableReason says why t needs a feature outside what schedsim
// implements (and outside RFC 9669's conformance groups that it claims),
// or "" when t applies. The suite itself leaves these groups out by
// default (its runner's --include_groups callx packet).
func NotApplicableReason(t *Test) string {
	for i := 0; i+8 <= len(t.Code); i += 8 {
		switch op := t.Code[i]; {
		case op == bpfvm.ClassJMP|bpfvm.SrcX|bpfvm.JmpCALL:
			return "callx (opcode 0x8d, the suite's \"callx\" group): not defined by RFC 9669; the suite calls the helper whose ID the register holds (uBPF's meaning), schedsim calls the subprogram whose address it holds (clang's, docs/jit.md)"
		case op&7 == bpfvm.ClassLD && (op&0xe0 == bpfvm.ModeABS || op&0xe0 == bpfvm.ModeIND):
			return "legacy packet access (the \"packet\" group, RFC 9669 section 5.5, historical): not implemented"
		case op == bpfvm.ClassLD|bpfvm.SizeDW|bpfvm.ModeIMM:
			i += 8
		}
	}
	return ""
}

// Run runs one test with exec.
func Run(t *Test, exec Executor) Result {
	res := Result{Test: t.Name}
	if why := NotApplicableReason(t); why != "" {
		res.Status, res.Message = NotApplicable, why
		return res
	}
	mem := append([]byte(nil), t.Mem...)
	r0, err := exec(t.Code, mem)
	switch {
	case err != nil && t.Error == "":
		res.Status, res.Message = Error, fmt.Sprintf("failed: %v", err)
	case err != nil:
		got := strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0])
		if got != strings.TrimSpace(t.Error) {
			res.Status, res.Message = Fail, fmt.Sprintf("error %q, expected %q", got, t.Error)
		}
	case t.Error != "":
		res.Status, res.Message = Fail, fmt.Sprintf("returned %#x, expected the error %q", r0, t.Error)
	case r0 != t.Result:
		res.Status, res.Message = Fail, fmt.Sprintf("returned %#x, expected %#x", r0, t.Result)
	}
	return res
}

// Files lists the suite's test files in dir, sorted: dir is a checkout
// of the suite (its tests/ directory is used) or a directory of .data
// files.
func Files(dir string) ([]string, error) {
	if st, err := os.Stat(filepath.Join(dir, "tests")); err == nil && st.IsDir() {
		dir = filepath.Join(dir, "tests")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.data"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .data files (expected a bpf_conformance checkout or its tests directory)", dir)
	}
	sort.Strings(files)
	return files, nil
}

// RunFile parses and runs one file; a file that does not parse is an
// Error result.
func RunFile(path string, exec Executor) Result {
	name := filepath.Base(path)
	text, err := os.ReadFile(path)
	if err != nil {
		return Result{Test: name, Status: Error, Message: err.Error()}
	}
	t, err := Parse(name, string(text))
	if err != nil {
		return Result{Test: name, Status: Error, Message: err.Error()}
	}
	return Run(t, exec)
}

// Counts tallies results by status.
type Counts [4]int

// Count tallies rs.
func Count(rs []Result) Counts {
	var c Counts
	for _, r := range rs {
		c[r.Status]++
	}
	return c
}

func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d errors, %d not applicable (%d tests)",
		c[Pass], c[Fail], c[Error], c[NotApplicable], c[Pass]+c[Fail]+c[Error]+c[NotApplicable])
}
