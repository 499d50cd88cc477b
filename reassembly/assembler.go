package reassembly

import (
	"math/bits"
	"sort"
	"time"

	"github.com/wirekit/wirekit/internal/nocopy"
)

// Assembler turns TCP segments into ordered byte streams, one per direction
// of each connection, and hands them to a Handler made per connection by a
// Factory.
//
// In-order segments are delivered straight from the caller's payload slice,
// with no copy and no allocation. A segment that arrives ahead of a hole is
// copied into a buffer (from a bounded free list) and delivered when the hole
// fills. Bytes that were already delivered or buffered win over a later copy
// of the same sequence range: a retransmission or overlap never rewrites
// what the consumer saw or will see ("first copy wins"), and the extra bytes
// are trimmed and counted. Bytes a capture cut off (Segment.Truncated) take
// part in this as a run known to be lost: they are reported as a gap when
// their turn comes, even if a later complete copy of them arrives.
//
// Holes that do not fill are skipped and reported through Handler.Gap with
// their stream offset and size: when the data waiting behind them is older
// than Options.HoleTimeout, when a connection buffers more than
// Options.MaxBufferedPerConn, when all connections together buffer more than
// Options.MaxBufferedTotal (the direction waiting longest gives way first),
// and when a connection closes. Nothing is dropped without being counted in
// Stats and, where it belongs to a stream, reported as a gap.
//
// Connections are keyed by their 4-tuple. The client is the sender of a SYN
// (or receiver of a SYN+ACK); without one, Options.IsServer decides, else the
// sender of the first segment. Connections seen without a SYN start at their
// first data segment and deliver at once. A segment without payload for an
// unknown connection (the last ACK after FIN/FIN, a stray RST) opens nothing.
// Both FINs (after their bytes), an RST in either direction, an idle timeout,
// eviction and FlushAll close a stream; on close its buffered data is
// delivered, holes as gaps, and its buffers are released.
//
// Time is capture time: timeouts advance with segment timestamps, not the
// wall clock, so a pcap replays the same way at any speed.
//
// An Assembler is not safe for concurrent use; run one per goroutine and
// shard connections between them by 4-tuple if needed.
type Assembler struct {
	_       nocopy.NoCopy
	opts    Options
	factory Factory
	conns   connTable
	// lru: open streams, least recently active first.
	lru streamList
	// dead: closed tombstones, oldest close first.
	dead streamList
	// halves with buffered data, in the order they started waiting.
	pendHead, pendTail *half
	free               [numClasses][][]byte
	freeBytes          int
	freePend           [][]pending // emptied lists of buffered runs, for reuse
	now                int64
	nopen              int
	nextID             uint64
	stats              Stats
}

type streamList struct{ head, tail *Stream }

func (l *streamList) push(s *Stream) {
	s.prev, s.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = s
	} else {
		l.head = s
	}
	l.tail = s
}

func (l *streamList) remove(s *Stream) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		l.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		l.tail = s.prev
	}
	s.prev, s.next = nil, nil
}

// NewAssembler returns an Assembler that asks f for a Handler per connection.
func NewAssembler(f Factory, opts Options) *Assembler {
	return &Assembler{
		opts:    opts.withDefaults(),
		factory: f,
		conns:   newConnTable(),
	}
}

// Stats returns the counters.
func (a *Assembler) Stats() Stats {
	st := a.stats
	st.Conns = a.nopen
	return st
}

