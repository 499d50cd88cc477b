package filterexpr

import (
	"golang.org/x/net/bpf"
)

// An arth is an arithmetic expression of a relation ("tcp[13] & 2 != 0",
// "len - 14 > 60"): 32-bit unsigned values, evaluated into register A.
type arth struct {
	kind int
	k    uint32    // aConst
	op   bpf.ALUOp // aBin
	l, r *arth     // aBin (l, r), aNeg (l), aLoad (l = index)
	// aLoad: the packet word of size bytes at base + index (plus the IPv4
	// header length when transport is set).
	base      uint32
	size      int
	transport bool
	guards    []*node // protocol checks this value needs, in parse order
}

const (
	aConst = iota
	aLen
	aLoad
	aBin
	aNeg
)

// binary operator precedence, lowest first, from libpcap's grammar. '^'
// and '%' have no declared precedence there, so bison shifts on them: the
// right operand of either takes the whole rest of the expression, and
// either binds to the operand just before it. parseArith reproduces that.
var arithPrec = map[string]int{"|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5}

var aluOps = map[string]bpf.ALUOp{
	"+": bpf.ALUOpAdd, "-": bpf.ALUOpSub, "*": bpf.ALUOpMul, "/": bpf.ALUOpDiv, "%": bpf.ALUOpMod,
	"&": bpf.ALUOpAnd, "|": bpf.ALUOpOr, "^": bpf.ALUOpXor, "<<": bpf.ALUOpShiftLeft, ">>": bpf.ALUOpShiftRight,
}

func isRelop(t token) bool { return isOp(t, "=", "==", "!=", "<", "<=", ">", ">=") }

// relationAhead reports whether the tokens at the cursor (an opening
// parenthesis) are an arithmetic expression followed by a comparison,
// "(tcp[13] & 2) != 0", rather than a parenthesized filter.
func (p *parser) relationAhead() bool {
	save, depth := p.i, p.depth
	_, err := p.parseArith(0)
	ok := err == nil && isRelop(p.peek())
	p.i, p.depth = save, depth
	return ok
}

// relation: arth relop arth.
func (p *parser) relation() (*node, quals, error) {
	lhs, err := p.parseArith(0)
	if err != nil {
		return nil, qualErr, err
	}
	rt := p.peek()
	if !isRelop(rt) {
		return nil, qualErr, p.syntax(rt)
	}
	p.next()
	rhs, err := p.parseArith(0)
	if err != nil {
		return nil, qualErr, err
	}
	var ins []bpf.Instruction
	x := false
	var k uint32
	if rhs.kind == aConst {
		k = rhs.k
		if ins, err = p.arthCode(rt, lhs, 0, ins); err != nil {
			return nil, qualErr, err
		}
	} else {
		if ins, err = p.arthCode(rt, rhs, 0, ins); err != nil {
			return nil, qualErr, err
		}
		ins = append(ins, bpf.StoreScratch{Src: bpf.RegA, N: 0})
		if ins, err = p.arthCode(rt, lhs, 1, ins); err != nil {
			return nil, qualErr, err
		}
		ins = append(ins, bpf.LoadScratch{Dst: bpf.RegX, N: 0})
		x = true
	}
	var cond bpf.JumpTest
	neg := false
	switch rt.text {
	case "=", "==":
		cond = bpf.JumpEqual
	case "!=":
		cond, neg = bpf.JumpEqual, true
	case ">":
		cond = bpf.JumpGreaterThan
	case ">=":
		cond = bpf.JumpGreaterOrEqual
	case "<":
		cond, neg = bpf.JumpGreaterOrEqual, true
	case "<=":
		cond, neg = bpf.JumpGreaterThan, true
	}
	n := &node{op: opTest, ins: ins, cond: cond, val: k, x: x, size: len(ins) + 1}
	if neg {
		n = not(n)
	}
	var guards []*node
	guards = collectGuards(lhs, guards)
	guards = collectGuards(rhs, guards)
	for i := len(guards) - 1; i >= 0; i-- {
		n = and(guards[i], n)
	}
	return n, qualErr, nil
}

func collectGuards(a *arth, out []*node) []*node {
	if a == nil {
		return out
	}
	out = collectGuards(a.l, out)
	out = collectGuards(a.r, out)
	return append(out, a.guards...)
}

// parseArith parses a binary expression whose operators bind at least as
// tightly as minPrec.
func (p *parser) parseArith(minPrec int) (*arth, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	lhs, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tOp {
			return lhs, nil
		}
		if t.text == "^" || t.text == "%" {
			lhs, err = p.absorb(lhs)
			if err != nil {
				return nil, err
			}
			continue
		}
		pr, ok := arithPrec[t.text]
		if !ok || pr < minPrec {
			return lhs, nil
		}
		p.next()
		rhs, err := p.parseArith(pr + 1)
		if err != nil {
			return nil, err
		}
		if lhs, err = p.bin(t, lhs, rhs); err != nil {
			return nil, err
		}
	}
}

