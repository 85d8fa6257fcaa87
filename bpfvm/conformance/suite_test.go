package conformance

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	text := "# a comment\r\n-- asm\nmov %r0, %r2 # r0 = length\n\nldxb %r1, [%r1]\nadd %r0, %r1\nexit\n" +
		"-- mem\n01 02\n0a\n-- result\n0x3\n-- no register offset\nignored text\n"
	tt, err := Parse("t.data", text)
	if err != nil {
		t.Fatal(err)
	}
	if tt.Result != 3 || tt.Error != "" || string(tt.Mem) != "\x01\x02\x0a" || len(tt.Code) != 4*8 {
		t.Errorf("parsed %+v", tt)
	}
	tt, err = Parse("r.data", "-- raw\n0x00000001000000b7\n149\n-- result\n12\n")
	if err != nil {
		t.Fatal(err)
	}
	if tt.Result != 12 || len(tt.Code) != 16 || tt.Code[0] != 0xb7 || tt.Code[4] != 1 || tt.Code[8] != 0x95 {
		t.Errorf("raw: %+v", tt)
	}
	tt, err = Parse("e.data", "-- asm\nexit\n-- error\nFailed to load\n")
	if err != nil || tt.Error != "Failed to load" {
		t.Errorf("error section: %+v, %v", tt, err)
	}
	for _, c := range []struct{ text, want string }{
		{"-- asm\nexit\n", "b.data: no result and no error section"},
		{"-- asm\nexit\n-- result\nzz\n", "result \"zz\""},
		{"-- asm\nexit\n-- mem\n1g\n-- result\n0\n", "mem: \"1g\" is not a hex byte"},
		{"-- asm\nexit\n-- bogus\n-- result\n0\n", "b.data:3: unknown directive \"-- bogus\""},
		{"# header\n-- asm\nmov %r0, 1\nmovv %r0, 2\n-- result\n0\n", "b.data:4: unknown instruction \"movv\""},
		{"-- asm\n-- result\n0\n", "b.data: no instructions"},
	} {
		_, err := Parse("b.data", c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
}

func TestRun(t *testing.T) {
	ret := func(v uint64, err error) Executor {
		return func(code, mem []byte) (uint64, error) { return v, err }
	}
	ok := &Test{Name: "ok", Code: make([]byte, 8), Result: 7}
	wantErr := &Test{Name: "we", Code: make([]byte, 8), Error: "bad program"}
	callx, _ := Assemble("mov %r2, 1\ncall %r2\nexit")
	cases := []struct {
		t    *Test
		exec Executor
		want Status
		msg  string
	}{
		{ok, ret(7, nil), Pass, ""},
		{ok, ret(8, nil), Fail, "returned 0x8, expected 0x7"},
		{ok, ret(0, errors.New("fault")), Error, "failed: fault"},
		{wantErr, ret(0, errors.New("bad program\nmore")), Pass, ""},
		{wantErr, ret(0, errors.New("other")), Fail, `error "other", expected "bad program"`},
		{wantErr, ret(0, nil), Fail, "returned 0x0, expected the error"},
		{&Test{Name: "callx", Code: callx}, ret(0, nil), NotApplicable, "callx (opcode 0x8d"},
		{&Test{Name: "ldabs", Code: []byte{0x20, 0, 0, 0, 0, 0, 0, 0}}, ret(0, nil), NotApplicable, "legacy packet access"},
	}
	for _, c := range cases {
		r := Run(c.t, c.exec)
		if r.Status != c.want || !strings.Contains(r.Message, c.msg) {
			t.Errorf("%s: %v %q, want %v %q", c.t.Name, r.Status, r.Message, c.want, c.msg)
		}
	}
	// the memory is a copy per run
	mt := &Test{Name: "mem", Code: make([]byte, 8), Mem: []byte{1}}
	Run(mt, func(code, mem []byte) (uint64, error) { mem[0] = 9; return 0, nil })
	if mt.Mem[0] != 1 {
		t.Error("Run let the executor change the test's memory")
	}
	if got := Count([]Result{{Status: Pass}, {Status: Pass}, {Status: NotApplicable}}).String(); got != "2 passed, 0 failed, 0 errors, 1 not applicable (3 tests)" {
		t.Errorf("Count: %s", got)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tests"), 0o755)
	for _, n := range []string{"b.data", "a.data", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, "tests", n), []byte("-- asm\nexit\n-- result\n0x0\n"), 0o644)
	}
	for _, d := range []string{dir, filepath.Join(dir, "tests")} {
		files, err := Files(d)
		if err != nil || len(files) != 2 || filepath.Base(files[0]) != "a.data" {
			t.Errorf("Files(%s) = %v, %v", d, files, err)
		}
	}
	if _, err := Files(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .data files") {
		t.Errorf("empty directory: %v", err)
	}
	r := RunFile(filepath.Join(dir, "tests", "a.data"), func(code, mem []byte) (uint64, error) { return 0, nil })
	if r.Status != Pass {
		t.Errorf("RunFile: %+v", r)
	}
	if r := RunFile(filepath.Join(dir, "missing.data"), nil); r.Status != Error {
		t.Errorf("missing file: %+v", r)
	}
}
