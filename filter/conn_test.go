package filter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a scriptable read and write filter that logs what it sees.
type recorder struct {
	name  string
	log   *[]string
	mu    *sync.Mutex // guards log and seen: one recorder is in both chains
	rcb   *ReadCallbacks
	wcb   *WriteCallbacks
	onNew func() Status
	onDat func(r *recorder, b *Buffer) Status
	onWr  func(r *recorder, b *Buffer) Status
	seen  bytes.Buffer // concatenated Unseen
}

func (r *recorder) OnNewConnection() Status {
	r.logf("%s.new", r.name)
	if r.onNew != nil {
		return r.onNew()
	}
	return Continue
}

func (r *recorder) OnData(b *Buffer) Status {
	r.logf("%s.data(%s|%s)", r.name, b.Bytes(), b.Unseen())
	r.mu.Lock()
	r.seen.Write(b.Unseen())
	r.mu.Unlock()
	if r.onDat != nil {
		return r.onDat(r, b)
	}
	return Continue
}

func (r *recorder) OnWrite(b *Buffer) Status {
	r.logf("%s.write(%s|%s)", r.name, b.Bytes(), b.Unseen())
	if r.onWr != nil {
		return r.onWr(r, b)
	}
	return Continue
}

func (r *recorder) OnConnClose(err error) {
	r.logf("%s.close(%v)", r.name, err)
}

func (r *recorder) logf(format string, args ...any) {
	r.mu.Lock()
	*r.log = append(*r.log, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// safeBuf is a goroutine-safe destination.
type safeBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	c        *Conn
	up, down *safeBuf
	log      []string
	closeErr []error
	recs     []*recorder
}

// newHarness builds a connection whose chain has one recorder per name, in
// both the read and the write chain; setup customizes them.
func newHarness(t *testing.T, names []string, setup func(rs []*recorder), opts ConnOptions) *harness {
	t.Helper()
	h := &harness{up: &safeBuf{}, down: &safeBuf{}}
	mu := new(sync.Mutex)
	for _, n := range names {
		h.recs = append(h.recs, &recorder{name: n, log: &h.log, mu: mu})
	}
	if setup != nil {
		setup(h.recs)
	}
	var fs []Factory
	for _, r := range h.recs {
		fs = append(fs, FactoryFunc(func(c *Conn) error {
			r.rcb = c.AddReadFilter(r)
			r.wcb = c.AddWriteFilter(r)
			return nil
		}))
	}
	if opts.Upstream == nil {
		opts.Upstream = h.up
	}
	if opts.Downstream == nil {
		opts.Downstream = h.down
	}
	opts.OnClose = func(err error) { h.closeErr = append(h.closeErr, err) }
	c, err := NewChain(fs...).NewConn(ConnInfo{Listener: "test"}, opts)
	require.NoError(t, err)
	h.c = c
	return h
}

func (h *harness) read(t *testing.T, dir int, s string) error {
	t.Helper()
	n, err := h.c.ReadFrom(dir, strings.NewReader(s))
	if err == nil {
		require.Equal(t, len(s), n)
	}
	return err
}

func TestChainOrderAndForwarding(t *testing.T) {
	h := newHarness(t, []string{"a", "b", "c"}, nil, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "hello"))
	require.NoError(t, h.read(t, 1, "world"))
	assert.Equal(t, []string{
		"a.new", "b.new", "c.new",
		"a.data(hello|hello)", "b.data(hello|hello)", "c.data(hello|hello)",
		"a.write(world|world)", "b.write(world|world)", "c.write(world|world)",
	}, h.log)
	assert.Equal(t, "hello", h.up.String())
	assert.Equal(t, "world", h.down.String())
	assert.Equal(t, Stats{Read: 5, Forwarded: 5}, h.c.Stats(0))
	assert.Equal(t, uint64(1), h.c.ID())
	h.c.Release()
	assert.Equal(t, []string{"a.close(<nil>)", "b.close(<nil>)", "c.close(<nil>)"}, h.log[9:])
	h.c.Release()
	assert.Len(t, h.log, 12, "CloseHook runs once even for a filter in both chains")
}

