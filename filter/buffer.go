package filter

import "sync"

// Buffer holds the bytes of one direction of a connection that have been
// read but not yet forwarded. Filters see it in OnData and OnWrite.
//
// The bytes returned by Bytes and Unseen alias the buffer: they are valid
// only until the filter call returns. A filter that needs bytes later must
// copy them (and only those it keeps).
//
// A filter consumes bytes with Drain: drained bytes are removed from the
// stream and are never forwarded (they are counted in Stats.Drained). Bytes
// a filter leaves in the buffer stay there: they are forwarded when the whole
// chain continues, or kept for the next run when a filter stops.
type Buffer struct {
	b    []byte
	r, w int
	// end is the stream offset one past b[w-1]: the number of bytes ever
	// appended to this buffer.
	end int64
	// unseen is the index in b where the current filter's unseen bytes
	// start; set before each filter call.
	unseen  int
	drained int64
	pooled  bool
	// When limited, lim is the index in b where the bytes shown to the
	// current filter end: a filter before it passed only a prefix on
	// (Pass). pass is what the current filter asked for.
	lim, pass int
	limited   bool
}

// hi is the end of the bytes shown to the current filter.
func (b *Buffer) hi() int {
	if b.limited {
		return b.lim
	}
	return b.w
}

// Bytes returns the buffered bytes, oldest first.
func (b *Buffer) Bytes() []byte { return b.b[b.r:b.hi()] }

// Len returns the number of buffered bytes.
func (b *Buffer) Len() int { return b.hi() - b.r }

// Unseen returns the tail of Bytes that the filter now being called has not
// been shown before. After a filter stops the chain the held bytes are shown
// again on the next run (with the newly read bytes after them); a filter that
// only observes the stream (sniff, tcpcopy) reads Unseen so it sees every
// byte exactly once.
func (b *Buffer) Unseen() []byte {
	hi := b.hi()
	switch {
	case b.unseen < b.r:
		return b.b[b.r:hi]
	case b.unseen > hi:
		return b.b[hi:hi]
	}
	return b.b[b.unseen:hi]
}

// Pass, called before returning Stop, lets the first n bytes go on down the
// chain (and be forwarded) while the rest stays held: the filters after
// this one see only those n bytes, and the held rest is shown again with
// the next read. A filter that checks messages uses it to release the
// whole messages it has approved while it waits for the end of a partial
// one. Pass with n <= 0, or a Continue return, passes nothing extra;
// n > Len passes everything.
func (b *Buffer) Pass(n int) { b.pass = n }

// Offset returns the stream offset of Bytes()[0]: how many bytes of this
// direction came before it (including drained ones).
func (b *Buffer) Offset() int64 { return b.end - int64(b.w-b.r) }

// shownEnd is the stream offset one past the bytes shown to the current
// filter.
func (b *Buffer) shownEnd() int64 { return b.end - int64(b.w-b.hi()) }

// Drain removes the first n bytes (all of them if n > Len). They are not
// forwarded; Stats.Drained counts them.
func (b *Buffer) Drain(n int) {
	if n <= 0 {
		return
	}
	if n > b.Len() {
		n = b.Len()
	}
	b.r += n
	b.drained += int64(n)

}

// beginFilter sets the unseen mark for a filter that has seen the stream up
// to offset seen.
func (b *Buffer) beginFilter(seen int64) {
	start := b.Offset()
	if seen <= start {
		b.unseen = b.r
		return
	}
	b.unseen = b.r + int(seen-start)
	if b.unseen > b.w {
		b.unseen = b.w
	}
}

// consume removes n forwarded bytes.
func (b *Buffer) consume(n int) { b.r += n }

// tail returns free space to read into, sliding held bytes to the front or
// growing the storage up to limit bytes. It returns nil when the buffer is
// full: limit bytes are held.
func (b *Buffer) tail(size, limit int) []byte {
	if b.r == b.w {
		b.r, b.w = 0, 0
	}
	if b.b == nil {
		b.b, b.pooled = getBuf(size), size == DefaultBufferSize
	}
	if cap(b.b)-b.w >= minRead {
		return b.b[b.w:cap(b.b)]
	}
	if b.r > 0 { // slide held bytes to the front
		n := copy(b.b, b.b[b.r:b.w])
		b.unseen -= b.r
		b.r, b.w = 0, n
		if cap(b.b)-b.w >= minRead {
			return b.b[b.w:cap(b.b)]
		}
	}
	if cap(b.b) < limit {
		n := 2 * cap(b.b)
		if n > limit {
			n = limit
		}
		nb := make([]byte, n)
		copy(nb, b.b[:b.w])
		b.release()
		b.b = nb
		return b.b[b.w:]
	}
	if b.w < cap(b.b) {
		return b.b[b.w:cap(b.b)]
	}
	return nil
}

// commit appends n bytes just read into the tail.
func (b *Buffer) commit(n int) {
	b.w += n
	b.end += int64(n)
}

// append copies p in (for Conn.Feed), growing up to limit.
func (b *Buffer) append(p []byte, size, limit int) bool {
	for len(p) > 0 {
		t := b.tail(size, limit)
		if len(t) == 0 {
			return false
		}
		n := copy(t, p)
		b.commit(n)
		p = p[n:]
	}
	return true
}

func (b *Buffer) release() {
	if b.pooled && b.b != nil {
		putBuf(b.b)
	}
	b.b, b.pooled = nil, false
}

// minRead is the least free space a read is given before the buffer is
// compacted or grown.
const minRead = 2048

// bufPool recycles DefaultBufferSize read buffers between connections.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, DefaultBufferSize)
	return &b
}}

func getBuf(size int) []byte {
	if size != DefaultBufferSize {
		return make([]byte, size)
	}
	return *bufPool.Get().(*[]byte)
}

func putBuf(b []byte) {
	b = b[:cap(b)]
	bufPool.Put(&b)
}