// Assemble processes one segment. seg.Payload is only read during the call.
func (a *Assembler) Assemble(seg *Segment) {
	a.stats.Packets++
	a.stats.Bytes += uint64(len(seg.Payload))
	trunc := seg.Truncated
	if trunc < 0 {
		trunc = 0
	}
	ts := seg.Timestamp.UnixNano()
	if ts > a.now {
		a.now = ts
	}
	a.expire()

	key, srcIsLo := makeKey(seg.Src, seg.Dst)
	s := a.conns.get(&key)
	syn := seg.Flags&FlagSYN != 0
	if s != nil && s.closed {
		if !syn {
			a.stats.Ignored++
			a.stats.IgnoredBytes += uint64(len(seg.Payload))
			return
		}
		// Port reuse: a new SYN ends the tombstone.
		a.dropTombstone(s)
		s = nil
	}
	if s != nil && syn && seg.Flags&FlagACK == 0 && s.reusedBy(seg, srcIsLo) {
		a.closeStream(s, CloseReused)
		a.dropTombstone(s)
		s = nil
	}
	if s == nil {
		if !syn && (seg.Flags&FlagRST != 0 || len(seg.Payload) == 0 && trunc == 0) {
			// Pure ACK, lone FIN or RST of a connection we do not know
			// (or no longer know): opening a stream for it would only
			// make a ghost.
			a.stats.Ignored++
			a.stats.IgnoredBytes += uint64(len(seg.Payload))
			return
		}
		s = a.open(seg, key, srcIsLo)
	} else if s.lastSeen < a.now {
		// a.now, not ts: capture time never goes back here, so the list
		// stays ordered even when a merged capture's timestamps do.
		s.lastSeen = a.now
		if s.next != nil {
			a.lru.remove(s)
			a.lru.push(s)
		}
	}
	dir := ServerToClient
	if srcIsLo == s.clientIsLo {
		dir = ClientToServer
	}
	h := &s.half[dir]
	n := len(seg.Payload) + trunc
	if s.held != nil && (n > 0 || seg.Flags&(FlagSYN|FlagFIN|FlagRST) != 0) {
		a.endHold(s, h, seg.Seq, n)
	}

	if seg.Flags&FlagRST != 0 {
		if h.started && outside(int32(seg.Seq-h.next), a.opts.MaxAhead) {
			// A reset far from the receive point is not this
			// connection's (a blind spoofing attempt, RFC 5961).
			a.stats.OutOfWindow++
			a.stats.OutOfWindowBytes += uint64(len(seg.Payload))
			return
		}
		// RST ends both directions. Its payload (a diagnostic text on some
		// stacks) is not stream data.
		a.stats.IgnoredBytes += uint64(len(seg.Payload))
		a.closeStream(s, CloseRST)
		return
	}
	seq := seg.Seq
	if syn {
		seq++ // the SYN takes one sequence number
		if !h.started || (!h.synSeen && h.offset == 0 && !h.holding) {
			h.started, h.synSeen, h.isn, h.next = true, true, seg.Seq, seq
			h.lastIn = a.now
		}
	}
	if !h.started {
		h.started, h.next, h.startSeq, h.lastIn = true, seq, seq, a.now
		if n > 0 && seg.Flags&FlagFIN == 0 {
			// The first segment of a direction picked up mid-stream
			// waits for the connection's next segment: if that one is
			// the bytes just before it (the two crossed on the way), the
			// direction starts there instead of losing them.
			if trunc > 0 {
				a.stats.Truncated++
			}
			a.buffer(h, 0, seg.Payload, trunc, seg.Timestamp)
			h.holding, s.held = true, h
			a.enforceLimits(s, h)
			return
		}
	}
	if d := int32(seq - h.next); d > 0 && int64(d) > int64(a.opts.MaxAhead) {
		if !a.resync(s, h) {
			a.stats.OutOfWindow++
			a.stats.OutOfWindowBytes += uint64(len(seg.Payload))
			return
		}
		// Nothing in window for a long time: the capture lost more than
		// the window (or the stream jumped); start again at this segment.
		a.skipTo(s, h, seq)
		if s.closed {
			return
		}
	}
	h.lastIn = a.now
	if n > 0 {
		if trunc > 0 {
			a.stats.Truncated++
		}
		a.segment(s, h, seq, seg.Payload, trunc, seg.Timestamp)
		if s.closed {
			return
		}
	}
	if seg.Flags&FlagFIN != 0 && !h.finSeen {
		h.finSeen = true
		end := seq + uint32(n)
		d := int32(end - h.next)
		if d < 0 {
			d = 0
		}
		h.finOff = h.offset + uint64(d)
		a.trimAfterFIN(h)
	}
	a.checkDone(s, h)
}

// outside reports whether a sequence distance d is beyond max in either
// direction.
func outside(d int32, max int) bool {
	v := int64(d)
	if v < 0 {
		v = -v
	}
	return v > int64(max)
}

