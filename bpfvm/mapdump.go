package bpfvm

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// ValueKind says how a decoded Value is to be read.
type ValueKind uint8

const (
	KindBytes   ValueKind = iota // no usable BTF: Raw only
	KindInt                      // signed integer: Int
	KindUint                     // unsigned integer: Uint
	KindBool                     // _Bool: Uint (0 or 1)
	KindString                   // char array holding a NUL-terminated string: Str
	KindPtr                      // pointer (kptrs too): Uint, the address
	KindStruct                   // struct: Fields, by member
	KindUnion                    // union: Fields, every member decoded
	KindArray                    // array: Fields, one per element (Name "")
	KindEnum                     // enum: Int/Uint the value, Str the enumerator ("" if none)
	KindFloat                    // float/double: Float
	KindSpecial                  // bpf_spin_lock, bpf_rb_root, bpf_list_head, bpf_timer...: Type
	KindDataSec                  // a global data section: Fields, one per variable
	KindNone                     // absent (the key of a queue or stack map)
)

var kindNames = [...]string{"bytes", "int", "uint", "bool", "string", "ptr", "struct", "union",
	"array", "enum", "float", "special", "datasec", "none"}

func (k ValueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a decoded BTF value: a tree of named fields.
type Value struct {
	// Name is the member, variable or field name ("" for the root and
	// for array elements).
	Name string
	// Type spells the C type ("u64", "struct task_ctx", "char[16]").
	Type  string
	Kind  ValueKind
	Int   int64
	Uint  uint64
	Float float64
	Str   string
	// Fields are the members of a struct, union or data section, or the
	// elements of an array.
	Fields []Value
	// Raw are the value's bytes (for a bitfield, the bytes holding it).
	Raw []byte
	// Bits is the width of a bitfield member, 0 otherwise.
	Bits int
}

// MapEntry is one decoded entry of a map.
type MapEntry struct {
	Key, Value Value
	// CPU is the CPU whose value this is, for per-CPU maps; -1 otherwise.
	CPU int
}

// Limits of decoding: deeper or longer values are shown as bytes.
const (
	dumpMaxDepth = 32
	dumpMaxElems = 1 << 16
)

// DumpMap decodes every entry of m, using m.Spec().Key and Value BTF types
// (raw bytes where there are none). Order is deterministic: array index
// order, hash maps sorted by key bytes, task storage by task address,
// queues and stacks oldest first. A per-CPU map gives one entry per key and
// CPU. A global data section (.bss, .data, .rodata) is one entry whose
// value is the section with its variables by name.
func DumpMap(m Map) ([]MapEntry, error) {
	spec := m.Spec()
	switch spec.Type {
	case MapStructOps, MapRingbuf, MapUserRingbuf, MapArena:
		return nil, nil
	}
	type kv struct{ k, v []byte }
	var kvs []kv
	m.Iterate(func(k, v []byte) bool {
		kvs = append(kvs, kv{k, v})
		return true
	})
	switch spec.Type {
	case MapHash, MapLRUHash, MapPercpuHash, MapLRUPercpuHash, MapHashOfMaps, MapTaskStorage:
		slices.SortStableFunc(kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	}
	pc, percpu := m.(PerCPUMap)
	var out []MapEntry
	for _, e := range kvs {
		key, err := dumpKey(spec, e.k)
		if err != nil {
			return nil, err
		}
		if !percpu {
			val, err := dumpMapValue(spec, e.v)
			if err != nil {
				return nil, err
			}
			out = append(out, MapEntry{Key: key, Value: val, CPU: -1})
			continue
		}
		vals, err := pc.LookupPerCPU(e.k)
		if err != nil {
			return nil, fmt.Errorf("bpfvm: map %s: %w", spec.Name, err)
		}
		for cpu, b := range vals {
			val, err := dumpMapValue(spec, b)
			if err != nil {
				return nil, err
			}
			out = append(out, MapEntry{Key: key, Value: val, CPU: cpu})
		}
	}
	return out, nil
}

func dumpKey(spec *MapSpec, k []byte) (Value, error) {
	switch spec.Type {
	case MapQueue, MapStack:
		return Value{Kind: KindNone}, nil
	case MapTaskStorage:
		// User space sees task storage keyed by task; here the key is
		// the task's address.
		if len(k) == 8 {
			return Value{Type: "struct task_struct *", Kind: KindPtr, Uint: binary.LittleEndian.Uint64(k), Raw: k}, nil
		}
	}
	if spec.Key == nil || (spec.Type == MapTaskStorage) {
		return Value{Kind: KindBytes, Raw: k}, nil
	}
	v, err := DecodeValue(spec.Key, k)
	if err != nil {
		return Value{}, fmt.Errorf("bpfvm: map %s: key: %w", spec.Name, err)
	}
	return v, nil
}

func dumpMapValue(spec *MapSpec, b []byte) (Value, error) {
	if int(spec.ValueSize) < len(b) {
		b = b[:spec.ValueSize] // per-CPU values are padded to 8 bytes
	}
	switch spec.Type {
	case MapArrayOfMaps, MapHashOfMaps:
		if len(b) == 4 {
			return Value{Type: "map", Kind: KindUint, Uint: uint64(binary.LittleEndian.Uint32(b)), Raw: b}, nil
		}
	}
	if spec.Value == nil {
		return Value{Kind: KindBytes, Raw: b}, nil
	}
	v, err := DecodeValue(spec.Value, b)
	if err != nil {
		return Value{}, fmt.Errorf("bpfvm: map %s: value: %w", spec.Name, err)
	}
	return v, nil
}

// DecodeValue decodes b as a value of BTF type t.
func DecodeValue(t btf.Type, b []byte) (Value, error) {
	return decodeBTF(t, b, 0)
}

func decodeBTF(t btf.Type, b []byte, depth int) (Value, error) {
	if depth > dumpMaxDepth {
		return Value{}, fmt.Errorf("type %s nests more than %d deep", typeName(t), dumpMaxDepth)
	}
	v := Value{Type: typeName(t)}
	size, err := btf.Sizeof(t)
	if err == nil && size > len(b) {
		return Value{}, fmt.Errorf("%d bytes for a %d-byte %s", len(b), size, v.Type)
	}
	if err == nil {
		b = b[:size]
	}
	v.Raw = b
	switch ut := btf.UnderlyingType(t).(type) {
	case *btf.Int:
		decodeInt(&v, ut, b)
	case *btf.Enum:
		v.Kind = KindEnum
		u := leBytes(b)
		if ut.Signed {
			v.Int = signExtend(u, len(b)*8)
			u = uint64(v.Int)
		}
		v.Uint = u
		if !ut.Signed {
			v.Int = int64(u)
		}
		for _, e := range ut.Values {
			if e.Value == u {
				v.Str = e.Name
				break
			}
		}
	case *btf.Float:
		v.Kind = KindFloat
		switch len(b) {
		case 4:
			v.Float = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case 8:
			v.Float = math.Float64frombits(binary.LittleEndian.Uint64(b))
		default:
			v.Kind = KindBytes
		}
	case *btf.Pointer:
		v.Kind = KindPtr
		v.Uint = leBytes(b)
		if tag, ok := ut.Target.(*btf.TypeTag); ok {
			// A kptr (or uptr) field: "struct foo __kptr *".
			v.Type = typeName(tag.Type) + " __" + tag.Value + " *"
		}
	case *btf.Struct:
		if isSpecialStruct(ut.Name) {
			v.Kind = KindSpecial
			return v, nil
		}
		v.Kind = KindStruct
		v.Fields, err = decodeMembers(ut.Members, b, depth)
	case *btf.Union:
		v.Kind = KindUnion
		v.Fields, err = decodeMembers(ut.Members, b, depth)
	case *btf.Array:
		err = decodeArray(&v, ut, b, depth)
	case *btf.Datasec:
		v.Kind = KindDataSec
		v.Type = "DATASEC " + ut.Name
		for _, vs := range ut.Vars {
			vr, ok := vs.Type.(*btf.Var)
			if !ok || uint64(vs.Offset)+uint64(vs.Size) > uint64(len(b)) {
				continue
			}
			f, err := decodeBTF(vr.Type, b[vs.Offset:vs.Offset+vs.Size], depth+1)
			if err != nil {
				return Value{}, fmt.Errorf("variable %s: %w", vr.Name, err)
			}
			f.Name = vr.Name
			v.Fields = append(v.Fields, f)
		}
	default:
		v.Kind = KindBytes
	}
	return v, err
}

// isSpecialStruct reports the BPF special field types, whose bytes are the
// kernel's own (shown by name, not decoded).
func isSpecialStruct(name string) bool {
	switch name {
	case "bpf_spin_lock", "bpf_res_spin_lock", "bpf_timer", "bpf_wq", "bpf_rb_root", "bpf_rb_node",
		"bpf_list_head", "bpf_list_node", "bpf_refcount", "bpf_task_work":
		return true
	}
	return false
}

func decodeInt(v *Value, it *btf.Int, b []byte) {
	if len(b) > 8 {
		v.Kind = KindBytes
		return
	}
	u := leBytes(b)
	switch {
	case it.Encoding&btf.Bool != 0:
		v.Kind, v.Uint = KindBool, u
	case it.Encoding&btf.Signed != 0:
		v.Kind, v.Int = KindInt, signExtend(u, len(b)*8)
	default:
		v.Kind, v.Uint = KindUint, u
	}
}

func leBytes(b []byte) uint64 {
	var buf [8]byte
	copy(buf[:], b)
	return binary.LittleEndian.Uint64(buf[:])
}

func signExtend(u uint64, bits int) int64 {
	if bits <= 0 || bits >= 64 {
		return int64(u)
	}
	s := 64 - bits
	return int64(u<<s) >> s
}

func decodeMembers(ms []btf.Member, b []byte, depth int) ([]Value, error) {
	out := make([]Value, 0, len(ms))
	for _, m := range ms {
		var f Value
		var err error
		if m.BitfieldSize > 0 {
			f, err = decodeBitfield(m, b)
		} else {
			off := m.Offset.Bytes()
			if uint64(off) > uint64(len(b)) {
				return nil, fmt.Errorf("member %s at byte %d lies outside the %d-byte value", m.Name, off, len(b))
			}
			f, err = decodeBTF(m.Type, b[off:], depth+1)
		}
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", m.Name, err)
		}
		// An anonymous struct or union keeps Name "": Field finds its
		// members through it, as C does.
		f.Name = m.Name
		out = append(out, f)
	}
	return out, nil
}

// decodeBitfield reads a bitfield member (little-endian: bit offsets count
// from the least significant bit of the first byte).
func decodeBitfield(m btf.Member, b []byte) (Value, error) {
	bits, off := uint32(m.BitfieldSize), uint32(m.Offset)
	first, last := off/8, (off+bits+7)/8
	if bits > 64 || uint64(last) > uint64(len(b)) {
		return Value{}, fmt.Errorf("bitfield of %d bits at bit %d does not fit the %d-byte value", bits, off, len(b))
	}
	var buf [16]byte
	copy(buf[:], b[first:last])
	lo, hi := binary.LittleEndian.Uint64(buf[:8]), binary.LittleEndian.Uint64(buf[8:])
	sh := off % 8
	u := lo >> sh
	if sh > 0 {
		u |= hi << (64 - sh)
	}
	if bits < 64 {
		u &= 1<<bits - 1
	}
	v := Value{Type: typeName(m.Type), Raw: b[first:last], Bits: int(bits), Uint: u, Kind: KindUint}
	switch ut := btf.UnderlyingType(m.Type).(type) {
	case *btf.Int:
		if ut.Encoding&btf.Signed != 0 {
			v.Kind, v.Int, v.Uint = KindInt, signExtend(u, int(bits)), 0
		} else if ut.Encoding&btf.Bool != 0 {
			v.Kind = KindBool
		}
	case *btf.Enum:
		v.Kind = KindEnum
		if ut.Signed {
			v.Int = signExtend(u, int(bits))
			v.Uint = uint64(v.Int)
		} else {
			v.Int = int64(u)
		}
		for _, e := range ut.Values {
			if e.Value == v.Uint {
				v.Str = e.Name
			}
		}
	}
	return v, nil
}

func decodeArray(v *Value, at *btf.Array, b []byte, depth int) error {
	esize, err := btf.Sizeof(at.Type)
	if err != nil || esize == 0 || at.Nelems > dumpMaxElems {
		v.Kind = KindBytes
		return nil
	}
	if it, ok := btf.UnderlyingType(at.Type).(*btf.Int); ok && esize == 1 && (it.Encoding&btf.Char != 0 || it.Name == "char") {
		if s, ok := cString(b); ok {
			v.Kind, v.Str = KindString, s
			return nil
		}
	}
	v.Kind = KindArray
	v.Fields = make([]Value, 0, at.Nelems)
	for i := range int(at.Nelems) {
		e, err := decodeBTF(at.Type, b[i*esize:], depth+1)
		if err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
		v.Fields = append(v.Fields, e)
	}
	return nil
}

// cString returns b up to its first NUL if that is printable text and the
// rest is NULs (as bpftool's is_str_array decides), ok false otherwise.
func cString(b []byte) (string, bool) {
	n := bytes.IndexByte(b, 0)
	if n < 0 {
		return "", false
	}
	for _, c := range b[:n] {
		if c < 0x20 || c > 0x7e {
			return "", false
		}
	}
	for _, c := range b[n:] {
		if c != 0 {
			return "", false
		}
	}
	return string(b[:n]), true
}

// Field returns the value at path inside v: member names separated by
// dots, array elements by [i] ("rq.curr", "cpus[2]", "a.b[2].c"). Members of
// anonymous structs and unions are found through them, as in C.
func (v Value) Field(path string) (Value, bool) {
	cur := v
	for path != "" {
		switch {
		case path[0] == '.':
			path = path[1:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return Value{}, false
			}
			i, err := strconv.Atoi(path[1:end])
			if err != nil || cur.Kind != KindArray || i < 0 || i >= len(cur.Fields) {
				return Value{}, false
			}
			cur, path = cur.Fields[i], path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			f, ok := cur.member(path[:end])
			if !ok {
				return Value{}, false
			}
			cur, path = f, path[end:]
		}
	}
	return cur, true
}

func (v Value) member(name string) (Value, bool) {
	if v.Kind != KindStruct && v.Kind != KindUnion && v.Kind != KindDataSec {
		return Value{}, false
	}
	for _, f := range v.Fields {
		if f.Name == name {
			return f, true
		}
	}
	for _, f := range v.Fields {
		if f.Name == "" {
			if g, ok := f.member(name); ok {
				return g, true
			}
		}
	}
	return Value{}, false
}

// String is the value on one line, as bpftool prints BTF values:
// numbers in decimal, enums by enumerator, pointers in hex, strings
// quoted, structs as {"name": value, ...}, arrays as [a, b].
func (v Value) String() string {
	var sb strings.Builder
	v.write(&sb, -1, 0)
	return sb.String()
}

// scalar is the one-line text of a value without fields.
func (v Value) scalar() string {
	switch v.Kind {
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindUint:
		return strconv.FormatUint(v.Uint, 10)
	case KindBool:
		if v.Uint != 0 {
			return "true"
		}
		return "false"
	case KindString:
		return strconv.Quote(v.Str)
	case KindPtr:
		return fmt.Sprintf("%#x", v.Uint)
	case KindEnum:
		if v.Str != "" {
			return strconv.Quote(v.Str)
		}
		if v.Int < 0 {
			return strconv.FormatInt(v.Int, 10)
		}
		return strconv.FormatUint(v.Uint, 10)
	case KindFloat:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case KindSpecial:
		return "<" + strings.TrimPrefix(v.Type, "struct ") + ">"
	case KindNone:
		return "none"
	}
	// Bytes, as bpftool prints a value without BTF.
	parts := make([]string, len(v.Raw))
	for i, c := range v.Raw {
		parts[i] = fmt.Sprintf("\"0x%02x\"", c)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// write prints v; indent < 0 is one line, else pretty with 4-space indents
// starting at indent levels.
func (v Value) write(sb *strings.Builder, indent, depth int) {
	var open, close string
	switch v.Kind {
	case KindStruct, KindUnion:
		open, close = "{", "}"
	case KindArray:
		open, close = "[", "]"
	case KindDataSec:
		// bpftool: {".bss": [{"var": value},{...}]}
		open, close = "{", "}"
	default:
		sb.WriteString(v.scalar())
		return
	}
	sub := indent
	if indent >= 0 {
		sub = indent + 1
	}
	sb.WriteString(open)
	if len(v.Fields) == 0 && v.Kind != KindDataSec {
		sb.WriteString(close)
		return
	}
	nl := func(d int) {
		if indent >= 0 {
			sb.WriteByte('\n')
			sb.WriteString(strings.Repeat("    ", indent+d))
		}
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	if v.Kind == KindArray && scalarsOnly(v.Fields) {
		// Arrays of numbers stay on one line (bpftool gives each its own).
		indent, sub, sep = -1, -1, ","
	}
	if v.Kind == KindDataSec {
		nl(1)
		sb.WriteString(strconv.Quote(strings.TrimPrefix(v.Type, "DATASEC ")) + ": [")
		for i, f := range v.Fields {
			if i > 0 {
				sb.WriteString(sep)
			}
			sb.WriteString("{")
			nl(2)
			sb.WriteString(strconv.Quote(f.Name) + ": ")
			if indent >= 0 {
				f.write(sb, indent+2, depth+1)
			} else {
				f.write(sb, -1, depth+1)
			}
			nl(1)
			sb.WriteString("}")
		}
		sb.WriteString("]")
		nl(0)
		sb.WriteString(close)
		return
	}
	for i, f := range v.Fields {
		if i > 0 {
			sb.WriteString(sep)
		}
		if v.Kind == KindArray {
			// bpftool: [{ ... },{ ... }]
			f.write(sb, sub, depth+1)
			continue
		}
		nl(1)
		sb.WriteString(strconv.Quote(f.fieldName()) + ": ")
		f.write(sb, sub, depth+1)
	}
	nl(0)
	sb.WriteString(close)
}

func scalarsOnly(vs []Value) bool {
	for _, f := range vs {
		switch f.Kind {
		case KindStruct, KindUnion, KindArray, KindDataSec:
			return false
		}
	}
	return true
}

// Pretty is the value over several lines, each nested level indented by
// four more spaces than indent levels.
func (v Value) Pretty(indent int) string {
	var sb strings.Builder
	v.write(&sb, max(indent, 0), 0)
	return sb.String()
}

// FormatMapDump writes entries (from DumpMap(m)) as `bpftool map dump`
// prints a map with BTF: a list of {"key": ..., "value": ...}; per-CPU
// maps give "values": [{"cpu": N, "value": ...}] for each key; a global
// data section has only its "value".
func FormatMapDump(w io.Writer, m Map, entries []MapEntry) error {
	var sb strings.Builder
	section := m.Spec().Section != ""
	sb.WriteString("[")
	for i := 0; i < len(entries); {
		if i > 0 {
			sb.WriteString(",")
		}
		e := entries[i]
		sb.WriteString("{\n")
		if e.Key.Kind != KindNone && !section {
			sb.WriteString("        \"key\": ")
			e.Key.write(&sb, 2, 0)
			sb.WriteString(",\n")
		}
		if e.CPU < 0 {
			sb.WriteString("        \"value\": ")
			e.Value.write(&sb, 2, 0)
			sb.WriteString("\n")
			i++
		} else {
			sb.WriteString("        \"values\": [")
			j := i
			for ; j < len(entries) && entries[j].CPU >= 0 && (j == i || bytes.Equal(entries[j].Key.Raw, e.Key.Raw)); j++ {
				if j > i {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, "{\n                \"cpu\": %d,\n                \"value\": ", entries[j].CPU)
				entries[j].Value.write(&sb, 4, 0)
				sb.WriteString("\n            }")
			}
			sb.WriteString("\n        ]\n")
			i = j
		}
		sb.WriteString("    }")
	}
	if len(entries) > 0 {
		sb.WriteString("\n")
	}
	sb.WriteString("]\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

// MarshalJSON gives the value's natural JSON: structs, unions and data
// sections as objects by field name, arrays as arrays, integers and floats
// as numbers, bools as booleans, strings and enumerators as strings,
// pointers as "0x..." strings, special fields as "<bpf_spin_lock>" and
// undecoded bytes as a hex string.
func (v Value) MarshalJSON() ([]byte, error) {
	var b []byte
	b = v.appendJSON(b)
	return b, nil
}

func (v Value) appendJSON(b []byte) []byte {
	switch v.Kind {
	case KindInt:
		return strconv.AppendInt(b, v.Int, 10)
	case KindUint:
		return strconv.AppendUint(b, v.Uint, 10)
	case KindBool:
		return strconv.AppendBool(b, v.Uint != 0)
	case KindFloat:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return strconv.AppendQuote(b, strconv.FormatFloat(v.Float, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, v.Float, 'g', -1, 64)
	case KindEnum:
		if v.Str != "" {
			return appendJSONString(b, v.Str)
		}
		if v.Int < 0 {
			return strconv.AppendInt(b, v.Int, 10)
		}
		return strconv.AppendUint(b, v.Uint, 10)
	case KindString:
		return appendJSONString(b, v.Str)
	case KindPtr:
		return appendJSONString(b, fmt.Sprintf("%#x", v.Uint))
	case KindSpecial:
		return appendJSONString(b, v.scalar())
	case KindNone:
		return append(b, "null"...)
	case KindArray:
		b = append(b, '[')
		for i, f := range v.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = f.appendJSON(b)
		}
		return append(b, ']')
	case KindStruct, KindUnion, KindDataSec:
		b = append(b, '{')
		for i, f := range v.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.fieldName())
			b = append(b, ':')
			b = f.appendJSON(b)
		}
		return append(b, '}')
	}
	return appendJSONString(b, fmt.Sprintf("%x", v.Raw))
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// MarshalJSON gives {"key": ..., "value": ...} with "cpu" for per-CPU maps
// (the key is left out where there is none: queues, stacks).
func (e MapEntry) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	if e.Key.Kind != KindNone {
		b = append(b, `"key":`...)
		b = e.Key.appendJSON(b)
		b = append(b, ',')
	}
	if e.CPU >= 0 {
		b = append(b, `"cpu":`...)
		b = strconv.AppendInt(b, int64(e.CPU), 10)
		b = append(b, ',')
	}
	b = append(b, `"value":`...)
	b = e.Value.appendJSON(b)
	return append(b, '}'), nil
}

// fieldName is the member's name, "(anon)" for an anonymous struct or union.
func (v Value) fieldName() string {
	if v.Name == "" {
		return "(anon)"
	}
	return v.Name
}
