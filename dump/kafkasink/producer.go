package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record headers every producer sets.
const (
	// HeaderAgent carries Options.Agent.
	HeaderAgent = "wirekit-agent"
	// HeaderFormat names the value's encoding and version, for example
	// FormatItem ("dump-item/1").
	HeaderFormat = "wirekit-format"
	// HeaderWindow carries the sampling window id as 16 hex digits.
	HeaderWindow = "wirekit-window"
)

// Result is the outcome of handing a record to a Producer.
type Result uint8

// Results.
const (
	// Buffered: handed to the client; its acknowledgement or its drop is
	// counted later.
	Buffered Result = iota
	// RefusedBufferFull: over MaxBufferedRecords or MaxBufferedBytes;
	// counted in DroppedBufferFull.
	RefusedBufferFull
	// RefusedClosed: the producer is closing; counted in DroppedClosed.
	RefusedClosed
)

// Stats are a Producer's counters. Every record offered is in exactly one
// of Acked, Dropped* and Pending:
//
//	Offered = Acked + DroppedBufferFull + DroppedStale + DroppedProduceError + DroppedClosed + Pending
//
// and the same holds for the *Bytes figures (key plus value).
type Stats struct {
	Offered, OfferedBytes uint64
	// Acked records were acknowledged by the partition leader (with the
	// acks setting in force, by default all in-sync replicas).
	Acked, AckedBytes uint64
	// DroppedBufferFull: refused at once because the buffer bounds were
	// reached (or kgo's own buffer was full).
	DroppedBufferFull, DroppedBufferFullBytes uint64
	// DroppedStale: aborted by the watchdog (the oldest pending record
	// was older than MaxAge), or timed out by a RecordDeliveryTimeout
	// passed in KgoOptions.
	DroppedStale, DroppedStaleBytes uint64
	// DroppedProduceError: the brokers refused the record with an error
	// that is not retried (record too large, authorization, invalid
	// record) or retries were exhausted; LastError has the most recent.
	DroppedProduceError, DroppedProduceErrorBytes uint64
	// DroppedClosed: offered during or still pending at the end of Close.
	DroppedClosed, DroppedClosedBytes uint64
	// Pending records were handed to the client and are not settled yet.
	Pending, PendingBytes int64
	// OldestPending is the age of the oldest pending record, as the
	// watchdog last measured it (0 when none is pending).
	OldestPending time.Duration
	// Aborts counts watchdog aborts; UnsafeAborts those that could not
	// wait for in-flight requests (a broker gone mid-request).
	Aborts, UnsafeAborts uint64
	// LastError is the most recent error a record failed with.
	LastError error
}

// Dropped is the sum of the Dropped* counters.
func (s Stats) Dropped() uint64 {
	return s.DroppedBufferFull + s.DroppedStale + s.DroppedProduceError + s.DroppedClosed
}

