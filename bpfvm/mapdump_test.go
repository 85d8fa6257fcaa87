package bpfvm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
)

func loadMapdump(t *testing.T) *Instance {
	t.Helper()
	obj := loadTestObject(t, "mapdump")
	vm := newLoaderVM(t, 2, nil)
	in, err := vm.Load(obj, LoadOptions{Params: map[string]any{"label": "hey"}})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// member returns the bit offset of the member called name in s.
func memberOff(t *testing.T, s *btf.Struct, name string) btf.Member {
	t.Helper()
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("struct %s has no member %s", s.Name, name)
	return btf.Member{}
}

func TestDumpMapStruct(t *testing.T) {
	in := loadMapdump(t)
	m := in.Map("vals")
	st := m.Spec().Value.(*btf.Struct)
	b := make([]byte, m.Spec().ValueSize)
	le := binary.LittleEndian
	at := func(name string) []byte { return b[memberOff(t, st, name).Offset.Bytes():] }
	le.PutUint64(at("count"), 1<<40+3)
	le.PutUint32(at("delta"), uint32(0xfffffff9)) // -7
	// lo:3 = 5, mid:7 = 100, neg:5 = -3; bit offsets from BTF.
	var bits uint64
	for _, f := range []struct {
		name string
		v    uint64
	}{{"lo", 5}, {"mid", 100}, {"neg", uint64(32 - 3)}} {
		mb := memberOff(t, st, f.name)
		bits |= f.v << (uint32(mb.Offset) - memberOff(t, st, "lo").Offset.Bytes()*8)
	}
	le.PutUint32(at("lo"), uint32(bits))
	le.PutUint32(at("col"), uint32(0xffffffff)) // BLUE
	copy(at("name"), "task-1")
	le.PutUint16(at("chain"), 513)
	at("on")[0] = 1
	in0 := at("in")
	le.PutUint16(in0, uint16(0xfffe)) // in[0].small = -2
	copy(in0[2:], "ab")
	copy(in0[6+2:], "\x01\x02\x03\x04") // in[1].tag: not a string
	le.PutUint64(at("next"), 0xffff888000001000)
	le.PutUint64(at("ratio"), math.Float64bits(0.25))
	// The anonymous union follows in[]; find it by its type.
	for _, mb := range st.Members {
		if mb.Name == "" {
			le.PutUint32(b[mb.Offset.Bytes():], 0x04030201)
		}
	}
	if err := m.Update(le.AppendUint32(nil, 1), b, UpdateAny); err != nil {
		t.Fatal(err)
	}
	es, err := DumpMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].CPU != -1 || es[1].Key.Uint != 1 || es[1].Key.Kind != KindUint {
		t.Fatalf("entries %+v", es)
	}
	v := es[1].Value
	for _, c := range []struct {
		path, want string
	}{
		{"count", "1099511627779"},
		{"delta", "-7"},
		{"lo", "5"},
		{"mid", "100"},
		{"neg", "-3"},
		{"col", `"BLUE"`},
		{"name", `"task-1"`},
		{"chain", "513"},
		{"on", "true"},
		{"in[0].small", "-2"},
		{"in[0].tag", `"ab"`},
		{"in[1].tag", "[1,2,3,4]"},
		{"word", "67305985"},
		{"bytes[2]", "3"},
		{"next", "0xffff888000001000"},
		{"lock", "<bpf_spin_lock>"},
		{"ratio", "0.25"},
	} {
		f, ok := v.Field(c.path)
		if !ok {
			t.Errorf("no field %s in %s", c.path, v)
			continue
		}
		if got := f.String(); got != c.want {
			t.Errorf("%s = %s, want %s", c.path, got, c.want)
		}
	}
	if f, _ := v.Field("chain"); f.Type != "cv_u16" {
		t.Errorf("chain type %q", f.Type)
	}
	if f, _ := v.Field("next"); f.Kind != KindPtr || f.Type != "struct val *" {
		t.Errorf("next: %+v", f)
	}
	if _, ok := v.Field("in[2]"); ok {
		t.Error("in[2] found in a 2-element array")
	}
	if _, ok := v.Field("nosuch"); ok {
		t.Error("nosuch found")
	}
	if es[0].Value.String() == v.String() {
		t.Error("entry 0 and 1 print the same")
	}
	// The JSON form is valid JSON with the same fields.
	j, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatalf("%v: %s", err, j)
	}
	val := back[1]["value"].(map[string]any)
	if val["name"] != "task-1" || val["neg"] != float64(-3) || val["col"] != "BLUE" || val["next"] != "0xffff888000001000" {
		t.Errorf("JSON value %v", val)
	}
	var out bytes.Buffer
	if err := FormatMapDump(&out, m, es); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, want := range []string{"[{\n        \"key\": 0,\n        \"value\": {\n            \"count\": 0,",
		`"name": "task-1"`, `"in": [{`, `"lock": <bpf_spin_lock>`, "\n    },{\n        \"key\": 1,"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dump lacks %q", want)
		}
	}
}

