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
//   - parse ok and incomplete: try the children in order, first match wins
//     (from the child Message.Route names, when the node has routed m);
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
	children []*PkgParser
	kind     nodeKind // what the walk may run in place, from the fields above
}

// nodeKind says which nodes the walk runs in place (see parseChildren).
type nodeKind uint8

const (
	otherNode  nodeKind = iota
	leafNode            // a parse function, no fast-fail test, no children
	branchNode          // no parse function, no fast-fail test
)

// setKind sets p.kind from its fields.
func (p *PkgParser) setKind() {
	switch {
	case p.fastFail != nil:
		p.kind = otherNode
	case p.parse == nil:
		p.kind = branchNode
	case len(p.children) == 0:
		p.kind = leafNode
	default:
		p.kind = otherNode
	}
}

// NewPkgParser makes a node. fastFail may be nil (never fails fast); parse
// may be nil (always ok and incomplete: a pure branching node).
func NewPkgParser(name string, fastFail FastFailFunc, parse ParseFunc) *PkgParser {
	p := &PkgParser{name: name, fastFail: fastFail, parse: parse}
	p.setKind()
	return p
}

// Name is the node's name, for diagnostics.
func (p *PkgParser) Name() string { return p.name }

// Add appends children, tried in the order added, and returns p for chaining.
func (p *PkgParser) Add(children ...*PkgParser) *PkgParser {
	p.children = append(p.children, children...)
	p.setKind()
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
	m.routeAt = 0
	// parseNode and parseChildren, written out: the root is where every
	// message starts, and this saves a call per message.
	if p.parse != nil {
		ok, complete := p.parse(m)
		if !ok {
			return m.noMatch()
		}
		if complete {
			return true
		}
	}
	if l, i, j := p.routedLeaf(m); l != nil {
		m.routeAt += 2 << 8 // the route's two levels taken
		n, floor, mask := m.Attrs.mark()
		off, flags := m.Offset, m.Flags
		if ok, complete := l.parse(m); ok && complete {
			m.Attrs.rollback(n, floor, mask, false)
			if m.Err != nil { // most walks never fail: skip the store and its write barrier check
				m.Err = nil
			}
			return true
		}
		return p.afterRoutedLeaf(m, i, j, n, floor, mask, off, flags)
	}
	return p.parseChildrenFrom(m, m.nextRoute())
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
	return p.parseChildren(m)
}

// Route tells the walk which way m goes below the node whose parse function
// calls it, when that node has read the fields its branches are keyed by
// (Kafka's header node reads the API key and the version): the node's
// children are tried from index path[0] on, the children of that child
// from path[1] on, and so on down the tree, instead of each from the first.
// It turns a long list of branches into one jump per level, with no test
// or call per branch.
//
// It is an optimisation only: a route must never pass over a child that
// could match, so the first-match-wins order is kept. An index below zero
// starts at the first child; one at or past the last child tries none. A
// level the path does not reach, and every level below a child that failed
// (the walk has left the path), starts at the first child. Only the first
// MaxRoute levels are taken. A node below that calls Route replaces the
// route from its own children down.
func (m *Message) Route(path ...int) {
	// One store per level, not copy's one wide store: the walk reads the
	// levels back at once, and a narrow load from a wider store still in
	// flight stalls. The common route of two levels is written out.
	n := min(len(path), MaxRoute)
	if n == 2 {
		m.route[0], m.route[1] = path[0], path[1]
	} else {
		for i := 0; i < n; i++ {
			m.route[i] = path[i]
		}
	}
	m.routeAt = uint16(n) // at level 0 of n
}

// MaxRoute is the number of tree levels a Route covers.
const MaxRoute = 4

// nextRoute is the index the walk starts the next level's children at:
// the route's next step, or 0 off the route.
func (m *Message) nextRoute() int {
	at := m.routeAt
	pos := at >> 8
	if pos >= at&0xff {
		return 0
	}
	i := m.route[pos&(MaxRoute-1)]
	m.routeAt = at + 1<<8
	return max(i, 0)
}

