package parser

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineProto is a toy protocol for testing Conn: messages are lines
// "<verb> <id> <word>\n". Requests: verb Q (normal), O (one-way).
// Responses: verb A (answer), P (push), I (interim).
func lineProto(pairing Pairing) *Protocol {
	split := func(data []byte, atEOF bool) (int, []byte, error) {
		if len(data) > 0 && !strings.ContainsRune("QOAPI", rune(data[0])) {
			return 0, nil, ErrNotProtocol
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(data) > 64 {
				return 0, nil, ErrTooLarge
			}
			if atEOF && len(data) > 0 {
				return 0, nil, ErrShort
			}
			return 0, nil, nil
		}
		return i + 1, data[:i+1], nil
	}
	parse := func(m *Message) (bool, bool) {
		var arr [3][]byte
		f := fields3(m.Data, &arr)
		if len(f) < 2 {
			return m.Fail(ErrMalformed)
		}
		m.Attrs.SetBytesString("t.verb", f[0])
		m.Attrs.SetBytesString("t.id", f[1])
		if len(f) > 2 {
			m.Attrs.SetBytesString("t.word", f[2])
		}
		switch f[0][0] {
		case 'O':
			m.Flags |= OneWay
		case 'P':
			m.Flags |= Unsolicited
		case 'I':
			m.Flags |= Interim
		}
		if m.Request != nil {
			if w, ok := m.Request.UnsafeString("t.word"); ok {
				m.Attrs.Set("t.reqword", UnsafeStringValueOf(w))
			}
		}
		if m.Data[len(m.Data)-1] != '\n' {
			m.Flags |= Truncated
		}
		return true, true
	}
	ff := func(verbs string) FastFailFunc {
		return func(m *Message) bool {
			return len(m.Data) == 0 || strings.IndexByte(verbs, m.Data[0]) < 0
		}
	}
	return &Protocol{
		Name:     "line",
		Request:  NewPkgParser("req", ff("QO"), parse),
		Response: NewPkgParser("resp", ff("API"), parse),
		Split:    func(any, Direction) bufio.SplitFunc { return split },
		Pairing:  pairing,
		Key: func(dir Direction, msg []byte) (uint64, bool) {
			// The id is the second field, known once a space or the
			// line's end follows it.
			var arr [3][]byte
			f := fields3(msg, &arr)
			if len(f) < 2 || len(f) == 2 && msg[len(msg)-1] != '\n' && msg[len(msg)-1] != ' ' {
				return 0, false
			}
			var k uint64
			for _, c := range f[1] {
				if c < '0' || c > '9' {
					return 0, false
				}
				k = k*10 + uint64(c-'0')
			}
			return k, true
		},
	}
}

// fields3 splits b at spaces and newlines into at most 3 fields, without allocating.
func fields3(b []byte, arr *[3][]byte) [][]byte {
	f := arr[:0]
	for len(b) > 0 && len(f) < 3 {
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\n') {
			i++
		}
		b = b[i:]
		j := 0
		for j < len(b) && b[j] != ' ' && b[j] != '\n' {
			j++
		}
		if j > 0 {
			f = append(f, b[:j])
		}
		b = b[j:]
	}
	return f
}

type rec struct {
	kind           ExchangeKind
	reqID, respID  string
	reqWord        string
	respReqWord    string
	interim        int
	reason         error
	reqErr         bool
	latency        time.Duration
	reqTrunc, resp bool
}

func collect(out *[]rec) func(*Exchange) {
	return func(e *Exchange) {
		var r rec
		r.kind, r.interim, r.reason = e.Kind, e.Interim, e.Reason
		if e.Request != nil {
			r.reqID, _ = e.Request.String("t.id")
			r.reqWord, _ = e.Request.String("t.word")
			r.reqErr = e.RequestErr != nil
			r.reqTrunc = e.RequestFlags&Truncated != 0
		}
		if e.Response != nil {
			r.resp = true
			r.respID, _ = e.Response.String("t.id")
			r.respReqWord, _ = e.Response.String("t.reqword")
		}
		r.latency = e.Latency()
		// The exchange's strings are only valid during the callback.
		r.reqID, r.respID = strings.Clone(r.reqID), strings.Clone(r.respID)
		r.reqWord, r.respReqWord = strings.Clone(r.reqWord), strings.Clone(r.respReqWord)
		*out = append(*out, r)
	}
}

var t0 = time.Unix(1700000000, 0)

