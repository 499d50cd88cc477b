package parser

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree: root reads 1 byte "kind" into t.kind; child A matches kind 'a' and
// reads 2 more bytes; child B matches anything and reads 1 byte.
func testTree() *PkgParser {
	root := NewPkgParser("root", func(m *Message) bool { return len(m.Data) == 0 }, func(m *Message) (bool, bool) {
		r := m.Reader()
		k := r.Bytes(1)
		if r.Err() != nil {
			return m.Fail(r.Err())
		}
		m.Attrs.SetBytesString("t.kind", k)
		m.Attrs.SetString("t.shadow", "root")
		m.Advance(r.Offset())
		return true, false
	})
	a := NewPkgParser("a", func(m *Message) bool { return m.Data[0] != 'a' }, func(m *Message) (bool, bool) {
		m.Attrs.SetString("t.shadow", "a")
		m.Attrs.SetString("t.a", "set")
		m.Flags |= OneWay
		r := m.Reader()
		v := r.Bytes(2)
		if r.Err() != nil {
			return m.Fail(r.Err())
		}
		m.Attrs.SetBytesString("t.val", v)
		m.Advance(2)
		return true, true
	})
	b := NewPkgParser("b", nil, func(m *Message) (bool, bool) {
		r := m.Reader()
		v := r.Bytes(1)
		if r.Err() != nil {
			return m.Fail(r.Err())
		}
		m.Attrs.SetBytesString("t.val", v)
		m.Advance(1)
		return true, true
	})
	return root.Add(a, b)
}

func TestPkgParserWalk(t *testing.T) {
	tree := testTree()
	var m Message
	tests := []struct {
		in      string
		ok      bool
		val     string
		shadow  string
		hasA    bool
		offset  int
		oneWay  bool
		errIs   error
		hasKind bool
	}{
		{in: "axy", ok: true, val: "xy", shadow: "a", hasA: true, offset: 3, oneWay: true, hasKind: true},
		// 'a' child fails on short input: rolled back (t.a, shadow, flag), b wins.
		{in: "ax", ok: true, val: "x", shadow: "root", offset: 2, hasKind: true},
		{in: "bz", ok: true, val: "z", shadow: "root", offset: 2, hasKind: true},
		// no child matches: root's attributes survive, error says why.
		{in: "b", ok: false, shadow: "root", offset: 1, errIs: ErrShort, hasKind: true},
		{in: "", ok: false},
	}
	for _, tc := range tests {
		m.Reset([]byte(tc.in), Request)
		ok := tree.Parse(&m)
		require.Equal(t, tc.ok, ok, tc.in)
		v, _ := m.Attrs.String("t.val")
		assert.Equal(t, tc.val, v, tc.in)
		s, _ := m.Attrs.String("t.shadow")
		assert.Equal(t, tc.shadow, s, tc.in)
		assert.Equal(t, tc.hasA, m.Attrs.Has("t.a"), tc.in)
		assert.Equal(t, tc.hasKind, m.Attrs.Has("t.kind"), tc.in)
		assert.Equal(t, tc.oneWay, m.Flags&OneWay != 0, tc.in)
		if tc.ok {
			assert.Equal(t, tc.offset, m.Offset, tc.in)
			assert.NoError(t, m.Err)
		}
		if tc.errIs != nil {
			assert.True(t, errors.Is(m.Err, tc.errIs), "%s: %v", tc.in, m.Err)
		}
	}
}

func TestAttributesShadowAndAll(t *testing.T) {
	var a Attributes
	a.SetString("k1", "v1")
	a.SetInt("k2", 2)
	a.SetInt("k2", 3) // same node: overwritten in place
	n, floor, mask := a.mark()
	a.SetString("k1", "child") // child shadows
	a.SetBool("k3", true)
	v, _ := a.String("k1")
	assert.Equal(t, "child", v)
	assert.Equal(t, 3, a.Len())
	var keys []string
	for k := range a.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"k1", "k2", "k3"}, keys)
	a.rollback(n, floor, mask, true)
	v, _ = a.String("k1")
	assert.Equal(t, "v1", v)
	assert.False(t, a.Has("k3"))
	i, _ := a.Int("k2")
	assert.Equal(t, int64(3), i)
	assert.Equal(t, `{"k1":"v1","k2":3}`, string(a.AppendJSON(nil)))
}

func TestAttributesCopyFromOwnsBytes(t *testing.T) {
	buf := []byte("hello world")
	var src, dst Attributes
	src.SetBytesString("s", buf[:5])
	src.SetBytes("b", buf[6:])
	src.SetInt("n", 7)
	dst.CopyFrom(&src)
	copy(buf, "XXXXXXXXXXX") // the message buffer is reused
	s, _ := dst.String("s")
	assert.Equal(t, "hello", s)
	b, _ := dst.Get("b")
	assert.Equal(t, []byte("world"), b.Bytes())
	assert.Equal(t, KindBytes, b.Kind())
	n, _ := dst.Int("n")
	assert.Equal(t, int64(7), n)
}

