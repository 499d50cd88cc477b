package dump

import "time"

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
