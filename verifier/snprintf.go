package verifier

// bpf_snprintf(str, str_size, fmt, data, data_len) (kernel/bpf/helpers.c,
// verifier.c 6.12): str is written (ARG_PTR_TO_MEM_OR_NULL, the helper's
// output), fmt is a constant string (ARG_PTR_TO_CONST_STR: a read-only map
// value, NUL-terminated within the value), and check_bpf_snprintf_call
// checks the format against data_len: a constant multiple of 8, one u64 per
// conversion, at most MAX_BPRINTF_VARARGS (12).

const (
	helperSnprintf     = 165
	maxBprintfVarargs  = 12
	maxConstStrScanned = 1 << 12
)

// constString is the NUL-terminated string at the constant address in a
// read-only map value that register regno holds, which ArgConstStrPtr
// checked (check_reg_const_str reads it to the terminator).
func (v *verifier) constString(st *vstate, pc int, regno uint8) (string, error) {
	r := &st.cur().regs[regno]
	ms := v.mapSpec(int(r.mapIdx))
	if ms == nil || v.env.ReadOnlyValue == nil {
		return "", v.errorState(st, pc, "R%d does not point to a readonly map'", regno)
	}
	var b []byte
	for a := int64(r.off) + int64(r.varOff.value); a < int64(ms.ValueSize) && len(b) < maxConstStrScanned; a++ {
		x, ok := v.env.ReadOnlyValue(int(r.mapIdx), uint32(a), 1)
		if !ok {
			return "", v.errorState(st, pc, "R%d does not point to a readonly map'", regno)
		}
		if x == 0 {
			return string(b), nil
		}
		b = append(b, byte(x))
	}
	return "", v.errorState(st, pc, "string is not zero-terminated")
}

// checkSnprintf is check_bpf_snprintf_call.
func (v *verifier) checkSnprintf(st *vstate, pc int) error {
	f := st.cur()
	r5 := &f.regs[5]
	if !r5.isConst() || r5.varOff.value%8 != 0 || r5.varOff.value/8 > maxBprintfVarargs {
		return v.errorState(st, pc, "Invalid format string")
	}
	format, err := v.constString(st, pc, 3)
	if err != nil {
		return err
	}
	n, ok := bprintfConversions(format)
	if !ok || uint64(n) != r5.varOff.value/8 {
		return v.errorState(st, pc, "Invalid format string")
	}
	return nil
}

// bprintfConversions counts the conversions of a bpf_bprintf_prepare
// format (%d %i %u %x %X %o %c %s %p and %p's kernel forms, with the
// flags, width, precision and h/hh/l/ll/z modifiers it accepts); ok is
// false for anything else, which the kernel refuses.
func bprintfConversions(s string) (n int, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if i < len(s) && s[i] == '%' {
			continue
		}
		for i < len(s) && (s[i] == '-' || s[i] == '+' || s[i] == ' ' || s[i] == '#' || s[i] == '0') {
			i++
		}
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		for i < len(s) && (s[i] == 'l' || s[i] == 'h' || s[i] == 'z') {
			i++
		}
		if i >= len(s) {
			return 0, false
		}
		switch s[i] {
		case 'd', 'i', 'u', 'x', 'X', 'o', 'c', 's':
		case 'p':
			// %pK %px %pB %pks %pus %pi4 %pI4 %pi6 %pI6: one argument
			for i+1 < len(s) && (s[i+1] == 'K' || s[i+1] == 'x' || s[i+1] == 'B' || s[i+1] == 'k' ||
				s[i+1] == 'u' || s[i+1] == 's' || s[i+1] == 'i' || s[i+1] == 'I' || s[i+1] == '4' || s[i+1] == '6') {
				i++
			}
		default:
			return 0, false
		}
		n++
	}
	return n, true
}
