package jit

import "github.com/schedsim/schedsim/bpfvm"

// jmpCC is the amd64 condition of a BPF conditional jump.
func jmpCC(op uint8) byte {
	return [16]byte{
		bpfvm.JmpJEQ >> 4: ccE, bpfvm.JmpJNE >> 4: ccNE, bpfvm.JmpJSET >> 4: ccNE,
		bpfvm.JmpJGT >> 4: ccA, bpfvm.JmpJGE >> 4: ccAE, bpfvm.JmpJLT >> 4: ccB, bpfvm.JmpJLE >> 4: ccBE,
		bpfvm.JmpJSGT >> 4: ccG, bpfvm.JmpJSGE >> 4: ccGE, bpfvm.JmpJSLT >> 4: ccL, bpfvm.JmpJSLE >> 4: ccLE,
	}[op>>4]
}

// lowerJump emits JMP and JMP32 instructions: conditional jumps compare
// and branch to the target's block; calls of helpers and kfuncs exit to
// Go; bpf-to-bpf calls and returns push and pop Context frames natively;
// callx goes through the interpreter.
func (c *compiler) lowerJump(i int, in bpfvm.Insn) {
	a := &c.a
	w := in.Class() == bpfvm.ClassJMP
	op := in.Op & 0xf0
	switch op {
	case bpfvm.JmpJA:
		if t := c.copyOf[i]; t >= 0 {
			c.lowerCopy(i, t)
			return
		}
		if w {
			c.jumpTo(-1, c.target(i, int64(in.Off)))
		} else {
			c.jumpTo(-1, c.target(i, int64(in.Imm)))
		}
		return
	case bpfvm.JmpEXIT:
		c.lowerExit()
		return
	case bpfvm.JmpCALL:
		switch {
		case isCallX(in):
			c.exitTo(exitStep, a.jmp())
		case in.Src == bpfvm.CallLocal && c.target(i, int64(in.Imm)) == c.n:
			c.exitTo(exitStep, a.jmp()) // outside the program: faults
		case in.Src == bpfvm.CallLocal:
			c.lowerLocalCall(i, c.target(i, int64(in.Imm)))
		case c.lowerNativeCall(in):
		default:
			c.exitTo(exitCall, a.jmp())
		}
		return
	case bpfvm.JmpJCOND:
		c.lowerMayGoto(c.target(i, int64(in.Off)))
		return
	}
	d := regMap[in.Dst]
	if in.Op&bpfvm.SrcX != 0 {
		s := regMap[in.Src]
		if op == bpfvm.JmpJSET {
			a.testRR(w, d, s)
		} else {
			a.aluRR(aluCmp, w, d, s)
		}
	} else if op == bpfvm.JmpJSET {
		a.testRI(w, d, in.Imm)
	} else if in.Imm == 0 {
		a.testRR(w, d, d) // the flags of cmp d, 0 (CF and OF clear), shorter
	} else {
		a.aluRI(aluCmp, w, d, in.Imm)
	}
	if w && in.Op&bpfvm.SrcX == 0 && in.Imm == 0 && (op == bpfvm.JmpJEQ || op == bpfvm.JmpJNE) {
		c.nullTest(int(jmpCC(op)), c.target(i, int64(in.Off)), in.Dst, op == bpfvm.JmpJEQ)
		return
	}
	c.jumpTo(int(jmpCC(op)), c.target(i, int64(in.Off)))
	// falls through to the next block
}

// frameAddr: rcx = ctx + depth*frSize, with ctx in r11, depth in rcx; the
// frame at index depth is then at [rcx + cxFrames].
func (c *compiler) frameAddr() {
	c.a.imulRI(true, tmpC, frSize)
	c.a.aluRR(aluAdd, true, tmpC, tmp)
}

// lowerMayGoto: if the current frame's loop budget is spent, jump;
// otherwise count one iteration down. The frame is state.frame (loadRegs,
// lowerLocalCall, lowerExit keep it).
func (c *compiler) lowerMayGoto(target int) {
	a := &c.a
	a.load(8, tmp, m(regState, stFrame))
	loops := m(tmp, frLoops) // Frames[Depth-1].Loops
	a.aluMI(aluCmp, true, loops, 0)
	c.jumpTo(ccE, target)
	a.aluMI(aluSub, true, loops, 1)
}

// lowerLocalCall pushes a frame (return pc, r6..r9, a new r10, the loop
// budget) and jumps to the subprogram. Too deep a call faults through the
// interpreter.
func (c *compiler) lowerLocalCall(i, target int) {
	a := &c.a
	a.load(8, tmp, m(regState, stCtx))
	a.load(8, tmpC, m(tmp, cxDepth))
	a.aluRI(aluCmp, true, tmpC, bpfvm.MaxCallFrames)
	c.exitTo(exitStep, a.jcc(ccAE))
	c.frameAddr()
	f := cxFrames
	a.storeI(8, m(tmpC, f+frRetPC), int32(c.next(i)))
	for k, r := range []int{6, 7, 8, 9} {
		a.store(8, m(tmpC, f+frSaved+int32(8*k)), regMap[r])
	}
	fp := regMap[10]
	a.load(8, fp, m(tmpC, f-frSize+frFP))
	a.aluRI(aluSub, true, fp, frameBytes)
	a.store(8, m(tmpC, f+frFP), fp)
	a.storeI(8, m(tmpC, f+frLoops), maxLoops)
	a.aluMI(aluAdd, true, m(tmp, cxDepth), 1)
	if c.mayGoto {
		a.lea(tmpC, m(tmpC, f))
		a.store(8, m(regState, stFrame), tmpC)
	}
	c.jumpTo(-1, target)
}

// lowerExit returns from a subprogram natively (restoring r6..r9 and r10,
// continuing at the frame's return pc through the entry table) or, at
// depth Base, exits to Go (always in a program without calls, which runs
// only at depth Base).
func (c *compiler) lowerExit() {
	a := &c.a
	if c.noCalls {
		c.exitHere()
		return
	}
	a.load(8, tmp, m(regState, stCtx))
	a.load(8, tmpC, m(tmp, cxDepth))
	a.aluRM(aluCmp, true, tmpC, m(tmp, cxBase))
	c.exitTo(exitExit, a.jcc(ccLE))
	a.aluRI(aluSub, true, tmpC, 1)
	a.store(8, m(tmp, cxDepth), tmpC)
	c.frameAddr() // the frame being left
	f := cxFrames
	for k, r := range []int{6, 7, 8, 9} {
		a.load(8, regMap[r], m(tmpC, f+frSaved+int32(8*k)))
	}
	a.load(8, regMap[10], m(tmpC, f-frSize+frFP))
	if c.mayGoto {
		a.lea(tmp, m(tmpC, f-frSize))
		a.store(8, m(regState, stFrame), tmp)
	}
	a.load(8, tmpC, m(tmpC, f+frRetPC))
	c.tableJump()
}

// lowerCopy emits, for the goto at i, a copy of the block at t: its ALU
// instructions, then its goto (compiler.threadJumps).
func (c *compiler) lowerCopy(i, t int) {
	for u := t; ; u = c.next(u) {
		c.pc = u
		c.j++
		in := c.p.Insns[u]
		if in.Class() == bpfvm.ClassALU || in.Class() == bpfvm.ClassALU64 {
			c.loaded.ok = false
			c.lowerALU(in)
			c.learn(in)
			continue
		}
		c.lowerJump(u, in) // the goto; a copy's goto is never copied
		break
	}
	c.pc = i
}
