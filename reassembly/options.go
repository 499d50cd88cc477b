package reassembly

import (
	"net/netip"
	"time"
)

// Options configures an [Assembler]. The zero value of each field selects
// its documented default; a negative value disables the limit or timeout
// where that is allowed.
type Options struct {
	// MaxConns caps tracked connections (closed tombstones included). When a
	// new connection would exceed it, the least recently active one is
	// closed with CloseEvicted. Default 262144; negative: no cap.
	MaxConns int
	// MaxBufferedPerConn caps the out-of-order bytes buffered for one
	// connection (both directions). Beyond it the first hole of the
	// direction that grew is skipped and reported as a gap. This is the
	// "byte limit" after which a hole is given up. Every buffered run also
	// counts PendingOverhead bytes so that floods of tiny segments are
	// bounded too. Default 4 MiB; negative: no cap.
	MaxBufferedPerConn int
	// MaxBufferedTotal is the memory budget of the whole Assembler: it caps
	// the out-of-order bytes buffered over all connections. Beyond it the
	// holes of the direction that has been waiting longest are skipped
	// (reported as gaps, counted in Stats.LimitSkips) and the data behind
	// them delivered, until the total is within the budget again. Default
	// 32 MiB, sized for an agent; negative: no cap. Buffered bytes are
	// counted with the capacity of the buffer holding them (a power of two
	// from 64 B to 64 KiB, exact above that) plus PendingOverhead, so the
	// budget is the heap they use. What a connection costs besides its
	// buffered bytes (its Stream, its Handler) is not part of it.
	MaxBufferedTotal int
	// HoleTimeout is how long (in capture time) a direction may wait for a
	// hole in front of its buffered data to fill; then the hole is skipped,
	// reported as a gap, and the data behind it delivered. A further hole
	// behind that data starts its own wait. Default 5s; negative: holes wait
	// until a byte limit, a close or FlushAll.
	HoleTimeout time.Duration
	// IdleTimeout closes (CloseIdle) a connection with no segment for this
	// long in capture time. Checked as segments arrive; for live capture
	// also call FlushOlderThan from time to time. Default 2m; negative:
	// never.
	IdleTimeout time.Duration
	// CloseWait is how long a closed connection is remembered so that late
	// segments (the last ACK after FIN, retransmissions) do not open a new
	// stream. A SYN always opens a new one. Default 5s; negative: not
	// remembered.
	CloseWait time.Duration
	// MaxAhead caps how far past the next expected byte of a direction a
	// segment (or a FIN or RST) may start. A segment further ahead cannot be
	// this connection's next data within any window the buffering limits
	// can follow (a blind or spoofed segment, or a corrupted sequence
	// number): it is dropped and counted in Stats.OutOfWindow and
	// OutOfWindowBytes, and it neither opens a hole nor moves the stream,
	// so one such segment cannot make the real bytes after it look like
	// retransmissions. If a direction gets nothing but out-of-window
	// segments for HoleTimeout (5s when HoleTimeout is negative), the
	// capture lost more than the window: the direction restarts at the
	// next such segment, the bytes in between reported as a gap (counted
	// in Stats.Resyncs). An RST further than MaxAhead from the receive
	// point, ahead or behind, is ignored the same way (RFC 5961). Default
	// 16 MiB (four times MaxBufferedPerConn's default, above the largest
	// receive windows of common stacks); it cannot be disabled, and a
	// value above 1 GiB is taken as 1 GiB, since sequence numbers compare
	// within 2 GiB.
	MaxAhead int
	// BufferCacheBytes caps the memory of released out-of-order buffers kept
	// for reuse; buffers beyond it go back to the garbage collector, so the
	// cache never only grows. Default 4 MiB; negative: no reuse.
	BufferCacheBytes int
	// IsServer, when set, names server endpoints (e.g. known server ports)
	// for connections seen without their SYN. It is asked about the
	// destination first, then the source.
	IsServer func(ep netip.AddrPort) bool
}

// PendingOverhead is the number of bytes each buffered out-of-order run
// counts against the buffering limits on top of its buffer: its 64-byte
// entry in the direction's sorted list, twice over since the list grows by
// doubling.
const PendingOverhead = 128

