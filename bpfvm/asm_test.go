package bpfvm

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestAsmRoundTrip prints every opcode with a spread of field values and
// reads the listing back: Assemble(Listing(p)) == p.
func TestAsmRoundTrip(t *testing.T) {
	reg := NewRegistry()
	reg.AddHelper(&Helper{ID: 1, Name: "bpf_map_lookup_elem"})
	reg.AddKfunc(&Kfunc{Name: "bpf_iter_num_new"})
	regs := []uint8{0, 1, 10, 11}
	offs := []int16{0, 1, 8, 16, 32, -8, 32767, -32768}
	imms := []int32{0, 1, 16, 32, 64, -1, 0x7fffffff, -0x80000000, AtomicADD | AtomicFETCH, AtomicCMPXCHG, AtomicXCHG}
	var prog []Insn
	for op := 0; op < 256; op++ {
		for _, d := range regs {
			for _, s := range []uint8{0, 1, 2, 10, 15} {
				for _, o := range offs {
					for _, imm := range imms {
						prog = append(prog, Insn{Op: uint8(op), Dst: d, Src: s, Off: o, Imm: imm})
						if op == ClassLD|ModeIMM|SizeDW {
							prog = append(prog, Insn{Imm: imm ^ 0x55})
						}
					}
				}
			}
		}
	}
	for _, r := range []*Registry{nil, reg} {
		text := Listing(prog, r)
		got, err := AssembleWith(text, r)
		if err != nil {
			t.Fatalf("reassembling listing: %v\n(line %q)", err, lineOf(text, err))
		}
		if len(got) != len(prog) {
			t.Fatalf("got %d instructions, want %d", len(got), len(prog))
		}
		for k := range prog {
			if got[k] != prog[k] {
				t.Fatalf("insn %d: %+v printed as %q reassembled as %+v", k, prog[k], Disasm(prog, k, r), got[k])
			}
		}
	}
	// canonical forms never print raw
	valid := 0
	for k := range prog {
		if !strings.HasPrefix(Disasm(prog, k, nil), ".insn") {
			valid++
		}
	}
	if valid < 2000 {
		t.Errorf("only %d instructions printed in canonical form", valid)
	}
}

func lineOf(text string, err error) string {
	var ae *AsmError
	if errors.As(err, &ae) {
		lines := strings.Split(text, "\n")
		if ae.Line-1 < len(lines) {
			return lines[ae.Line-1]
		}
	}
	return ""
}

func TestAsmRandomRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prog := make([]Insn, 20000)
	for k := range prog {
		prog[k] = Insn{Op: uint8(rng.Uint32()), Dst: uint8(rng.IntN(16)), Src: uint8(rng.IntN(16)),
			Off: int16(rng.Uint32()), Imm: int32(rng.Uint32())}
		if rng.IntN(2) == 0 { // make reserved fields zero often
			prog[k].Src &= 1
			prog[k].Off &= 0x1f
			prog[k].Dst &= 7
		}
	}
	got, err := Assemble(Listing(prog, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, prog) {
		t.Fatal("random program does not round-trip")
	}
}

