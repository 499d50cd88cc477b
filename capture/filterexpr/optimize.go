package filterexpr

import (
	"strconv"

	"golang.org/x/net/bpf"
)

// The optimizer makes programs shorter without changing what they accept
// on any packet, truncated ones included:
//
//   - jump threading: a test whose outcome is already known on every path
//     that reaches it (the same packet word was tested before: "ldh [12]
//     jeq #0x800" after "ip" matched) becomes an unconditional jump;
//   - unreachable code is removed;
//   - a load whose value is never used is removed, but only if the same
//     load has already succeeded on every path to it, so no load that could
//     fall off the end of the packet (and reject it) disappears.
//
// All jumps go forward, so each pass is one walk in program order.

// fact is a known outcome of a test on a value.
type fact struct {
	cond bpf.JumpTest
	val  uint32
	res  bool
}

// state is what is known at a point of the program.
type state struct {
	a, x   string            // what A and X hold ("" unknown): a key naming a pure value
	facts  map[string][]fact // outcomes of tests on values, by key
	loaded map[string]bool   // packet loads that succeeded on every path here
}

// maxFacts bounds the work per state on hostile programs.
const maxFacts = 64

func (s *state) clone() *state {
	c := &state{a: s.a, x: s.x, facts: make(map[string][]fact, len(s.facts)), loaded: make(map[string]bool, len(s.loaded))}
	for k, v := range s.facts {
		c.facts[k] = v
	}
	for k := range s.loaded {
		c.loaded[k] = true
	}
	return c
}

// meet is what holds on both paths.
func meet(s, o *state) *state {
	if s == nil {
		return o
	}
	if o == nil {
		return s
	}
	c := &state{facts: map[string][]fact{}, loaded: map[string]bool{}}
	if s.a == o.a {
		c.a = s.a
	}
	if s.x == o.x {
		c.x = s.x
	}
	for k, fs := range s.facts {
		ofs, ok := o.facts[k]
		if !ok {
			continue
		}
		var both []fact
		for _, f := range fs {
			for _, g := range ofs {
				if f == g {
					both = append(both, f)
					break
				}
			}
		}
		if len(both) > 0 {
			c.facts[k] = both
		}
	}
	for k := range s.loaded {
		if o.loaded[k] {
			c.loaded[k] = true
		}
	}
	return c
}

func (s *state) addFact(key string, f fact) {
	if key == "" || len(s.facts) >= maxFacts && s.facts[key] == nil {
		return
	}
	fs := s.facts[key]
	for _, g := range fs {
		if g == f {
			return
		}
	}
	s.facts[key] = append(fs[:len(fs):len(fs)], f)
}

func evalCond(c bpf.JumpTest, a, v uint32) bool {
	switch c {
	case bpf.JumpEqual:
		return a == v
	case bpf.JumpGreaterThan:
		return a > v
	case bpf.JumpGreaterOrEqual:
		return a >= v
	case bpf.JumpBitsSet:
		return a&v != 0
	}
	return false
}

// known returns the outcome of testing key with (c, v), if the facts
// decide it.
func (s *state) known(key string, c bpf.JumpTest, v uint32) (res, ok bool) {
	if key == "" {
		return false, false
	}
	if k, isConst := constKey(key); isConst {
		return evalCond(c, k, v), true
	}
	for _, f := range s.facts[key] {
		if f.cond == c && f.val == v {
			return f.res, true
		}
		if f.cond == bpf.JumpEqual && f.res {
			return evalCond(c, f.val, v), true
		}
		if c == bpf.JumpEqual && f.cond == bpf.JumpEqual && !f.res && f.val == v {
			return false, true
		}
	}
	return false, false
}

func constKey(key string) (uint32, bool) {
	if len(key) > 2 && key[:2] == "k:" {
		v, err := strconv.ParseUint(key[2:], 10, 32)
		return uint32(v), err == nil
	}
	return 0, false
}

