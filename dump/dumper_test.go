package dump

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

var (
	on     = Strategy{Switch: SwitchOn, Interval: 10, Duration: 3, CPUMaxRate: 80, MemMaxRate: 80}
	always = Strategy{Switch: SwitchOn, Interval: 3600, Duration: 3600, CPUMaxRate: 80, MemMaxRate: 80}
)

type rig struct {
	t     *testing.T
	d     *Dumper
	clk   *fakeClock
	probe *fakeProbe
	sink  *memSink
}

func newRig(t *testing.T, s Strategy, mod func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, clk: newFakeClock(), probe: &fakeProbe{}, sink: &memSink{}}
	r.probe.set(10, 10)
	cfg := Config{Strategy: s, Sinks: []Sink{r.sink}, Clock: r.clk, Probe: r.probe, MonitorPeriod: time.Hour}
	if mod != nil {
		mod(&cfg)
	}
	d, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, d.Start())
	r.d = d
	r.waitLoop(0)
	t.Cleanup(func() { _ = d.Close() })
	return r
}

// waitLoop waits until the control loop has gone past iteration n and is
// parked in its select, so that the next Advance fires its timers.
func (r *rig) waitLoop(n uint64) {
	r.t.Helper()
	require.Eventually(r.t, func() bool { return r.d.loops.Load() > n }, 5*time.Second, time.Millisecond)
}

// step advances the fake clock by d, which must fire at least one of the
// control loop's timers, and waits for the loop to handle it.
func (r *rig) step(d time.Duration) {
	r.t.Helper()
	n := r.d.loops.Load()
	r.clk.Advance(d)
	r.waitLoop(n)
}

// drain waits until every accepted item went through the sinks.
func (r *rig) drain() Stats {
	r.t.Helper()
	var st Stats
	require.Eventually(r.t, func() bool {
		st = r.d.Stats()
		return st.Accepted == st.Written+st.DroppedWriteError && st.Queued == 0
	}, 5*time.Second, time.Millisecond)
	return st
}

func addr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestWindowsOpenAndCloseOnTime(t *testing.T) {
	r := newRig(t, on, nil)
	c := r.d.Open(ConnInfo{ID: 1, Client: addr("127.0.0.1:50000"), Server: addr("127.0.0.1:6379")})

	w1 := r.d.Window()
	require.NotZero(t, w1, "switch ON: the first window opens at Start")
	assert.Equal(t, Accepted, c.Append(parser.Request, []byte("in window 1")))

	r.clk.Advance(2999 * time.Millisecond) // fires nothing: still inside
	assert.Equal(t, w1, r.d.Window())
	r.step(time.Millisecond) // t = 3 s: window closes
	assert.Zero(t, r.d.Window())
	assert.False(t, r.d.Sampling(1))
	assert.Equal(t, NotSampled, c.Append(parser.Request, []byte("between windows")))

	r.step(7 * time.Second) // t = 10 s: window 2
	w2 := r.d.Window()
	require.NotZero(t, w2)
	assert.NotEqual(t, w1, w2)
	assert.Equal(t, w1>>32, w2>>32, "same dumper half")
	assert.Equal(t, w1&0xffffffff+1, w2&0xffffffff)
	assert.Equal(t, Accepted, c.Append(parser.Request, []byte("in window 2")))

	r.step(3 * time.Second) // t = 13 s: closed
	assert.Zero(t, r.d.Window())
	// A stalled clock jumps over windows 3 and 4 entirely and lands in 5.
	r.step(28 * time.Second) // t = 41 s: inside the window that started at 40 s
	w5 := r.d.Window()
	assert.Equal(t, w2&0xffffffff+1, w5&0xffffffff, "skipped windows get no id")

	st := r.drain()
	flows := r.sink.kinds(KindFlow)
	require.Len(t, flows, 2)
	assert.Equal(t, "in window 1", string(flows[0].Data))
	assert.Equal(t, w1, flows[0].Window)
	assert.Equal(t, "in window 2", string(flows[1].Data))
	assert.Equal(t, w2, flows[1].Window)
	// Bytes between windows were never claimed: window 2's data starts where
	// window 1's ended (Append continues from the recorded offset).
	assert.Equal(t, uint64(len("in window 1")), flows[1].Offset)
	wins := r.sink.kinds(KindWindow)
	require.Len(t, wins, 3)
	assert.Equal(t, []uint64{w1, w2, w5}, []uint64{wins[0].Window, wins[1].Window, wins[2].Window})
	assert.Equal(t, uint64(3), st.Windows)
}

