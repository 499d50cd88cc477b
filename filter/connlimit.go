package filter

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
)

// ConnLimitName is the registered type name of the connection limiter.
const ConnLimitName = "connection_limit"

// ConnLimitConfig configures the connection limiter:
//
//	{"type": "connection_limit", "config": {"max_connections": 100}}
type ConnLimitConfig struct {
	// MaxConnections is how many connections of the listener may be open at
	// once (>= 1). Connection number MaxConnections+1 is closed with
	// ErrConnLimit before any byte is forwarded.
	MaxConnections int64 `json:"max_connections"`
}

// ConnLimit is the connection limiter's Factory. It counts the open
// connections of every chain it is part of and refuses those over the
// limit: its read filter closes the connection and returns Stop from
// OnNewConnection, so later filters never see it and nothing is forwarded.
type ConnLimit struct {
	max      int64
	open     atomic.Int64
	refused  atomic.Int64
	admitted atomic.Int64
}

// NewConnLimit returns a limiter for cfg.
func NewConnLimit(cfg ConnLimitConfig) (*ConnLimit, error) {
	if cfg.MaxConnections < 1 {
		return nil, fmt.Errorf("max_connections must be >= 1, got %d", cfg.MaxConnections)
	}
	return &ConnLimit{max: cfg.MaxConnections}, nil
}

// ConnLimitCreator is the Creator registered as ConnLimitName.
func ConnLimitCreator(raw json.RawMessage) (Factory, error) {
	var cfg ConnLimitConfig
	if err := DecodeConfig(raw, &cfg); err != nil {
		return nil, err
	}
	return NewConnLimit(cfg)
}

// Install adds the limiter's read filter to c.
func (l *ConnLimit) Install(c *Conn) error {
	f := &connLimitFilter{l: l}
	f.cb = c.AddReadFilter(f)
	return nil
}

// Open returns the number of admitted connections not yet released.
func (l *ConnLimit) Open() int64 { return l.open.Load() }

// Refused returns how many connections were refused.
func (l *ConnLimit) Refused() int64 { return l.refused.Load() }

// Admitted returns how many connections were admitted.
func (l *ConnLimit) Admitted() int64 { return l.admitted.Load() }

type connLimitFilter struct {
	l       *ConnLimit
	cb      *ReadCallbacks
	counted bool
}

func (f *connLimitFilter) OnNewConnection() Status {
	if f.l.open.Add(1) > f.l.max {
		f.l.open.Add(-1)
		f.l.refused.Add(1)
		f.cb.Conn().Close(ErrConnLimit)
		return Stop
	}
	f.counted = true
	f.l.admitted.Add(1)
	return Continue
}

func (f *connLimitFilter) OnData(*Buffer) Status { return Continue }

func (f *connLimitFilter) OnConnClose(error) {
	if f.counted {
		f.counted = false
		f.l.open.Add(-1)
	}
}
