package filter

import (
	"bytes"
	"io"
	"testing"
)

// lineHolder passes whole lines and holds a partial one (Stop + Pass).
// Held bytes never contain a newline (everything up to the last one was
// passed), so it scans only what it has not seen: linear, not quadratic,
// in the bytes a long line accumulates.
type lineHolder struct{}

func (lineHolder) OnNewConnection() Status { return Continue }
func (lineHolder) OnData(b *Buffer) Status {
	u := b.Unseen()
	i := bytes.LastIndexByte(u, '\n')
	if i < 0 {
		return Stop
	}
	end := b.Len() - len(u) + i + 1
	if end == b.Len() {
		return Continue
	}
	b.Pass(end)
	return Stop
}

// zeroDrainer drains the zero bytes at the front of what it is shown.
type zeroDrainer struct{}

func (zeroDrainer) OnNewConnection() Status { return Continue }
func (zeroDrainer) OnData(b *Buffer) Status {
	n := 0
	for n < b.Len() && b.Bytes()[n] == 0 {
		n++
	}
	b.Drain(n)
	return Continue
}

// seen collects what it is shown for the first time.
type seen struct{ b bytes.Buffer }

func (s *seen) OnNewConnection() Status { return Continue }
func (s *seen) OnData(b *Buffer) Status { s.b.Write(b.Unseen()); return Continue }

// FuzzChain feeds a stream, cut into reads of sizes taken from the input,
// through a chain that holds partial lines, drains zero bytes and observes
// the rest, and checks conservation and ordering invariants.
func FuzzChain(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), []byte{3, 1, 7})
	f.Add([]byte("\x00\x00ab\ncd\x00\n\x00"), []byte{1})
	f.Add(bytes.Repeat([]byte("0123456789abcdef\n"), 100), []byte{200, 13, 255})
	f.Fuzz(fuzzOnce)
}

// fuzzOnce is FuzzChain's property check on one input.
func fuzzOnce(t *testing.T, stream, cuts []byte) {
	var up bytes.Buffer
	obs := &seen{}
	c, err := NewChain(FactoryFunc(func(c *Conn) error {
		c.AddReadFilter(lineHolder{})
		c.AddReadFilter(zeroDrainer{})
		c.AddReadFilter(obs)
		return nil
	})).NewConn(ConnInfo{}, ConnOptions{Upstream: &up, Downstream: io.Discard, BufferSize: 4096, MaxBuffer: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	full := false
	rest := stream
	for i := 0; len(rest) > 0; i++ {
		n := len(rest)
		if len(cuts) > 0 {
			n = min(n, 1+int(cuts[i%len(cuts)]))
		}
		if err := c.Feed(0, rest[:n]); err != nil {
			if err != ErrBufferFull {
				t.Fatalf("feed: %v", err)
			}
			full = true
			break
		}
		rest = rest[n:]
	}
	st := c.Stats(0)
	if st.Read != st.Forwarded+st.Drained+int64(st.Held) {
		t.Fatalf("bytes not conserved: %+v", st)
	}
	if !bytes.Equal(obs.b.Bytes(), up.Bytes()) {
		t.Fatalf("the last filter saw %q, upstream got %q", obs.b.Bytes(), up.Bytes())
	}
	if up.Len() > 0 && up.Bytes()[up.Len()-1] != '\n' {
		t.Fatalf("a partial line was forwarded: %q", up.Bytes())
	}
	if bytes.IndexByte(up.Bytes(), 0) >= 0 && bytes.HasPrefix(up.Bytes(), []byte{0}) {
		t.Fatalf("leading zero forwarded: %q", up.Bytes())
	}
	if !full {
		// The forwarded bytes are the input's complete lines, minus
		// some zero bytes.
		want := stream[:bytes.LastIndexByte(stream, '\n')+1]
		if !bytes.Equal(bytes.ReplaceAll(want, []byte{0}, nil), bytes.ReplaceAll(up.Bytes(), []byte{0}, nil)) {
			t.Fatalf("forwarded %q for input %q", up.Bytes(), stream)
		}
		if int64(len(stream)) != st.Read {
			t.Fatalf("read %d of %d", st.Read, len(stream))
		}
	}
	c.Release()
}