// endHold ends the wait of the held first segment of a mid-stream
// direction: a segment of the same direction just before it moves the
// direction's start back to that segment; anything else delivers the held
// bytes before the new segment is processed, so the order of the two
// directions is kept.
func (a *Assembler) endHold(s *Stream, h *half, seq uint32, n int) {
	hh := s.held
	s.held = nil
	if !hh.holding {
		return
	}
	if hh == h && n > 0 && hh.offset == 0 && !hh.finSeen {
		if d := int32(seq - hh.next); d < 0 && -int64(d) <= int64(a.opts.MaxAhead) {
			delta := uint64(-int64(d))
			for i := range hh.pend {
				hh.pend[i].off += delta
			}
			hh.next, hh.startSeq = seq, seq
			hh.holding = false
			// The new segment now starts at offset 0 and is delivered
			// live; what follows waits behind it as out-of-order data.
			return
		}
	}
	hh.holding = false
	a.drain(s, hh)
}

// resync reports whether an out-of-window segment for h should restart the
// direction at it: nothing inside the window arrived for the hole timeout.
func (a *Assembler) resync(s *Stream, h *half) bool {
	wait := a.opts.HoleTimeout
	if wait <= 0 {
		wait = DefaultHoleTimeout
	}
	if a.now-h.lastIn <= int64(wait) {
		return false
	}
	a.stats.Resyncs++
	return true
}

// skipTo gives up everything between h's receive point and seq: buffered
// data is delivered and its holes, and the bytes up to seq, are gaps.
func (a *Assembler) skipTo(s *Stream, h *half, seq uint32) {
	for len(h.pend) > 0 && !s.closed {
		a.skipHole(s, h)
	}
	if s.closed {
		return
	}
	if d := int32(seq - h.next); d > 0 {
		a.gap(s, h, int(d))
	}
}

// trimAfterFIN drops buffered bytes at or after h's FIN: they are not
// stream data (counted in AfterFINBytes).
func (a *Assembler) trimAfterFIN(h *half) {
	for i := len(h.pend) - 1; i >= 0; i-- {
		p := &h.pend[i]
		if p.end() <= h.finOff {
			break
		}
		if p.off >= h.finOff {
			if p.data != nil {
				a.stats.AfterFINBytes += uint64(p.n)
			}
			a.release(h, p)
			h.pend = h.pend[:i]
			continue
		}
		keep := int(h.finOff - p.off)
		if p.data != nil {
			a.stats.AfterFINBytes += uint64(p.n - keep)
		}
		p.n = keep
	}
	if len(h.pend) == 0 {
		a.unlistPend(h)
	}
}

// reusedBy reports whether seg, a SYN without ACK, starts a new connection
// on s's 4-tuple rather than repeating s's own SYN: its sequence number
// differs from the SYN seen, or data already flowed without a SYN.
func (s *Stream) reusedBy(seg *Segment, srcIsLo bool) bool {
	dir := ServerToClient
	if srcIsLo == s.clientIsLo {
		dir = ClientToServer
	}
	h := &s.half[dir]
	if !h.started {
		return false
	}
	if h.synSeen {
		return seg.Seq != h.isn
	}
	return h.offset > 0
}

// checkDone marks h done when it reached its FIN and closes s when both are.
func (a *Assembler) checkDone(s *Stream, h *half) {
	if h.finSeen && !h.done && h.offset >= h.finOff {
		h.done = true
	}
	if s.half[0].done && s.half[1].done && !s.closed {
		a.closeStream(s, CloseFIN)
	}
}

