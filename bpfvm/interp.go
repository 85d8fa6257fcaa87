package bpfvm

import (
	"fmt"
	"unsafe"
)

// Interpreter is the interpreting Engine. It decodes each Program once into
// a compact internal form (cached per Program; programs must not change
// after their first run) and executes it with a switch over dense internal
// opcodes, registers in a local array, and one bounds compare per memory
// access against the VM's linear memory.
type Interpreter struct {
	cache    map[*Program]*icode
	lastProg *Program
	lastCode *icode
}

// NewInterpreter returns an interpreter with an empty decode cache.
func NewInterpreter() *Interpreter {
	return &Interpreter{cache: make(map[*Program]*icode)}
}

// Name is "interp".
func (e *Interpreter) Name() string { return "interp" }

// Forget drops this interpreter's decoded form of p (after p's
// instructions changed); VM.Forget drops the VM's shared copy.
func (e *Interpreter) Forget(p *Program) {
	delete(e.cache, p)
	if e.lastProg == p {
		e.lastProg, e.lastCode = nil, nil
	}
}

// Run continues the program on c; see Engine.
func (e *Interpreter) Run(c *Context, quantum uint64) (Status, error) {
	p := c.Prog
	if p == nil || c.Depth < 1 || c.Base < 1 || c.Depth > MaxCallFrames {
		return StatusFault, fmt.Errorf("bpfvm: CPU %d: no program in progress", c.CPU)
	}
	ic := e.code(c.VM, p)
	ins := ic.insns
	pc := c.PC
	if pc < 0 || pc >= len(ins) {
		return StatusFault, &Fault{Prog: p, PC: pc, Reason: "resumed outside the program"}
	}
	m := c.VM.Mem
	mp := unsafe.Pointer(unsafe.SliceData(m.buf))
	insp := unsafe.Pointer(unsafe.SliceData(ins))

	// n counts down the instructions this Run may execute; target is the
	// value of c.Insns when it reaches 0.
	limitEnd := ^uint64(0)
	if c.Limit != 0 && c.CallStart+c.Limit > c.CallStart {
		limitEnd = c.CallStart + c.Limit
	}
	target := limitEnd
	if quantum != 0 && c.Insns+quantum > c.Insns && c.Insns+quantum < target {
		target = c.Insns + quantum
	}
	var n uint64
	if c.Insns < target {
		n = target - c.Insns
	}

	var r [16]uint64
	copy(r[:], c.Regs[:])

	for {
		// Straight-line code, jumps and memory run in fast; it returns at
		// the first instruction it does not handle, not counting it.
		pc, n = fast(&r, insp, pc, n, mp, m.base, m.size)
		if n == 0 {
			c.Insns = target
			e.save(c, &r, pc)
			if target >= limitEnd {
				return StatusFault, c.LimitFault()
			}
			return StatusPreempted, nil
		}
		if ins[pc].op >= opFAdd64K {
			// a fused op with one instruction of budget left: execute the
			// move alone
			var left uint64
			pc, left = fast(&r, unsafe.Pointer(unsafe.SliceData(ic.plain)), pc, 1, mp, m.base, m.size)
			n = n - 1 + left
			continue
		}
		n--
		in := &ins[pc]
		pc++
		switch in.op {
		case opMayGoto:
			f := &c.Frames[(c.Depth-1)&(MaxCallFrames-1)]
			if f.Loops == 0 {
				pc = int(in.off)
			} else {
				f.Loops--
			}
		case opCallLocal, opCallx:
			if in.op == opCallx {
				t, err := callxTarget(p, r[in.dst&15])
				if err != nil {
					c.Insns = target - n
					e.save(c, &r, pc-1)
					return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: err.Error()}
				}
				in = &dinsn{off: int32(t)}
			}
			d := c.Depth
			if d >= MaxCallFrames {
				c.Insns = target - n
				e.save(c, &r, pc-1)
				return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: fmt.Sprintf("call stack deeper than %d frames", MaxCallFrames)}
			}
			f := &c.Frames[d&(MaxCallFrames-1)]
			f.RetPC = pc
			f.Saved = [4]uint64{r[6], r[7], r[8], r[9]}
			f.FP = c.FrameTop(d)
			f.Loops = MaxLoops
			c.Depth = d + 1
			r[10] = f.FP
			pc = int(in.off)
		case opExit:
			d := c.Depth
			if d <= c.Base {
				c.Depth = d - 1
				c.Insns = target - n
				e.save(c, &r, pc-1)
				return StatusExited, nil
			}
			f := &c.Frames[(d-1)&(MaxCallFrames-1)]
			r[6], r[7], r[8], r[9] = f.Saved[0], f.Saved[1], f.Saved[2], f.Saved[3]
			pc = f.RetPC
			c.Depth = d - 1
			r[10] = c.Frames[(d-2)&(MaxCallFrames-1)].FP
		case opCall, opKfunc:
			c.Insns = target - n
			c.PC = pc - 1
			v, err := c.CallFunc(in.op == opKfunc, int32(in.imm), r[1], r[2], r[3], r[4], r[5])
			if err != nil {
				e.save(c, &r, pc-1)
				if err == ErrYield {
					c.Insns-- // the call is counted when it is made again
					return StatusYielded, nil
				}
				return StatusFault, err
			}
			r[0] = v
			if c.Insns < target {
				n = target - c.Insns
			} else {
				// callbacks run to completion and may overrun the quantum
				target, n = c.Insns, 0
			}

		case opEnd:
			c.Insns = target - n
			e.save(c, &r, pc-1)
			return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: "execution left the program (fell off its end or jumped outside it)"}
		default: // opInvalid, or a memory access fast refused
			c.Insns = target - n
			e.save(c, &r, pc-1)
			if size, what, ok := memAccess(in.op); ok {
				a := r[in.dst&15]
				if what == "load" {
					a = r[in.src&15]
				}
				a += uint64(int64(in.off))
				return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: fmt.Sprintf("invalid %s of %d bytes at %s, outside linear memory (%d bytes)", what, size, m.Describe(a), m.size)}
			}
			reason := "invalid instruction"
			if in.op == opInvalid && int(in.imm) < len(ic.reasons) {
				reason = ic.reasons[in.imm]
			}
			return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: reason}
		}
	}
}