// Producer is a non-blocking, bounded Kafka producer over a kgo.Client:
// Produce copies the record into a pooled buffer and returns at once;
// every record ends up acknowledged or dropped and counted with its
// reason (see Stats). The Sink and package export's exchange producer
// use it; it is exported for records of your own.
//
// Why its own bounds and watchdog: with the brokers gone, kgo's blocking
// Produce waits for its context, TryProduce fails fast only once kgo's
// buffer is full, and buffered records can stay pending far longer than
// RecordDeliveryTimeout, which kgo evaluates only around produce requests.
// The Producer bounds records and bytes itself, remembers when each
// record was offered, and when the oldest pending one is older than
// MaxAge aborts the client's buffer (kgo.Client.AbortBufferedRecords),
// counting the aborted records as stale. It recovers by itself: kgo keeps
// reconnecting, and the next records are produced as soon as a broker
// answers.
//
// Produce and ProduceFunc are safe for concurrent use. Their cost over
// kgo's TryProduce is one uncontended mutex (the producing side's
// counters, bounds and pool), the copy (none with ProduceFunc) and one
// store of the offer time. The promise, run on kgo's goroutines, takes no
// lock of the producing side: it counts the outcome in atomics of its
// own, clears the offer time and gives the record back on a list that the
// producing side swaps for its own empty one; the producing side reads
// the settled counts only when its cached ones say a bound is reached.
// The headers are built when a record's window differs from the previous
// record's (once per window for the Sink and export) and shared by the
// records that follow; kgo only reads them.
//
// Nothing is allocated in steady state: records and their buffers are
// reused after their promise, up to 4,096 given back between two refills
// of the producing side's list (a buffer grown past 64 KiB is let go).
// Records of a larger burst are allocated (a record and its buffer) and
// left to the garbage collector after their promise: reusing tens of
// thousands of records, all out of the cache by their turn, measured
// slower than fresh memory (see BENCHMARKS.md, "Kafka sink").
type Producer struct {
	o      Options
	cl     *kgo.Client
	agent  []byte
	format []byte
	hdrs   atomic.Pointer[headers] // the last window's headers

	// The producing side, under mu.
	mu                  sync.Mutex
	free                []pooled // records to reuse, refilled from returned in one swap
	head                uint64   // next sequence number
	tail                uint64   // every sequence number below it is settled; advanced lazily
	admN, admB          int64    // records and bytes handed to kgo
	setN, setB          int64    // settled records and bytes as last read (at most the true figures)
	offered, offeredB   uint64
	refFull, refFullB   uint64 // refused by the bounds
	refClose, refCloseB uint64 // refused while closing
	closing             bool
	oldest              time.Duration
	aborting            bool

	ring []atomic.Int64 // offer time (watchdog clock) per sequence number, 0 once settled
	mask uint64
	now  atomic.Int64 // watchdog clock, unix nanoseconds

	_ [64]byte // the settling side's atomics on lines of their own

	// The settling side: written by the promise on kgo's goroutines.
	retMu                 sync.Mutex
	returned              []pooled // records given back by the promise
	acked, ackedB         atomic.Uint64
	dropFull, dropFullB   atomic.Uint64 // kgo's own buffer full
	dropStale, dropStaleB atomic.Uint64
	dropProd, dropProdB   atomic.Uint64
	dropClose, dropCloseB atomic.Uint64
	errMu                 sync.Mutex
	lastErr               error

	aborts, unsafeAborts atomic.Uint64
	closingAbort         atomic.Bool

	stop     chan struct{}
	done     sync.WaitGroup
	closeErr error
	closed   bool
	promise  func(*kgo.Record, error)
}

// headers are a window's record headers, shared by its records (kgo only
// reads them).
type headers struct {
	id  uint64
	h   [3]kgo.RecordHeader
	win [16]byte
}

// rec is a pooled record with its buffer (key, then value). Its context
// points back at it, which is how the promise finds it without a map.
type rec struct {
	r    kgo.Record
	ctx  recCtx
	buf  []byte
	seq  uint64
	size int64
}

// pooled is a record to reuse with its buffer beside it: a record is
// usually out of the cache by the time it is reused, and reading its
// buffer from the list instead of from it means the producing side only
// writes to its memory and never waits for it.
type pooled struct {
	r   *rec
	buf []byte
}

// maxPooled bounds the records given back between two refills of the
// producing side's list; the rest are left to the garbage collector.
const maxPooled = 4096

// maxKeptBuf is the largest record buffer kept for reuse.
const maxKeptBuf = 64 << 10

// recCtx is a context that never ends (kgo reads Done from a record's
// context to cancel it; nil means never) and leads back to its record.
type recCtx struct{ rec *rec }