func (a *Assembler) open(seg *Segment, key connKey, srcIsLo bool) *Stream {
	if a.conns.len() >= a.opts.MaxConns {
		// Forget the oldest tombstone first, else evict the least recently
		// active connection.
		if a.dead.head != nil {
			a.dropTombstone(a.dead.head)
		} else if a.lru.head != nil {
			a.stats.ConnsEvicted++
			v := a.lru.head
			a.closeStream(v, CloseEvicted)
			a.dropTombstone(v)
		}
	}
	s := &Stream{key: key, first: seg.Timestamp, lastSeen: a.now}
	clientIsSrc := true
	switch {
	case seg.Flags&FlagSYN != 0:
		s.rule = SideBySYN
		clientIsSrc = seg.Flags&FlagACK == 0
	case a.opts.IsServer != nil && a.opts.IsServer(seg.Dst):
		s.rule = SideByHint
	case a.opts.IsServer != nil && a.opts.IsServer(seg.Src):
		s.rule = SideByHint
		clientIsSrc = false
	default:
		s.rule = SideByFirstSeen
	}
	if clientIsSrc {
		s.client, s.server, s.clientIsLo = seg.Src, seg.Dst, srcIsLo
	} else {
		s.client, s.server, s.clientIsLo = seg.Dst, seg.Src, !srcIsLo
	}
	s.half[0].stream, s.half[0].dir = s, ClientToServer
	s.half[1].stream, s.half[1].dir = s, ServerToClient
	a.nextID++
	s.id = a.nextID
	a.stats.ConnsOpened++
	a.nopen++
	a.conns.put(&key, s)
	a.lru.push(s)
	s.handler = a.factory.New(s)
	return s
}

// segment handles n = len(data)+lost bytes starting at sequence seq, which
// is at most Options.MaxAhead past h.next.
func (a *Assembler) segment(s *Stream, h *half, seq uint32, data []byte, lost int, ts time.Time) {
	d := int32(seq - h.next)
	if d < 0 {
		skip := int(-int64(d))
		n := len(data) + lost
		if !h.synSeen {
			// Bytes from before the first one seen of a direction
			// picked up mid-stream: never delivered, counted apart from
			// retransmissions.
			if b := int64(int32(h.startSeq - seq)); b > 0 {
				k := int(min(b, int64(n)))
				had := len(data)
				data, lost = skipRun(data, lost, k)
				a.stats.BeforeStartBytes += uint64(had - len(data))
				skip -= k
				n -= k
			}
		}
		if skip >= n {
			a.stats.Retransmitted++
			a.stats.DuplicateBytes += uint64(len(data))
			return
		}
		a.stats.Overlaps++
		had := len(data)
		data, lost = skipRun(data, lost, skip)
		a.stats.DuplicateBytes += uint64(had - len(data))
		d = 0
	}
	if h.finSeen {
		// Bytes at or after the FIN are not stream data.
		start := h.offset + uint64(d)
		if start >= h.finOff {
			a.stats.AfterFINBytes += uint64(len(data))
			return
		}
		if keep := h.finOff - start; keep < uint64(len(data)+lost) {
			data, lost = cutRun(data, lost, int(keep), &a.stats.AfterFINBytes)
		}
	}
	if d == 0 {
		a.live(s, h, data, lost, ts)
		return
	}
	a.stats.OutOfOrder++
	a.buffer(h, h.offset+uint64(d), data, lost, ts)
	a.enforceLimits(s, h)
}

// skipRun drops the first k bytes of a run made of data then lost bytes.
func skipRun(data []byte, lost, k int) ([]byte, int) {
	if k <= len(data) {
		return data[k:], lost
	}
	k -= len(data)
	if k > lost {
		k = lost
	}
	return nil, lost - k
}

// cutRun keeps the first k bytes of a run made of data then lost bytes,
// adding the data bytes cut to *cut.
func cutRun(data []byte, lost, k int, cut *uint64) ([]byte, int) {
	if k <= len(data) {
		*cut += uint64(len(data) - k)
		return data[:k], 0
	}
	return data, min(lost, k-len(data))
}

// live delivers an in-order run. Bytes already buffered for the same range
// win (first copy wins), so the run is cut around them.
func (a *Assembler) live(s *Stream, h *half, data []byte, lost int, ts time.Time) {
	for len(data)+lost > 0 {
		n := len(data) + lost
		if len(h.pend) > 0 {
			if room := h.pend[0].off - h.offset; room < uint64(n) {
				n = int(room)
			}
		}
		if n > 0 {
			data, lost = a.emit(s, h, data, lost, n, ts)
			if s.closed {
				return
			}
		}
		if len(data)+lost == 0 || len(h.pend) == 0 {
			break
		}
		before := h.offset
		a.drain(s, h)
		if s.closed {
			return
		}
		had := len(data)
		data, lost = skipRun(data, lost, int(h.offset-before))
		a.stats.DuplicateBytes += uint64(had - len(data))
	}
	if len(h.pend) > 0 {
		a.drain(s, h)
		if h.inPendList && h.pendSince < a.now {
			// The hole in front of the buffered data shrank: the stream
			// is moving towards it, so its wait starts again. A segment
			// far ahead of a live stream is not given up by the timeout.
			a.unlistPend(h)
			a.listPend(h)
		}
	}
}

