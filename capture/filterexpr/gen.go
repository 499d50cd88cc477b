package filterexpr

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// A node is the boolean form of a parsed expression: and/or/not over
// tests. A test runs its instructions (loads and arithmetic that leave a
// value in A) and compares A with a constant (or with X when x is set).
// Conditions are only "=", ">", ">=" and "bits set"; the others are
// built with not.
type nodeOp int

const (
	opTest nodeOp = iota
	opAnd
	opOr
	opNot
	opTrue
	opFalse
)

type node struct {
	op   nodeOp
	size int // instructions the node generates at most, without optimization
	l, r *node
	ins  []bpf.Instruction
	cond bpf.JumpTest
	val  uint32
	x    bool
}

func and(a, b *node) *node { return &node{op: opAnd, l: a, r: b, size: a.size + b.size} }
func or(a, b *node) *node  { return &node{op: opOr, l: a, r: b, size: a.size + b.size} }
func not(a *node) *node    { return &node{op: opNot, l: a, size: a.size} }

var nodeFalse = &node{op: opFalse, size: 1}

// test compares the value ins leave in A with val.
func test(cond bpf.JumpTest, val uint32, ins ...bpf.Instruction) *node {
	return &node{op: opTest, ins: ins, cond: cond, val: val, size: len(ins) + 1}
}

// pseudo is one instruction of the program before jump offsets are known.
type pseudo struct {
	kind   int // pPlain, pCond, pJump, pLabel
	ins    bpf.Instruction
	cond   bpf.JumpTest
	val    uint32
	x      bool
	jt, jf int // labels (pCond); jt is the target of pJump; the label of pLabel
}

const (
	pPlain = iota
	pCond
	pJump
	pLabel
)

// maxPseudo bounds the work of code generation for a hostile expression:
// far more than any program that can fit in MaxInstructions after layout.
const maxPseudo = 4 * MaxInstructions

var errProgramTooLarge = errors.New("program too large")

// optimizeOn is switched off by tests to check the unoptimized programs too.
var optimizeOn = true

type gen struct {
	out    []pseudo
	labels int
}

func (g *gen) label() int { g.labels++; return g.labels }

func (g *gen) emit(p pseudo) error {
	if len(g.out) >= maxPseudo {
		return errProgramTooLarge
	}
	g.out = append(g.out, p)
	return nil
}

// cond emits n so that control reaches label t when n holds and f when
// not (short-circuit code).
func (g *gen) cond(n *node, t, f int) error {
	switch n.op {
	case opTrue:
		return g.emit(pseudo{kind: pJump, jt: t})
	case opFalse:
		return g.emit(pseudo{kind: pJump, jt: f})
	case opNot:
		return g.cond(n.l, f, t)
	case opAnd:
		m := g.label()
		if err := g.cond(n.l, m, f); err != nil {
			return err
		}
		if err := g.emit(pseudo{kind: pLabel, jt: m}); err != nil {
			return err
		}
		return g.cond(n.r, t, f)
	case opOr:
		m := g.label()
		if err := g.cond(n.l, t, m); err != nil {
			return err
		}
		if err := g.emit(pseudo{kind: pLabel, jt: m}); err != nil {
			return err
		}
		return g.cond(n.r, t, f)
	case opTest:
		for _, in := range n.ins {
			if err := g.emit(pseudo{kind: pPlain, ins: in}); err != nil {
				return err
			}
		}
		return g.emit(pseudo{kind: pCond, cond: n.cond, val: n.val, x: n.x, jt: t, jf: f})
	}
	return fmt.Errorf("internal: node op %d", n.op)
}

// generate turns the tree into a program ending in "ret #snaplen" (match)
// and "ret #0" (no match), with every conditional jump within 255
// instructions (longer ones go through an unconditional trampoline).
func generate(root *node, snaplen uint32) ([]bpf.Instruction, error) {
	g := &gen{}
	accept, reject := g.label(), g.label()
	if err := g.cond(root, accept, reject); err != nil {
		return nil, err
	}
	code := g.out
	code = append(code,
		pseudo{kind: pLabel, jt: accept}, pseudo{kind: pPlain, ins: bpf.RetConstant{Val: snaplen}},
		pseudo{kind: pLabel, jt: reject}, pseudo{kind: pPlain, ins: bpf.RetConstant{Val: 0}})
	code = dropJumpsToNext(code)
	if optimizeOn {
		code = optimize(code)
	}
	code, err := fixLongJumps(code, g)
	if err != nil {
		return nil, err
	}
	return finish(code)
}

