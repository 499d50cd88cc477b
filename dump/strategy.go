package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Switch values of a Strategy, spelled as in Layotto's tcpcopy configuration.
const (
	SwitchOn  = "ON"
	SwitchOff = "OFF"
)

// Strategy limits, checked by Strategy.Validate and ParseStrategy.
const (
	// MaxInterval is the longest sampling interval accepted (one week).
	MaxInterval = 7 * 24 * 60 * 60
	// MaxStrategySize is the largest strategy document ParseStrategy reads.
	MaxStrategySize = 64 << 10
)

// Strategy defaults, used for fields a strategy document leaves out. They are
// the values of Layotto's documented example configuration.
const (
	DefaultInterval   = 30
	DefaultDuration   = 10
	DefaultCPUMaxRate = 80
	DefaultMemMaxRate = 80
)

// Strategy is the sampling policy, field for field the JSON of Layotto's
// tcpcopy filter ("strategy" object), so an existing configuration can be
// pasted unchanged:
//
//	{"switch": "ON", "interval": 30, "duration": 10, "cpu_max_rate": 80, "mem_max_rate": 80}
//
// Every Interval seconds a sampling window of Duration seconds opens; nothing
// is recorded outside windows, and nothing while the load gate is closed
// (process, host or cgroup CPU above CPUMaxRate percent, or memory above
// MemMaxRate percent).
type Strategy struct {
	// Switch is SwitchOn or SwitchOff. OFF records nothing and costs one
	// atomic load per check.
	Switch string `json:"switch"`
	// Interval is the period between window openings, in seconds
	// (1..MaxInterval).
	Interval int `json:"interval"`
	// Duration is how long each window stays open, in seconds
	// (1..Interval). Duration == Interval samples continuously, with a fresh
	// window id every Interval.
	Duration int `json:"duration"`
	// CPUMaxRate is the CPU ceiling in percent (0 < x <= 100), default
	// DefaultCPUMaxRate (80). The gate compares it with Load.CPU, the
	// highest of three figures: the busy share of all the host's CPUs,
	// this process's CPU time, and its container's, the last two relative
	// to the cgroup quota (to all CPUs without one). So on a busy host
	// dumping stops while the host as a whole is more than 80 % busy, even
	// if this process is nearly idle, and in a container while the
	// container uses more than 80 % of its quota; it resumes once every
	// figure is Config.Hysteresis points (default 5) below, 75 %. While
	// the gate is closed nothing is recorded: each submission returns
	// DroppedGate and is counted (Stats.DroppedGate, DroppedGateBytes;
	// each closing in Stats.GateCloses). A host that is always that busy
	// records nothing with the default: raise the ceiling (100 closes the
	// gate only on a figure above 100 %, which the host's never is).
	CPUMaxRate float64 `json:"cpu_max_rate"`
	// MemMaxRate is the memory ceiling in percent (0 < x <= 100).
	MemMaxRate float64 `json:"mem_max_rate"`
}

// DefaultStrategy returns the strategy used for omitted fields: switched
// off, a 10 s window every 30 s, 80 % CPU and memory ceilings.
func DefaultStrategy() Strategy {
	return Strategy{Switch: SwitchOff, Interval: DefaultInterval, Duration: DefaultDuration,
		CPUMaxRate: DefaultCPUMaxRate, MemMaxRate: DefaultMemMaxRate}
}

// On reports whether the switch is ON.
func (s Strategy) On() bool { return s.Switch == SwitchOn }

// IntervalDuration returns Interval as a time.Duration.
func (s Strategy) IntervalDuration() time.Duration { return time.Duration(s.Interval) * time.Second }

// WindowDuration returns Duration as a time.Duration.
func (s Strategy) WindowDuration() time.Duration { return time.Duration(s.Duration) * time.Second }