func TestStopHoldsAndRerunsFromFirstFilter(t *testing.T) {
	// b stops until it has seen a newline; a only observes.
	h := newHarness(t, []string{"a", "b", "c"}, func(rs []*recorder) {
		rs[1].onDat = func(_ *recorder, b *Buffer) Status {
			if bytes.IndexByte(b.Bytes(), '\n') < 0 {
				return Stop
			}
			return Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "GET "))
	assert.Equal(t, "", h.up.String(), "Stop must hold the bytes")
	assert.Equal(t, 4, h.c.Stats(0).Held)
	require.NoError(t, h.read(t, 0, "/x\n"))
	assert.Equal(t, "GET /x\n", h.up.String(), "held and new bytes go out together, in order")
	assert.Equal(t, []string{
		"a.new", "b.new", "c.new",
		"a.data(GET |GET )", "b.data(GET |GET )",
		"a.data(GET /x\n|/x\n)", "b.data(GET /x\n|/x\n)", "c.data(GET /x\n|GET /x\n)",
	}, h.log)
	// Every filter saw every byte exactly once through Unseen.
	for _, r := range h.recs {
		assert.Equal(t, "GET /x\n", r.seen.String(), r.name)
	}
}

func TestContinueReadingFromAnotherGoroutine(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, []string{"auth", "next"}, func(rs []*recorder) {
		rs[0].onNew = func() Status {
			// An asynchronous check: resume later from another goroutine.
			go func() {
				<-release
				rs[0].rcb.ContinueReading()
			}()
			return Stop
		}
		rs[0].onDat = func(*recorder, *Buffer) Status { return Stop } // still waiting
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "early"))
	assert.Equal(t, "", h.up.String())
	assert.Equal(t, []string{"auth.new", "auth.data(early|early)"}, h.log, "next is not initialized while auth stops")
	close(release)
	require.Eventually(t, func() bool { return h.up.String() == "early" }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{"auth.new", "auth.data(early|early)", "next.new", "next.data(early|early)"}, h.log)
}