func TestContinuousSamplingRenewsWindowID(t *testing.T) {
	r := newRig(t, Strategy{Switch: SwitchOn, Interval: 5, Duration: 5, CPUMaxRate: 80, MemMaxRate: 80}, nil)
	w1 := r.d.Window()
	require.NotZero(t, w1)
	r.step(5 * time.Second)
	w2 := r.d.Window()
	assert.NotZero(t, w2)
	assert.NotEqual(t, w1, w2)
}

func TestLoadGateHysteresis(t *testing.T) {
	r := newRig(t, Strategy{Switch: SwitchOn, Interval: 3600, Duration: 3600, CPUMaxRate: 80, MemMaxRate: 60},
		func(c *Config) { c.MonitorPeriod = time.Second })
	c := r.d.Open(ConnInfo{ID: 9})
	require.True(t, r.d.GateOpen())
	calls := r.probe.calls.Load()

	steps := []struct {
		cpu, mem float64
		open     bool
	}{
		{79, 10, true},  // under both ceilings
		{81, 10, false}, // CPU above: close
		{78, 10, false}, // below the ceiling but within hysteresis (5)
		{75, 10, true},  // at ceiling-5: reopen
		{10, 61, false}, // memory above
		{10, 56, false},
		{10, 55, true},
		{-1, -1, true}, // unknown figures do not close the gate
	}
	for i, s := range steps {
		r.probe.set(s.cpu, s.mem)
		r.step(time.Second)
		assert.Equal(t, s.open, r.d.GateOpen(), "step %d %+v", i, s)
		assert.Equal(t, s.open, c.Sampling(), "step %d", i)
		v := c.Append(parser.Response, []byte("x"))
		if s.open {
			assert.Equal(t, Accepted, v, "step %d", i)
		} else {
			assert.Equal(t, DroppedGate, v, "step %d", i)
		}
	}
	assert.Greater(t, r.probe.calls.Load(), calls+int64(len(steps)-1))
	st := r.drain()
	assert.Equal(t, uint64(4), st.DroppedGate)
	assert.Equal(t, uint64(4), st.DroppedGateBytes)
	assert.Equal(t, uint64(2), st.GateCloses)
	assert.Equal(t, float64(-1), st.Load.CPU)

	// A failing probe keeps the gate as it was, and is counted.
	r.probe.mu.Lock()
	r.probe.err = errors.New("no /proc")
	r.probe.mu.Unlock()
	r.step(time.Second)
	assert.True(t, r.d.GateOpen())
	assert.NotZero(t, r.d.Stats().ProbeErrors)
}