func (*recCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (*recCtx) Done() <-chan struct{}       { return nil }
func (*recCtx) Err() error                  { return nil }
func (*recCtx) Value(any) any               { return nil }

// NewProducer starts a producer writing records whose HeaderFormat is
// format. It does not wait for the brokers: with none reachable, records
// are buffered up to the bounds and aborted after MaxAge.
func NewProducer(o Options, format string) (*Producer, error) {
	if err := o.applyDefaults(); err != nil {
		return nil, err
	}
	c, _ := codec(o.Compression)
	n := uint64(2) << bits.Len64(uint64(o.MaxBufferedRecords))
	opts := append(o.ClientOptions(),
		kgo.DefaultProduceTopic(o.Topic),
		kgo.ProducerBatchCompression(c),
		kgo.ProducerLinger(o.Linger),
		// kgo's bounds sit above the Producer's, so the Producer refuses
		// first and TryProduce never meets ErrMaxBuffered in practice.
		kgo.MaxBufferedRecords(o.MaxBufferedRecords+1024),
		kgo.MaxBufferedBytes(int(o.MaxBufferedBytes)+1<<20),
	)
	opts = append(opts, o.KgoOptions...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkasink: %w", err)
	}
	p := &Producer{
		o: o, cl: cl, agent: []byte(o.Agent), format: []byte(format),
		ring: make([]atomic.Int64, n), mask: n - 1, stop: make(chan struct{}),
	}
	p.promise = p.settle
	p.now.Store(time.Now().UnixNano())
	p.done.Add(1)
	go p.watchdog()
	return p, nil
}

// Client returns the underlying client (for metrics hooks or admin
// requests); producing through it bypasses the Producer's accounting.
func (p *Producer) Client() *kgo.Client { return p.cl }

// Produce offers a record: key (nil for none) and value are copied, window
// goes to the HeaderWindow header and ts is the record's timestamp (the
// capture time). It never blocks.
func (p *Producer) Produce(key, value []byte, window uint64, ts time.Time) Result {
	r, res := p.reserve(int64(len(key) + len(value)))
	if r == nil {
		return res
	}
	r.buf = append(append(r.buf[:0], key...), value...)
	p.send(r, len(key), key != nil, window, ts)
	return Buffered
}

// ProduceFunc offers a record whose value appendValue writes straight
// into the record's pooled buffer: it is called once with an empty slice
// (with room) and must return it with the value appended, and not keep
// it; so the value is neither built elsewhere nor copied (but once when
// appendValue outgrows the room: the grown buffer is kept for the next
// records). key (nil for none) is copied; window and ts are as for
// Produce. The bounds are checked once the value is written, so a refused
// record has been encoded (and is counted with its size). It never
// blocks.
func (p *Producer) ProduceFunc(key []byte, window uint64, ts time.Time, appendValue func(dst []byte) []byte) Result {
	p.mu.Lock()
	e := p.take(256)
	p.mu.Unlock()
	klen := len(key)
	buf := append(e.buf[:0], key...)
	v := appendValue(buf[klen:])
	if len(v) > 0 && (cap(buf) == klen || &buf[:klen+1][klen] != &v[0]) {
		buf = append(buf, v...) // appendValue grew a slice of its own
	} else {
		buf = buf[:klen+len(v)]
	}
	size := int64(len(buf))
	p.mu.Lock()
	res := p.admit(size)
	if res != Buffered {
		p.free = append(p.free, pooled{e.r, buf})
		p.mu.Unlock()
		return res
	}
	seq := p.enter(size)
	p.mu.Unlock()
	r := e.r
	r.buf, r.seq, r.size = buf, seq, size
	p.send(r, len(key), key != nil, window, ts)
	return Buffered
}

// reserve claims room for a record of size bytes and returns a pooled
// record, or nil (counted) when over the bounds or closing.
func (p *Producer) reserve(size int64) (*rec, Result) {
	p.mu.Lock()
	if res := p.admit(size); res != Buffered {
		p.mu.Unlock()
		return nil, res
	}
	e := p.take(int(size))
	seq := p.enter(size)
	p.mu.Unlock()
	// The record's own memory is written only now, with no lock held: it
	// is usually out of the cache, and a locked instruction would wait
	// for these writes.
	r := e.r
	r.buf, r.seq, r.size = e.buf, seq, size
	return r, Buffered
}

// admit counts an offered record of size bytes and checks the bounds,
// counting a refusal. The settled counts are re-read (and the ring's tail
// advanced) only when the cached ones say a bound is reached. Called with
// mu held.
func (p *Producer) admit(size int64) Result {
	p.offered++
	p.offeredB += uint64(size)
	if p.closing {
		p.refClose++
		p.refCloseB += uint64(size)
		return RefusedClosed
	}
	if !p.fits(size) {
		p.setN, p.setB = p.settled()
		p.advanceTail()
		if !p.fits(size) {
			p.refFull++
			p.refFullB += uint64(size)
			return RefusedBufferFull
		}
	}
	return Buffered
}

// fits reports whether a record of size bytes is within the bounds by
// the cached settled counts. The ring spans the oldest pending record to
// the newest: records settled out of order behind a stuck one still take
// its room.
func (p *Producer) fits(size int64) bool {
	return p.admN-p.setN < int64(p.o.MaxBufferedRecords) && p.admB-p.setB+size <= p.o.MaxBufferedBytes && p.head-p.tail <= p.mask
}

// take returns a pooled record (or a new one, with room for size bytes)
// and its buffer, without touching the record. Called with mu held.
func (p *Producer) take(size int) pooled {
	if len(p.free) == 0 {
		p.retMu.Lock()
		p.free, p.returned = p.returned, p.free
		p.retMu.Unlock()
	}
	n := len(p.free)
	if n == 0 {
		r := new(rec)
		r.ctx.rec = r
		return pooled{r, make([]byte, 0, max(size, 64))}
	}
	e := p.free[n-1]
	p.free = p.free[:n-1]
	return e
}

// enter counts an admitted record of size bytes and returns its
// sequence number, with its offer time in the ring. Called with mu held.
func (p *Producer) enter(size int64) uint64 {
	seq := p.head
	p.ring[seq&p.mask].Store(p.now.Load()) // never 0: 0 marks a settled slot
	p.head++
	p.admN++
	p.admB += size
	return seq
}

// settled sums the settling side's counters.
func (p *Producer) settled() (n, b int64) {
	n = int64(p.acked.Load() + p.dropFull.Load() + p.dropStale.Load() + p.dropProd.Load() + p.dropClose.Load())
	b = int64(p.ackedB.Load() + p.dropFullB.Load() + p.dropStaleB.Load() + p.dropProdB.Load() + p.dropCloseB.Load())
	return n, b
}

// advanceTail moves the tail past settled sequence numbers. Called with
// mu held.
func (p *Producer) advanceTail() {
	for p.tail < p.head && p.ring[p.tail&p.mask].Load() == 0 {
		p.tail++
	}
}

// send fills in the record's fields (its buffer holds klen key bytes,
// then the value) and hands it to kgo.
func (p *Producer) send(r *rec, klen int, keyed bool, window uint64, ts time.Time) {
	r.r = kgo.Record{Topic: p.o.Topic, Value: r.buf[klen:], Timestamp: ts, Context: &r.ctx, Headers: p.headers(window)}
	if keyed {
		r.r.Key = r.buf[:klen:klen]
	}
	p.cl.TryProduce(context.Background(), &r.r, p.promise)
}

// headers returns the shared headers of window, built when the window
// differs from the last one's.
func (p *Producer) headers(window uint64) []kgo.RecordHeader {
	h := p.hdrs.Load()
	if h == nil || h.id != window {
		h = &headers{id: window}
		appendHex16(h.win[:0], window)
		h.h = [3]kgo.RecordHeader{{Key: HeaderAgent, Value: p.agent}, {Key: HeaderFormat, Value: p.format}, {Key: HeaderWindow, Value: h.win[:]}}
		p.hdrs.Store(h)
	}
	return h.h[:3:3]
}

// settle is the promise of every record. It takes only the lock of the
// list of records given back (and of the last error).
func (p *Producer) settle(kr *kgo.Record, err error) {
	r := kr.Context.(*recCtx).rec
	size := uint64(r.size)
	if err == nil {
		p.acked.Add(1)
		p.ackedB.Add(size)
	} else {
		p.failed(size, err)
	}
	p.ring[r.seq&p.mask].Store(0)
	buf := r.buf
	if cap(buf) > maxKeptBuf {
		buf = nil
	}
	p.retMu.Lock()
	if len(p.returned) < maxPooled {
		p.returned = append(p.returned, pooled{r, buf})
	}
	p.retMu.Unlock()
}

// failed counts a record that failed with err by its reason.
func (p *Producer) failed(size uint64, err error) {
	switch {
	case errors.Is(err, kgo.ErrMaxBuffered):
		p.dropFull.Add(1)
		p.dropFullB.Add(size)
	case errors.Is(err, kgo.ErrClientClosed) || (errors.Is(err, kgo.ErrAborting) && p.closingAbort.Load()):
		p.dropClose.Add(1)
		p.dropCloseB.Add(size)
	case errors.Is(err, kgo.ErrAborting) || errors.Is(err, kgo.ErrRecordTimeout) || p.purged(err):
		p.dropStale.Add(1)
		p.dropStaleB.Add(size)
	default:
		p.dropProd.Add(1)
		p.dropProdB.Add(size)
	}
	p.errMu.Lock()
	p.lastErr = err
	p.errMu.Unlock()
}

// purged reports a record failed by PurgeTopicsFromClient after an
// unsafe abort (kgo does not export that error).
func (p *Producer) purged(err error) bool {
	return p.unsafeAborts.Load() > 0 && err.Error() == "topic purged while buffered"
}

// watchdog keeps the coarse clock and aborts the buffer once its oldest
// record is older than MaxAge.
func (p *Producer) watchdog() {
	defer p.done.Done()
	t := time.NewTicker(p.o.WatchdogPeriod)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		p.now.Store(now)
		p.mu.Lock()
		p.advanceTail()
		var age time.Duration
		if p.tail < p.head {
			// 0 when settled since advanceTail looked: the next tick sees
			// the next one.
			if t := p.ring[p.tail&p.mask].Load(); t != 0 {
				age = time.Duration(now - t)
			}
		}
		p.oldest = age
		stale := age > p.o.MaxAge && !p.aborting && !p.closing
		if stale {
			p.aborting = true
		}
		p.mu.Unlock()
		if stale {
			p.aborts.Add(1)
			p.done.Add(1)
			go p.abort()
		}
	}
}