func TestContinueReadingInsideCallbackDoesNotDeadlock(t *testing.T) {
	h := newHarness(t, []string{"a", "b"}, func(rs []*recorder) {
		rs[0].onDat = func(r *recorder, _ *Buffer) Status {
			r.rcb.ContinueReading() // runs as soon as this run ends
			return Stop
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "x"))
	assert.Equal(t, "x", h.up.String())
	assert.Equal(t, []string{"a.new", "b.new", "a.data(x|x)", "b.data(x|x)"}, h.log)
}

func TestDrainConsumesAndLeftBytesAreForwarded(t *testing.T) {
	h := newHarness(t, []string{"strip", "after"}, func(rs []*recorder) {
		rs[0].onDat = func(_ *recorder, b *Buffer) Status {
			if bytes.HasPrefix(b.Bytes(), []byte("HDR:")) {
				b.Drain(4)
			}
			return Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "HDR:payload"))
	assert.Equal(t, "payload", h.up.String())
	assert.Equal(t, "after.data(payload|payload)", h.log[3])
	assert.Equal(t, Stats{Read: 11, Forwarded: 7, Drained: 4}, h.c.Stats(0))
	// Drain past the end is clamped.
	var b Buffer
	b.append([]byte("ab"), 64, 64)
	b.Drain(10)
	assert.Equal(t, 0, b.Len())
	assert.Equal(t, int64(2), b.Offset())
}

func TestWriteStopHoldsUntilContinueWriting(t *testing.T) {
	hold := true
	h := newHarness(t, []string{"w"}, func(rs []*recorder) {
		rs[0].onWr = func(*recorder, *Buffer) Status {
			if hold {
				return Stop
			}
			return Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 1, "+OK\r\n"))
	require.NoError(t, h.read(t, 1, "$1\r\n"))
	assert.Equal(t, "", h.down.String(), "a write Stop holds, it does not discard")
	assert.Equal(t, Stats{Read: 9, Held: 9}, h.c.Stats(1))
	hold = false
	h.recs[0].wcb.ContinueWriting()
	assert.Equal(t, "+OK\r\n$1\r\n", h.down.String())
	assert.Equal(t, Stats{Read: 9, Forwarded: 9}, h.c.Stats(1))
}

type ctxKey struct{}

func TestPerConnectionValuesAndInfo(t *testing.T) {
	var got any
	var info ConnInfo
	h := newHarness(t, []string{"set", "get"}, func(rs []*recorder) {
		rs[0].onDat = func(r *recorder, b *Buffer) Status {
			r.rcb.Conn().SetValue(ctxKey{}, string(b.Bytes()))
			return Continue
		}
		rs[1].onDat = func(r *recorder, _ *Buffer) Status {
			got = r.rcb.Conn().Value(ctxKey{})
			info = r.rcb.Conn().Info()
			return Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "tenant-7"))
	assert.Equal(t, "tenant-7", got)
	assert.Equal(t, "test", info.Listener)
	assert.False(t, info.Start.IsZero())
	assert.Nil(t, h.c.Value("missing"))
}

func TestFilterClosesConnection(t *testing.T) {
	deny := errors.New("nope")
	h := newHarness(t, []string{"gate", "never"}, func(rs []*recorder) {
		rs[0].onDat = func(r *recorder, _ *Buffer) Status {
			r.rcb.Conn().Close(deny)
			return Continue // closing wins over Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	err := h.read(t, 0, "FLUSHALL")
	require.ErrorIs(t, err, deny)
	assert.Equal(t, "", h.up.String())
	assert.Equal(t, []error{deny}, h.closeErr)
	assert.NotContains(t, h.log, "never.data(FLUSHALL|FLUSHALL)")
	_, err = h.c.ReadFrom(0, strings.NewReader("more"))
	require.ErrorIs(t, err, deny)
	h.c.Release()
	assert.Contains(t, h.log, "gate.close(nope)")
	assert.Len(t, h.closeErr, 1, "OnClose runs once")
}

func TestStopInOnNewConnectionClosesFromStart(t *testing.T) {
	h := newHarness(t, []string{"a", "b"}, func(rs []*recorder) {
		rs[0].onNew = func() Status {
			rs[0].rcb.Conn().Close(ErrConnLimit)
			return Stop
		}
	}, ConnOptions{})
	require.ErrorIs(t, h.c.Start(), ErrConnLimit)
	assert.Equal(t, []string{"a.new"}, h.log)
}

func TestBufferFullIsAnErrorNotADrop(t *testing.T) {
	h := newHarness(t, []string{"hold"}, func(rs []*recorder) {
		rs[0].onDat = func(*recorder, *Buffer) Status { return Stop }
	}, ConnOptions{BufferSize: 4096, MaxBuffer: 8192})
	require.NoError(t, h.c.Start())
	chunk := strings.Repeat("x", 4096)
	require.NoError(t, h.read(t, 0, chunk))
	require.NoError(t, h.read(t, 0, chunk))
	_, err := h.c.ReadFrom(0, strings.NewReader(chunk))
	require.ErrorIs(t, err, ErrBufferFull)
	assert.Equal(t, []error{ErrBufferFull}, h.closeErr)
	assert.Equal(t, 8192, h.c.Stats(0).Held)
	// Feed reports it the same way.
	h2 := newHarness(t, []string{"hold"}, func(rs []*recorder) {
		rs[0].onDat = func(*recorder, *Buffer) Status { return Stop }
	}, ConnOptions{BufferSize: 4096, MaxBuffer: 4096})
	require.NoError(t, h2.c.Start())
	require.ErrorIs(t, h2.c.Feed(0, []byte(chunk+"y")), ErrBufferFull)
}

func TestBufferCompactsHeldBytes(t *testing.T) {
	// A filter that forwards only whole lines by holding the partial tail:
	// the chain drains whole lines itself and holds the rest; the buffer
	// must slide the remainder to the front instead of growing.
	var lines []string
	h := newHarness(t, []string{"lines"}, func(rs []*recorder) {
		rs[0].onDat = func(_ *recorder, b *Buffer) Status {
			for {
				i := bytes.IndexByte(b.Bytes(), '\n')
				if i < 0 {
					return Stop
				}
				lines = append(lines, string(b.Bytes()[:i]))
				b.Drain(i + 1)
			}
		}
	}, ConnOptions{BufferSize: 4096, MaxBuffer: 4096})
	require.NoError(t, h.c.Start())
	var want []string
	var stream strings.Builder
	for i := 0; i < 500; i++ {
		l := fmt.Sprintf("line-%03d-%s", i, strings.Repeat("z", i%37))
		want = append(want, l)
		stream.WriteString(l + "\n")
	}
	// Feed in awkward chunks so lines straddle reads.
	s := stream.String()
	for len(s) > 0 {
		n := min(len(s), 1000)
		require.NoError(t, h.read(t, 0, s[:n]))
		s = s[n:]
	}
	assert.Equal(t, want, lines)
	assert.Equal(t, 0, h.c.Stats(0).Held)
}

func TestInjectBothWays(t *testing.T) {
	h := newHarness(t, []string{"reply"}, func(rs []*recorder) {
		rs[0].onDat = func(r *recorder, b *Buffer) Status {
			if string(b.Bytes()) == "PING\r\n" {
				b.Drain(b.Len())
				require.NoError(t, r.rcb.Conn().Inject(1, []byte("+PONG\r\n")))
			}
			return Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "PING\r\n"))
	assert.Equal(t, "+PONG\r\n", h.down.String())
	assert.Equal(t, "", h.up.String())
	require.NoError(t, h.c.Inject(0, []byte("PROXY hdr\r\n")))
	assert.Equal(t, "PROXY hdr\r\n", h.up.String())
	assert.Equal(t, int64(7), h.c.Stats(1).Injected)
	assert.Equal(t, int64(6), h.c.Stats(0).Drained)
}

func TestSetUpstreamLaterFlushesPassedBytes(t *testing.T) {
	h := newHarness(t, []string{"a"}, nil, ConnOptions{})
	c, err := NewChain().NewConn(ConnInfo{}, ConnOptions{})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	require.NoError(t, c.Feed(0, []byte("queued")))
	require.ErrorIs(t, c.Inject(0, []byte("x")), ErrNoUpstream)
	require.NoError(t, c.SetUpstream(h.up, nil))
	assert.Equal(t, "queued", h.up.String())
	assert.Nil(t, c.UpstreamAddr())
}

func TestForwardErrorClosesWithIt(t *testing.T) {
	boom := errors.New("broken pipe")
	h := newHarness(t, nil, nil, ConnOptions{Upstream: errWriter{boom}})
	require.NoError(t, h.c.Start())
	require.ErrorIs(t, h.read(t, 0, "data"), boom)
	assert.Equal(t, []error{boom}, h.closeErr)
	require.ErrorIs(t, h.c.Err(), boom)
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestReadFromReturnsEOF(t *testing.T) {
	h := newHarness(t, []string{"a"}, nil, ConnOptions{})
	require.NoError(t, h.c.Start())
	n, err := h.c.ReadFrom(0, strings.NewReader(""))
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err)
	h.c.Close(nil)
	_, err = h.c.ReadFrom(0, strings.NewReader("x"))
	require.ErrorIs(t, err, ErrClosed, "a normally closed conn still reports an error to its reader")
}

func TestConcurrentDirectionsAndResumes(t *testing.T) {
	// Both directions pumped in parallel while another goroutine keeps
	// resuming the read chain; run with -race.
	h := newHarness(t, []string{"a", "b"}, func(rs []*recorder) {
		rs[1].onDat = func(_ *recorder, b *Buffer) Status {
			if b.Len() < 3 {
				return Stop
			}
			return Continue
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	var wg sync.WaitGroup
	var want strings.Builder
	for i := 0; i < 200; i++ {
		want.WriteString("ab")
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			_, _ = h.c.ReadFrom(0, strings.NewReader("ab"))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			_, _ = h.c.ReadFrom(1, strings.NewReader("ab"))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			h.recs[0].rcb.ContinueReading()
		}
	}()
	wg.Wait()
	assert.Equal(t, want.String(), h.down.String())
	// The read side holds at most the last odd chunk of fewer than 3 bytes.
	s := h.c.Stats(0)
	assert.Equal(t, int64(400), s.Forwarded+int64(s.Held))
	assert.True(t, strings.HasPrefix(want.String(), h.up.String()))
}

func TestPassLetsAPrefixThroughAndHoldsTheRest(t *testing.T) {
	// "lines" passes every whole line and holds a partial one; "after"
	// must see only whole lines, each once.
	h := newHarness(t, []string{"lines", "after"}, func(rs []*recorder) {
		rs[0].onDat = func(_ *recorder, b *Buffer) Status {
			i := bytes.LastIndexByte(b.Bytes(), '\n')
			if i == b.Len()-1 {
				return Continue
			}
			b.Pass(i + 1) // i == -1 passes nothing
			return Stop
		}
	}, ConnOptions{})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 0, "one\ntw"))
	assert.Equal(t, "one\n", h.up.String())
	assert.Equal(t, 2, h.c.Stats(0).Held)
	require.NoError(t, h.read(t, 0, "o\nthr"))
	assert.Equal(t, "one\ntwo\n", h.up.String())
	require.NoError(t, h.read(t, 0, "ee"))
	assert.Equal(t, "one\ntwo\n", h.up.String())
	require.NoError(t, h.read(t, 0, "\n"))
	assert.Equal(t, "one\ntwo\nthree\n", h.up.String())
	assert.Equal(t, []string{
		"lines.new", "after.new",
		"lines.data(one\ntw|one\ntw)", "after.data(one\n|one\n)",
		"lines.data(two\nthr|o\nthr)", "after.data(two\n|two\n)",
		"lines.data(three|ee)",
		"lines.data(three\n|\n)", "after.data(three\n|three\n)",
	}, h.log)
	assert.Equal(t, "one\ntwo\nthree\n", h.recs[1].seen.String(), "the later filter saw each byte once")
}

func TestPassBeforeUpstreamIsSet(t *testing.T) {
	var up safeBuf
	f := FactoryFunc(func(c *Conn) error {
		c.AddReadFilter(&recorder{name: "p", log: new([]string), mu: new(sync.Mutex), onDat: func(_ *recorder, b *Buffer) Status {
			b.Pass(3)
			return Stop
		}})
		return nil
	})
	c, err := NewChain(f).NewConn(ConnInfo{}, ConnOptions{})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	require.NoError(t, c.Feed(0, []byte("abcdef")))
	require.NoError(t, c.SetUpstream(&up, nil))
	assert.Equal(t, "abc", up.String(), "only what passed is forwarded once the upstream is set")
	assert.Equal(t, 3, c.Stats(0).Held)
}

func TestWriteHoldOverLimitIsAnError(t *testing.T) {
	h := newHarness(t, []string{"w"}, func(rs []*recorder) {
		rs[0].onWr = func(*recorder, *Buffer) Status { return Stop }
	}, ConnOptions{BufferSize: 4096, MaxBuffer: 4096})
	require.NoError(t, h.c.Start())
	require.NoError(t, h.read(t, 1, strings.Repeat("r", 4096)))
	_, err := h.c.ReadFrom(1, strings.NewReader("more"))
	require.ErrorIs(t, err, ErrBufferFull, "the held reply is not dropped to make room")
	assert.Equal(t, []error{ErrBufferFull}, h.closeErr)
	assert.Equal(t, "", h.down.String())
	assert.Equal(t, 4096, h.c.Stats(1).Held)
}
