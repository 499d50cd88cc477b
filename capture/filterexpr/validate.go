package filterexpr

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Validate checks a classic BPF program (one from Compile or written by
// hand, the raw escape hatch of package capture) against the rules the
// Linux kernel applies when it is attached (bpf_check_classic): 1 to 4096
// instructions, known opcodes and extensions, no division or modulus by a
// constant 0, no constant shift of 32 or more, scratch slots below 16 and
// written before they are read on every path, jumps inside the program,
// and a return as the last instruction. A nil error means the kernel will
// take it; the error names the first offending instruction.
func Validate(prog []bpf.Instruction) error {
	if len(prog) == 0 || len(prog) > MaxInstructions {
		return fmt.Errorf("filterexpr: program of %d instructions (want 1 to %d)", len(prog), MaxInstructions)
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("filterexpr: %w", err)
	}
	return validateRaw(raw)
}

const skfAdOff = 0xfffff000 // SKF_AD_OFF, -0x1000

// validAnc are the kernel's ancillary load offsets (SKF_AD_*).
var validAnc = map[uint32]bool{0: true, 4: true, 8: true, 12: true, 16: true, 20: true, 24: true, 28: true,
	32: true, 36: true, 40: true, 44: true, 48: true, 52: true, 56: true, 60: true}

func allowedOp(op uint16) bool {
	if op > 0xff {
		return false
	}
	class := op & 0x07
	switch class {
	case 0x00: // LD
		size, mode := op&0x18, op&0xe0
		switch mode {
		case 0x20, 0x40: // ABS, IND
			return size != 0x18
		case 0x00, 0x60, 0x80: // IMM, MEM, LEN
			return size == 0x00
		}
	case 0x01: // LDX
		size, mode := op&0x18, op&0xe0
		switch mode {
		case 0x00, 0x60, 0x80: // IMM, MEM, LEN
			return size == 0x00
		case 0xa0: // MSH
			return size == 0x10
		}
	case 0x02, 0x03: // ST, STX
		return op == class
	case 0x04: // ALU
		aop, src := op&0xf0, op&0x08
		if op&^0xf8 != 0x04 {
			return false
		}
		if aop == 0x80 { // NEG
			return src == 0
		}
		return aop <= 0xa0
	case 0x05: // JMP
		jop := op & 0xf0
		if op&^0xf8 != 0x05 {
			return false
		}
		if jop == 0x00 { // JA
			return op == 0x05
		}
		return jop <= 0x40
	case 0x06: // RET
		return op == 0x06 || op == 0x16
	case 0x07: // MISC
		return op == 0x07 || op == 0x87
	}
	return false
}

func validateRaw(raw []bpf.RawInstruction) error {
	n := len(raw)
	for pc, in := range raw {
		bad := func(why string) error {
			return fmt.Errorf("filterexpr: instruction %d (%#04x %d %d %#x): %s", pc, in.Op, in.Jt, in.Jf, in.K, why)
		}
		if !allowedOp(in.Op) {
			return bad("opcode not allowed")
		}
		switch in.Op {
		case 0x34, 0x94: // ALU DIV K, MOD K
			if in.K == 0 {
				return bad("division by constant 0")
			}
		case 0x64, 0x74: // LSH K, RSH K
			if in.K >= 32 {
				return bad("shift by 32 or more")
			}
		case 0x60, 0x61, 0x02, 0x03: // LD MEM, LDX MEM, ST, STX
			if in.K >= scratchSlots {
				return bad("scratch slot out of range")
			}
		case 0x05: // JA
			if uint64(in.K) >= uint64(n-pc-1) {
				return bad("jump past the end")
			}
		case 0x20, 0x28, 0x30: // LD W/H/B ABS
			if in.K >= skfAdOff && !validAnc[in.K-skfAdOff] {
				return bad("unknown extension")
			}
		}
		if in.Op&0x07 == 0x05 && in.Op != 0x05 {
			if pc+int(in.Jt)+1 >= n || pc+int(in.Jf)+1 >= n {
				return bad("jump past the end")
			}
		}
	}
	if last := raw[n-1].Op; last != 0x06 && last != 0x16 {
		return fmt.Errorf("filterexpr: last instruction %d is not a return", n-1)
	}
	// Scratch memory must be written before it is read on every path.
	masks := make([]uint16, n)
	for i := range masks {
		masks[i] = 0xffff
	}
	valid := uint16(0)
	for pc, in := range raw {
		valid &= masks[pc]
		switch in.Op {
		case 0x02, 0x03:
			valid |= 1 << in.K
		case 0x60, 0x61:
			if valid&(1<<in.K) == 0 {
				return fmt.Errorf("filterexpr: instruction %d reads scratch slot %d, which may not have been written", pc, in.K)
			}
		case 0x05:
			masks[pc+1+int(in.K)] &= valid
			valid = 0xffff
		default:
			if in.Op&0x07 == 0x05 {
				masks[pc+1+int(in.Jt)] &= valid
				masks[pc+1+int(in.Jf)] &= valid
				valid = 0xffff
			}
		}
	}
	return nil
}
