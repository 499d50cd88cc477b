package parser

// FastFailFunc reports, cheaply and without side effects, that a message is
// certainly not one this node parses. It must not allocate; it is run on
// every candidate message and on the first bytes of every new stream.
type FastFailFunc func(m *Message) bool

// ParseFunc parses what this node is responsible for, starting at
// m.Offset. It returns ok=false when the message is not this node's
// (optionally saying why through m.Fail), ok=true with complete=true when
// the message is fully parsed, and ok=true with complete=false when the
// node has read its part and its children must go on from m.Offset.
type ParseFunc func(m *Message) (ok, complete bool)

// PkgParser is a node of a parser tree, after Kindling's PkgParser: a common
// header node at the root, then branches (for Kafka: per API key, then per
// version). Build a tree with NewPkgParser and Add, then call Parse on the
// root for each message.
//
// The walk, for a node:
//   - fastFail true: no match;
//   - parse not ok: no match;
//   - parse ok and complete: match;
//   - parse ok and incomplete: try the children in order, first match wins;
//     no child matching is no match.
//
// A child that fails leaves no trace: the offset and every attribute it set
// (including values it overwrote) are rolled back before the next child
// runs. A tree is safe for concurrent use once built, as long as each
// goroutine parses its own Message.
type PkgParser struct {
	name     string
	fastFail FastFailFunc
	parse    ParseFunc
	skip     func(m *Message) int
	children []*PkgParser
}

// NewPkgParser makes a node. fastFail may be nil (never fails fast); parse
// may be nil (always ok and incomplete: a pure branching node).
func NewPkgParser(name string, fastFail FastFailFunc, parse ParseFunc) *PkgParser {
	return &PkgParser{name: name, fastFail: fastFail, parse: parse}
}

// Name is the node's name, for diagnostics.
func (p *PkgParser) Name() string { return p.name }

// Add appends children, tried in the order added, and returns p for chaining.
func (p *PkgParser) Add(children ...*PkgParser) *PkgParser {
	p.children = append(p.children, children...)
	return p
}

// Skip gives p a function that says how many of its leading children
// cannot match m, so the walk starts at the first one that can. It turns a
// long list of branches keyed by a field the node has read (Kafka's API
// key, then its version) into a jump instead of a fastFail per branch.
// It is an optimisation only: it must never skip a child that could
// match, so the first-match-wins order is kept. A result below zero starts
// at the first child; one at or past the end tries none.
func (p *PkgParser) Skip(f func(m *Message) int) *PkgParser {
	p.skip = f
	return p
}

// Children returns the node's children (do not modify).
func (p *PkgParser) Children() []*PkgParser { return p.children }

// FastFail runs only this node's fastFail: true means m is certainly not
// parsed by this tree. Detection runs it on the root of each protocol.
func (p *PkgParser) FastFail(m *Message) bool {
	return p.fastFail != nil && p.fastFail(m)
}

// Parse walks the tree rooted at p over m and reports whether some path
// completed the message. On failure the attributes the root node itself
// set are kept (so header fields survive an unknown body) and m.Err says
// why when a node said so; everything children set is rolled back.
func (p *PkgParser) Parse(m *Message) bool {
	if p.fastFail != nil && p.fastFail(m) {
		return m.noMatch()
	}
	// parseNode, written out: the root is where every message starts.
	if p.parse != nil {
		ok, complete := p.parse(m)
		if !ok {
			return m.noMatch()
		}
		if complete {
			return true
		}
	}
	return p.parseChildrenFrom(m, p.first(m))
}

// parseNode is Parse once fastFail has passed.
func (p *PkgParser) parseNode(m *Message) bool {
	if p.parse != nil {
		ok, complete := p.parse(m)
		if !ok {
			return m.noMatch()
		}
		if complete {
			return true
		}
	}
	return p.parseChildrenFrom(m, p.first(m))
}

// first is the index of the first child that can match m: Skip's answer
// clamped to [0, len(children)], or 0 without Skip.
func (p *PkgParser) first(m *Message) int {
	if p.skip == nil {
		return 0
	}
	return min(max(p.skip(m), 0), len(p.children))
}

// parseChildrenFrom tries p's children from index i on, first match wins.
//
// The walk's common path is one jump per tree level onto a child that
// matches (Kafka: header, API branch, version leaf), so two kinds of
// child are run here in place instead of through a call of their own,
// each deciding as parseNode would: a leaf (a parse function and no
// children) matches only when its parse completes; a pure branching node
// (no parse function) goes straight to its children, and when its jump
// lands on a leaf, that leaf is run here too (the branching node sets no
// attributes, so the leaf shares its mark), the rest of its children
// only if the leaf fails.
func (p *PkgParser) parseChildrenFrom(m *Message, i int) bool {
	cs := p.children
	off, flags := m.Offset, m.Flags
	for ; i < len(cs); i++ {
		c := cs[i]
		// A child that fails fast has nothing to roll back.
		if c.fastFail != nil && c.fastFail(m) {
			continue
		}
		n, floor, mask := m.Attrs.mark()
		var matched bool
		switch {
		case c.parse == nil:
			j := c.first(m)
			if j < len(c.children) && c.children[j].isLeaf() {
				ok, complete := c.children[j].parse(m)
				if matched = ok && complete; !matched {
					m.noMatch()
					m.Attrs.rollback(n, n, 0, true)
					m.Offset, m.Flags = off, flags
					matched = c.parseChildrenFrom(m, j+1)
				}
			} else {
				matched = c.parseChildrenFrom(m, j)
			}
		case len(c.children) == 0:
			ok, complete := c.parse(m)
			if matched = ok && complete; !matched {
				m.noMatch()
			}
		default:
			matched = c.parseNode(m)
		}
		m.Attrs.rollback(n, floor, mask, !matched)
		if matched {
			if m.Err != nil { // most walks never fail: skip the store and its write barrier check
				m.Err = nil
			}
			return true
		}
		m.Offset = off
		m.Flags = flags
	}
	return m.noMatch()
}

// isLeaf reports whether p is a leaf the walk runs in place: a parse
// function, no fast-fail test and no children.
func (p *PkgParser) isLeaf() bool {
	return p.parse != nil && p.fastFail == nil && len(p.children) == 0
}

// noMatch makes sure a failed walk says why, and returns false.
func (m *Message) noMatch() bool {
	if m.Err == nil {
		m.Err = ErrNoMatch
	}
	return false
}
