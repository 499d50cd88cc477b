package parser

import (
	"testing"
	"time"
)

// FuzzTreeWalk: any input walks the tree without panicking, the offset stays
// within the message, and a failed walk leaves nothing a child set.
func FuzzTreeWalk(f *testing.F) {
	for _, s := range []string{"axy", "ax", "bz", "b", "", "a"} {
		f.Add([]byte(s))
	}
	tree := testTree()
	var m Message
	f.Fuzz(func(t *testing.T, b []byte) {
		m.Reset(b, Request)
		ok := tree.Parse(&m)
		if m.Offset < 0 || m.Offset > len(b) {
			t.Fatalf("offset %d outside [0,%d]", m.Offset, len(b))
		}
		if !ok {
			if m.Attrs.Has("t.a") || m.Attrs.Has("t.val") || m.Flags != 0 {
				t.Fatalf("failed walk left a child's trace: %v flags %d", m.Attrs.Map(), m.Flags)
			}
			if m.Err == nil {
				t.Fatal("failed walk without a reason")
			}
		}
	})
}

// FuzzConn feeds arbitrary bytes, split at arbitrary points, to a Conn in
// both directions: no panic, and every framed message is accounted for in
// exactly one exchange or counter.
func FuzzConn(f *testing.F) {
	f.Add([]byte("Q 1 a\nQ 2 b\nO 3 c\n"), []byte("A 1 x\nP 9 y\nI 2 z\nA 2 w\n"), uint8(3), false, true)
	f.Add([]byte("Q 1 a\nZZ"), []byte("A 5 x\n"), uint8(0), true, false)
	f.Fuzz(func(t *testing.T, req, resp []byte, cut uint8, keyed, gap bool) {
		pairing := PairInOrder
		if keyed {
			pairing = PairByKey
		}
		var exchanges, halves uint64
		c := NewConn(lineProto(pairing), ConnOptions{MaxBuffer: 128, MaxPending: 4}, func(e *Exchange) {
			exchanges++
			if e.Request != nil {
				halves++
			}
			if e.Response != nil {
				halves++
			}
		})
		i := min(int(cut), len(req))
		c.Feed(Request, req[:i], time.Time{})
		if gap {
			c.Gap(Request, 3)
		}
		c.Feed(Request, req[i:], time.Time{})
		c.Feed(Response, resp, time.Time{})
		c.Close(time.Time{})
		s := c.Stats()
		if c.Pending() != 0 {
			t.Fatalf("%d requests still pending after Close", c.Pending())
		}
		// every request and every non-interim response is in one exchange
		if want := s.Messages[Request] + s.Messages[Response] - s.Interim; halves != want {
			t.Fatalf("exchange halves %d, messages %d (stats %+v)", halves, want, s)
		}
		if exchanges != s.Exchanges+s.OneWay+s.Unanswered+s.Unmatched+s.Pushes {
			t.Fatalf("exchanges %d do not add up: %+v", exchanges, s)
		}
	})
}