// callxTarget resolves the register operand of callx (a value loaded
// with LD_IMM64 PseudoFunc) to the subprogram it names: the start of one
// of p's functions (any instruction of a raw program without function
// information).
func callxTarget(p *Program, v uint64) (int, error) {
	t, ok := FuncPC(v)
	if ok && t < len(p.Insns) {
		if len(p.Funcs) == 0 {
			return t, nil
		}
		for _, f := range p.Funcs {
			if f.Start == t {
				return t, nil
			}
		}
	}
	return 0, fmt.Errorf("callx of %#x, which is not a subprogram of %s", v, p.Name)
}

// memAccess describes the memory instructions.
func memAccess(op uint8) (size int, what string, ok bool) {
	switch op {
	case opLdx8, opLdxs8:
		return 1, "load", true
	case opLdx16, opLdxs16:
		return 2, "load", true
	case opLdx32, opLdxs32:
		return 4, "load", true
	case opLdx64:
		return 8, "load", true
	case opSt8, opStx8:
		return 1, "store", true
	case opSt16, opStx16:
		return 2, "store", true
	case opSt32, opStx32:
		return 4, "store", true
	case opSt64, opStx64:
		return 8, "store", true
	}
	if op >= opAtomicAdd32 && op <= opCmpxchg32 {
		return 4, "atomic access", true
	}
	if op >= opAtomicAdd64 && op <= opCmpxchg64 {
		return 8, "atomic access", true
	}
	return 0, "", false
}

func (e *Interpreter) save(c *Context, r *[16]uint64, pc int) {
	copy(c.Regs[:], r[:11])
	c.PC = pc
}