// Defaults for Options.
const (
	DefaultMaxConns           = 262144
	DefaultMaxBufferedPerConn = 4 << 20
	DefaultMaxBufferedTotal   = 32 << 20
	DefaultMaxAhead           = 16 << 20
	maxMaxAhead               = 1 << 30
	DefaultHoleTimeout        = 5 * time.Second
	DefaultIdleTimeout        = 2 * time.Minute
	DefaultCloseWait          = 5 * time.Second
	DefaultBufferCacheBytes   = 4 << 20
)

const unlimited = int(^uint(0) >> 1)

func (o Options) withDefaults() Options {
	intDef := func(v *int, def int) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = unlimited
		}
	}
	durDef := func(v *time.Duration, def time.Duration) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = -1
		}
	}
	intDef(&o.MaxConns, DefaultMaxConns)
	intDef(&o.MaxBufferedPerConn, DefaultMaxBufferedPerConn)
	intDef(&o.MaxBufferedTotal, DefaultMaxBufferedTotal)
	if o.MaxAhead <= 0 {
		o.MaxAhead = DefaultMaxAhead
	}
	o.MaxAhead = min(o.MaxAhead, maxMaxAhead)
	durDef(&o.HoleTimeout, DefaultHoleTimeout)
	durDef(&o.IdleTimeout, DefaultIdleTimeout)
	durDef(&o.CloseWait, DefaultCloseWait)
	switch {
	case o.BufferCacheBytes == 0:
		o.BufferCacheBytes = DefaultBufferCacheBytes
	case o.BufferCacheBytes < 0:
		o.BufferCacheBytes = 0
	}
	return o
}

// Stats are the assembler's counters. Counters only grow; Conns and Buffered
// are the current values.
//
// Every payload byte given to Assemble ends in exactly one of the byte
// counters, so that once FlushAll has run (nothing is buffered any more):
//
//	Bytes == DeliveredBytes + DuplicateBytes + BeforeStartBytes +
//	         OutOfWindowBytes + AfterFINBytes + IgnoredBytes
//
// and, per direction of each stream, the final offset is the bytes
// delivered plus the bytes reported as gaps (BytesLost over all streams).
// Gaps are bytes that were sent but never captured (holes, snaplen cuts,
// holes skipped at a limit or timeout), so they are not part of Bytes.
type Stats struct {
	Packets       uint64 // segments given to Assemble
	Bytes         uint64 // payload bytes given to Assemble (captured bytes)
	OutOfOrder    uint64 // segments buffered because they arrived ahead of a hole
	Retransmitted uint64 // segments all of whose bytes had been seen already
	Overlaps      uint64 // segments partly overlapping bytes already seen (trimmed)
	Gaps          uint64 // Gap callbacks
	BytesLost     uint64 // bytes reported through Gap
	Truncated     uint64 // segments whose payload was cut by the snaplen
	HoleTimeouts  uint64 // holes skipped because of HoleTimeout
	LimitSkips    uint64 // holes skipped because a buffering limit was hit
	Ignored       uint64 // segments without data for unknown connections, or after close
	OutOfWindow   uint64 // segments (and RSTs) dropped because they start beyond Options.MaxAhead
	Resyncs       uint64 // directions restarted after only out-of-window segments for the hole timeout

	DeliveredBytes   uint64 // bytes passed to Handler.Data
	DuplicateBytes   uint64 // bytes trimmed because the same sequence range was delivered or buffered already
	BeforeStartBytes uint64 // bytes before the first byte of a direction picked up mid-stream
	OutOfWindowBytes uint64 // payload of the OutOfWindow segments
	AfterFINBytes    uint64 // bytes at or after a direction's FIN (not stream data)
	IgnoredBytes     uint64 // payload of RST segments and of segments of closed or unknown connections

	ConnsOpened  uint64 // streams opened (Factory.New calls)
	ConnsClosed  uint64 // Close calls, whatever the reason (evictions included)
	ConnsEvicted uint64 // closed because MaxConns was reached
	Conns        int    // connections open now
	Buffered     int    // out-of-order bytes buffered now (with PendingOverhead)
}