// absorb applies a '^' or '%' at the cursor: its right operand is the
// rest of the arithmetic expression.
func (p *parser) absorb(lhs *arth) (*arth, error) {
	t := p.next()
	rhs, err := p.parseArith(0)
	if err != nil {
		return nil, err
	}
	return p.bin(t, lhs, rhs)
}

func (p *parser) bin(t token, l, r *arth) (*arth, error) {
	op := aluOps[t.text]
	if r.kind == aConst {
		if (op == bpf.ALUOpDiv || op == bpf.ALUOpMod) && r.k == 0 {
			if op == bpf.ALUOpDiv {
				return nil, p.errAt(t, ErrSyntax, "division by zero")
			}
			return nil, p.errAt(t, ErrSyntax, "modulus by zero")
		}
		if (op == bpf.ALUOpShiftLeft || op == bpf.ALUOpShiftRight) && r.k > 31 {
			return nil, p.errAt(t, ErrSyntax, "shift by more than 31 bits")
		}
	}
	if l.kind == aConst && r.kind == aConst {
		return &arth{kind: aConst, k: aluConst(op, l.k, r.k)}, nil
	}
	return &arth{kind: aBin, op: op, l: l, r: r}, nil
}

func (p *parser) unary() (*arth, error) {
	t := p.peek()
	switch {
	case isOp(t, "-"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		for c := p.peek(); isOp(c, "^", "%"); c = p.peek() {
			if x, err = p.absorb(x); err != nil {
				return nil, err
			}
		}
		if x.kind == aConst {
			return &arth{kind: aConst, k: -x.k}, nil
		}
		return &arth{kind: aNeg, l: x}, nil
	case isOp(t, "("):
		p.next()
		x, err := p.parseArith(0)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); !isOp(c, ")") {
			return nil, p.syntax(c)
		}
		p.next()
		return x, nil
	case t.kind == tNum:
		p.next()
		return &arth{kind: aConst, k: t.num}, nil
	case isKey(t, "len"):
		p.next()
		return &arth{kind: aLen}, nil
	case t.kind == tKey:
		if proto, ok := pnames[t.text]; ok && isOp(p.peekAt(1), "[") {
			return p.load(t, proto)
		}
	}
	return nil, p.syntax(t)
}