// emit delivers the first n bytes of a run (data first, then lost bytes as a
// gap) and returns the rest.
func (a *Assembler) emit(s *Stream, h *half, data []byte, lost, n int, ts time.Time) ([]byte, int) {
	k := n
	if k > len(data) {
		k = len(data)
	}
	if k > 0 {
		h.offset += uint64(k)
		h.next += uint32(k)
		a.stats.DeliveredBytes += uint64(k)
		s.handler.Data(s, h.dir, data[:k], ts)
		data = data[k:]
	}
	if g := n - k; g > 0 {
		a.gap(s, h, g)
		lost -= g
	}
	return data, lost
}

func (a *Assembler) gap(s *Stream, h *half, n int) {
	off := h.offset
	h.offset += uint64(n)
	h.next += uint32(n)
	a.stats.Gaps++
	a.stats.BytesLost += uint64(n)
	s.handler.Gap(s, h.dir, off, n)
}

// drain delivers buffered runs that reach h.offset.
func (a *Assembler) drain(s *Stream, h *half) {
	i := 0
	for ; i < len(h.pend) && h.pend[i].off <= h.offset && !s.closed; i++ {
		p := &h.pend[i]
		if end := p.end(); end > h.offset {
			skip := int(h.offset - p.off)
			if p.data != nil {
				h.offset += uint64(p.n - skip)
				h.next += uint32(p.n - skip)
				a.stats.DeliveredBytes += uint64(p.n - skip)
				a.stats.DuplicateBytes += uint64(skip)
				s.handler.Data(s, h.dir, p.data[skip:p.n], p.ts)
			} else {
				a.gap(s, h, p.n-skip)
			}
		} else if p.data != nil {
			a.stats.DuplicateBytes += uint64(p.n)
		}
		a.release(h, p)
	}
	if i == 0 {
		return
	}
	h.holding = false
	n := copy(h.pend, h.pend[i:])
	clear(h.pend[n:])
	h.pend = h.pend[:n]
	if n == 0 {
		if cap(h.pend) > keepPendCap {
			// A long list that emptied goes back to the garbage
			// collector, so that idle connections keep no more than a
			// few entries each.
			h.pend = nil
		}
		a.unlistPend(h)
	}
	a.checkDone(s, h)
}

// keepPendCap is the capacity of an emptied list of buffered runs that a
// direction keeps for its next out-of-order segment, and the capacity a
// list starts with.
const keepPendCap = 4

// maxFreePend bounds the lists of buffered runs a closed connection hands
// back for the next one to reuse (each keepPendCap entries: 1024 lists are
// some 200 KiB), so that connections coming and going, each with a
// segment or two out of order (as when picked up mid-stream), do not
// allocate a list each.
const maxFreePend = 1024

// getPend returns an empty list of buffered runs: a reused one, or a new
// one of keepPendCap entries.
func (a *Assembler) getPend() []pending {
	if n := len(a.freePend); n > 0 {
		l := a.freePend[n-1]
		a.freePend[n-1] = nil
		a.freePend = a.freePend[:n-1]
		return l
	}
	return make([]pending, 0, keepPendCap)
}

// putPend keeps l, whose runs are released, for getPend.
func (a *Assembler) putPend(l []pending) {
	if cap(l) != keepPendCap || len(a.freePend) >= maxFreePend {
		return
	}
	clear(l[:cap(l)])
	a.freePend = append(a.freePend, l[:0])
}

// release frees one buffered run's memory and accounting.
func (a *Assembler) release(h *half, p *pending) {
	c := PendingOverhead
	if p.data != nil {
		c += cap(p.data)
		a.putBuf(p.data)
		p.data = nil
	}
	h.pendBytes -= c
	h.stream.pendBytes -= c
	a.stats.Buffered -= c
}

