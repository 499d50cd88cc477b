package filter

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirekit/wirekit/internal/nocopy"
)

// Defaults of ConnOptions.
const (
	// DefaultBufferSize is the initial size of each direction's buffer
	// (one read at most fills it); buffers of this size are pooled.
	DefaultBufferSize = 32 << 10
	// DefaultMaxBuffer is how many bytes filters may hold per direction.
	DefaultMaxBuffer = 1 << 20
)

// ConnOptions configures a Conn. Zero fields take the documented defaults.
type ConnOptions struct {
	// Upstream receives the read path's bytes after the read chain;
	// Downstream receives the write path's bytes after the write chain.
	// Either may be set later with SetUpstream / SetDownstream; until then
	// bytes that passed the chain wait in the buffer.
	Upstream, Downstream io.Writer
	// OnClose is called once, synchronously, when the connection is closed
	// by a filter, by a failed write, by an exceeded limit or by Close. It
	// is where the owner closes its sockets. It runs with the calling
	// direction's lock held, so it must not call back into the Conn (other
	// than Err, Info, Value) and must not block.
	OnClose func(err error)
	// BufferSize is the initial buffer size per direction, default
	// DefaultBufferSize.
	BufferSize int
	// MaxBuffer caps the bytes held per direction while a filter stops the
	// chain, default DefaultMaxBuffer; a value below BufferSize is raised to
	// BufferSize. A read that finds the buffer full closes the connection
	// with ErrBufferFull.
	MaxBuffer int
}

// Stats are the byte counters of one direction.
type Stats struct {
	Read      int64 // bytes read (or fed) into the buffer
	Forwarded int64 // bytes written to the destination after the chain
	Drained   int64 // bytes filters removed with Buffer.Drain
	Injected  int64 // bytes written by Conn.Inject
	Held      int   // bytes in the buffer now
}

// Conn is the filter chain of one connection: the per-connection filter
// instances, a buffer per direction and the forwarding to the destinations.
//
// The owner (a proxy) drives it: Start once, then ReadFrom (or Feed) in one
// goroutine per direction, and Release when both have ended. Directions
// are ReadPath (downstream to upstream) and WritePath. Filters run under the direction's lock, so the filters of
// one direction are never called concurrently; the two directions run in
// parallel.
type Conn struct {
	_ nocopy.NoCopy

	info  ConnInfo
	opts  ConnOptions
	dirs  [2]direction
	hooks []CloseHook

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	released  atomic.Bool

	upAddr atomic.Pointer[net.Addr]

	valMu sync.Mutex
	vals  map[any]any
}

type direction struct {
	mu      sync.Mutex // guards the chain state and buf
	wmu     sync.Mutex // serializes writes to dst (forward and Inject)
	dst     io.Writer
	buf     Buffer
	filters []*active
	isRead  bool
	// passN is how many bytes at the front of buf passed the whole chain
	// and wait to be forwarded (the destination is not set yet, or a run
	// passed only a prefix).
	passN int

	// running is set while filters run, so a resume from inside a filter
	// callback (which holds mu) queues instead of deadlocking. A chain
	// without filters has no callbacks and skips it.
	running atomic.Bool
	pending atomic.Int32 // 1 + index to resume from, 0 for none

	read, forwarded int64 // guarded by mu
	// next is the free tail of buf prepared for the next ReadFrom; owned by
	// the reading goroutine.
	next     []byte
	injected int64 // guarded by wmu
}

type active struct {
	rf          ReadFilter
	wf          WriteFilter
	initialized bool
	seen        int64
}

// newConn is used by Chain.NewConn.
func newConn(info ConnInfo, opts ConnOptions) *Conn {
	if opts.BufferSize <= 0 {
		opts.BufferSize = DefaultBufferSize
	}
	if opts.MaxBuffer <= 0 {
		opts.MaxBuffer = DefaultMaxBuffer
	}
	if opts.MaxBuffer < opts.BufferSize {
		opts.MaxBuffer = opts.BufferSize
	}
	if info.Start.IsZero() {
		info.Start = time.Now()
	}
	c := &Conn{info: info, opts: opts}
	c.dirs[0].isRead = true
	c.dirs[0].dst = opts.Upstream
	c.dirs[1].dst = opts.Downstream
	return c
}

