package parser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnifferDetectsAndReplaysInOrder(t *testing.T) {
	var got []rec
	other := &Protocol{Name: "other",
		Request:  NewPkgParser("o", func(m *Message) bool { return len(m.Data) == 0 || m.Data[0] != '#' }, nil),
		Response: NewPkgParser("o", nil, nil)}
	lp := lineProto(PairInOrder)
	s := NewSniffer(NewDetector(other, lp), 0, SnifferOptions{}, collect(&got))
	s.Feed(Request, []byte("Q 1 a\nQ 2"), t0)
	require.Equal(t, lp, s.Protocol())
	s.Feed(Response, []byte("A 1 x\n"), t0.Add(time.Millisecond))
	s.Feed(Request, []byte(" b\n"), t0)
	s.Feed(Response, []byte("A 2 y\n"), t0.Add(time.Millisecond))
	s.Close(t0)
	require.Len(t, got, 2)
	assert.Equal(t, "a", got[0].reqWord)
	assert.Equal(t, "b", got[1].respReqWord)
	assert.NoError(t, s.Err())
}

func TestSnifferWaitsForEnoughBytesThenGivesUp(t *testing.T) {
	s := NewSniffer(NewDetector(lineProto(PairInOrder)), 0, SnifferOptions{MaxDetectBytes: 8}, nil)
	s.Feed(Request, []byte("zzzz"), t0)
	assert.Nil(t, s.Protocol())
	assert.NoError(t, s.Err())
	s.Feed(Request, []byte("zzzzz"), t0)
	assert.ErrorIs(t, s.Err(), ErrUndetected)
	s.Feed(Request, []byte("Q 1 a\n"), t0) // too late: counted, not parsed
	assert.Equal(t, [2]uint64{15, 0}, s.Skipped())
}

func TestSnifferResponseFirstAndForce(t *testing.T) {
	var got []rec
	s := NewSniffer(NewDetector(lineProto(PairInOrder)), 0, SnifferOptions{}, collect(&got))
	s.Feed(Response, []byte("A 7 x\n"), t0) // picked up mid-flight: the server speaks first
	require.NotNil(t, s.Protocol())
	s.Close(t0)
	require.Len(t, got, 1)
	assert.Equal(t, UnmatchedResponse, got[0].kind)

	got = nil
	s = NewSniffer(NewDetector(), 0, SnifferOptions{}, collect(&got))
	s.Feed(Request, []byte("Q 1 a\n"), t0)
	assert.Nil(t, s.Protocol())
	s.Force(lineProto(PairInOrder))
	s.Close(t0)
	require.Len(t, got, 1)
	assert.Equal(t, Unanswered, got[0].kind)
}