func TestDumpMapHashPerCPUNoBTF(t *testing.T) {
	in := loadMapdump(t)
	le := binary.LittleEndian
	h := in.Map("byid")
	for _, k := range []int32{300, -1, 2} {
		if err := h.Update(le.AppendUint32(nil, uint32(k)), le.AppendUint64(nil, uint64(k)*10), UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	es, err := DumpMap(h)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted by key bytes: 2 (02 00 00 00), 300 (2c 01 ...), -1 (ff ...).
	var keys []int64
	for _, e := range es {
		keys = append(keys, e.Key.Int)
	}
	if len(keys) != 3 || keys[0] != 2 || keys[1] != 300 || keys[2] != -1 {
		t.Errorf("hash keys %v", keys)
	}
	p := in.Map("pcpu").(PerCPUMap)
	if err := p.UpdatePerCPU(le.AppendUint32(nil, 0), [][]byte{le.AppendUint32(nil, 11), le.AppendUint32(nil, 22)}, UpdateAny); err != nil {
		t.Fatal(err)
	}
	es, err = DumpMap(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].CPU != 0 || es[1].CPU != 1 || es[0].Value.Uint != 11 || es[1].Value.Uint != 22 {
		t.Errorf("per-CPU entries %+v", es)
	}
	var out bytes.Buffer
	FormatMapDump(&out, p, es)
	want := "[{\n        \"key\": 0,\n        \"values\": [{\n                \"cpu\": 0,\n                \"value\": 11\n            },{\n                \"cpu\": 1,\n                \"value\": 22\n            }\n        ]\n    }\n]\n"
	if out.String() != want {
		t.Errorf("per-CPU dump:\n%s\nwant:\n%s", out.String(), want)
	}
	n := in.Map("nobtf")
	if err := n.Update(le.AppendUint32(nil, 0), []byte{1, 0xab, 3}, UpdateAny); err != nil {
		t.Fatal(err)
	}
	es, err = DumpMap(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Value.Kind != KindBytes || es[0].Value.String() != `["0x01","0xab","0x03"]` {
		t.Errorf("no-BTF entries %+v", es)
	}
}

func TestDumpMapDataSections(t *testing.T) {
	in := loadMapdump(t)
	if r := runProg(t, in.VM, 0, in.Program("touch")); r != 0 {
		t.Fatalf("touch = %d", r)
	}
	check := func(sec string, want map[string]string) {
		t.Helper()
		m := in.Map(sec)
		if m == nil {
			t.Fatalf("no map %s", sec)
		}
		es, err := DumpMap(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Value.Kind != KindDataSec {
			t.Fatalf("%s: %+v", sec, es)
		}
		for path, w := range want {
			f, ok := es[0].Value.Field(path)
			if !ok || f.String() != w {
				t.Errorf("%s: %s = %s (found %v), want %s", sec, path, f.String(), ok, w)
			}
		}
		var out bytes.Buffer
		FormatMapDump(&out, m, es)
		if !strings.HasPrefix(out.String(), "[{\n        \"value\": {\n            \""+sec+"\": [{") {
			t.Errorf("%s dump:\n%s", sec, out.String())
		}
	}
	check(".bss", map[string]string{"counter": "1"})
	check(".data", map[string]string{"words": "[1,7,3]", "words[1]": "7"})
	check(".rodata", map[string]string{"label": `"hey"`, "favourite": `"GREEN"`})
}
