package filter

import (
	"errors"
	"net"
	"time"
)

// Status is what a filter returns: whether the chain goes on.
type Status uint8

const (
	// Continue passes the buffer to the next filter (or, after the last
	// one, forwards it).
	Continue Status = iota
	// Stop ends this run of the chain. The buffered bytes are held, not
	// forwarded and not dropped. The next read appends to them and runs the
	// chain again from the first filter; the filter's callbacks can resume
	// the chain after the stopping filter at any time (ContinueReading,
	// ContinueWriting).
	Stop
)

// String names the status.
func (s Status) String() string {
	if s == Stop {
		return "Stop"
	}
	return "Continue"
}

// The two directions of a Conn, for ReadFrom, Feed, Inject and Stats.
const (
	// ReadPath carries bytes from the downstream (the client) to the
	// upstream, through the ReadFilters.
	ReadPath = 0
	// WritePath carries bytes from the upstream to the downstream, through
	// the WriteFilters.
	WritePath = 1
)

// ReadFilter sees the bytes read from the downstream (the client), in chain
// order, before they are forwarded upstream.
type ReadFilter interface {
	// OnNewConnection is called once per connection, before the filter's
	// first OnData: when the connection starts (Conn.Start) or, if an
	// earlier filter stopped there, when the chain first reaches this
	// filter. Stop holds any data read meanwhile until the chain is resumed.
	OnNewConnection() Status
	// OnData is called for each run of the chain while bytes are buffered.
	// See Buffer for how bytes are consumed and held.
	OnData(buf *Buffer) Status
}

// WriteFilter sees the bytes about to be written to the downstream (the
// upstream's replies), in chain order.
//
// Stop holds the bytes in the connection's write buffer (explicitly: they
// are neither written nor dropped) until ContinueWriting or the next write
// runs the write chain again. A filter that wants bytes gone drains them
// (counted in Stats.Drained); nothing is discarded silently.
type WriteFilter interface {
	OnWrite(buf *Buffer) Status
}

// CloseHook is implemented by filters that want to know when their
// connection ends, to release resources or flush state. OnConnClose is called
// once per filter from Conn.Release, after the owner has stopped reading, so
// it never runs concurrently with OnData or OnWrite. err is why the
// connection was closed (nil for a normal end).
type CloseHook interface {
	OnConnClose(err error)
}

// Factory creates the filters of each new connection. A Factory is built
// once from configuration (see Registry) and shared by all connections of a
// listener, so it must be safe for concurrent use.
type Factory interface {
	// Install creates this filter's per-connection instance(s) and adds them
	// with c.AddReadFilter and c.AddWriteFilter. An error refuses the
	// connection.
	Install(c *Conn) error
}

// FactoryFunc adapts a function to Factory.
type FactoryFunc func(c *Conn) error

// Install calls f(c).
func (f FactoryFunc) Install(c *Conn) error { return f(c) }

// ConnInfo describes a connection to its filters.
type ConnInfo struct {
	// ID identifies the connection; unique per Chain when left zero (the
	// chain numbers connections from 1).
	ID uint64
	// Listener is the name of the listener that accepted it.
	Listener string
	// LocalAddr is the proxy's address the client connected to;
	// RemoteAddr is the client's address.
	LocalAddr, RemoteAddr net.Addr
	// Start is when the connection was accepted (time.Now when zero).
	Start time.Time
}

// ReadCallbacks is a read filter's handle on its connection, returned by
// Conn.AddReadFilter.
type ReadCallbacks struct{ h handle }

// Conn returns the filter's connection.
func (cb *ReadCallbacks) Conn() *Conn { return cb.h.c }

// ContinueReading resumes the read chain after this filter, on the bytes
// buffered now, the way MOSN's ReadFilterCallbacks.ContinueReading does. It
// is meant for a filter that returned Stop and has since made up its mind
// (after an asynchronous check, a timer): it may be called from any
// goroutine, and also from inside the filter's own callbacks, where the run
// happens as soon as the current run ends. It does nothing once the
// connection is closed.
func (cb *ReadCallbacks) ContinueReading() { cb.h.c.resume(&cb.h.c.dirs[0], cb.h.index+1) }

// WriteCallbacks is a write filter's handle on its connection, returned by
// Conn.AddWriteFilter.
type WriteCallbacks struct{ h handle }

// Conn returns the filter's connection.
func (cb *WriteCallbacks) Conn() *Conn { return cb.h.c }

// ContinueWriting resumes the write chain after this filter, on the bytes
// held now; the counterpart of ContinueReading, with the same rules.
func (cb *WriteCallbacks) ContinueWriting() { cb.h.c.resume(&cb.h.c.dirs[1], cb.h.index+1) }

type handle struct {
	c     *Conn
	index int
}

// Errors of the package.
var (
	// ErrClosed: the connection was closed.
	ErrClosed = errors.New("filter: connection closed")
	// ErrBufferFull: filters held more bytes than ConnOptions.MaxBuffer.
	ErrBufferFull = errors.New("filter: held bytes exceed the buffer limit")
	// ErrNoUpstream: data was injected before the destination was set.
	ErrNoUpstream = errors.New("filter: destination not set")
	// ErrUnknownFilter: a configuration names a filter type that is not
	// registered.
	ErrUnknownFilter = errors.New("filter: unknown filter type")
	// ErrDuplicate: a filter type was registered twice.
	ErrDuplicate = errors.New("filter: filter type already registered")
	// ErrBadConfig: a filter's configuration was rejected.
	ErrBadConfig = errors.New("filter: bad filter config")
	// ErrConnLimit: the connection limiter refused a connection.
	ErrConnLimit = errors.New("filter: connection limit reached")
	// ErrDenied: the deny filter refused a request.
	ErrDenied = errors.New("filter: request denied")
)