// buffer stores the run [off, off+len(data)+lost) except the parts already
// buffered (first copy wins).
func (a *Assembler) buffer(h *half, off uint64, data []byte, lost int, ts time.Time) {
	end := off + uint64(len(data)+lost)
	i := sort.Search(len(h.pend), func(i int) bool { return h.pend[i].end() > off })
	added := false
	for off < end {
		if i < len(h.pend) && h.pend[i].off <= off {
			to := h.pend[i].end()
			if to > end {
				to = end
			}
			had := len(data)
			data, lost = skipRun(data, lost, int(to-off))
			a.stats.DuplicateBytes += uint64(had - len(data))
			off = to
			i++
			continue
		}
		stop := end
		if i < len(h.pend) && h.pend[i].off < stop {
			stop = h.pend[i].off
		}
		k := int(stop - off)
		p := pending{off: off, ts: ts}
		if len(data) > 0 {
			if k > len(data) {
				k = len(data)
			}
			p.data = a.getBuf(k)
			copy(p.data, data[:k])
			data = data[k:]
		} else {
			lost -= k
		}
		p.n = k
		if h.pend == nil {
			h.pend = a.getPend()
		}
		h.pend = append(h.pend, pending{})
		copy(h.pend[i+1:], h.pend[i:])
		h.pend[i] = p
		c := PendingOverhead
		if p.data != nil {
			c += cap(p.data)
		}
		h.pendBytes += c
		h.stream.pendBytes += c
		a.stats.Buffered += c
		off += uint64(k)
		i++
		added = true
	}
	if !added {
		a.stats.OutOfOrder--
		a.stats.Retransmitted++
		return
	}
	if !h.inPendList {
		a.listPend(h)
	}
}

func (a *Assembler) listPend(h *half) {
	h.inPendList = true
	h.pendSince = a.now
	h.pprev, h.pnext = a.pendTail, nil
	if a.pendTail != nil {
		a.pendTail.pnext = h
	} else {
		a.pendHead = h
	}
	a.pendTail = h
}

func (a *Assembler) unlistPend(h *half) {
	if !h.inPendList {
		return
	}
	h.inPendList = false
	if h.pprev != nil {
		h.pprev.pnext = h.pnext
	} else {
		a.pendHead = h.pnext
	}
	if h.pnext != nil {
		h.pnext.pprev = h.pprev
	} else {
		a.pendTail = h.pprev
	}
	h.pprev, h.pnext = nil, nil
}

// skipHole gives up the hole before h's first buffered run: reports it as a
// gap and delivers what follows. A half that still waits afterwards starts
// waiting anew at the back of the queue.
func (a *Assembler) skipHole(s *Stream, h *half) {
	if len(h.pend) == 0 {
		return
	}
	if n := h.pend[0].off - h.offset; n > 0 {
		a.gap(s, h, int(n))
	}
	a.drain(s, h)
	if h.inPendList {
		a.unlistPend(h)
		a.listPend(h)
	}
}

func (a *Assembler) enforceLimits(s *Stream, h *half) {
	for s.pendBytes > a.opts.MaxBufferedPerConn && !s.closed {
		a.stats.LimitSkips++
		if len(h.pend) > 0 {
			a.skipHole(s, h)
		} else {
			o := &s.half[h.dir^1]
			a.skipHole(s, o)
		}
	}
	for a.stats.Buffered > a.opts.MaxBufferedTotal && a.pendHead != nil {
		a.stats.LimitSkips++
		v := a.pendHead
		a.skipHole(v.stream, v)
	}
}