// positions returns the instruction index of every label and of every
// pseudo instruction (labels take no space).
func positions(code []pseudo, nlabels int) (at []int, lab []int) {
	at = make([]int, len(code))
	lab = make([]int, nlabels+1)
	n := 0
	for i, p := range code {
		at[i] = n
		if p.kind == pLabel {
			lab[p.jt] = n
			continue
		}
		n++
	}
	return at, lab
}

// dropJumpsToNext removes unconditional jumps to the instruction that
// follows anyway.
func dropJumpsToNext(code []pseudo) []pseudo {
	out := code[:0]
	for i, p := range code {
		if p.kind == pJump {
			next := false
			for j := i + 1; j < len(code) && code[j].kind == pLabel; j++ {
				if code[j].jt == p.jt {
					next = true
					break
				}
			}
			if next {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// fixLongJumps gives every conditional jump whose target is more than 255
// instructions ahead a trampoline right after it ("ja target") and points
// the branch there, repeating until every branch fits (each insertion can
// only lengthen other jumps, and a branch is fixed at most once per side,
// so this ends).
func fixLongJumps(code []pseudo, g *gen) ([]pseudo, error) {
	for {
		at, lab := positions(code, g.labels)
		changed := false
		out := make([]pseudo, 0, len(code)+8)
		for i, p := range code {
			out = append(out, p)
			if p.kind != pCond {
				continue
			}
			farT := lab[p.jt]-at[i]-1 > 255
			farF := lab[p.jf]-at[i]-1 > 255
			if !farT && !farF {
				continue
			}
			changed = true
			ci := len(out) - 1
			if farT {
				l := g.label()
				out = append(out, pseudo{kind: pLabel, jt: l}, pseudo{kind: pJump, jt: out[ci].jt})
				out[ci].jt = l
			}
			if farF {
				l := g.label()
				out = append(out, pseudo{kind: pLabel, jt: l}, pseudo{kind: pJump, jt: out[ci].jf})
				out[ci].jf = l
			}
		}
		code = out
		if len(code) > maxPseudo {
			return nil, errProgramTooLarge
		}
		if !changed {
			return code, nil
		}
	}
}

// finish resolves labels into skips and checks the size.
func finish(code []pseudo) ([]bpf.Instruction, error) {
	maxLabel := 0
	for _, p := range code {
		if p.jt > maxLabel {
			maxLabel = p.jt
		}
		if p.jf > maxLabel {
			maxLabel = p.jf
		}
	}
	at, lab := positions(code, maxLabel)
	prog := make([]bpf.Instruction, 0, len(code))
	for i, p := range code {
		switch p.kind {
		case pLabel:
			continue
		case pPlain:
			prog = append(prog, p.ins)
		case pJump:
			prog = append(prog, bpf.Jump{Skip: uint32(lab[p.jt] - at[i] - 1)})
		case pCond:
			st, sf := lab[p.jt]-at[i]-1, lab[p.jf]-at[i]-1
			if st < 0 || sf < 0 || st > 255 || sf > 255 {
				return nil, fmt.Errorf("internal: jump %d/%d out of range", st, sf)
			}
			if p.x {
				prog = append(prog, bpf.JumpIfX{Cond: p.cond, SkipTrue: uint8(st), SkipFalse: uint8(sf)})
			} else {
				prog = append(prog, bpf.JumpIf{Cond: p.cond, Val: p.val, SkipTrue: uint8(st), SkipFalse: uint8(sf)})
			}
		}
	}
	if len(prog) > MaxInstructions {
		return nil, fmt.Errorf("program of %d instructions is over the BPF limit of %d: %w", len(prog), MaxInstructions, errProgramTooLarge)
	}
	return prog, nil
}