func TestUpdateStrategyTakesEffect(t *testing.T) {
	off := on
	off.Switch = SwitchOff
	r := newRig(t, off, nil)
	c := r.d.Open(ConnInfo{ID: 3})
	assert.False(t, c.Sampling())
	assert.Zero(t, r.d.Window())

	n := r.d.loops.Load()
	require.NoError(t, r.d.UpdateStrategy(on))
	w := r.d.Window()
	assert.NotZero(t, w, "switching ON opens a window at once")
	assert.True(t, c.Sampling())
	r.waitLoop(n)

	// New schedule: the window closes after the new duration, counted
	// from the update.
	s2 := on
	s2.Duration, s2.Interval = 1, 2
	n = r.d.loops.Load()
	require.NoError(t, r.d.UpdateStrategy(s2))
	assert.NotEqual(t, w, r.d.Window(), "a schedule change opens a fresh window")
	r.waitLoop(n)
	r.step(time.Second)
	assert.Zero(t, r.d.Window())
	r.step(time.Second)
	assert.NotZero(t, r.d.Window())

	// Lower ceilings apply to the last sample at once.
	r.probe.set(50, 10)
	r.d.ctl.Lock()
	r.d.sampleLoadLocked()
	r.d.ctl.Unlock()
	assert.True(t, r.d.GateOpen())
	s3 := s2
	s3.CPUMaxRate = 40
	require.NoError(t, r.d.UpdateStrategy(s3))
	assert.False(t, r.d.GateOpen())

	// Invalid strategies are refused; the old one stays.
	bad := s3
	bad.Duration = 5
	require.ErrorIs(t, r.d.UpdateStrategy(bad), ErrInvalidStrategy)
	assert.Equal(t, s3, r.d.Strategy())

	// The same strategy again writes no snapshot.
	require.NoError(t, r.d.UpdateStrategy(s3))
	n = r.d.loops.Load()
	require.NoError(t, r.d.UpdateStrategy(off))
	assert.False(t, c.Sampling())
	r.waitLoop(n)
	r.drain()
	snaps := r.sink.kinds(KindSnapshot)
	want := []Strategy{off, on, s2, s3, off}
	require.Len(t, snaps, len(want))
	for i, sn := range snaps {
		got, err := ParseStrategy(sn.Data)
		require.NoError(t, err)
		assert.Equal(t, want[i], got, "snapshot %d", i)
		assert.Equal(t, "strategy", sn.Type)
	}
	assert.NotEqual(t, snaps[0].Hash, snaps[1].Hash)
	assert.Equal(t, snaps[0].Hash, snaps[4].Hash)
}

func TestSnapshotOnlyOnChange(t *testing.T) {
	r := newRig(t, on, nil)
	ok, err := r.d.Snapshot("proxy", []byte(`{"listeners":1}`))
	require.NoError(t, err)
	assert.True(t, ok)
	ok, _ = r.d.Snapshot("proxy", []byte(`{"listeners":1}`))
	assert.False(t, ok)
	ok, _ = r.d.Snapshot("proxy", []byte(`{"listeners":2}`))
	assert.True(t, ok)
	ok, _ = r.d.Snapshot("other", []byte(`{"listeners":2}`))
	assert.True(t, ok)
	_, err = r.d.Snapshot("big", make([]byte, 2<<20))
	assert.ErrorIs(t, err, ErrTooLarge)
	r.drain()
	var names []string
	for _, s := range r.sink.kinds(KindSnapshot) {
		names = append(names, s.Type+"="+string(s.Data))
	}
	assert.Equal(t, []string{"strategy=" + mustJSON(on), `proxy={"listeners":1}`, `proxy={"listeners":2}`, `other={"listeners":2}`}, names)
}

func mustJSON(s Strategy) string {
	b, _ := s.MarshalJSON()
	return string(b)
}

func TestRecord(t *testing.T) {
	r := newRig(t, on, nil)
	v, err := r.d.Record("order", []byte("id=42"))
	require.NoError(t, err)
	assert.Equal(t, Accepted, v)
	_, err = r.d.Record("order", make([]byte, 2<<20))
	assert.ErrorIs(t, err, ErrTooLarge)
	big := make([]byte, 100<<10) // above MaxChunk: unpooled copy
	for i := range big {
		big[i] = byte(i)
	}
	v, _ = r.d.Record("blob", big)
	assert.Equal(t, Accepted, v)
	r.step(3 * time.Second)
	v, _ = r.d.Record("order", []byte("late"))
	assert.Equal(t, NotSampled, v)
	r.drain()
	recs := r.sink.kinds(KindRecord)
	require.Len(t, recs, 2)
	assert.Equal(t, "order", recs[0].Type)
	assert.Equal(t, "id=42", string(recs[0].Data))
	assert.NotZero(t, recs[0].Window)
	assert.Equal(t, big, recs[1].Data)
}