func u(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// transfer applies a straight-line instruction to the state and reports
// whether the instruction is a load whose success the state already
// guarantees (so it can go if its result is unused).
func (s *state) transfer(in bpf.Instruction) (redundant bool) {
	switch in := in.(type) {
	case bpf.LoadAbsolute:
		key := "abs:" + u(in.Off) + ":" + strconv.Itoa(in.Size)
		redundant = s.loaded[key]
		s.a = key
		s.loaded[key] = true
	case bpf.LoadIndirect:
		if s.x == "" {
			s.a = ""
			return false
		}
		key := "ind:" + s.x + ":" + u(in.Off) + ":" + strconv.Itoa(in.Size)
		redundant = s.loaded[key]
		s.a = key
		s.loaded[key] = true
	case bpf.LoadMemShift:
		key := "msh:" + u(in.Off)
		redundant = s.loaded[key]
		s.x = key
		s.loaded[key] = true
	case bpf.LoadExtension:
		s.a = "ext:" + strconv.Itoa(int(in.Num))
		redundant = true
	case bpf.LoadConstant:
		if in.Dst == bpf.RegA {
			s.a = "k:" + u(in.Val)
		} else {
			s.x = "k:" + u(in.Val)
		}
		redundant = true
	case bpf.ALUOpConstant:
		if k, ok := constKey(s.a); ok {
			s.a = "k:" + u(aluConst(in.Op, k, in.Val))
		} else if s.a != "" {
			s.a = "(" + s.a + ")" + strconv.Itoa(int(in.Op)) + ":" + u(in.Val)
		}
		redundant = true
	case bpf.TAX:
		s.x = s.a
		redundant = true
	case bpf.TXA:
		s.a = s.x
		redundant = true
	case bpf.LoadScratch:
		if in.Dst == bpf.RegA {
			s.a = ""
		} else {
			s.x = ""
		}
		redundant = true
	case bpf.NegateA:
		s.a = ""
		redundant = true
	case bpf.ALUOpX:
		// Division by X = 0 rejects the packet: never removable.
		s.a = ""
	default:
		s.a, s.x = "", ""
	}
	return redundant
}

func aluConst(op bpf.ALUOp, a, v uint32) uint32 {
	switch op {
	case bpf.ALUOpAdd:
		return a + v
	case bpf.ALUOpSub:
		return a - v
	case bpf.ALUOpMul:
		return a * v
	case bpf.ALUOpDiv:
		return a / v // v != 0: the parser rejects division by a constant 0
	case bpf.ALUOpMod:
		return a % v
	case bpf.ALUOpOr:
		return a | v
	case bpf.ALUOpAnd:
		return a & v
	case bpf.ALUOpShiftLeft:
		return a << v
	case bpf.ALUOpShiftRight:
		return a >> v
	case bpf.ALUOpXor:
		return a ^ v
	}
	return 0
}

// thread does jump threading and drops unreachable code. removable[i]
// tells whether code[i] of the result is a load already guaranteed to
// succeed.
func thread(code []pseudo) (out []pseudo, removable []bool) {
	pending := map[int]*state{}
	var cur *state = &state{facts: map[string][]fact{}, loaded: map[string]bool{}}
	out = make([]pseudo, 0, len(code))
	for _, p := range code {
		switch p.kind {
		case pLabel:
			cur = meet(cur, pending[p.jt])
			delete(pending, p.jt)
			out = append(out, p)
			removable = append(removable, false)
			continue
		}
		if cur == nil {
			continue // unreachable
		}
		switch p.kind {
		case pPlain:
			if cur.holds(p.ins) {
				continue // the register already holds this value
			}
			red := cur.transfer(p.ins)
			out = append(out, p)
			removable = append(removable, red)
			switch p.ins.(type) {
			case bpf.RetA, bpf.RetConstant:
				cur = nil
			}
		case pJump:
			pending[p.jt] = meet(pending[p.jt], cur)
			out = append(out, p)
			removable = append(removable, false)
			cur = nil
		case pCond:
			if !p.x {
				if res, ok := cur.known(cur.a, p.cond, p.val); ok {
					t := p.jf
					if res {
						t = p.jt
					}
					pending[t] = meet(pending[t], cur)
					out = append(out, pseudo{kind: pJump, jt: t})
					removable = append(removable, false)
					cur = nil
					continue
				}
			}
			if p.jt == p.jf {
				pending[p.jt] = meet(pending[p.jt], cur)
				out = append(out, pseudo{kind: pJump, jt: p.jt})
				removable = append(removable, false)
				cur = nil
				continue
			}
			ts, fs := cur.clone(), cur
			if !p.x {
				ts.addFact(cur.a, fact{cond: p.cond, val: p.val, res: true})
				fs.addFact(cur.a, fact{cond: p.cond, val: p.val, res: false})
			}
			pending[p.jt] = meet(pending[p.jt], ts)
			pending[p.jf] = meet(pending[p.jf], fs)
			out = append(out, p)
			removable = append(removable, false)
			cur = nil
		}
	}
	return out, removable
}

// holds reports whether in is a packet load (or constant) whose value
// the register it sets already holds; such a load succeeded before.
func (s *state) holds(in bpf.Instruction) bool {
	switch in := in.(type) {
	case bpf.LoadAbsolute:
		return s.a != "" && s.a == "abs:"+u(in.Off)+":"+strconv.Itoa(in.Size)
	case bpf.LoadIndirect:
		return s.a != "" && s.x != "" && s.a == "ind:"+s.x+":"+u(in.Off)+":"+strconv.Itoa(in.Size)
	case bpf.LoadMemShift:
		return s.x != "" && s.x == "msh:"+u(in.Off)
	case bpf.LoadExtension:
		return s.a != "" && s.a == "ext:"+strconv.Itoa(int(in.Num))
	case bpf.LoadConstant:
		if in.Dst == bpf.RegA {
			return s.a == "k:"+u(in.Val)
		}
		return s.x == "k:"+u(in.Val)
	}
	return false
}

// uses and defs of registers A (1) and X (2).
func regUse(p pseudo) (use, def int) {
	switch p.kind {
	case pCond:
		if p.x {
			return 3, 0
		}
		return 1, 0
	case pPlain:
	default:
		return 0, 0
	}
	switch in := p.ins.(type) {
	case bpf.LoadAbsolute, bpf.LoadExtension:
		return 0, 1
	case bpf.LoadIndirect:
		return 2, 1
	case bpf.LoadMemShift:
		return 0, 2
	case bpf.LoadConstant:
		if in.Dst == bpf.RegA {
			return 0, 1
		}
		return 0, 2
	case bpf.LoadScratch:
		if in.Dst == bpf.RegA {
			return 0, 1
		}
		return 0, 2
	case bpf.ALUOpConstant, bpf.NegateA:
		return 1, 1
	case bpf.ALUOpX:
		return 3, 1
	case bpf.TAX:
		return 1, 2
	case bpf.TXA:
		return 2, 1
	case bpf.StoreScratch:
		if in.Src == bpf.RegA {
			return 1, 0
		}
		return 2, 0
	case bpf.RetA:
		return 1, 0
	case bpf.RetConstant:
		return 0, 0
	}
	return 3, 3
}

// dropDead removes removable instructions whose result no later
// instruction reads.
func dropDead(code []pseudo, removable []bool) []pseudo {
	labelAt := map[int]int{}
	for i, p := range code {
		if p.kind == pLabel {
			labelAt[p.jt] = i
		}
	}
	live := make([]int, len(code)+1) // registers live on entry to code[i]
	keep := make([]bool, len(code))
	for i := len(code) - 1; i >= 0; i-- {
		p := code[i]
		var out int
		switch p.kind {
		case pCond:
			out = live[labelAt[p.jt]] | live[labelAt[p.jf]]
		case pJump:
			out = live[labelAt[p.jt]]
		default:
			out = live[i+1]
			if p.kind == pPlain {
				switch p.ins.(type) {
				case bpf.RetA, bpf.RetConstant:
					out = 0
				}
			}
		}
		use, def := regUse(p)
		keep[i] = true
		if p.kind == pPlain && removable[i] && def != 0 && out&def == 0 {
			keep[i] = false
			live[i] = out
			continue
		}
		live[i] = use | out&^def
	}
	res := code[:0]
	for i, p := range code {
		if keep[i] {
			res = append(res, p)
		}
	}
	return res
}

// optimize runs the passes until the program stops shrinking (at most a
// few rounds).
func optimize(code []pseudo) []pseudo {
	for round := 0; round < 4; round++ {
		n := len(code)
		var removable []bool
		code, removable = thread(code)
		code = dropDead(code, removable)
		code = dropJumpsToNext(code)
		if len(code) == n {
			break
		}
	}
	return code
}