func TestReaderSticky(t *testing.T) {
	r := NewReader([]byte{0, 1, 0, 0, 0, 2, 0xac, 0x02, 9})
	assert.Equal(t, int16(1), r.Int16())
	assert.Equal(t, int32(2), r.Int32())
	assert.Equal(t, uint64(300), r.Uvarint())
	assert.Equal(t, 1, r.Len())
	assert.Nil(t, r.Bytes(5)) // too long: sticky error, nothing allocated
	assert.ErrorIs(t, r.Err(), ErrShort)
	assert.Equal(t, uint8(0), r.Uint8()) // later reads return zero
	assert.Equal(t, 0, r.Len())
	r.Reset([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	r.Uvarint()
	assert.ErrorIs(t, r.Err(), ErrMalformed)
	r.Reset([]byte{1})
	r.Bytes(-1)
	assert.ErrorIs(t, r.Err(), ErrShort)
}

func TestReaderTake(t *testing.T) {
	r := NewReader([]byte{1, 2, 3, 4, 5})
	assert.Equal(t, []byte{1, 2}, r.Take(2))
	assert.Nil(t, r.Take(4)) // 3 left: nothing taken, no error
	assert.NoError(t, r.Err())
	assert.Nil(t, r.Take(-1))
	assert.Equal(t, 3, r.Len())
	p := r.Take(3)
	assert.Equal(t, []byte{3, 4, 5}, p)
	assert.Equal(t, 3, cap(p)) // appending to it cannot write past the run
	assert.Equal(t, 0, r.Len())
	r.Reset([]byte{1})
	r.Bytes(2) // fails: a failed reader takes nothing
	assert.Nil(t, r.Take(0))
}

func TestAttributesAdd(t *testing.T) {
	var a Attributes
	a.Add("k", IntValue(1))
	a.Add("j", StringValue("x"))
	a.Add("k", IntValue(2)) // the later value wins
	n, _ := a.Int("k")
	assert.Equal(t, int64(2), n)
	assert.Equal(t, 2, a.Len())
	assert.Equal(t, `{"k":2,"j":"x"}`, string(a.AppendJSON(nil)))
}

func TestValueKindsAndEmptyStrings(t *testing.T) {
	var src, dst Attributes
	buf := []byte("abc")
	src.SetBytesString("empty", buf[:0])
	src.SetString("lit", "")
	src.SetBytes("b", buf)
	src.SetBool("t", true)
	dst.CopyFrom(&src)
	s, ok := dst.String("empty")
	assert.True(t, ok)
	assert.Equal(t, "", s)
	v, _ := dst.Get("b")
	assert.Equal(t, []byte("abc"), v.Bytes())
	assert.True(t, v.Equal(BytesValue([]byte("abc"))))
	assert.False(t, v.Equal(StringValue("abc")))
	assert.True(t, StringValue("x").Equal(StringValue(string([]byte{'x'}))))
	b, _ := dst.Bool("t")
	assert.True(t, b)
	assert.Equal(t, "abc", v.Str())
	assert.Equal(t, []byte("abc"), v.Any())
	assert.Nil(t, IntValue(3).Bytes())
	assert.Equal(t, `{"empty":"","lit":"","b":"YWJj","t":true}`, string(dst.AppendJSON(nil)))
}

func TestRoute(t *testing.T) {
	var tried []string
	child := func(name string, match bool) *PkgParser {
		return NewPkgParser(name, nil, func(m *Message) (bool, bool) {
			tried = append(tried, name)
			return match, true
		})
	}
	skip := 0
	root := NewPkgParser("root", nil, func(m *Message) (bool, bool) {
		m.Route(skip)
		return true, false
	}).Add(child("a", false), child("b", false), child("c", true), child("d", true))
	var m Message
	for _, tc := range []struct {
		skip  int
		ok    bool
		tried []string
	}{
		{0, true, []string{"a", "b", "c"}},
		{2, true, []string{"c"}},
		{3, true, []string{"d"}},
		{-5, true, []string{"a", "b", "c"}},
		{4, false, nil},
		{99, false, nil},
	} {
		tried, skip = nil, tc.skip
		m.Reset([]byte("x"), Request)
		assert.Equal(t, tc.ok, root.Parse(&m), "skip %d", tc.skip)
		assert.Equal(t, tc.tried, tried, "skip %d", tc.skip)
	}

	// Two levels through pure branching nodes, as Kafka's header routes to
	// an API key's branch, then to a version: a branch that fails takes
	// the walk off the route, and the next branch starts at its first child.
	var path []int
	two := NewPkgParser("root", nil, func(m *Message) (bool, bool) {
		m.Route(path...)
		return true, false
	}).Add(
		NewPkgParser("x", nil, nil).Add(child("x0", false), child("x1", true)),
		NewPkgParser("y", nil, nil).Add(child("y0", true), child("y1", true), child("y2", true)),
	)
	for _, tc := range []struct {
		path  []int
		tried []string
	}{
		{[]int{1, 2}, []string{"y2"}},
		{[]int{0, 0}, []string{"x0", "x1"}},
		{[]int{0, 1}, []string{"x1"}},
		{[]int{0, 5}, []string{"y0"}},
		{[]int{1}, []string{"y0"}},
		{nil, []string{"x0", "x1"}},
		{[]int{1, 1, 7, 7, 7, 7}, []string{"y1"}},
	} {
		tried, path = nil, tc.path
		m.Reset([]byte("x"), Request)
		assert.True(t, two.Parse(&m), "route %v", tc.path)
		assert.Equal(t, tc.tried, tried, "route %v", tc.path)
	}
}