// Validate reports the first out-of-range field as an error wrapping
// ErrInvalidStrategy.
func (s Strategy) Validate() error {
	switch {
	case s.Switch != SwitchOn && s.Switch != SwitchOff:
		return strategyErr("switch", fmt.Sprintf("%q is neither %q nor %q", s.Switch, SwitchOn, SwitchOff))
	case s.Interval < 1 || s.Interval > MaxInterval:
		return strategyErr("interval", fmt.Sprintf("%d s is outside 1..%d", s.Interval, MaxInterval))
	case s.Duration < 1 || s.Duration > s.Interval:
		return strategyErr("duration", fmt.Sprintf("%d s is outside 1..interval (%d)", s.Duration, s.Interval))
	case !(s.CPUMaxRate > 0 && s.CPUMaxRate <= 100): // also rejects NaN
		return strategyErr("cpu_max_rate", fmt.Sprintf("%v is outside (0, 100]", s.CPUMaxRate))
	case !(s.MemMaxRate > 0 && s.MemMaxRate <= 100):
		return strategyErr("mem_max_rate", fmt.Sprintf("%v is outside (0, 100]", s.MemMaxRate))
	}
	return nil
}

// strategyDoc mirrors Strategy with pointers, so an omitted field (default)
// can be told from an explicit zero (an error).
type strategyDoc struct {
	Switch     *string  `json:"switch"`
	Interval   *int     `json:"interval"`
	Duration   *int     `json:"duration"`
	CPUMaxRate *float64 `json:"cpu_max_rate"`
	MemMaxRate *float64 `json:"mem_max_rate"`
}

// ParseStrategy decodes a Layotto tcpcopy strategy document. Omitted fields
// take the DefaultStrategy values; unknown fields, wrong types, trailing data,
// documents over MaxStrategySize and out-of-range values are errors wrapping
// ErrInvalidStrategy.
func ParseStrategy(doc []byte) (Strategy, error) {
	if len(doc) > MaxStrategySize {
		return Strategy{}, fmt.Errorf("%w: document is %d bytes, limit %d", ErrInvalidStrategy, len(doc), MaxStrategySize)
	}
	var d strategyDoc
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Strategy{}, fmt.Errorf("%w: %v", ErrInvalidStrategy, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Strategy{}, fmt.Errorf("%w: trailing data after the strategy object", ErrInvalidStrategy)
	}
	s := DefaultStrategy()
	if d.Switch != nil {
		s.Switch = *d.Switch
	}
	if d.Interval != nil {
		s.Interval = *d.Interval
	}
	if d.Duration != nil {
		s.Duration = *d.Duration
	}
	if d.CPUMaxRate != nil {
		s.CPUMaxRate = *d.CPUMaxRate
	}
	if d.MemMaxRate != nil {
		s.MemMaxRate = *d.MemMaxRate
	}
	if err := s.Validate(); err != nil {
		return Strategy{}, err
	}
	return s, nil
}

// MarshalJSON writes the canonical form (all five fields, fixed order); it is
// the content of strategy snapshots.
func (s Strategy) MarshalJSON() ([]byte, error) {
	type plain Strategy // drop the method to avoid recursion
	return json.Marshal(plain(s))
}

// StrategyError is the error for an out-of-range strategy field.
type StrategyError struct {
	Field  string // JSON name of the field
	Reason string
}

func (e *StrategyError) Error() string {
	return "dump: invalid strategy: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidStrategy) true.
func (e *StrategyError) Unwrap() error { return ErrInvalidStrategy }

func strategyErr(field, reason string) error { return &StrategyError{Field: field, Reason: reason} }

// Sentinel errors of the package.
var (
	// ErrInvalidStrategy: a strategy document or value is malformed or out of range.
	ErrInvalidStrategy = errors.New("dump: invalid strategy")
	// ErrInvalidConfig: a Config field is out of range.
	ErrInvalidConfig = errors.New("dump: invalid config")
	// ErrClosed: the Dumper was closed.
	ErrClosed = errors.New("dump: dumper closed")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("dump: dumper already started")
	// ErrSinkDown: a sink is in its retry back-off after a failure; items
	// routed to it meanwhile are counted as write errors.
	ErrSinkDown = errors.New("dump: sink down, retrying later")
	// ErrTooLarge: a record or snapshot exceeds Config.MaxRecordSize.
	ErrTooLarge = errors.New("dump: payload too large")
)
