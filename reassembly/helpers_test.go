package reassembly

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"time"
)

// corpus returns the path of a capture of the module's corpus
// (testdata/corpus at the module root). The package's internal tests
// cannot import pcaptest, which imports this package; the external ones
// use pcaptest.Corpus.
func corpus(name string) string { return filepath.Join("..", "testdata", "corpus", name) }

// event is one Handler callback as recorded by recorder.
type event struct {
	kind   string // "data", "gap", "close"
	id     uint64
	dir    Dir
	data   string
	offset uint64
	n      int
	reason CloseReason
}

func (e event) String() string {
	switch e.kind {
	case "data":
		return fmt.Sprintf("%d %v data %q", e.id, e.dir, e.data)
	case "gap":
		return fmt.Sprintf("%d %v gap @%d+%d", e.id, e.dir, e.offset, e.n)
	}
	return fmt.Sprintf("%d close %v", e.id, e.reason)
}

// recorder records every callback of every stream, and the joined bytes of
// each direction with gaps filled by '?'.
type recorder struct {
	events  []event
	streams []*Stream
	bytes   map[uint64]*[2][]byte
	closed  map[uint64]CloseReason
}

func newRecorder() *recorder {
	return &recorder{bytes: map[uint64]*[2][]byte{}, closed: map[uint64]CloseReason{}}
}

func (r *recorder) New(s *Stream) Handler {
	r.streams = append(r.streams, s)
	r.bytes[s.ID()] = &[2][]byte{}
	return r
}

func (r *recorder) Data(s *Stream, dir Dir, data []byte, ts time.Time) {
	if uint64(len(r.bytes[s.ID()][dir])) != s.Offset(dir)-uint64(len(data)) {
		panic("offset does not match delivered bytes")
	}
	r.events = append(r.events, event{kind: "data", id: s.ID(), dir: dir, data: string(data)})
	b := r.bytes[s.ID()]
	b[dir] = append(b[dir], data...)
}

func (r *recorder) Gap(s *Stream, dir Dir, offset uint64, n int) {
	r.events = append(r.events, event{kind: "gap", id: s.ID(), dir: dir, offset: offset, n: n})
	b := r.bytes[s.ID()]
	if uint64(len(b[dir])) != offset {
		panic("gap offset does not match delivered bytes")
	}
	for i := 0; i < n; i++ {
		b[dir] = append(b[dir], '?')
	}
}

func (r *recorder) Close(s *Stream, reason CloseReason) {
	r.events = append(r.events, event{kind: "close", id: s.ID(), reason: reason})
	r.closed[s.ID()] = reason
}

func (r *recorder) text(id uint64, dir Dir) string {
	b := r.bytes[id]
	if b == nil {
		return ""
	}
	return string(b[dir])
}

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:80")
	t0  = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
)

// pkt builds a segment from the client (dir 0) or the server (dir 1).
type pkt struct {
	dir   Dir
	seq   uint32
	flags Flags
	data  string
	trunc int
	at    time.Duration
}

func (p pkt) segment() *Segment {
	s := &Segment{Src: cli, Dst: srv, Seq: p.seq, Flags: p.flags, Payload: []byte(p.data), Truncated: p.trunc, Timestamp: t0.Add(p.at)}
	if p.dir == ServerToClient {
		s.Src, s.Dst = srv, cli
	}
	if s.Flags&FlagSYN == 0 || p.dir == ServerToClient {
		s.Flags |= FlagACK
	}
	return s
}

func run(opts Options, pkts ...pkt) (*recorder, *Assembler) {
	r := newRecorder()
	a := NewAssembler(r, opts)
	for _, p := range pkts {
		a.Assemble(p.segment())
	}
	return r, a
}

// nopHandler counts delivered bytes and nothing else.
type nopHandler struct{ n int }

func (h *nopHandler) Data(_ *Stream, _ Dir, data []byte, _ time.Time) { h.n += len(data) }
func (h *nopHandler) Gap(*Stream, Dir, uint64, int)                   {}
func (h *nopHandler) Close(*Stream, CloseReason)                      {}