// Info returns the connection's description.
func (c *Conn) Info() ConnInfo { return c.info }

// ID returns Info().ID.
func (c *Conn) ID() uint64 { return c.info.ID }

// UpstreamAddr returns the address of the upstream, once the owner set it
// with SetUpstream (nil before).
func (c *Conn) UpstreamAddr() net.Addr {
	if p := c.upAddr.Load(); p != nil {
		return *p
	}
	return nil
}

// AddReadFilter appends f to the read chain. Call it from Factory.Install.
// If f also implements CloseHook it is called at Release.
func (c *Conn) AddReadFilter(f ReadFilter) *ReadCallbacks {
	d := &c.dirs[0]
	d.filters = append(d.filters, &active{rf: f})
	c.addHook(f)
	return &ReadCallbacks{handle{c, len(d.filters) - 1}}
}

// AddWriteFilter appends f to the write chain. Call it from Factory.Install.
// A value implementing both ReadFilter and WriteFilter may be added to both
// chains; its CloseHook is then called once.
func (c *Conn) AddWriteFilter(f WriteFilter) *WriteCallbacks {
	d := &c.dirs[1]
	d.filters = append(d.filters, &active{wf: f})
	c.addHook(f)
	return &WriteCallbacks{handle{c, len(d.filters) - 1}}
}

func (c *Conn) addHook(f any) {
	h, ok := f.(CloseHook)
	if !ok {
		return
	}
	for _, o := range c.hooks {
		if o == h {
			return
		}
	}
	c.hooks = append(c.hooks, h)
}

// SetValue stores a per-connection value under key, for later filters (or
// the owner) to read with Value. Use an unexported key type, as with
// context.Context.
func (c *Conn) SetValue(key, val any) {
	c.valMu.Lock()
	if c.vals == nil {
		c.vals = make(map[any]any, 4)
	}
	c.vals[key] = val
	c.valMu.Unlock()
}

// Value returns the value stored under key, or nil.
func (c *Conn) Value(key any) any {
	c.valMu.Lock()
	v := c.vals[key]
	c.valMu.Unlock()
	return v
}

// SetUpstream sets where the read path forwards to (and the upstream's
// address, for filters), then forwards bytes that already passed the chain.
func (c *Conn) SetUpstream(w io.Writer, addr net.Addr) error {
	if addr != nil {
		c.upAddr.Store(&addr)
	}
	return c.setDst(&c.dirs[0], w)
}

// SetDownstream sets where the write path forwards to.
func (c *Conn) SetDownstream(w io.Writer) error { return c.setDst(&c.dirs[1], w) }

func (c *Conn) setDst(d *direction, w io.Writer) error {
	d.mu.Lock()
	d.wmu.Lock()
	d.dst = w
	d.wmu.Unlock()
	var err error
	if !c.closed.Load() {
		err = c.flush(d) // forward what passed the chain before
	}
	d.mu.Unlock()
	if err != nil {
		c.Close(err)
	}
	return err
}

// Start runs the read filters' OnNewConnection. It returns the close reason
// if a filter closed the connection (a limiter, a deny list), else nil, also
// when a filter stopped the chain (it resumes it later).
func (c *Conn) Start() error {
	d := &c.dirs[0]
	d.mu.Lock()
	err := c.run(d, 0)
	d.mu.Unlock()
	if err != nil {
		c.Close(err)
	}
	return c.Err()
}

