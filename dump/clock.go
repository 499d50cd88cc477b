package dump

import (
	"sync/atomic"
	"time"
)

// Clock is the time source of a Dumper: capture timestamps, window schedule,
// load-monitor period, sink retry back-off and file age. The default is the
// system clock; tests substitute a fake one to step through windows without
// sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a one-shot timer that delivers on C() once d has
	// elapsed on this clock.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped it.
	Stop() bool
}

// SystemClock is the Clock of package time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }

// CoarseClock is a Clock whose Now reads a timestamp refreshed every
// Resolution by its own goroutine, for hosts where time.Now is expensive
// (on virtual machines without a usable vDSO clock it costs 100-200 ns,
// more than the rest of a submission). Capture timestamps then have that
// resolution. Start it before use and Stop it when done; timers are the
// system's.
type CoarseClock struct {
	// Resolution is the refresh period, default 1 ms.
	Resolution time.Duration
	now        atomic.Int64 // unix nanoseconds
	stop       chan struct{}
	done       chan struct{}
}

// Start begins refreshing the timestamp.
func (c *CoarseClock) Start() {
	if c.Resolution <= 0 {
		c.Resolution = time.Millisecond
	}
	c.now.Store(time.Now().UnixNano())
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(c.done)
		t := time.NewTicker(c.Resolution)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case now := <-t.C:
				c.now.Store(now.UnixNano())
			}
		}
	}()
}

// Stop ends the refresh goroutine and waits for it.
func (c *CoarseClock) Stop() {
	if c.stop != nil {
		close(c.stop)
		<-c.done
		c.stop = nil
	}
}

// Now returns the last refreshed time (no monotonic reading).
func (c *CoarseClock) Now() time.Time { return time.Unix(0, c.now.Load()) }

// NewTimer returns a system timer.
func (c *CoarseClock) NewTimer(d time.Duration) Timer { return SystemClock{}.NewTimer(d) }
