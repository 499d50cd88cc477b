package parser

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// refParse is the walk as PkgParser's and Route's documentation state it,
// written the plain recursive way (the walk before its in-place fast paths
// for leaves and pure branching nodes), with the route handed down as an
// argument: FuzzWalk checks PkgParser.Parse against it.
func refParse(p *PkgParser, m *Message) bool {
	if p.fastFail != nil && p.fastFail(m) {
		return m.noMatch()
	}
	return refNode(p, m, nil)
}

// refNode walks p, whose children take the route path unless p's parse
// function sets its own.
func refNode(p *PkgParser, m *Message, path []int) bool {
	complete := false
	if p.parse != nil {
		var ok bool
		m.routeAt = 0xffff // Route sets the high byte to 0
		ok, complete = p.parse(m)
		if m.routeAt>>8 == 0 {
			path = nil
			path = append(path, m.route[:m.routeAt&0xff]...)
		}
		if !ok {
			return m.noMatch()
		}
	}
	if complete {
		return true
	}
	start, below := 0, []int(nil)
	if len(path) > 0 {
		start, below = max(path[0], 0), path[1:]
	}
	off := m.Offset
	for i := start; i < len(p.children); i++ {
		c := p.children[i]
		var childPath []int
		if i == start { // the first child tried is on the route, the rest are not
			childPath = below
		}
		if c.fastFail != nil && c.fastFail(m) {
			continue
		}
		n, floor, mask := m.Attrs.mark()
		flags := m.Flags
		matched := refNode(c, m, childPath)
		m.Attrs.rollback(n, floor, mask, !matched)
		if matched {
			m.Err = nil
			return true
		}
		m.Offset = off
		m.Flags = flags
	}
	return m.noMatch()
}

// fuzzTree builds a tree from shape bytes: each node is, by its byte, a
// leaf, a node with a parse function and children, or a pure branching
// node, with or without a fast-fail test and a Route. What a node does
// depends on the message bytes, so one tree meets many messages: parse
// reads the byte at Offset (failing, with or without an error, when there
// is none), sets an attribute of its own and overwrites a shared one
// (rollback must restore it), sets a flag, and says ok and complete from
// the byte; fast-fail and Route look at the first and last bytes (Route
// from a parse function, of 0 to 5 levels, some of them out of range).
func fuzzTree(shape []byte) *PkgParser {
	id := 0
	var build func(depth int) *PkgParser
	build = func(depth int) *PkgParser {
		var b byte
		if len(shape) > 0 {
			b, shape = shape[0], shape[1:]
		}
		id++
		me := id
		name := "n" + strconv.Itoa(me)
		var fastFail FastFailFunc
		if b&1 != 0 {
			fastFail = func(m *Message) bool {
				return len(m.Data) > 0 && (int(m.Data[0])+me)%5 == 0
			}
		}
		kind := (b >> 1) % 3 // 0 leaf, 1 parse + children, 2 pure branching
		if depth >= 3 {
			kind = 0
		}
		var parse ParseFunc
		if kind != 2 {
			route := b&0x40 != 0
			parse = func(m *Message) (bool, bool) {
				if route && len(m.Data) > 0 {
					last := int(m.Data[len(m.Data)-1]) + me
					path := make([]int, last%6)
					for i := range path {
						path[i] = (last+i*7)%6 - 1
						if i == 2 {
							path[i] += 1 << 40 // past any child
						}
					}
					m.Route(path...)
				}
				if m.Offset >= len(m.Data) {
					if me%2 == 0 {
						return m.Fail(ErrShort)
					}
					return false, false
				}
				v := int(m.Data[m.Offset]) + me
				m.Attrs.SetInt(name, int64(v))
				m.Attrs.SetInt("shared", int64(me))
				m.Attrs.Add("added", IntValue(int64(me)))
				m.Flags |= Flags(1) << (me % 8)
				m.Offset++
				if v%7 == 0 {
					return m.Fail(fmt.Errorf("node %d says no", me))
				}
				return v%5 != 0, v%3 == 0
			}
		}
		p := NewPkgParser(name, fastFail, parse)
		if kind != 0 {
			for range 1 + int(b>>3)%4 {
				p.Add(build(depth + 1))
			}
		}
		return p
	}
	return build(0)
}

// FuzzWalk checks the walk against refParse on random trees and
// messages: the same match, attributes (in order, with their values),
// offset, flags and error.
func FuzzWalk(f *testing.F) {
	f.Add([]byte{0x0a, 0x42, 0x04, 0x00, 0x45, 0x02}, []byte{3, 9, 27, 1})
	f.Add([]byte{0x5c, 0x44, 0x00, 0x01, 0x40, 0x04, 0x00}, []byte{15, 0, 7, 2, 5})
	f.Add([]byte{0x1c, 0x04, 0x44, 0x00, 0x00, 0x02, 0x00}, []byte{})
	f.Fuzz(func(t *testing.T, shape, data []byte) {
		if len(shape) > 64 || len(data) > 64 {
			return
		}
		tree := fuzzTree(shape)
		var got, want Message
		got.Reset(data, Request)
		want.Reset(data, Request)
		gotOK, wantOK := tree.Parse(&got), refParse(tree, &want)
		if gotOK != wantOK || got.Offset != want.Offset || got.Flags != want.Flags || fmt.Sprint(got.Err) != fmt.Sprint(want.Err) {
			t.Fatalf("walk %v off %d flags %b err %v; reference %v off %d flags %b err %v",
				gotOK, got.Offset, got.Flags, got.Err, wantOK, want.Offset, want.Flags, want.Err)
		}
		if !slices.Equal(got.Attrs.list, want.Attrs.list) || got.Attrs.floor != want.Attrs.floor || got.Attrs.mask != want.Attrs.mask {
			t.Fatalf("attributes %v (floor %d mask %x); reference %v (floor %d mask %x)",
				got.Attrs.list, got.Attrs.floor, got.Attrs.mask, want.Attrs.list, want.Attrs.floor, want.Attrs.mask)
		}
	})
}