func TestQueueFullDropsAndCounts(t *testing.T) {
	r := newRig(t, on, func(c *Config) { c.QueueSize = 4; c.BatchSize = 1 })
	r.drain() // window + snapshot items through
	entered, release := r.sink.hold()
	c := r.d.Open(ConnInfo{ID: 5})
	verdicts := map[Verdict]int{}
	verdicts[c.Append(parser.Request, []byte("00"))]++
	<-entered // the worker holds item 00 in the blocked sink
	for i := 1; i < 20; i++ {
		verdicts[c.Append(parser.Request, []byte(fmt.Sprintf("%02d", i)))]++
	}
	// One item is held by the blocked worker, QueueSize wait: the rest drop.
	assert.Equal(t, 1+4, verdicts[Accepted])
	assert.Equal(t, 15, verdicts[DroppedQueueFull])
	st := r.d.Stats()
	assert.Equal(t, uint64(verdicts[DroppedQueueFull]), st.DroppedQueueFull)
	assert.Equal(t, uint64(2*verdicts[DroppedQueueFull]), st.DroppedQueueFullBytes)
	release()
	require.NoError(t, r.d.Close())
	st = r.d.Stats()
	flows := r.sink.kinds(KindFlow)
	assert.Len(t, flows, verdicts[Accepted])
	assert.Equal(t, st.Accepted, st.Written)
	// The offsets expose the drops as gaps: each accepted item sits at
	// its own stream position.
	for _, f := range flows {
		assert.Equal(t, fmt.Sprintf("%02d", f.Offset/2), string(f.Data))
	}
}

// Issue 14.7: with the queue full, a connection's close item is kept, so
// the pcapng has the FIN of every connection it has data for.
func TestCloseItemKeptWhenQueueFull(t *testing.T) {
	r := newRig(t, on, func(c *Config) { c.QueueSize = 4; c.BatchSize = 1 })
	r.drain()
	entered, release := r.sink.hold()
	var conns []*Conn
	for i := range 6 {
		conns = append(conns, r.d.Open(ConnInfo{ID: uint64(10 + i)}))
	}
	assert.Equal(t, Accepted, conns[0].Append(parser.Request, []byte("held")))
	<-entered // the worker holds this item in the blocked sink
	for _, c := range conns[1:5] {
		assert.Equal(t, Accepted, c.Append(parser.Request, []byte("data")))
	}
	assert.Equal(t, DroppedQueueFull, conns[5].Append(parser.Request, []byte("data")), "queue full")
	for _, c := range conns {
		c.Close()
	}
	release()
	require.NoError(t, r.d.Close())
	st := r.d.Stats()
	assert.Equal(t, st.Accepted, st.Written)
	closed := map[uint64]bool{}
	for _, it := range r.sink.kinds(KindClose) {
		closed[it.Conn.ID] = true
	}
	for _, it := range r.sink.kinds(KindFlow) {
		assert.True(t, closed[it.Conn.ID], "connection %d has data but no close", it.Conn.ID)
	}
	for id := uint64(10); id < 15; id++ {
		assert.True(t, closed[id], "close of connection %d", id)
	}
}

func TestByteCapDrops(t *testing.T) {
	r := newRig(t, on, func(c *Config) { c.MaxQueuedBytes = 1000; c.BatchSize = 1 })
	r.drain()
	entered, release := r.sink.hold()
	c := r.d.Open(ConnInfo{ID: 5})
	assert.Equal(t, Accepted, c.Append(parser.Request, make([]byte, 600)))
	<-entered // taken by the worker
	assert.Equal(t, Accepted, c.Append(parser.Request, make([]byte, 600)))
	assert.Equal(t, DroppedQueueFull, c.Append(parser.Request, make([]byte, 600)), "over the byte cap")
	assert.Equal(t, Accepted, c.Append(parser.Request, make([]byte, 400)), "fits exactly")
	assert.Equal(t, int64(1000), r.d.Stats().Queued)
	release()
}