// abort fails everything buffered. kgo's safe abort waits for in-flight
// requests to be answered before failing what they carried, so that
// sequence numbers stay consistent; with a broker gone that wait does not
// end while kgo keeps redialing. So the safe abort gets MaxAge/2 (at
// least 10 ms); past that the buffer is abandoned without waiting
// (kgo.Client.UnsafeAbortBufferedRecords: kgo bumps the idempotent
// producer's epoch for records it had sent) and the topic's producer
// state is purged, so the next records start afresh with new metadata.
func (p *Producer) abort() {
	defer p.done.Done()
	ctx, cancel := context.WithTimeout(context.Background(), max(p.o.MaxAge/2, 10*time.Millisecond))
	err := p.cl.AbortBufferedRecords(ctx)
	cancel()
	if err != nil {
		p.unsafeAborts.Add(1)
		p.cl.UnsafeAbortBufferedRecords()
		p.cl.PurgeTopicsFromClient(p.o.Topic)
	}
	p.mu.Lock()
	p.aborting = false
	p.mu.Unlock()
}

// Stats returns the counters. Pending and the settled counters are read
// one after the other, so the identity in Stats holds exactly only when
// nothing is in flight (after Close, or once Pending is 0).
func (p *Producer) Stats() Stats {
	s := Stats{
		Acked: p.acked.Load(), AckedBytes: p.ackedB.Load(),
		DroppedBufferFull: p.dropFull.Load(), DroppedBufferFullBytes: p.dropFullB.Load(),
		DroppedStale: p.dropStale.Load(), DroppedStaleBytes: p.dropStaleB.Load(),
		DroppedProduceError: p.dropProd.Load(), DroppedProduceErrorBytes: p.dropProdB.Load(),
		DroppedClosed: p.dropClose.Load(), DroppedClosedBytes: p.dropCloseB.Load(),
		Aborts: p.aborts.Load(), UnsafeAborts: p.unsafeAborts.Load(),
	}
	p.mu.Lock()
	s.Offered, s.OfferedBytes = p.offered, p.offeredB
	s.DroppedBufferFull += p.refFull
	s.DroppedBufferFullBytes += p.refFullB
	s.DroppedClosed += p.refClose
	s.DroppedClosedBytes += p.refCloseB
	n, b := p.settled()
	s.Pending, s.PendingBytes = p.admN-n, p.admB-b
	s.OldestPending = p.oldest
	p.mu.Unlock()
	p.errMu.Lock()
	s.LastError = p.lastErr
	p.errMu.Unlock()
	return s
}