func TestConnInOrderAnySplit(t *testing.T) {
	req := "Q 1 a\nQ 2 b\nO 3 c\nQ 4 d\n"
	resp := "A 1 x\nP 9 y\nI 2 z\nA 2 w\nA 4 v\n"
	// Every split point of each direction gives the same exchanges.
	for i := 0; i <= len(req); i++ {
		for _, j := range []int{0, 3, 7, 13, len(resp)} {
			var got []rec
			c := NewConn(lineProto(PairInOrder), ConnOptions{}, collect(&got))
			c.Feed(Request, []byte(req[:i]), t0)
			c.Feed(Request, []byte(req[i:]), t0)
			c.Feed(Response, []byte(resp[:j]), t0.Add(time.Millisecond))
			c.Feed(Response, []byte(resp[j:]), t0.Add(time.Millisecond))
			c.Close(t0.Add(time.Second))
			require.Equal(t, []rec{
				{kind: OneWayRequest, reqID: "3", reqWord: "c"},
				{kind: Complete, reqID: "1", reqWord: "a", respID: "1", respReqWord: "a", resp: true, latency: time.Millisecond},
				// In order, the parser sees the head request even for a push.
				{kind: Push, respID: "9", respReqWord: "b", resp: true},
				{kind: Complete, reqID: "2", reqWord: "b", respID: "2", respReqWord: "b", resp: true, interim: 1, latency: time.Millisecond},
				{kind: Complete, reqID: "4", reqWord: "d", respID: "4", respReqWord: "d", resp: true, latency: time.Millisecond},
			}, got, "split %d/%d", i, j)
			s := c.Stats()
			assert.Equal(t, uint64(3), s.Exchanges)
			assert.Equal(t, uint64(1), s.Pushes)
			assert.Equal(t, uint64(1), s.Interim)
			assert.Equal(t, uint64(1), s.OneWay)
			assert.Equal(t, [2]uint64{4, 5}, s.Messages)
		}
	}
}

func TestConnByKeyOutOfOrderAndUnmatched(t *testing.T) {
	var got []rec
	c := NewConn(lineProto(PairByKey), ConnOptions{}, collect(&got))
	c.Feed(Request, []byte("Q 1 a\nQ 2 b\nQ 3 c\n"), t0)
	c.Feed(Response, []byte("A 3 x\nA 7 q\nA 1 y\n"), t0)
	c.Close(t0)
	require.Equal(t, []rec{
		{kind: Complete, reqID: "3", reqWord: "c", respID: "3", respReqWord: "c", resp: true},
		{kind: UnmatchedResponse, respID: "7", resp: true},
		{kind: Complete, reqID: "1", reqWord: "a", respID: "1", respReqWord: "a", resp: true},
		{kind: Unanswered, reqID: "2", reqWord: "b", reason: ErrClosed},
	}, got)
	s := c.Stats()
	assert.Equal(t, uint64(1), s.Unmatched)
	assert.Equal(t, uint64(1), s.Unanswered)
}

func TestConnEvictsOverMaxPending(t *testing.T) {
	var got []rec
	c := NewConn(lineProto(PairInOrder), ConnOptions{MaxPending: 2}, collect(&got))
	c.Feed(Request, []byte("Q 1 a\nQ 2 b\nQ 3 c\n"), t0)
	require.Len(t, got, 1)
	assert.Equal(t, rec{kind: Unanswered, reqID: "1", reqWord: "a", reason: ErrEvicted}, got[0])
	assert.Equal(t, uint64(1), c.Stats().Evicted)
	assert.Equal(t, 2, c.Pending())
}

func TestConnGapTruncatesAndResyncs(t *testing.T) {
	var got []rec
	c := NewConn(lineProto(PairInOrder), ConnOptions{}, collect(&got))
	c.Feed(Request, []byte("Q 1 a\nQ 2 lo"), t0)
	c.Gap(Request, 100)
	// garbage tail of the lost message, then a whole one
	c.Feed(Request, []byte("ng-word\nQ 3 c\n"), t0)
	c.Feed(Response, []byte("A 3 z\n"), t0)
	c.Close(t0)
	require.Equal(t, []rec{
		{kind: Unanswered, reqID: "1", reqWord: "a", reason: ErrGap},
		{kind: Unanswered, reqID: "2", reqWord: "lo", reason: ErrGap, reqTrunc: true},
		{kind: Complete, reqID: "3", reqWord: "c", respID: "3", respReqWord: "c", resp: true},
	}, got)
	s := c.Stats()
	assert.Equal(t, uint64(1), s.Truncated[Request])
	assert.Equal(t, uint64(100), s.GapBytes[Request])
	assert.Equal(t, uint64(len("ng-word\n")), s.SkippedBytes[Request])
}

func TestConnStopsOnFramingErrorAndCounts(t *testing.T) {
	var got []rec
	c := NewConn(lineProto(PairInOrder), ConnOptions{}, collect(&got))
	c.Feed(Request, []byte("Q 1 a\nZZZ\nQ 2 b\n"), t0)
	c.Feed(Request, []byte("Q 3 c\n"), t0)
	s := c.Stats()
	assert.ErrorIs(t, s.StoppedByError[Request], ErrNotProtocol)
	assert.Equal(t, uint64(len("ZZZ\nQ 2 b\nQ 3 c\n")), s.SkippedBytes[Request])
	assert.Equal(t, uint64(1), s.FramingErrors[Request])
	assert.Equal(t, 1, c.Pending())
}