func TestFailingSinkCountedAndRecovers(t *testing.T) {
	good := &memSink{}
	r := newRig(t, always, func(c *Config) {
		c.RetryBackoff, c.MaxRetryBackoff = time.Second, 4*time.Second
		c.Sinks = append(c.Sinks, good) // a second, healthy sink
	})
	r.drain()
	c := r.d.Open(ConnInfo{ID: 8})
	base := r.d.Stats()
	base0 := base

	enospc := fmt.Errorf("write dump.pcapng: %w", syscall.ENOSPC)
	for _, tc := range []struct {
		name string
		w, f error
	}{{"write error", errors.New("boom"), nil}, {"disk full at flush", nil, enospc}} {
		r.sink.setFail(tc.w, tc.f)
		c.Append(parser.Request, []byte("lost-"))
		st := r.drain()
		// The healthy sink wrote it: written (partially), not lost.
		assert.Equal(t, base.DroppedWriteError, st.DroppedWriteError, tc.name)
		assert.Equal(t, base.Written+1, st.Written, tc.name)
		assert.Equal(t, base.WrittenPartial+1, st.WrittenPartial, tc.name)
		assert.True(t, st.Sinks[0].Down, tc.name)
		assert.False(t, st.Sinks[1].Down, tc.name)
		require.Error(t, st.Sinks[0].LastError)

		// While down the sink is skipped (not called) and items count as failed.
		r.sink.setFail(nil, nil)
		flushes := r.sink.flushes
		c.Append(parser.Request, []byte("skip-"))
		st = r.drain()
		assert.Equal(t, base.WrittenPartial+2, st.WrittenPartial, tc.name)
		assert.Equal(t, flushes, r.sink.flushes, "down sink not called")

		// After the back-off it is tried again and recovers.
		r.clk.Advance(4 * time.Second)
		c.Append(parser.Request, []byte("good-"))
		st = r.drain()
		assert.False(t, st.Sinks[0].Down, tc.name)
		assert.Equal(t, base.WrittenPartial+2, st.WrittenPartial)
		assert.Equal(t, base.Written+3, st.Written)
		assert.Zero(t, st.DroppedWriteError, "the healthy sink wrote everything")
		base = st
	}
	if e := r.d.Stats().Sinks[0].LastError; assert.Error(t, e) {
		assert.ErrorIs(t, e, syscall.ENOSPC)
	}
	// The healthy sink got everything; the failing one only what came after
	// recovery.
	var all, some []string
	for _, f := range good.kinds(KindFlow) {
		all = append(all, string(f.Data))
	}
	for _, f := range r.sink.kinds(KindFlow) {
		some = append(some, string(f.Data))
	}
	assert.Equal(t, []string{"lost-", "skip-", "good-", "lost-", "skip-", "good-"}, all)
	assert.Equal(t, []string{"good-", "good-"}, some)
	st := r.d.Stats()
	assert.Equal(t, uint64(4), st.Sinks[0].Failed)
	assert.Equal(t, uint64(4*5), st.Sinks[0].FailedBytes)
	assert.Equal(t, uint64(2), st.Sinks[0].Errors)
	assert.Equal(t, uint64(6*5), st.Sinks[1].WrittenBytes-base0.Sinks[1].WrittenBytes)
	// Issue 14.7: Written no longer reads 0 while the healthy sink wrote
	// everything.
	assert.Equal(t, st.Accepted, st.Written+st.DroppedWriteError)
	assert.Equal(t, uint64(6), st.Written-base0.Written)
}

func TestBackoffDoubles(t *testing.T) {
	r := newRig(t, always, func(c *Config) { c.RetryBackoff, c.MaxRetryBackoff = time.Second, 3*time.Second })
	r.drain()
	r.sink.setFail(errors.New("x"), nil)
	c := r.d.Open(ConnInfo{ID: 1})
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	for _, w := range want {
		c.Append(parser.Request, []byte("a"))
		r.drain()
		ss := r.d.sinks[0]
		ss.mu.Lock()
		got := ss.backoff
		until := ss.downUntil
		ss.mu.Unlock()
		assert.Equal(t, w, got)
		r.clk.Advance(until.Sub(r.clk.Now()))
	}
}

