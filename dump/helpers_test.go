package dump

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// fakeClock is a manual Clock: time moves only in Advance, which fires the
// timers that fall due.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	clk  *fakeClock
	at   time.Time
	c    chan time.Time
	done bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.done = true
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if t.done {
			continue
		}
		if !t.at.After(c.now) {
			t.done = true
			t.c <- c.now
			continue
		}
		keep = append(keep, t)
	}
	c.timers = keep
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// fakeProbe returns the load the test sets.
type fakeProbe struct {
	mu    sync.Mutex
	l     Load
	err   error
	calls atomic.Int64
}

func (p *fakeProbe) set(cpu, mem float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.l = Load{CPU: cpu, Mem: mem, ProcessCPU: cpu, HostCPU: -1, CgroupCPU: -1, ProcessMem: mem, HostMem: -1, CgroupMem: -1}
}

func (p *fakeProbe) Sample() (Load, error) {
	p.calls.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.l, p.err
}

// memSink keeps copies of the items it is given, and fails on demand.
type memSink struct {
	mu      sync.Mutex
	items   []Item
	pending []Item
	failW   error // returned by Write
	failF   error // returned by Flush
	block   chan struct{}
	entered chan struct{} // signalled when a Write starts waiting on block
	closed  bool
	flushes int
}

// hold makes every Write wait until release is called; entered receives
// when a Write starts waiting (the worker then holds that item).
func (s *memSink) hold() (entered <-chan struct{}, release func()) {
	block, ent := make(chan struct{}), make(chan struct{}, 1)
	s.mu.Lock()
	s.block, s.entered = block, ent
	s.mu.Unlock()
	return ent, func() { close(block) }
}

func (s *memSink) Name() string { return "mem" }

func (s *memSink) Write(it *Item) error {
	s.mu.Lock()
	block, entered := s.block, s.entered
	s.mu.Unlock()
	if block != nil {
		if entered != nil {
			select {
			case entered <- struct{}{}:
			default:
			}
		}
		<-block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failW != nil {
		s.pending = s.pending[:0]
		return s.failW
	}
	c := *it
	c.Data = append([]byte(nil), it.Data...)
	s.pending = append(s.pending, c)
	return nil
}

func (s *memSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushes++
	if s.failF != nil {
		s.pending = s.pending[:0]
		return s.failF
	}
	s.items = append(s.items, s.pending...)
	s.pending = s.pending[:0]
	return nil
}

func (s *memSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("closed twice")
	}
	s.closed = true
	return nil
}

func (s *memSink) setFail(w, f error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failW, s.failF = w, f
}

func (s *memSink) snapshot() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Item(nil), s.items...)
}

func (s *memSink) kinds(k Kind) []Item {
	var out []Item
	for _, it := range s.snapshot() {
		if it.Kind == k {
			out = append(out, it)
		}
	}
	return out
}
