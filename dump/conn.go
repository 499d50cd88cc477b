package dump

import (
	"sync/atomic"

	"github.com/wirekit/wirekit/parser"
)

// Conn is a connection registered with a Dumper. It remembers, per
// direction, how far the stream has been recorded, so that bytes the caller
// shows again (a proxy that re-reads an unconsumed buffer) are recorded
// exactly once. A Conn is safe for concurrent use; callers normally feed
// each direction from one goroutine, which keeps the items in order.
type Conn struct {
	d     *Dumper
	info  ConnInfo
	hash  uint64
	shard int
	// next[dir] is the stream offset up to which bytes were claimed for
	// recording (accepted or dropped, never to be recorded again).
	next     [2]atomic.Uint64
	recorded atomic.Bool
	closed   atomic.Bool
}

// Open registers a connection. It allocates the Conn once; Flow calls on it
// allocate nothing in steady state.
func (d *Dumper) Open(info ConnInfo) *Conn {
	h := connHash(info.ID, d.salt)
	return &Conn{d: d, info: info, hash: h, shard: int(h % uint64(len(d.shards)))}
}

// Info returns the connection's description.
func (c *Conn) Info() ConnInfo { return c.info }

// Sampling reports whether this connection's bytes would be recorded now.
func (c *Conn) Sampling() bool {
	s := c.d.state.Load()
	return s&stOpen == stOpen && (s&stConnSample == 0 || c.d.connSelected(c.hash))
}

// Recorded returns, per direction, the stream offset up to which bytes have
// been claimed for recording.
func (c *Conn) Recorded(dir parser.Direction) uint64 { return c.next[dir&1].Load() }

// Flow submits bytes of direction dir whose first byte is at stream offset
// offset (bytes counted from the first byte of that direction). Bytes below
// the recorded offset were seen before and are skipped, so a caller may show
// an overlapping buffer again. Bytes above it leave a gap (bytes the caller
// never showed, or showed outside a window), which sinks keep visible as a
// jump in offset and sequence number.
//
// The bytes are copied; data may be reused as soon as Flow returns. Flow
// never blocks: with the queue full the bytes are dropped and counted.
func (c *Conn) Flow(dir parser.Direction, offset uint64, data []byte) Verdict {
	d := c.d
	s := d.state.Load()
	if s&stOpen != stOpen {
		if s&(stSwitch|stWindow) == stSwitch|stWindow && (s&stConnSample == 0 || d.connSelected(c.hash)) {
			d.sub.dropGate.Add(1)
			d.sub.dropGateBytes.Add(uint64(len(data)))
			return DroppedGate
		}
		return NotSampled
	}
	if s&stConnSample != 0 && !d.connSelected(c.hash) {
		return NotSampled
	}
	if len(data) == 0 {
		return Duplicate
	}
	return c.flow(s, dir&1, offset, data)
}

func (c *Conn) flow(s uint64, dir parser.Direction, offset uint64, data []byte) Verdict {
	d := c.d
	end := offset + uint64(len(data))
	var start uint64
	for {
		next := c.next[dir].Load()
		if end <= next {
			d.sub.duplicateBytes.Add(uint64(len(data)))
			return Duplicate
		}
		start = max(offset, next)
		if c.next[dir].CompareAndSwap(next, end) {
			break
		}
	}
	if skip := start - offset; skip > 0 {
		d.sub.duplicateBytes.Add(skip)
		data = data[skip:]
	}
	c.recorded.Store(true)
	win := d.windowID(s)
	now := d.clock.Now()
	v := Accepted
	for len(data) > 0 {
		n := min(len(data), MaxChunk)
		it := Item{Kind: KindFlow, Window: win, Time: now, Conn: &c.info, Dir: dir, Offset: start}
		if r := d.push(c.shard, &it, data[:n]); r != Accepted {
			v = r
		}
		data, start = data[n:], start+uint64(n)
	}
	return v
}

// Append submits bytes that directly follow everything submitted before in
// direction dir (a caller that does not track offsets and never shows bytes
// twice). Concurrent Appends on one direction are not ordered.
func (c *Conn) Append(dir parser.Direction, data []byte) Verdict {
	return c.Flow(dir, c.next[dir&1].Load(), data)
}

// Close tells the sinks the connection ended (the pcapng sink writes FIN
// segments and frees its per-connection state). Only connections with
// recorded bytes produce an item. Close is idempotent; Flow after Close
// still records.
func (c *Conn) Close() Verdict {
	if !c.recorded.Load() || c.closed.Swap(true) {
		return NotSampled
	}
	d := c.d
	s := d.state.Load()
	if s&stClosed != 0 || s == 0 {
		return NotSampled
	}
	it := Item{Kind: KindClose, Time: d.clock.Now(), Conn: &c.info}
	if s&stWindow != 0 {
		it.Window = d.windowID(s)
	}
	return d.push(c.shard, &it, nil)
}
