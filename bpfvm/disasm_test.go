package bpfvm

import "testing"

func TestDisasm(t *testing.T) {
	reg := NewRegistry()
	reg.AddHelper(&Helper{ID: 1, Name: "bpf_map_lookup_elem"})
	reg.AddKfunc(&Kfunc{Name: "bpf_iter_num_new"})
	tests := []struct {
		insns []Insn
		want  string
	}{
		{[]Insn{{Op: ClassALU64 | AluMOV | SrcK, Dst: 0, Imm: 1}}, "r0 = 1"},
		{[]Insn{{Op: ClassALU64 | AluMOV | SrcK, Dst: 0, Imm: -1}}, "r0 = -1"},
		{[]Insn{{Op: ClassALU64 | AluADD | SrcX, Dst: 1, Src: 2}}, "r1 += r2"},
		{[]Insn{{Op: ClassALU | AluMOV | SrcX, Dst: 1, Src: 2}}, "w1 = w2"},
		{[]Insn{{Op: ClassALU64 | AluDIV | SrcX, Dst: 1, Src: 2, Off: 1}}, "r1 s/= r2"},
		{[]Insn{{Op: ClassALU | AluMOD | SrcK, Dst: 1, Off: 1, Imm: 3}}, "w1 s%= 3"},
		{[]Insn{{Op: ClassALU64 | AluARSH | SrcK, Dst: 1, Imm: 3}}, "r1 s>>= 3"},
		{[]Insn{{Op: ClassALU64 | AluNEG, Dst: 1}}, "r1 = -r1"},
		{[]Insn{{Op: ClassALU | AluNEG, Dst: 1}}, "w1 = -w1"},
		{[]Insn{{Op: ClassALU64 | AluMOV | SrcX, Dst: 0, Src: 1, Off: 16}}, "r0 = (s16)r1"},
		{[]Insn{{Op: ClassALU | AluMOV | SrcX, Dst: 0, Src: 1, Off: 8}}, "w0 = (s8)w1"},
		{[]Insn{{Op: ClassALU64 | AluEND, Dst: 0, Imm: 64}}, "r0 = bswap64 r0"},
		{[]Insn{{Op: ClassALU | AluEND | SrcX, Dst: 0, Imm: 16}}, "r0 = be16 r0"},
		{[]Insn{{Op: ClassALU | AluEND | SrcK, Dst: 3, Imm: 32}}, "r3 = le32 r3"},
		{[]Insn{{Op: ClassLDX | ModeMEM | SizeDW, Dst: 0, Src: 10, Off: -8}}, "r0 = *(u64 *)(r10 -8)"},
		{[]Insn{{Op: ClassLDX | ModeMEMSX | SizeH, Dst: 0, Src: 1, Off: 2}}, "r0 = *(s16 *)(r1 +2)"},
		{[]Insn{{Op: ClassSTX | ModeMEM | SizeW, Dst: 1, Src: 2, Off: 4}}, "*(u32 *)(r1 +4) = r2"},
		{[]Insn{{Op: ClassST | ModeMEM | SizeB, Dst: 1, Imm: -3}}, "*(u8 *)(r1 +0) = -3"},
		{[]Insn{{Op: ClassSTX | ModeATOMIC | SizeDW, Dst: 1, Src: 2, Imm: AtomicADD}}, "lock *(u64 *)(r1 +0) += r2"},
		{[]Insn{{Op: ClassSTX | ModeATOMIC | SizeW, Dst: 1, Src: 2, Imm: AtomicXOR}}, "lock *(u32 *)(r1 +0) ^= r2"},
		{[]Insn{{Op: ClassSTX | ModeATOMIC | SizeDW, Dst: 1, Src: 2, Off: 8, Imm: AtomicAND | AtomicFETCH}}, "r2 = atomic64_fetch_and((u64 *)(r1 +8), r2)"},
		{[]Insn{{Op: ClassSTX | ModeATOMIC | SizeW, Dst: 1, Src: 2, Imm: AtomicXCHG}}, "r2 = atomic_xchg((u32 *)(r1 +0), r2)"},
		{[]Insn{{Op: ClassSTX | ModeATOMIC | SizeDW, Dst: 1, Src: 2, Imm: AtomicCMPXCHG}}, "r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)"},
		{[]Insn{{Op: ClassJMP | JmpJGT | SrcK, Dst: 1, Off: 3, Imm: 5}}, "if r1 > 0x5 goto pc+3"},
		{[]Insn{{Op: ClassJMP32 | JmpJSLT | SrcX, Dst: 1, Src: 2, Off: -4}}, "if w1 s< w2 goto pc-4"},
		{[]Insn{{Op: ClassJMP | JmpJA, Off: 1}}, "goto pc+1"},
		{[]Insn{{Op: ClassJMP32 | JmpJA, Imm: 1000}}, "gotol pc+1000"},
		{[]Insn{{Op: ClassJMP | JmpJCOND, Off: 2}}, "may_goto pc+2"},
		{[]Insn{{Op: ClassJMP | JmpCALL, Imm: 1}}, "call bpf_map_lookup_elem#1"},
		{[]Insn{{Op: ClassJMP | JmpCALL, Imm: 99}}, "call unknown#99"},
		{[]Insn{{Op: ClassJMP | JmpCALL, Src: CallLocal, Imm: 5}}, "call pc+5"},
		{[]Insn{{Op: ClassJMP | JmpCALL, Src: CallKfunc, Imm: 0}}, "call kfunc bpf_iter_num_new#0"},
		{[]Insn{{Op: ClassJMP | JmpEXIT}}, "exit"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 1, Imm: 0x1234}, {}}, "r1 = 0x1234 ll"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 1, Imm: -1}, {Imm: 1}}, "r1 = 0x1ffffffff ll"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 1, Src: PseudoMapIdx}, {}}, "r1 = map[id:0]"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 1, Src: PseudoMapIdxValue, Imm: 2}, {Imm: 8}}, "r1 = map[id:2][0]+8"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 2, Src: PseudoFunc, Imm: 7}, {}}, "r2 = func pc+7"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 2, Src: PseudoBTFID, Imm: 16}, {}}, "r2 = ksym 0x10 ll"},
		{[]Insn{{Op: ClassLD | ModeABS | SizeB, Imm: 5}}, "r0 = *(u8 *)skb[5]"},
		// invalid encodings and reserved fields print raw
		{[]Insn{{Op: 0xff, Dst: 1, Src: 2, Off: -3, Imm: 7}}, ".insn 0xff, 1, 2, -3, 7"},
		{[]Insn{{Op: ClassALU64 | AluADD | SrcK, Dst: 1, Src: 3, Imm: 1}}, ".insn 0x07, 1, 3, 0, 1"},
		{[]Insn{{Op: ClassLD | ModeIMM | SizeDW, Dst: 1, Imm: 1}}, ".insn 0x18, 1, 0, 0, 1"},
		{[]Insn{{Op: ClassALU64 | AluMOV | SrcK, Dst: 11}}, ".insn 0xb7, 11, 0, 0, 0"},
	}
	for _, tt := range tests {
		if got := Disasm(tt.insns, 0, reg); got != tt.want {
			t.Errorf("Disasm(%+v) = %q, want %q", tt.insns[0], got, tt.want)
		}
	}
	if got := DisasmKernel([]Insn{{Op: 0xb7, Imm: 1}}, 0, nil); got != "(b7) r0 = 1" {
		t.Errorf("DisasmKernel = %q", got)
	}
	if got := (Insn{Op: 0x95}).String(); got != "exit" {
		t.Errorf("String = %q", got)
	}
}
