package parser

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecoderComposesSplitAndTree checks the Decoder of a protocol without
// its own Decode: Split's answers, then the tree on the framed message,
// with m.Request kept and m.State set.
func TestDecoderComposesSplitAndTree(t *testing.T) {
	p := lineProto(PairInOrder)
	state := new(int)
	dec := p.Decoder(state, Request)
	var m Message

	adv, framed, matched, err := dec(&m, []byte("Q 1 w\nQ 2"), false)
	require.NoError(t, err)
	assert.Equal(t, 6, adv)
	assert.True(t, framed)
	assert.True(t, matched)
	assert.Equal(t, "Q 1 w\n", string(m.Data))
	assert.Same(t, state, m.State)
	id, _ := m.Attrs.String("t.id")
	assert.Equal(t, "1", id)

	adv, framed, matched, err = dec(&m, []byte("Q 2"), false)
	assert.Equal(t, []any{0, false, false, nil}, []any{adv, framed, matched, err}, "need more")

	_, framed, _, err = dec(&m, []byte("Z 1\n"), false)
	assert.ErrorIs(t, err, ErrNotProtocol)
	assert.False(t, framed)

	adv, framed, matched, err = dec(&m, []byte("Q\n"), false)
	require.NoError(t, err)
	assert.Equal(t, 2, adv)
	assert.True(t, framed, "framed, then the tree failed")
	assert.False(t, matched)
	assert.ErrorIs(t, m.Err, ErrMalformed)

	// A response sees the request the caller set.
	var req Message
	require.True(t, p.ParseRequest(&req, []byte("Q 7 word\n"), nil))
	resp := p.Decoder(state, Response)
	m.Request = &req.Attrs
	_, framed, matched, err = resp(&m, []byte("A 7\n"), false)
	require.NoError(t, err)
	require.True(t, framed && matched)
	w, _ := m.Attrs.String("t.reqword")
	assert.Equal(t, "word", w)
	assert.Same(t, &req.Attrs, m.Request)
}

// TestConnUsesDecode checks that Conn frames and parses through a
// protocol's Decode in both directions, whatever the pairing: a keyed
// response's request is found from the key in its first bytes, before it
// is decoded.
func TestConnUsesDecode(t *testing.T) {
	for _, pairing := range []Pairing{PairInOrder, PairByKey} {
		p := lineProto(pairing)
		calls := map[Direction]int{}
		p.Decode = func(state any, dir Direction) DecodeFunc {
			d := (&Protocol{Split: p.Split, Request: p.Request, Response: p.Response}).Decoder(state, dir)
			return func(m *Message, data []byte, atEOF bool) (int, bool, bool, error) {
				calls[dir]++
				return d(m, data, atEOF)
			}
		}
		var got []rec
		c := NewConn(p, ConnOptions{}, collect(&got))
		c.Feed(Request, []byte("Q 1 a\nQ 2 b\n"), t0)
		c.Feed(Response, []byte("A 1\nA 2\n"), t0)
		require.Len(t, got, 2)
		for i, r := range got {
			assert.Equal(t, Complete, r.kind)
			assert.Equal(t, r.reqID, r.respID)
			assert.Equal(t, []string{"a", "b"}[i], r.respReqWord, "the response saw its request")
		}
		assert.Equal(t, 2, calls[Request], "%v", pairing)
		assert.Equal(t, 2, calls[Response], "%v", pairing)
	}
}