func TestAssemble(t *testing.T) {
	reg := NewRegistry()
	reg.AddHelper(&Helper{ID: 181, Name: "bpf_loop"})
	id := reg.AddKfunc(&Kfunc{Name: "bpf_iter_num_next"})
	src := `
; count down
	r1 = 10          // comment
loop:	r1 -= 1
	if r1 != 0 goto loop
	if w1 s> -1 goto pc+0
	r2 = func cb
	call bpf_loop
	call bpf_iter_num_next
	call kfunc bpf_iter_num_next
	call cb
	r0 = 0xffffffff
	r0 = -0x80000000
	r3 = 0x1122334455667788 ll
	r4 = -1 ll
	12: (b7) r0 = 7
	exit
cb:	r0 = 0
	exit
`
	got, err := AssembleWith(src, reg)
	if err != nil {
		t.Fatal(err)
	}
	want := []Insn{
		{Op: 0xb7, Dst: 1, Imm: 10},
		{Op: 0x17, Dst: 1, Imm: 1},
		{Op: 0x55, Dst: 1, Off: -2},
		{Op: 0x66, Dst: 1, Imm: -1},
		{Op: 0x18, Dst: 2, Src: PseudoFunc, Imm: 13}, {},
		{Op: 0x85, Imm: 181},
		{Op: 0x85, Src: CallKfunc, Imm: id},
		{Op: 0x85, Src: CallKfunc, Imm: id},
		{Op: 0x85, Src: CallLocal, Imm: 8},
		{Op: 0xb7, Imm: -1},
		{Op: 0xb7, Imm: -0x80000000},
		{Op: 0x18, Dst: 3, Imm: 0x55667788}, {Imm: 0x11223344},
		{Op: 0x18, Dst: 4, Imm: -1}, {Imm: -1},
		{Op: 0xb7, Imm: 7},
		{Op: 0x95},
		{Op: 0xb7},
		{Op: 0x95},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", Listing(got, reg), Listing(want, reg))
	}
}

func TestAssembleErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"r11 = 1", "1:1: unknown instruction"},
		{"r1 = 1\n  r1 += w2", "2:9: mixing r and w"},
		{"goto nowhere", "1:6: unknown label \"nowhere\""},
		{"call bpf_loop", "1:6: unknown label, helper or kfunc \"bpf_loop\" (helpers and kfuncs by name need AssembleWith"},
		{"r1 = 0x100000000", "1:6: immediate 4294967296 does not fit in 32 bits"},
		{"r1 = *(u128 *)(r1 +0)", "1:8: expected a size"},
		{"r1 = *(u8 *)(r1 + 70000)", "1:17: number 70000 out of range"},
		{"x: exit\nx: exit", "2:1: label \"x\" defined twice"},
		{"exit r1", "1:6: unexpected \"r1\" after instruction"},
		{"r1 = $", "1:6: unexpected character"},
		{"w1 = 1 ll", "1:1: the destination of this instruction is an r register"},
		{"lock *(u8 *)(r1 +0) += r2", "1:8: atomic operations are 32 or 64 bit"},
		{"r2 = atomic64_fetch_add((u32 *)(r1 +0), r2)", "1:26: atomic64_fetch_add operates on u64"},
		{"if r1 > goto pc+1", "1:9: expected a number"},
		{"r1 = be24 r1", "1:6: byte swaps are 16, 32 or 64 bit"},
	}
	for _, tt := range tests {
		_, err := Assemble(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Assemble(%q) = %v, want error containing %q", tt.src, err, tt.want)
		}
	}
	// a jump beyond 16 bits needs gotol
	src := "goto far\n" + strings.Repeat("r0 = 0\n", 40000) + "far: exit\n"
	if _, err := Assemble(src); err == nil || !strings.Contains(err.Error(), "use gotol") {
		t.Errorf("far goto: %v", err)
	}
	if p, err := Assemble(strings.Replace(src, "goto far", "gotol far", 1)); err != nil || p[0].Imm != 40000 {
		t.Errorf("far gotol: %v", err)
	}
}

func FuzzAsm(f *testing.F) {
	f.Add("r0 = 1\nexit")
	f.Add("loop: if r1 s> 0x5 goto loop ; x")
	f.Add("r2 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)")
	f.Add("r1 = map[id:0][0]+8\nr1 = *(u8 *)skb[r1 + 5]")
	f.Add(".insn 0x18, 1, 2, 3, 4")
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Assemble(src)
		if err != nil {
			return
		}
		q, err := Assemble(Listing(p, nil))
		if err != nil {
			t.Fatalf("listing of %q does not reassemble: %v", src, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip of %q differs", src)
		}
	})
}