// load: proto "[" arth [":" size] "]".
func (p *parser) load(t token, proto int) (*arth, error) {
	p.next()
	p.next() // "["
	idx, err := p.parseArith(0)
	if err != nil {
		return nil, err
	}
	size := 1
	if c := p.peek(); isOp(c, ":") {
		p.next()
		st := p.peek()
		if st.kind != tNum {
			return nil, p.syntax(st)
		}
		p.next()
		if st.num != 1 && st.num != 2 && st.num != 4 {
			return nil, p.errAt(st, ErrSyntax, "data size must be 1, 2, or 4")
		}
		size = int(st.num)
	}
	if c := p.peek(); !isOp(c, "]") {
		return nil, p.syntax(c)
	}
	p.next()
	a := &arth{kind: aLoad, l: idx, size: size}
	nh := p.nh()
	switch proto {
	case pLink:
		if p.link != LinkEthernet {
			return nil, p.errAt(t, ErrUnsupported, "the link-layer header is not in the data on a %v link", p.link)
		}
		a.base = 0
	case pIP:
		a.base, a.guards = nh, []*node{p.linkType(etherIP)}
	case pIP6:
		a.base, a.guards = nh, []*node{p.linkType(etherIP6)}
	case pARP:
		a.base, a.guards = nh, []*node{p.linkType(etherARP)}
	case pRARP:
		a.base, a.guards = nh, []*node{p.linkType(etherRARP)}
	case pTCP, pUDP, pSCTP, pICMP, pIGMP:
		// The transport header of an IPv4 packet that is not a later
		// fragment; libpcap has no IPv6 form of these.
		a.base, a.transport = nh, true
		a.guards = []*node{p.ipProto(ipProtoNumbers[proto]), p.notFragment()}
	case pICMP6:
		// The header right after the fixed IPv6 header.
		a.base = nh + 40
		a.guards = []*node{and(p.linkType(etherIP6), test(bpf.JumpEqual, 58, bpf.LoadAbsolute{Off: nh + 6, Size: 1}))}
	default:
		return nil, p.errAt(t, ErrUnsupported, "%s[...] is not supported", t.text)
	}
	return a, nil
}

// arthCode appends the instructions that leave a's value in A, using
// scratch memory from slot depth on.
func (p *parser) arthCode(t token, a *arth, depth int, ins []bpf.Instruction) ([]bpf.Instruction, error) {
	if depth >= scratchSlots {
		return nil, p.errAt(t, ErrTooLarge, "arithmetic needs more than %d scratch slots", scratchSlots)
	}
	if len(ins) > maxPseudo {
		return nil, p.errAt(t, ErrTooLarge, "arithmetic too long")
	}
	var err error
	switch a.kind {
	case aConst:
		return append(ins, bpf.LoadConstant{Dst: bpf.RegA, Val: a.k}), nil
	case aLen:
		return append(ins, bpf.LoadExtension{Num: bpf.ExtLen}), nil
	case aNeg:
		if ins, err = p.arthCode(t, a.l, depth, ins); err != nil {
			return nil, err
		}
		return append(ins, bpf.NegateA{}), nil
	case aBin:
		if a.r.kind == aConst {
			if ins, err = p.arthCode(t, a.l, depth, ins); err != nil {
				return nil, err
			}
			return append(ins, bpf.ALUOpConstant{Op: a.op, Val: a.r.k}), nil
		}
		// Left operand first, kept in M[depth] while the right one is
		// computed: a left-associated chain ("a + b + c + ...") needs one
		// slot whatever its length.
		if ins, err = p.arthCode(t, a.l, depth, ins); err != nil {
			return nil, err
		}
		ins = append(ins, bpf.StoreScratch{Src: bpf.RegA, N: depth})
		if ins, err = p.arthCode(t, a.r, depth+1, ins); err != nil {
			return nil, err
		}
		return append(ins, bpf.TAX{}, bpf.LoadScratch{Dst: bpf.RegA, N: depth}, bpf.ALUOpX{Op: a.op}), nil
	case aLoad:
		if a.l.kind == aConst {
			off := a.base + a.l.k // wraps in 32 bits, as libpcap's offsets do
			if a.transport {
				return append(ins, bpf.LoadMemShift{Off: a.base}, bpf.LoadIndirect{Off: off, Size: a.size}), nil
			}
			return append(ins, bpf.LoadAbsolute{Off: off, Size: a.size}), nil
		}
		if ins, err = p.arthCode(t, a.l, depth, ins); err != nil {
			return nil, err
		}
		if a.transport {
			ins = append(ins, bpf.StoreScratch{Src: bpf.RegA, N: depth}, bpf.LoadMemShift{Off: a.base},
				bpf.LoadScratch{Dst: bpf.RegA, N: depth}, bpf.ALUOpX{Op: bpf.ALUOpAdd})
		}
		return append(ins, bpf.TAX{}, bpf.LoadIndirect{Off: a.base, Size: a.size}), nil
	}
	return nil, p.errAt(t, ErrSyntax, "internal: arithmetic kind %d", a.kind)
}
