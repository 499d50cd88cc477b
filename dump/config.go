package dump

import (
	"fmt"
	"time"
)

// Config configures a Dumper. The zero value of every field except Sinks
// means "use the documented default".
type Config struct {
	// Strategy is the initial sampling policy (Layotto tcpcopy compatible).
	// Zero value: DefaultStrategy (switched OFF). Change it at run time with
	// Dumper.UpdateStrategy.
	Strategy Strategy

	// ConnSampleRate is the fraction of connections recorded, in (0, 1].
	// The decision is a hash of ConnInfo.ID, made once per connection, so a
	// sampled connection is recorded whole (both directions, every read in
	// every window). Default 1 (all connections). Change it at run time
	// with Dumper.SetConnSampleRate.
	ConnSampleRate float64

	// Sinks receive the recorded items. At least one is required.
	Sinks []Sink

	// Workers is the number of writer goroutines, default 1. Items are
	// sharded to workers by connection, which keeps each connection in
	// order; calls into one sink are serialized, so more workers help only
	// with several sinks.
	Workers int
	// QueueSize is the capacity of each worker's queue in items, default
	// 4096. A submission that finds the queue full is dropped and counted
	// (Stats.DroppedQueueFull); a connection's close item (Conn.Close) is
	// queued even then, so every recorded connection gets its FIN.
	QueueSize int
	// MaxQueuedBytes caps the payload bytes waiting in queues, default
	// 64 MiB. A submission over the cap is dropped as queue full.
	MaxQueuedBytes int64
	// BatchSize and BatchBytes bound one batch handed to the sinks, default
	// 256 items and 1 MiB.
	BatchSize  int
	BatchBytes int
	// Linger is how long a worker waits for a batch to accumulate after
	// handling a small one, default 1 ms; negative disables it. Without it
	// a fast sink drains every item as it comes and each submission pays
	// for waking the worker.
	Linger time.Duration
	// MaxRecordSize caps Record and Snapshot payloads, default 1 MiB.
	MaxRecordSize int

	// MonitorPeriod is the load sampling period, default 1 s.
	MonitorPeriod time.Duration
	// Hysteresis, in percentage points, is how far below its ceiling a
	// load figure must fall before a closed gate reopens, default 5.
	Hysteresis float64
	// Probe measures load, default NewSystemProbe(SystemProbeOptions{}).
	Probe Probe

	// RetryBackoff is the first pause after a sink fails, default 1 s;
	// it doubles per consecutive failure up to MaxRetryBackoff, default 30 s.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration

	// Clock is the time source, default SystemClock.
	Clock Clock
}

func (c *Config) applyDefaults() {
	if c.Strategy == (Strategy{}) {
		c.Strategy = DefaultStrategy()
	}
	if c.ConnSampleRate == 0 {
		c.ConnSampleRate = 1
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.QueueSize == 0 {
		c.QueueSize = 4096
	}
	if c.MaxQueuedBytes == 0 {
		c.MaxQueuedBytes = 64 << 20
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = 1 << 20
	}
	if c.Linger == 0 {
		c.Linger = time.Millisecond
	}
	if c.MaxRecordSize == 0 {
		c.MaxRecordSize = 1 << 20
	}
	if c.MonitorPeriod == 0 {
		c.MonitorPeriod = time.Second
	}
	if c.Hysteresis == 0 {
		c.Hysteresis = 5
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = time.Second
	}
	if c.MaxRetryBackoff == 0 {
		c.MaxRetryBackoff = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Probe == nil {
		c.Probe = NewSystemProbe(SystemProbeOptions{})
	}
}

func (c *Config) validate() error {
	if err := c.Strategy.Validate(); err != nil {
		return err
	}
	bad := func(field string, v any) error { return fmt.Errorf("%w: %s = %v", ErrInvalidConfig, field, v) }
	switch {
	case !(c.ConnSampleRate > 0 && c.ConnSampleRate <= 1):
		return bad("ConnSampleRate", c.ConnSampleRate)
	case len(c.Sinks) == 0:
		return fmt.Errorf("%w: no Sinks", ErrInvalidConfig)
	case c.Workers < 0 || c.Workers > 256:
		return bad("Workers", c.Workers)
	case c.QueueSize < 0 || c.QueueSize > 1<<24:
		return bad("QueueSize", c.QueueSize)
	case c.MaxQueuedBytes < 0:
		return bad("MaxQueuedBytes", c.MaxQueuedBytes)
	case c.BatchSize < 0 || c.BatchBytes < 0:
		return bad("BatchSize/BatchBytes", c.BatchSize)
	case c.MaxRecordSize < 0:
		return bad("MaxRecordSize", c.MaxRecordSize)
	case c.MonitorPeriod < 0:
		return bad("MonitorPeriod", c.MonitorPeriod)
	case !(c.Hysteresis >= 0 && c.Hysteresis < 100):
		return bad("Hysteresis", c.Hysteresis)
	case c.RetryBackoff < 0 || c.MaxRetryBackoff < c.RetryBackoff:
		return bad("RetryBackoff/MaxRetryBackoff", c.RetryBackoff)
	}
	for i, s := range c.Sinks {
		if s == nil {
			return bad(fmt.Sprintf("Sinks[%d]", i), "nil")
		}
	}
	return nil
}