// ReadFrom performs one Read from src into the buffer of direction dir
// (ReadPath: data from the downstream; WritePath: data from the upstream),
// runs that direction's chain and forwards what passes. It
// returns the Read's result; a chain failure (a filter closing the
// connection, a failed forward, a full buffer) is returned instead when
// there is one. Only one goroutine may read a direction at a time.
//
// Reading straight into the buffer means the bytes are never copied by the
// chain: with no filter allocating, a ReadFrom allocates nothing.
func (c *Conn) ReadFrom(dir int, src io.Reader) (int, error) {
	d := &c.dirs[dir&1]
	if c.closed.Load() {
		return 0, c.closedErr()
	}
	// The free tail was prepared at the end of the previous call; only the
	// reading goroutine ever writes there or moves w, so it needs no lock.
	t := d.next
	if len(t) < minRead {
		d.mu.Lock()
		t = d.buf.tail(c.opts.BufferSize, c.opts.MaxBuffer)
		d.mu.Unlock()
		if len(t) == 0 {
			c.Close(ErrBufferFull)
			return 0, ErrBufferFull
		}
	}
	d.next = nil
	n, rerr := src.Read(t)
	if n > 0 {
		d.mu.Lock()
		d.buf.commit(n)
		d.read += int64(n)
		err := c.run(d, 0)
		if err == nil {
			d.next = d.buf.tail(c.opts.BufferSize, c.opts.MaxBuffer)
		}
		d.mu.Unlock()
		if err != nil {
			c.Close(err)
			return n, err
		}
		if c.closed.Load() {
			return n, c.closedErr()
		}
	}
	return n, rerr
}

// Feed copies p into the buffer of direction dir and runs the chain, for
// owners that read the bytes themselves. ReadFrom avoids the copy.
func (c *Conn) Feed(dir int, p []byte) error {
	d := &c.dirs[dir&1]
	d.mu.Lock()
	if c.closed.Load() {
		d.mu.Unlock()
		return c.closedErr()
	}
	if !d.buf.append(p, c.opts.BufferSize, c.opts.MaxBuffer) {
		d.mu.Unlock()
		c.Close(ErrBufferFull)
		return ErrBufferFull
	}
	d.read += int64(len(p))
	d.next = nil // w moved: the prepared tail is stale
	err := c.run(d, 0)
	d.mu.Unlock()
	if err != nil {
		c.Close(err)
		return err
	}
	if c.closed.Load() {
		return c.closedErr()
	}
	return nil
}

// Inject writes p to the destination of direction dir right away, bypassing
// the filters and ahead of any bytes still held in that direction's buffer:
// Inject(ReadPath, p) sends p upstream, Inject(WritePath, p) sends it to the
// client (a filter answering a request itself). It may be called from a filter
// callback or from any goroutine.
func (c *Conn) Inject(dir int, p []byte) error {
	d := &c.dirs[dir&1]
	if c.closed.Load() {
		return c.closedErr()
	}
	d.wmu.Lock()
	if d.dst == nil {
		d.wmu.Unlock()
		return ErrNoUpstream
	}
	n, err := d.dst.Write(p)
	d.injected += int64(n)
	d.wmu.Unlock()
	if err != nil {
		c.Close(err)
	}
	return err
}

// Close closes the connection with reason err (nil for a normal end): the
// chain stops, nothing more is forwarded, and ConnOptions.OnClose runs once.
// The first reason wins. Filters call it to refuse a connection.
func (c *Conn) Close(err error) {
	c.closeOnce.Do(func() {
		c.closeErr = err
		c.closed.Store(true)
		if c.opts.OnClose != nil {
			c.opts.OnClose(err)
		}
	})
}

// Closed reports whether Close was called.
func (c *Conn) Closed() bool { return c.closed.Load() }

// Err returns the reason given to the first Close: nil while the connection
// is open and after a normal close.
func (c *Conn) Err() error {
	if !c.closed.Load() {
		return nil
	}
	return c.closeErr
}

// closedErr is the error returned to calls on a closed connection: the
// close reason, or ErrClosed after a normal close.
func (c *Conn) closedErr() error {
	if c.closeErr != nil {
		return c.closeErr
	}
	return ErrClosed
}

