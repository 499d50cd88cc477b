package reassembly

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Stream is one tracked TCP connection: its two directions, which endpoint
// is the client and how that was decided, and how far each direction has got.
// The assembler owns it; a Handler may read it during callbacks and keep it
// until Close.
type Stream struct {
	client, server netip.AddrPort
	rule           SideRule
	clientIsLo     bool // client is the first endpoint of the normalised key
	closed         bool // closed: kept as a tombstone until Options.CloseWait
	inDead         bool // in Assembler.dead (a tombstone)
	id             uint64
	first          time.Time
	half           [2]half
	handler        Handler
	key            connKey
	lastSeen       int64 // unix nanoseconds of the latest segment
	prev, next     *Stream
	pendBytes      int // buffered bytes (with per-entry overhead) of both halves
	// held is the half whose first segment (picked up mid-stream) waits
	// for the connection's next segment, or nil.
	held *half
}

// Client returns the client (initiator) endpoint.
func (s *Stream) Client() netip.AddrPort { return s.client }

// Server returns the server endpoint.
func (s *Stream) Server() netip.AddrPort { return s.server }

// SideRule tells which rule decided the client side.
func (s *Stream) SideRule() SideRule { return s.rule }

// ID is a number unique per Assembler, in order of connection opening.
func (s *Stream) ID() uint64 { return s.id }

// Start is the capture time of the first segment of the connection.
func (s *Stream) Start() time.Time { return s.first }

// Offset returns the stream offset of the next byte of direction dir: the
// number of bytes delivered to Data plus those reported to Gap.
func (s *Stream) Offset(dir Dir) uint64 { return s.half[dir&1].offset }

// MidStream reports whether direction dir was picked up without its SYN, so
// its first byte may be in the middle of an application message.
func (s *Stream) MidStream(dir Dir) bool {
	h := &s.half[dir&1]
	return h.started && !h.synSeen
}

// Finished reports whether direction dir has delivered everything up to its FIN.
func (s *Stream) Finished(dir Dir) bool { return s.half[dir&1].done }

// connKey identifies a connection independent of direction: the two
// endpoints in a fixed order, as five machine words with no padding and no
// pointers, so the map hashes and compares it as one block of memory.
type connKey struct {
	aHi, aLo uint64
	bHi, bLo uint64
	ports    uint64 // port of A << 16 | port of B
}

// makeKey returns the normalised key and whether src is endpoint A.
func makeKey(src, dst netip.AddrPort) (connKey, bool) {
	a, b := src.Addr().As16(), dst.Addr().As16()
	aHi, aLo := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
	bHi, bLo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	pa, pb := uint64(src.Port()), uint64(dst.Port())
	if aHi < bHi || (aHi == bHi && (aLo < bLo || (aLo == bLo && pa <= pb))) {
		return connKey{aHi, aLo, bHi, bLo, pa<<16 | pb}, true
	}
	return connKey{bHi, bLo, aHi, aLo, pb<<16 | pa}, false
}

// pending is a buffered run of out-of-order bytes at stream offset off.
// data is nil for a run of bytes known to be lost (snaplen truncation).
type pending struct {
	off  uint64
	n    int
	data []byte
	ts   time.Time
}

func (p *pending) end() uint64 { return p.off + uint64(p.n) }

// half is one direction of a connection.
type half struct {
	started  bool   // next/offset are valid
	synSeen  bool   // started at a SYN
	finSeen  bool   // a FIN was seen; finOff is valid
	holding  bool   // its first (mid-stream) segment is buffered, waiting (Stream.held)
	startSeq uint32 // sequence number of the first byte when started mid-stream
	lastIn   int64  // capture time of the latest segment inside the window
	done     bool   // offset reached finOff
	isn      uint32 // the SYN's sequence number when synSeen
	next     uint32 // sequence number of the byte at offset
	offset   uint64 // stream offset of the next byte to deliver
	finOff   uint64
	// pend is sorted by off, non-overlapping, and every entry starts after
	// offset (entries reaching offset are delivered at once).
	pend      []pending
	pendBytes int
	// list of halves with buffered data, oldest first (Assembler.pendHead).
	pendSince  int64
	pprev      *half
	pnext      *half
	inPendList bool
	stream     *Stream
	dir        Dir
}