func TestDuplicateBytesRecordedOnce(t *testing.T) {
	r := newRig(t, on, nil)
	c := r.d.Open(ConnInfo{ID: 2})
	stream := []byte("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	// A proxy that shows its whole unconsumed buffer on every read.
	shows := []struct{ off, end int }{{0, 5}, {0, 9}, {0, 9}, {3, 14}, {14, 20}, {10, 30}, {30, len(stream)}, {0, len(stream)}}
	var verdicts []Verdict
	for _, s := range shows {
		verdicts = append(verdicts, c.Flow(parser.Request, uint64(s.off), stream[s.off:s.end]))
	}
	assert.Equal(t, []Verdict{Accepted, Accepted, Duplicate, Accepted, Accepted, Accepted, Accepted, Duplicate}, verdicts)
	r.drain()
	var got []byte
	var next uint64
	for _, f := range r.sink.kinds(KindFlow) {
		require.Equal(t, next, f.Offset, "contiguous, no overlap")
		got = append(got, f.Data...)
		next += uint64(len(f.Data))
	}
	assert.Equal(t, stream, got)
	assert.Equal(t, uint64(len(stream)), c.Recorded(parser.Request))
	assert.Equal(t, uint64(0), c.Recorded(parser.Response))
	// Bytes shown again: 0..5, 0..9, 3..9, 10..20 and the whole stream.
	assert.Equal(t, uint64(5+9+6+10+len(stream)), r.d.Stats().DuplicateBytes)
}

func TestLargeFlowIsChunked(t *testing.T) {
	r := newRig(t, on, nil)
	c := r.d.Open(ConnInfo{ID: 2})
	big := make([]byte, 3*MaxChunk+100)
	for i := range big {
		big[i] = byte(i * 7)
	}
	assert.Equal(t, Accepted, c.Flow(parser.Response, 0, big))
	r.drain()
	flows := r.sink.kinds(KindFlow)
	require.Len(t, flows, 4)
	var got []byte
	for i, f := range flows {
		assert.Equal(t, uint64(i*MaxChunk), f.Offset)
		assert.Equal(t, parser.Response, f.Dir)
		got = append(got, f.Data...)
	}
	assert.Equal(t, big, got)
}

func TestConnSampling(t *testing.T) {
	r := newRig(t, on, func(c *Config) { c.ConnSampleRate = 0.25 })
	const n = 4000
	picked := 0
	for id := uint64(0); id < n; id++ {
		c := r.d.Open(ConnInfo{ID: id})
		s := c.Sampling()
		assert.Equal(t, s, r.d.Sampling(id))
		for k := 0; k < 3; k++ { // decided once: stable
			require.Equal(t, s, c.Sampling())
		}
		if s {
			picked++
			assert.Equal(t, Accepted, c.Append(parser.Request, []byte("a")))
		} else {
			assert.Equal(t, NotSampled, c.Append(parser.Request, []byte("a")))
		}
	}
	assert.InDelta(t, n/4, picked, 150)
	require.NoError(t, r.d.SetConnSampleRate(1))
	for id := uint64(0); id < 100; id++ {
		assert.True(t, r.d.Sampling(id))
	}
	assert.ErrorIs(t, r.d.SetConnSampleRate(0), ErrInvalidConfig)
	assert.ErrorIs(t, r.d.SetConnSampleRate(1.5), ErrInvalidConfig)
}

func TestCloseLosesNothingConcurrent(t *testing.T) {
	r := newRig(t, Strategy{Switch: SwitchOn, Interval: 3600, Duration: 3600, CPUMaxRate: 80, MemMaxRate: 80},
		func(c *Config) { c.Workers = 4; c.QueueSize = 1 << 16 })
	const writers, reads = 8, 2000
	var wg sync.WaitGroup
	start := make(chan struct{})
	conns := make([]*Conn, writers)
	for w := range conns {
		conns[w] = r.d.Open(ConnInfo{ID: uint64(w), Client: addr("10.0.0.1:1000"), Server: addr("10.0.0.2:80")})
	}
	for w := 0; w < writers; w++ {
		for dir := parser.Direction(0); dir < 2; dir++ {
			wg.Add(1)
			go func(c *Conn, dir parser.Direction) {
				defer wg.Done()
				<-start
				buf := make([]byte, 0, 64)
				for i := 0; i < reads; i++ {
					buf = fmt.Appendf(buf[:0], "%d/%d/%d;", c.info.ID, dir, i)
					c.Append(dir, buf)
				}
			}(conns[w], dir)
		}
	}
	close(start)
	require.Eventually(t, func() bool { return r.d.Stats().Accepted > 200 }, 5*time.Second, 100*time.Microsecond)
	require.NoError(t, r.d.Close()) // while submitters run
	wg.Wait()
	st := r.d.Stats()
	assert.Equal(t, st.Accepted, st.Written, "Close drains everything accepted")
	assert.Zero(t, st.DroppedQueueFull)
	assert.True(t, r.sink.closed)
	// Per connection and direction: in order, contiguous, exact bytes.
	type key struct {
		id  uint64
		dir parser.Direction
	}
	next := map[key]uint64{}
	count := map[key]int{}
	var flows uint64
	for _, f := range r.sink.kinds(KindFlow) {
		k := key{f.Conn.ID, f.Dir}
		require.Equal(t, next[k], f.Offset, "conn %d dir %v", k.id, k.dir)
		require.Equal(t, fmt.Sprintf("%d/%d/%d;", k.id, k.dir, count[k]), string(f.Data))
		next[k] += uint64(len(f.Data))
		count[k]++
		flows++
	}
	assert.NotZero(t, flows)
	assert.Equal(t, st.Accepted, uint64(len(r.sink.snapshot())), "every accepted item reached the sink")
	// After Close nothing is accepted and nothing panics.
	assert.Equal(t, NotSampled, conns[0].Append(parser.Request, []byte("late")))
	assert.False(t, r.d.Sampling(0))
	assert.NoError(t, r.d.Close())
}

func TestMultipleDumpersAreIndependent(t *testing.T) {
	a := newRig(t, on, nil)
	off := on
	off.Switch = SwitchOff
	b := newRig(t, off, nil)
	assert.True(t, a.d.Sampling(1))
	assert.False(t, b.d.Sampling(1))
	assert.NotEqual(t, a.d.Window()>>32, b.d.instance>>32)
	require.NoError(t, a.d.Close())
	require.NoError(t, b.d.UpdateStrategy(on))
	assert.True(t, b.d.Sampling(1))
	assert.False(t, a.d.Sampling(1))
}

func TestNewValidatesConfig(t *testing.T) {
	s := &memSink{}
	for name, cfg := range map[string]Config{
		"no sinks":   {},
		"nil sink":   {Sinks: []Sink{nil}},
		"rate":       {Sinks: []Sink{s}, ConnSampleRate: 2},
		"workers":    {Sinks: []Sink{s}, Workers: -1},
		"strategy":   {Sinks: []Sink{s}, Strategy: Strategy{Switch: "on", Interval: 1, Duration: 1, CPUMaxRate: 1, MemMaxRate: 1}},
		"backoff":    {Sinks: []Sink{s}, RetryBackoff: time.Minute, MaxRetryBackoff: time.Second},
		"hysteresis": {Sinks: []Sink{s}, Hysteresis: 100},
	} {
		_, err := New(cfg)
		assert.Error(t, err, name)
	}
	d, err := New(Config{Sinks: []Sink{s}, Probe: &fakeProbe{}})
	require.NoError(t, err)
	assert.Equal(t, DefaultStrategy(), d.Strategy())
	require.NoError(t, d.Start())
	assert.ErrorIs(t, d.Start(), ErrStarted)
	assert.False(t, d.Sampling(1), "default strategy is OFF")
	require.NoError(t, d.Close())
	assert.ErrorIs(t, d.Start(), ErrClosed)
	assert.ErrorIs(t, d.UpdateStrategy(on), ErrClosed)
}