// Release ends the connection for good, once the owner has stopped calling
// ReadFrom and Feed: it closes it (reason nil unless closed before), runs
// the filters' CloseHooks and returns the buffers to the pool. Calling it
// again does nothing.
func (c *Conn) Release() {
	if !c.released.CompareAndSwap(false, true) {
		return
	}
	c.Close(nil)
	err := c.Err()
	for _, h := range c.hooks {
		h.OnConnClose(err)
	}
	for i := range c.dirs {
		d := &c.dirs[i]
		d.mu.Lock()
		d.buf.release()
		d.next = nil
		d.mu.Unlock()
	}
}

// Stats returns the counters of direction dir.
func (c *Conn) Stats(dir int) Stats {
	d := &c.dirs[dir&1]
	d.mu.Lock()
	s := Stats{Read: d.read, Forwarded: d.forwarded, Drained: d.buf.drained, Held: d.buf.w - d.buf.r}
	d.mu.Unlock()
	d.wmu.Lock()
	s.Injected = d.injected
	d.wmu.Unlock()
	return s
}

// resume runs the chain of d from filter index from: now if no run is in
// progress, or right after the current one (which may be the caller's own).
func (c *Conn) resume(d *direction, from int) {
	v := int32(from + 1)
	for {
		old := d.pending.Load()
		if old != 0 && old <= v || d.pending.CompareAndSwap(old, v) {
			break
		}
	}
	if d.running.Load() {
		return // the run in progress picks the request up when it ends
	}
	d.mu.Lock()
	var err error
	if p := d.pending.Swap(0); p != 0 && !c.closed.Load() {
		err = c.run(d, int(p-1))
	}
	d.mu.Unlock()
	if err != nil {
		c.Close(err)
	}
}

// run runs the chain of d from filter from, then any resumption requested
// meanwhile. d.mu is held.
func (c *Conn) run(d *direction, from int) error {
	if len(d.filters) == 0 {
		return c.runOnce(d, from)
	}
	d.running.Store(true)
	err := c.runOnce(d, from)
	for {
		d.running.Store(false)
		if d.pending.Load() == 0 { // a plain load: the common case costs no atomic write
			return err
		}
		p := d.pending.Swap(0)
		if p == 0 || err != nil || c.closed.Load() {
			return err
		}
		d.running.Store(true)
		err = c.runOnce(d, int(p-1))
	}
}

func (c *Conn) runOnce(d *direction, from int) error {
	b := &d.buf
	defer func() { b.limited = false }()
	for i := from; i < len(d.filters); i++ {
		a := d.filters[i]
		if d.isRead && !a.initialized {
			a.initialized = true
			st := a.rf.OnNewConnection()
			if c.closed.Load() || st == Stop {
				return nil
			}
		}
		if b.Len() == 0 {
			continue
		}
		b.beginFilter(a.seen)
		b.pass = 0
		var st Status
		if d.isRead {
			st = a.rf.OnData(b)
		} else {
			st = a.wf.OnWrite(b)
		}
		a.seen = b.shownEnd()
		if c.closed.Load() {
			return nil
		}
		if st == Stop {
			if b.pass <= 0 {
				return nil
			}
			if b.pass < b.Len() { // later filters see only the passed prefix
				b.lim, b.limited = b.r+b.pass, true
			}
		}
	}
	if n := b.Len(); n > d.passN {
		d.passN = n
	}
	return c.flush(d)
}

// flush forwards the bytes that passed the whole chain, if there is a
// destination.
func (c *Conn) flush(d *direction) error {
	n := min(d.passN, d.buf.w-d.buf.r)
	if n == 0 || d.dst == nil {
		return nil
	}
	d.wmu.Lock()
	w, err := d.dst.Write(d.buf.b[d.buf.r : d.buf.r+n])
	d.wmu.Unlock()
	d.buf.consume(w)
	d.passN -= w
	d.forwarded += int64(w)
	return err
}
