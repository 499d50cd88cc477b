package parser

import (
	"errors"
	"sync"
	"time"
)

// ConnOptions are a Conn's limits. Zero fields take the defaults.
type ConnOptions struct {
	// Budget is the memory budget shared with other Conns for the bytes of
	// incomplete messages (see Budget). nil: DefaultBudget(), shared by
	// every Conn and Sniffer of the process that names none.
	Budget *Budget
	// MaxBuffer, when set, caps the bytes buffered per direction while a
	// message is incomplete: a message that would need more stops that
	// direction with ErrTooLarge (counted, never buffered further). 0 (the
	// default): no cap of the Conn's own; the protocol's limits (Redis
	// MaxMessage, Kafka MaxMessageSize, ...) and the Budget apply.
	MaxBuffer int
	// MaxPending is the most requests waiting for their responses. When a
	// new request would exceed it, the oldest is reported Unanswered with
	// Reason ErrEvicted. Default 1024.
	MaxPending int
}

// Default ConnOptions values.
const (
	DefaultMaxPending = 1024
)

func (o *ConnOptions) setDefaults() {
	if o.Budget == nil {
		o.Budget = defaultBudget
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
}

// ConnStats counts what a Conn did. Index [Request] and [Response] for the
// per-direction fields.
type ConnStats struct {
	Messages        [2]uint64 // framed messages
	ParseErrors     [2]uint64 // framed messages whose tree did not match
	Truncated       [2]uint64 // messages cut short by a gap or the end of the stream
	Exchanges       uint64    // Complete exchanges
	OneWay          uint64    // OneWayRequest exchanges
	Unanswered      uint64    // Unanswered exchanges (all reasons)
	Evicted         uint64    // of which evicted by MaxPending
	Unmatched       uint64    // UnmatchedResponse exchanges
	Pushes          uint64    // Push exchanges
	Interim         uint64    // interim responses (not exchanges)
	EarlyResponses  uint64    // of the Complete exchanges, those whose response came before the request was whole
	Gaps            [2]uint64 // gaps reported with Gap
	GapBytes        [2]uint64 // bytes those gaps lost
	SkippedBytes    [2]uint64 // bytes received but not parsed (resynchronising, or after a direction stopped)
	FramingErrors   [2]uint64 // framing errors (each stops or resynchronises the direction)
	StoppedByError  [2]error  // why a direction stopped being parsed, nil while it is parsed
	BufferedMaxSize [2]int    // largest buffer a partial message needed
}

type pending struct {
	attrs   Attributes
	ts      time.Time
	size    int
	key     uint64
	flags   Flags
	err     error
	interim int
	seq     uint64
}

type dirState struct {
	decode DecodeFunc // frames and parses: the direction's one decoding path
	buf    []byte
	held   int // cap(buf) charged to the Budget
	bufTS  time.Time
	resync bool // after a gap: skip to a point the tree's fastFail accepts
}

// GapNotifier is implemented by a protocol's per-connection state (the
// value Protocol.NewState returns) that needs to know when bytes were lost,
// for example to drop what its framing remembered about a message in
// progress. Conn.Gap calls it before resynchronising.
type GapNotifier interface {
	Gap(dir Direction)
}

// Conn drives one Protocol over the two directions of one connection: it
// frames each direction's bytes, parses the messages with the protocol's
// trees, pairs responses with requests and reports each Exchange to a
// callback.
//
// Bytes are framed straight from the slices passed to Feed; only the tail
// of an incomplete message is copied into a per-direction buffer. So a
// stream of whole messages is parsed without copying, and steady-state
// operation allocates nothing.
//
// Every message is reported in exactly one Exchange (see ExchangeKind), and
// every byte not parsed is counted in Stats, so nothing is lost silently.
//
// After a gap (bytes lost in capture) the direction resynchronises: bytes
// are skipped (and counted) up to the first position the parser tree's
// fastFail accepts and framing succeeds. With in-order pairing, requests
// pending at a gap are reported Unanswered (Reason ErrGap) since which
// response answers which can no longer be known.
//
// A Conn is not safe for concurrent use.
type Conn struct {
	p     *Protocol
	opts  ConnOptions
	emit  func(*Exchange)
	state any
	dirs  [2]dirState
	msg   Message
	ex    Exchange
	// pending requests, a ring: q[(head+i)%len(q)] for i < n
	q       []*pending
	head, n int
	free    []*pending
	// The first storage of q and free, inside the Conn: a connection with
	// up to 8 requests in flight allocates neither.
	qArr, freeArr [8]*pending
	seq           uint64 // requests framed so far
	stats         ConnStats
	// An early response (see EarlyResponse) waiting for the request in
	// progress to be framed, and that request's attributes as far as its
	// bytes go (parsed once per request, for the response's parser).
	early   *pending
	partial *Message
	partSeq uint64 // c.seq+1 when partial holds the request in progress
}

// NewConn returns a Conn parsing protocol p, reporting exchanges to emit.
// The Exchange passed to emit is reused after emit returns (Clone it to
// keep it).
func NewConn(p *Protocol, opts ConnOptions, emit func(*Exchange)) *Conn {
	opts.setDefaults()
	c := &Conn{p: p, opts: opts, emit: emit}
	c.free = c.freeArr[:0]
	c.msg.Attrs.list = make([]Attr, 0, 8) // one allocation, not one per doubling
	if p.NewState != nil {
		c.state = p.NewState()
	}
	for dir := range Direction(2) {
		c.dirs[dir].decode = p.Decoder(c.state, dir)
	}
	return c
}

// Protocol returns the protocol the Conn parses.
func (c *Conn) Protocol() *Protocol { return c.p }

// State returns the protocol's per-connection value.
func (c *Conn) State() any { return c.state }

// Stats returns the counters so far.
func (c *Conn) Stats() ConnStats { return c.stats }

// Pending is how many requests wait for a response.
func (c *Conn) Pending() int { return c.n }

// Feed hands the Conn the next bytes of direction dir, captured at ts.
// data is not retained after Feed returns.
func (c *Conn) Feed(dir Direction, data []byte, ts time.Time) {
	d := &c.dirs[dir]
	if err := c.stats.StoppedByError[dir]; err != nil {
		c.stats.SkippedBytes[dir] += uint64(len(data))
		if err == ErrOverBudget {
			c.opts.Budget.shed.Add(uint64(len(data)))
		}
		return
	}
	if len(d.buf) == 0 {
		n := c.frame(dir, data, ts, false)
		if rest := data[n:]; len(rest) > 0 && c.stats.StoppedByError[dir] == nil {
			c.buffer(dir, rest, ts)
		}
		return
	}
	if !c.buffer(dir, data, ts) {
		return
	}
	n := c.frame(dir, d.buf, d.bufTS, false)
	if c.stats.StoppedByError[dir] != nil {
		c.dropBuf(d)
		return
	}
	if n == 0 {
		return // still one incomplete message: nothing to move
	}
	m := copy(d.buf, d.buf[n:])
	d.buf = d.buf[:m]
	d.bufTS = ts
	if m == 0 && cap(d.buf) > keepBuf {
		// A large message is done: give its buffer (and its share of the
		// budget) to the next one that needs it rather than holding it
		// for this connection's lifetime.
		c.dropBuf(d)
	}
}

// dropBuf releases a direction's buffer and its share of the budget.
func (c *Conn) dropBuf(d *dirState) {
	putBuf(d.buf)
	d.buf = nil
	c.opts.Budget.give(d.held)
	d.held = 0
}

// keepBuf is the buffer capacity a Conn keeps between messages.
const keepBuf = 16 << 10

// buffer appends b to dir's buffer within MaxBuffer and the Budget.
func (c *Conn) buffer(dir Direction, b []byte, ts time.Time) bool {
	d := &c.dirs[dir]
	need := len(d.buf) + len(b)
	if c.opts.MaxBuffer > 0 && need > c.opts.MaxBuffer {
		c.stop(dir, ErrTooLarge, need)
		c.dropBuf(d)
		return false
	}
	if len(d.buf) == 0 {
		d.bufTS = ts
	}
	if need > cap(d.buf) {
		nb := getBuf(growCap(cap(d.buf), need))
		if !c.opts.Budget.take(cap(nb) - d.held) {
			putBuf(nb)
			c.opts.Budget.shed.Add(uint64(need))
			c.stop(dir, ErrOverBudget, need)
			c.dropBuf(d)
			return false
		}
		if cap(nb) > d.held {
			d.held = cap(nb)
		}
		nb = append(nb, d.buf...)
		putBuf(d.buf)
		d.buf = nb
	}
	d.buf = append(d.buf, b...)
	if len(d.buf) > c.stats.BufferedMaxSize[dir] {
		c.stats.BufferedMaxSize[dir] = len(d.buf)
	}
	return true
}

// growCap is the capacity a buffer of capacity old grows to for need
// bytes: doubling while small, then by a quarter, so that a large message
// holds at most about a quarter more than it needs (and the Budget is
// charged for no more) while copies stay linear in its size.
func growCap(old, need int) int {
	if old < 1<<20 {
		return max(need, 2*old)
	}
	return max(need, old+old/4)
}

// stop ends parsing of one direction, counting skipped bytes.
func (c *Conn) stop(dir Direction, err error, skipped int) {
	c.stats.StoppedByError[dir] = err
	c.stats.SkippedBytes[dir] += uint64(skipped)
	if !errors.Is(err, ErrUpgraded) {
		c.stats.FramingErrors[dir]++
	}
}

// frame frames and handles whole messages from data, returning how many
// bytes were consumed (including bytes skipped while resynchronising).
func (c *Conn) frame(dir Direction, data []byte, ts time.Time, atEOF bool) int {
	d := &c.dirs[dir]
	off := 0
	for off < len(data) {
		if d.resync {
			i := c.syncPoint(dir, data[off:])
			c.stats.SkippedBytes[dir] += uint64(i)
			off += i
			if off == len(data) {
				return off
			}
		}
		// Frame and parse in one call. A response's request is known
		// before it is framed: the oldest pending one (in order), or the
		// one whose key the response's first bytes carry (by key).
		m := &c.msg
		m.Request = nil
		var req *pending
		idx := -1
		if dir == Response && c.n > 0 {
			if req, idx = c.requestFor(data[off:]); req != nil {
				m.Request = &req.attrs
			}
		} else if dir == Response && c.inProgress() {
			m.Request = c.partialRequest()
		}
		adv, framed, matched, err := d.decode(m, data[off:], atEOF)
		if err != nil {
			if d.resync && !errors.Is(err, ErrShort) {
				// A false start while resynchronising: skip a byte, go on.
				c.stats.SkippedBytes[dir]++
				off++
				continue
			}
			if atEOF && errors.Is(err, ErrShort) {
				c.handle(dir, data[off:], ts, Truncated)
				return len(data)
			}
			c.stop(dir, err, len(data)-off)
			return len(data)
		}
		if adv < 0 || adv > len(data)-off || (adv == 0 && framed) {
			c.stop(dir, ErrMalformed, len(data)-off)
			return len(data)
		}
		if adv == 0 {
			if atEOF && off < len(data) {
				c.handle(dir, data[off:], ts, Truncated)
				return len(data)
			}
			break // need more
		}
		d.resync = false
		if framed {
			c.parsed(dir, ts, 0, matched, req, idx)
		}
		off += adv
	}
	return off
}

// syncPoint returns the first offset in b where dir's tree does not fail
// fast (len(b) when none).
func (c *Conn) syncPoint(dir Direction, b []byte) int {
	root := c.p.Request
	if dir == Response {
		root = c.p.Response
	}
	m := &c.msg
	for i := range b {
		m.Data, m.Offset, m.Dir, m.State, m.Request = b[i:], 0, dir, c.state, nil
		if !root.FastFail(m) {
			return i
		}
	}
	return len(b)
}

// requestFor returns the pending request a response starting with b
// answers, and its index: the oldest (in-order pairing), or the one whose
// key b carries (keyed pairing; Protocol.Key reads it from the message's
// first bytes). nil, -1 when there is none.
func (c *Conn) requestFor(b []byte) (*pending, int) {
	if c.n == 0 {
		return nil, -1
	}
	if c.p.Pairing != PairByKey || c.p.Key == nil {
		return c.at(0), 0
	}
	if k, ok := c.p.Key(Response, b); ok {
		for i := 0; i < c.n; i++ {
			if p := c.at(i); p.key == k {
				return p, i
			}
		}
	}
	return nil, -1
}

// handle parses one message cut short (by a gap or the end of the stream)
// with the direction's tree and pairs it.
func (c *Conn) handle(dir Direction, msg []byte, ts time.Time, flags Flags) {
	var req *pending
	idx := -1
	root := c.p.Request
	if dir == Response {
		root = c.p.Response
		req, idx = c.requestFor(msg)
	}
	m := &c.msg
	m.Reset(msg, dir)
	m.Flags = flags
	m.State = c.state
	if req != nil {
		m.Request = &req.attrs
	}
	c.parsed(dir, ts, flags, root.Parse(m), req, idx)
}

// parsed pairs or queues the message just parsed into c.msg (whose tree
// matched or not): for a response, req is its request (nil when none),
// pending at index idx.
func (c *Conn) parsed(dir Direction, ts time.Time, flags Flags, matched bool, req *pending, idx int) {
	m := &c.msg
	msg := m.Data
	c.stats.Messages[dir]++
	if flags&Truncated != 0 {
		c.stats.Truncated[dir]++
	}
	var err error
	if !matched {
		err = parseErr(m.Err)
		c.stats.ParseErrors[dir]++
	}
	if dir == Request {
		c.request(msg, ts, err)
		return
	}
	switch {
	case m.Flags&Unsolicited != 0:
		c.stats.Pushes++
		c.report(Push, nil, msg, ts, err, nil)
	case m.Flags&Interim != 0:
		c.stats.Interim++
		if req != nil {
			req.interim++
		}
	case req == nil && c.early == nil && c.inProgress():
		// The request it answers is still arriving: hold the response
		// until that request is framed, then report them together.
		p := c.newPending()
		p.attrs.CopyFrom(&m.Attrs)
		p.ts, p.size, p.flags, p.err, p.interim = ts, len(msg), m.Flags|EarlyResponse, err, 0
		c.early = p
	case req == nil:
		c.stats.Unmatched++
		c.report(UnmatchedResponse, nil, msg, ts, err, nil)
	default:
		c.stats.Exchanges++
		c.report(Complete, req, msg, ts, err, nil)
		c.remove(idx)
	}
}

func parseErr(err error) error {
	if err == nil {
		return ErrNoMatch
	}
	return err
}

// request queues a parsed request (c.msg), or reports it at once when it
// expects no response.
func (c *Conn) request(msg []byte, ts time.Time, err error) {
	m := &c.msg
	p := c.newPending()
	p.attrs.CopyFrom(&m.Attrs)
	c.seq++
	p.ts, p.size, p.flags, p.err, p.interim, p.key, p.seq = ts, len(msg), m.Flags, err, 0, 0, c.seq
	if c.p.Pairing == PairByKey && c.p.Key != nil {
		p.key, _ = c.p.Key(Request, msg)
	}
	if c.early != nil && m.Flags&OneWay == 0 {
		// The request an early response answered is whole now.
		c.stats.Exchanges++
		c.stats.EarlyResponses++
		c.reportEarly(p)
		c.release(p)
		return
	}
	if m.Flags&OneWay != 0 {
		c.stats.OneWay++
		c.reportPending(OneWayRequest, p, nil)
		c.release(p)
		return
	}
	if c.n == c.opts.MaxPending {
		old := c.at(0)
		c.stats.Unanswered++
		c.stats.Evicted++
		c.reportPending(Unanswered, old, ErrEvicted)
		c.remove(0)
	}
	if c.n == len(c.q) {
		c.grow()
	}
	c.q[(c.head+c.n)&(len(c.q)-1)] = p
	c.n++
}

// newPending returns a free request record.
func (c *Conn) newPending() *pending {
	if n := len(c.free); n > 0 {
		p := c.free[n-1]
		c.free = c.free[:n-1]
		return p
	}
	if q, ok := pendingPool.Get().(*pending); ok {
		return q
	}
	return new(pending)
}

// inProgress reports whether, with no request waiting (in-order
// pairing), the request direction holds the start of a request not yet
// whole: a response now answers that request early.
func (c *Conn) inProgress() bool {
	return c.n == 0 && c.p.Pairing == PairInOrder && len(c.dirs[Request].buf) > 0 &&
		c.stats.StoppedByError[Request] == nil && !c.dirs[Request].resync
}

// partialRequest parses the request in progress as far as its bytes go
// (once per request) for the early response's parser.
func (c *Conn) partialRequest() *Attributes {
	if c.partial == nil {
		c.partial = new(Message)
	}
	if c.partSeq != c.seq+1 {
		c.partSeq = c.seq + 1
		m := c.partial
		m.Reset(c.dirs[Request].buf, Request)
		m.State = c.state
		m.Flags = Truncated
		c.p.Request.Parse(m)
		m.Data = nil // its attributes may alias the buffer: used only now
	}
	return &c.partial.Attrs
}

// reportEarly reports the request p with the early response held.
func (c *Conn) reportEarly(p *pending) {
	r := c.early
	c.early = nil
	e := &c.ex
	*e = Exchange{Protocol: c.p.Name, Kind: Complete,
		Request: &p.attrs, RequestTime: p.ts, RequestSize: p.size, RequestFlags: p.flags, RequestErr: p.err, RequestSeq: p.seq,
		Response: &r.attrs, ResponseTime: r.ts, ResponseSize: r.size, ResponseFlags: r.flags, ResponseErr: r.err}
	if c.emit != nil {
		c.emit(e)
	}
	*e = Exchange{}
	c.release(r)
}

// flushEarly reports an early response whose request never became whole
// as unmatched.
func (c *Conn) flushEarly() {
	r := c.early
	if r == nil {
		return
	}
	c.early = nil
	c.stats.Unmatched++
	e := &c.ex
	*e = Exchange{Protocol: c.p.Name, Kind: UnmatchedResponse,
		Response: &r.attrs, ResponseTime: r.ts, ResponseSize: r.size, ResponseFlags: r.flags, ResponseErr: r.err}
	if c.emit != nil {
		c.emit(e)
	}
	*e = Exchange{}
	c.release(r)
}

// at returns the i-th pending request. The ring's length is a power of
// two (8, doubled by grow), so the index wraps with a mask, not a division.
func (c *Conn) at(i int) *pending { return c.q[(c.head+i)&(len(c.q)-1)] }

func (c *Conn) grow() {
	q := c.qArr[:]
	if len(c.q) > 0 {
		q = make([]*pending, 2*len(c.q))
	}
	for i := 0; i < c.n; i++ {
		q[i] = c.at(i)
	}
	c.q, c.head = q, 0
}

// remove takes the i-th pending request out of the ring and frees it.
func (c *Conn) remove(i int) {
	p := c.at(i)
	for j := i; j > 0; j-- { // shift the older ones up by one
		c.q[(c.head+j)&(len(c.q)-1)] = c.q[(c.head+j-1)&(len(c.q)-1)]
	}
	c.q[c.head] = nil
	c.head = (c.head + 1) & (len(c.q) - 1)
	c.n--
	c.release(p)
}

func (c *Conn) release(p *pending) {
	p.attrs.Reset()
	p.err = nil
	c.free = append(c.free, p)
}

// report emits an exchange with the response in c.msg (when present).
func (c *Conn) report(kind ExchangeKind, req *pending, resp []byte, ts time.Time, respErr, reason error) {
	e := &c.ex
	*e = Exchange{Protocol: c.p.Name, Kind: kind, Reason: reason}
	if req != nil {
		e.Request, e.RequestTime, e.RequestSize, e.RequestFlags, e.RequestErr, e.Interim, e.RequestSeq =
			&req.attrs, req.ts, req.size, req.flags, req.err, req.interim, req.seq
	}
	if resp != nil {
		e.Response, e.ResponseTime, e.ResponseSize, e.ResponseFlags, e.ResponseErr =
			&c.msg.Attrs, ts, len(resp), c.msg.Flags, respErr
	}
	if c.emit != nil {
		c.emit(e)
	}
	*e = Exchange{}
}

func (c *Conn) reportPending(kind ExchangeKind, p *pending, reason error) {
	c.report(kind, p, nil, time.Time{}, nil, reason)
}

// Gap tells the Conn that n bytes of direction dir were lost. A message
// that was partly buffered is parsed as far as it goes and reported
// Truncated; the direction then resynchronises (see Conn).
func (c *Conn) Gap(dir Direction, n int) {
	c.stats.Gaps[dir]++
	c.stats.GapBytes[dir] += uint64(n)
	d := &c.dirs[dir]
	if c.stats.StoppedByError[dir] != nil {
		return
	}
	if g, ok := c.state.(GapNotifier); ok {
		g.Gap(dir)
	}
	// The decoder's progress on the message in progress ends here: the
	// next bytes start somewhere else (see DecodeFunc).
	d.decode = c.p.Decoder(c.state, dir)
	if len(d.buf) > 0 {
		c.handle(dir, d.buf, d.bufTS, Truncated)
		d.buf = d.buf[:0]
	}
	if cap(d.buf) > keepBuf {
		c.dropBuf(d)
	}
	d.resync = true
	c.flushEarly()
	if c.p.Pairing == PairInOrder {
		c.flushPending(ErrGap)
	}
}

func (c *Conn) flushPending(reason error) {
	for c.n > 0 {
		c.stats.Unanswered++
		c.reportPending(Unanswered, c.at(0), reason)
		c.remove(0)
	}
}

// Close ends the connection: buffered partial messages are framed as at
// EOF (a read-until-close HTTP body completes; anything else is reported
// Truncated), and requests still waiting are reported Unanswered with
// Reason ErrClosed. ts is the time of the close.
func (c *Conn) Close(ts time.Time) {
	for _, dir := range [2]Direction{Request, Response} {
		d := &c.dirs[dir]
		if len(d.buf) > 0 && c.stats.StoppedByError[dir] == nil {
			c.frame(dir, d.buf, d.bufTS, true)
		}
		c.dropBuf(d)
	}
	c.flushEarly()
	c.flushPending(ErrClosed)
	// Every request record is free now: hand them to the next Conns.
	for i, p := range c.free {
		pendingPool.Put(p)
		c.free[i] = nil
	}
	c.free = c.free[:0]
	c.msg.Request = nil
}

// pendingPool holds the request records (each with its attribute list and
// string arena) of closed Conns, so that a capture of many short
// connections reuses them instead of allocating them for each one.
var pendingPool sync.Pool
