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
// Produce is safe for concurrent use; its cost is one mutex, a copy and
// kgo's TryProduce, and it allocates nothing in steady state (records and
// their buffers are reused after their promise).
type Producer struct {
	o      Options
	cl     *kgo.Client
	agent  []byte
	format []byte

	mu       sync.Mutex
	free     []*rec
	ring     []int64 // offer time (watchdog clock) per sequence number, 0 once settled
	mask     uint64
	head     uint64 // next sequence number
	tail     uint64 // oldest sequence number not settled
	pendN    int64
	pendB    int64
	closing  bool
	lastErr  error
	oldest   time.Duration
	aborting bool

	now atomic.Int64 // watchdog clock, unix nanoseconds

	offered, offeredB     atomic.Uint64
	acked, ackedB         atomic.Uint64
	dropFull, dropFullB   atomic.Uint64
	dropStale, dropStaleB atomic.Uint64
	dropProd, dropProdB   atomic.Uint64
	dropClose, dropCloseB atomic.Uint64
	aborts, unsafeAborts  atomic.Uint64
	closingAbort          atomic.Bool

	stop     chan struct{}
	done     sync.WaitGroup
	closeErr error
	closed   bool
	promise  func(*kgo.Record, error)
}

// rec is a pooled record with its own buffers. Its context points back
// at it, which is how the promise finds it without a map.
type rec struct {
	r    kgo.Record
	ctx  recCtx
	hdr  [3]kgo.RecordHeader
	win  [16]byte
	key  []byte
	buf  []byte
	seq  uint64
	size int64
}

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
		ring: make([]int64, n), mask: n - 1, stop: make(chan struct{}),
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
	r.key = append(r.key[:0], key...)
	r.buf = append(r.buf[:0], value...)
	p.send(r, key != nil, window, ts)
	return Buffered
}

// reserve claims room for a record of size bytes and returns a pooled
// record, or nil (counted) when over the bounds or closing.
func (p *Producer) reserve(size int64) (*rec, Result) {
	p.offered.Add(1)
	p.offeredB.Add(uint64(size))
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		p.dropClose.Add(1)
		p.dropCloseB.Add(uint64(size))
		return nil, RefusedClosed
	}
	// The ring spans the oldest pending record to the newest: records
	// settled out of order behind a stuck one still take its room.
	if p.pendN >= int64(p.o.MaxBufferedRecords) || p.pendB+size > p.o.MaxBufferedBytes || p.head-p.tail > p.mask {
		p.mu.Unlock()
		p.dropFull.Add(1)
		p.dropFullB.Add(uint64(size))
		return nil, RefusedBufferFull
	}
	var r *rec
	if n := len(p.free); n > 0 {
		r = p.free[n-1]
		p.free = p.free[:n-1]
	}
	if r == nil {
		r = new(rec)
		r.ctx.rec = r
	}
	r.seq, r.size = p.head, size
	p.ring[p.head&p.mask] = p.now.Load() // never 0: 0 marks a settled slot
	p.head++
	p.pendN++
	p.pendB += size
	p.mu.Unlock()
	return r, Buffered
}

// send fills in the record's fields and hands it to kgo.
func (p *Producer) send(r *rec, keyed bool, window uint64, ts time.Time) {
	r.r = kgo.Record{Topic: p.o.Topic, Value: r.buf, Timestamp: ts, Context: &r.ctx, Headers: r.hdr[:]}
	if keyed {
		r.r.Key = r.key
	}
	r.hdr[0] = kgo.RecordHeader{Key: HeaderAgent, Value: p.agent}
	r.hdr[1] = kgo.RecordHeader{Key: HeaderFormat, Value: p.format}
	appendHex16(r.win[:0], window)
	r.hdr[2] = kgo.RecordHeader{Key: HeaderWindow, Value: r.win[:]}
	p.cl.TryProduce(context.Background(), &r.r, p.promise)
}

// settle is the promise of every record.
func (p *Producer) settle(kr *kgo.Record, err error) {
	r := kr.Context.(*recCtx).rec
	size := uint64(r.size)
	switch {
	case err == nil:
		p.acked.Add(1)
		p.ackedB.Add(size)
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
	p.mu.Lock()
	if err != nil {
		p.lastErr = err
	}
	p.ring[r.seq&p.mask] = 0
	for p.tail < p.head && p.ring[p.tail&p.mask] == 0 {
		p.tail++
	}
	p.pendN--
	p.pendB -= r.size
	r.r = kgo.Record{}
	p.free = append(p.free, r)
	p.mu.Unlock()
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
		var age time.Duration
		if p.tail < p.head {
			age = time.Duration(now - p.ring[p.tail&p.mask])
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
		Offered: p.offered.Load(), OfferedBytes: p.offeredB.Load(),
		Acked: p.acked.Load(), AckedBytes: p.ackedB.Load(),
		DroppedBufferFull: p.dropFull.Load(), DroppedBufferFullBytes: p.dropFullB.Load(),
		DroppedStale: p.dropStale.Load(), DroppedStaleBytes: p.dropStaleB.Load(),
		DroppedProduceError: p.dropProd.Load(), DroppedProduceErrorBytes: p.dropProdB.Load(),
		DroppedClosed: p.dropClose.Load(), DroppedClosedBytes: p.dropCloseB.Load(),
		Aborts: p.aborts.Load(), UnsafeAborts: p.unsafeAborts.Load(),
	}
	p.mu.Lock()
	s.Pending, s.PendingBytes = p.pendN, p.pendB
	s.OldestPending = p.oldest
	s.LastError = p.lastErr
	p.mu.Unlock()
	return s
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
	before := p.dropClose.Load()
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
		p.mu.Lock()
		n := p.pendN
		p.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n := p.dropClose.Load() - before; n > 0 {
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