func TestConnMaxBuffer(t *testing.T) {
	c := NewConn(lineProto(PairInOrder), ConnOptions{MaxBuffer: 10}, nil)
	c.Feed(Request, []byte("Q 1 abc"), t0)
	c.Feed(Request, []byte("defgh"), t0)
	s := c.Stats()
	assert.ErrorIs(t, s.StoppedByError[Request], ErrTooLarge)
	assert.Equal(t, uint64(12), s.SkippedBytes[Request])
}

func TestConnTruncatedAtClose(t *testing.T) {
	var got []rec
	c := NewConn(lineProto(PairInOrder), ConnOptions{}, collect(&got))
	c.Feed(Request, []byte("Q 1 a\nQ 2 par"), t0)
	c.Close(t0)
	require.Len(t, got, 2)
	assert.Equal(t, rec{kind: Unanswered, reqID: "2", reqWord: "par", reason: ErrClosed, reqTrunc: true}, got[1])
	assert.Equal(t, uint64(1), c.Stats().Truncated[Request])
}

func TestDetector(t *testing.T) {
	lp := lineProto(PairInOrder)
	other := &Protocol{Name: "other", Ports: []uint16{99},
		Request:  NewPkgParser("o", func(m *Message) bool { return false }, nil),
		Response: NewPkgParser("o", nil, nil)}
	d := NewDetector(lp, other)
	assert.Equal(t, []*Protocol{lp, other}, d.Detect(Request, []byte("Q 1"), 0))
	assert.Equal(t, []*Protocol{other, lp}, d.Detect(Request, []byte("Q 1"), 99))
	assert.Equal(t, []*Protocol{other}, d.Detect(Request, []byte("X"), 0))
	assert.Equal(t, []*Protocol{lp, other}, d.Detect(Response, []byte("A 1"), 0))
}

func TestBufPoolClasses(t *testing.T) {
	for _, n := range []int{1, 4096, 4097, 100 << 10, 64 << 20} {
		b := getBuf(n)
		assert.GreaterOrEqual(t, cap(b), n)
		assert.Zero(t, len(b))
		putBuf(b)
	}
	b := getBuf(65<<20 + 1) // over the largest class: plain allocation
	assert.GreaterOrEqual(t, cap(b), 65<<20+1)
	putBuf(b)
	putBuf(make([]byte, 5000)) // odd capacity goes to the class it covers
	assert.GreaterOrEqual(t, cap(getBuf(4096)), 4096)
}

func TestConnLargeMessageAcrossManyFeeds(t *testing.T) {
	var got []rec
	c := NewConn(lineProto(PairInOrder), ConnOptions{}, collect(&got))
	big := "Q 1 " + strings.Repeat("x", 60) + "\n"
	for i := 0; i < len(big); i += 7 {
		c.Feed(Request, []byte(big[i:min(i+7, len(big))]), t0)
	}
	c.Feed(Response, []byte("A 1 ok\n"), t0)
	require.Len(t, got, 1)
	assert.Equal(t, strings.Repeat("x", 60), got[0].reqWord)
}

type gapState struct{ gaps []Direction }

func (g *gapState) Gap(dir Direction) { g.gaps = append(g.gaps, dir) }

func TestConnTellsStateAboutGaps(t *testing.T) {
	p := lineProto(PairInOrder)
	p.NewState = func() any { return &gapState{} }
	c := NewConn(p, ConnOptions{}, nil)
	c.Gap(Response, 10)
	c.Gap(Request, 1)
	assert.Equal(t, []Direction{Response, Request}, c.State().(*gapState).gaps)
}

// TestConnRecordsReusedClean: the request records a closed Conn hands on
// carry nothing of their old requests into the next Conn's exchanges.
func TestConnRecordsReusedClean(t *testing.T) {
	p := lineProto(PairInOrder)
	var got []rec
	c := NewConn(p, ConnOptions{}, collect(&got))
	c.Feed(Request, []byte("Q 1 old\nQ 2 old\nQ 3 old\n"), t0)
	c.Close(t0)
	require.Len(t, got, 3)
	got = got[:0]
	for range 3 {
		c = NewConn(p, ConnOptions{}, collect(&got))
		c.Feed(Request, []byte("Q 7\nQ 8\n"), t0)
		c.Feed(Response, []byte("A 7\nA 8\n"), t0)
		c.Close(t0)
	}
	require.Len(t, got, 6)
	for _, r := range got {
		assert.Equal(t, Complete, r.kind)
		assert.Equal(t, r.reqID, r.respID)
		assert.Empty(t, r.reqWord, "a reused record kept an old attribute")
		assert.Empty(t, r.respReqWord)
	}
}