// parseChildren tries p's children, first match wins, from where the
// route says. Its common path (Parse has a copy) is a route onto a pure
// branching node and from it onto a leaf (Kafka: the header routes to the
// API key's branch and its version's leaf): the leaf runs with the
// branching node's mark (the node sets no attributes), and only when it
// fails does the walk go on as parseChildrenFrom would have after that
// leaf.
func (p *PkgParser) parseChildren(m *Message) bool {
	if l, i, j := p.routedLeaf(m); l != nil {
		m.routeAt += 2 << 8 // the route's two levels taken
		n, floor, mask := m.Attrs.mark()
		off, flags := m.Offset, m.Flags
		if ok, complete := l.parse(m); ok && complete {
			m.Attrs.rollback(n, floor, mask, false)
			if m.Err != nil { // most walks never fail: skip the store and its write barrier check
				m.Err = nil
			}
			return true
		}
		return p.afterRoutedLeaf(m, i, j, n, floor, mask, off, flags)
	}
	return p.parseChildrenFrom(m, m.nextRoute())
}

// routedLeaf is, when the node p has just set a route of two levels or
// more onto a pure branching child and from it onto a leaf, that leaf and
// the two indexes (the caller takes the two levels from the route); nil
// otherwise.
func (p *PkgParser) routedLeaf(m *Message) (*PkgParser, int, int) {
	if at := m.routeAt; at-2 < 1<<8-2 { // a route of 2 levels or more set by p (at level 0: at < 1<<8)
		i, j := m.route[0], m.route[1]
		if uint(i) < uint(len(p.children)) {
			if c := p.children[i]; c.kind == branchNode && uint(j) < uint(len(c.children)) {
				if l := c.children[j]; l.kind == leafNode {
					return l, i, j
				}
			}
		}
	}
	return nil, 0, 0
}

// afterRoutedLeaf goes on after the leaf j of p's pure branching child i
// failed: with the rest of that child's children, under its mark, then
// with p's children after it.
func (p *PkgParser) afterRoutedLeaf(m *Message, i, j, n, floor int, mask uint64, off int, flags Flags) bool {
	c := p.children[i]
	m.noMatch()
	m.Attrs.rollback(n, n, 0, true)
	m.Offset, m.Flags, m.routeAt = off, flags, 0
	matched := c.parseChildrenFrom(m, j+1)
	m.Attrs.rollback(n, floor, mask, !matched)
	if matched {
		m.Err = nil
		return true
	}
	m.Offset, m.Flags = off, flags
	return p.parseChildrenFrom(m, i+1)
}

// parseChildrenFrom tries p's children from index i on, first match wins.
//
// The walk's common path is one jump per tree level onto a child that
// matches (Kafka: header, API branch, version leaf), so two kinds of
// child are run here in place instead of through a call of their own,
// each deciding as parseNode would: a leaf (a parse function and no
// children) matches only when its parse completes; a pure branching node
// (no parse function) goes straight to its children, and when its route
// lands on a leaf, that leaf is run here too (the branching node sets no
// attributes, so the leaf shares its mark), the rest of its children
// only if the leaf fails. Any child that fails takes the walk off the
// route.
func (p *PkgParser) parseChildrenFrom(m *Message, i int) bool {
	cs := p.children
	off, flags := m.Offset, m.Flags
	for ; i < len(cs); i++ {
		c := cs[i]
		// A child that fails fast has nothing to roll back.
		if c.fastFail != nil && c.fastFail(m) {
			m.routeAt = 0
			continue
		}
		n, floor, mask := m.Attrs.mark()
		var matched bool
		switch {
		case c.parse == nil:
			j := m.nextRoute()
			if j < len(c.children) && c.children[j].kind == leafNode {
				ok, complete := c.children[j].parse(m)
				if matched = ok && complete; !matched {
					m.noMatch()
					m.Attrs.rollback(n, n, 0, true)
					m.Offset, m.Flags, m.routeAt = off, flags, 0
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
		m.Offset, m.Flags, m.routeAt = off, flags, 0
	}
	return m.noMatch()
}

// noMatch makes sure a failed walk says why, and returns false.
func (m *Message) noMatch() bool {
	if m.Err == nil {
		m.Err = ErrNoMatch
	}
	return false
}
