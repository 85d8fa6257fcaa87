package bpfvm

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/cilium/ebpf/btf"
)

// encodeVar writes the Go value v into dst, the bytes of a variable of BTF
// type t, after checking that v fits the type: an integer of the right sign
// and range for ints and enums, a bool for _Bool, a string (shorter than the
// array, NUL-terminated) for char arrays, a slice or array of integers (at
// most as many as the array has; later elements keep their value) for other
// integer arrays.
func encodeVar(dst []byte, t btf.Type, v any) error {
	if t == nil {
		return fmt.Errorf("the variable has no BTF type")
	}
	switch ut := btf.UnderlyingType(t).(type) {
	case *btf.Int:
		if ut.Encoding&btf.Bool != 0 {
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("want a bool for %s, got %T", typeName(t), v)
			}
			clear(dst)
			if b {
				dst[0] = 1
			}
			return nil
		}
		return encodeInt(dst, t, ut.Size, ut.Encoding&btf.Signed != 0, v)
	case *btf.Enum:
		return encodeInt(dst, t, ut.Size, ut.Signed, v)
	case *btf.Array:
		elem := btf.UnderlyingType(ut.Type)
		esize, err := btf.Sizeof(ut.Type)
		if err != nil || esize <= 0 {
			return fmt.Errorf("array of %s: %v", typeName(ut.Type), err)
		}
		if uint64(esize)*uint64(ut.Nelems) > uint64(len(dst)) {
			return fmt.Errorf("array %s does not fit its %d bytes", typeName(t), len(dst))
		}
		if s, ok := v.(string); ok {
			if it, isInt := elem.(*btf.Int); !isInt || it.Size != 1 {
				return fmt.Errorf("want a slice of integers for %s, got a string", typeName(t))
			}
			if len(s) >= int(ut.Nelems) {
				return fmt.Errorf("string of %d bytes does not fit %s with its NUL", len(s), typeName(t))
			}
			clear(dst[:ut.Nelems])
			copy(dst, s)
			return nil
		}
		rv := reflect.ValueOf(v)
		if k := rv.Kind(); k != reflect.Slice && k != reflect.Array {
			return fmt.Errorf("want a slice for %s, got %T", typeName(t), v)
		}
		if rv.Len() > int(ut.Nelems) {
			return fmt.Errorf("%d elements for %s", rv.Len(), typeName(t))
		}
		for i := range rv.Len() {
			e := dst[i*esize : (i+1)*esize]
			if err := encodeVar(e, ut.Type, rv.Index(i).Interface()); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("type %s cannot be set (only integers, enums, bools and arrays of them)", typeName(t))
}

func encodeInt(dst []byte, t btf.Type, size uint32, signed bool, v any) error {
	if size == 0 || size > 8 || int(size) > len(dst) || size&(size-1) != 0 {
		return fmt.Errorf("integer type %s of %d bytes", typeName(t), size)
	}
	rv := reflect.ValueOf(v)
	var (
		neg bool
		mag uint64 // magnitude
	)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := rv.Int()
		neg = i < 0
		mag = uint64(i)
		if neg {
			mag = uint64(-(i + 1)) + 1
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		mag = rv.Uint()
	default:
		return fmt.Errorf("want an integer for %s, got %T", typeName(t), v)
	}
	bitsz := size * 8
	var raw uint64
	switch {
	case !signed && neg:
		return fmt.Errorf("%v is negative, but %s is unsigned", v, typeName(t))
	case !signed:
		if bitsz < 64 && mag >= 1<<bitsz {
			return fmt.Errorf("%v does not fit %s (%d bytes, unsigned)", v, typeName(t), size)
		}
		raw = mag
	case neg:
		if mag > 1<<(bitsz-1) {
			return fmt.Errorf("%v does not fit %s (%d bytes, signed)", v, typeName(t), size)
		}
		raw = -mag
	default:
		if mag > 1<<(bitsz-1)-1 {
			return fmt.Errorf("%v does not fit %s (%d bytes, signed)", v, typeName(t), size)
		}
		raw = mag
	}
	putLE(dst[:size], raw)
	return nil
}

func putLE(dst []byte, v uint64) {
	switch len(dst) {
	case 1:
		dst[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(dst, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(dst, uint32(v))
	case 8:
		binary.LittleEndian.PutUint64(dst, v)
	}
}

// encodeEnumValue writes the kernel enumerator value val (signed or not)
// into the bytes of an integer variable of type t, checking that it fits.
func encodeEnumValue(dst []byte, t btf.Type, val uint64, signed bool) error {
	if signed {
		return encodeVar(dst, t, int64(val))
	}
	if val > math.MaxInt64 {
		return encodeVar(dst, t, val)
	}
	// Small non-negative values also fit signed variables.
	return encodeVar(dst, t, int64(val))
}