// expire applies the idle, tombstone and hole timeouts at the current
// capture time. Each list is ordered by time, so only heads are checked.
func (a *Assembler) expire() {
	if t := a.opts.HoleTimeout; t > 0 {
		lim := a.now - int64(t)
		for h := a.pendHead; h != nil && h.pendSince < lim; h = a.pendHead {
			a.stats.HoleTimeouts++
			a.skipHole(h.stream, h)
		}
	}
	if t := a.opts.IdleTimeout; t > 0 {
		lim := a.now - int64(t)
		for s := a.lru.head; s != nil && s.lastSeen < lim; s = a.lru.head {
			a.closeStream(s, CloseIdle)
		}
	}
	if t := a.opts.CloseWait; t > 0 {
		lim := a.now - int64(t)
		for s := a.dead.head; s != nil && s.lastSeen < lim; s = a.dead.head {
			a.dropTombstone(s)
		}
	}
}

// closeStream flushes s's buffered data (holes as gaps), calls Close and
// keeps s as a tombstone for CloseWait.
func (a *Assembler) closeStream(s *Stream, reason CloseReason) {
	if s.closed {
		return
	}
	for d := range s.half {
		h := &s.half[d]
		for len(h.pend) > 0 && !s.closed {
			a.skipHole(s, h)
		}
		// Bytes before a FIN that never arrived were sent: they are lost.
		if !s.closed && h.finSeen && h.offset < h.finOff {
			a.gap(s, h, int(h.finOff-h.offset))
		}
	}
	if s.closed { // a FIN completed while flushing
		return
	}
	s.closed = true
	a.lru.remove(s)
	a.nopen--
	a.stats.ConnsClosed++
	hd := s.handler
	s.handler = nil
	hd.Close(s, reason)
	for d := range s.half {
		h := &s.half[d]
		for i := range h.pend {
			a.release(h, &h.pend[i])
		}
		a.putPend(h.pend)
		h.pend = nil
		a.unlistPend(h)
	}
	if a.opts.CloseWait > 0 {
		s.lastSeen = a.now
		s.inDead = true
		a.dead.push(s)
	} else {
		a.conns.del(&s.key)
	}
}

// dropTombstone forgets a closed stream (whether or not it was kept as a
// tombstone).
func (a *Assembler) dropTombstone(s *Stream) {
	if s.inDead {
		s.inDead = false
		a.dead.remove(s)
	}
	if a.conns.get(&s.key) == s {
		a.conns.del(&s.key)
	}
}

// FlushOlderThan closes (CloseIdle) every connection whose latest segment is
// older than t and skips holes whose data has waited since before t. Use it
// on live captures, where capture time may stand still.
func (a *Assembler) FlushOlderThan(t time.Time) {
	lim := t.UnixNano()
	for h := a.pendHead; h != nil && h.pendSince < lim; h = a.pendHead {
		a.stats.HoleTimeouts++
		a.skipHole(h.stream, h)
	}
	for s := a.lru.head; s != nil && s.lastSeen < lim; s = a.lru.head {
		a.closeStream(s, CloseIdle)
	}
}

// FlushAll closes every open connection (CloseFlush), oldest activity first,
// after delivering buffered data with its holes as gaps. Call it at the end
// of a capture. Tombstones are forgotten too.
func (a *Assembler) FlushAll() {
	for s := a.lru.head; s != nil; s = a.lru.head {
		a.closeStream(s, CloseFlush)
	}
	for s := a.dead.head; s != nil; s = a.dead.head {
		a.dropTombstone(s)
	}
}

// Buffer size classes for out-of-order copies: 64 B .. 64 KiB.
const (
	minClassShift = 6
	numClasses    = 11
)

func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minClassShift
}

func (a *Assembler) getBuf(n int) []byte {
	c := classOf(n)
	if c >= numClasses {
		return make([]byte, n)
	}
	if l := a.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		a.free[c] = l[:len(l)-1]
		a.freeBytes -= cap(b)
		return b[:n]
	}
	return make([]byte, n, 1<<(minClassShift+c))
}

func (a *Assembler) putBuf(b []byte) {
	c := classOf(cap(b))
	if c >= numClasses || cap(b) != 1<<(minClassShift+c) || a.freeBytes+cap(b) > a.opts.BufferCacheBytes {
		return
	}
	a.free[c] = append(a.free[c], b[:0])
	a.freeBytes += cap(b)
}

// CachedBufferBytes returns the memory held by released out-of-order buffers
// kept for reuse; it never exceeds Options.BufferCacheBytes.
func (a *Assembler) CachedBufferBytes() int { return a.freeBytes }