// pending is the number of records handed to kgo and not settled.
func (p *Producer) pending() int64 {
	p.mu.Lock()
	n, _ := p.settled()
	n = p.admN - n
	p.mu.Unlock()
	return n
}

// droppedClosed is DroppedClosed.
func (p *Producer) droppedClosed() uint64 {
	p.mu.Lock()
	n := p.refClose
	p.mu.Unlock()
	return n + p.dropClose.Load()
}

// ErrUndelivered is returned (wrapped) by Close when records were still
// unacknowledged at its deadline.
var ErrUndelivered = errors.New("kafkasink: records not delivered")

// Close refuses new records, waits up to CloseTimeout for the pending
// ones, aborts what is left (counted in DroppedClosed) and closes the
// client. It returns an error wrapping ErrUndelivered that says how many
// records were dropped at Close; Stats has every figure. Calling Close
// again returns the same error.
func (p *Producer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.closeErr
	}
	p.closed, p.closing = true, true
	p.mu.Unlock()
	close(p.stop)
	before := p.droppedClosed()
	ctx, cancel := context.WithTimeout(context.Background(), p.o.CloseTimeout)
	err := p.cl.Flush(ctx)
	cancel()
	if err != nil {
		p.closingAbort.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), p.o.CloseTimeout)
		_ = p.cl.AbortBufferedRecords(ctx)
		cancel()
	}
	p.cl.Close() // fails anything still buffered with ErrClientClosed
	p.done.Wait()
	// kgo delivers the last promises from its own goroutine, possibly
	// after Close returns: wait for them so Stats are final.
	for deadline := time.Now().Add(p.o.CloseTimeout + time.Second); time.Now().Before(deadline); {
		if p.pending() == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n := p.droppedClosed() - before; n > 0 {
		p.closeErr = fmt.Errorf("%w: %d dropped at close", ErrUndelivered, n)
	}
	return p.closeErr
}

func appendHex16(b []byte, v uint64) []byte {
	const hex = "0123456789abcdef"
	for s := 60; s >= 0; s -= 4 {
		b = append(b, hex[v>>uint(s)&0xf])
	}
	return b
}
