package reassembly

import (
	"time"

	"github.com/wirekit/wirekit/parser"
)

// ExchangeOptions configures [Exchanges]: which protocol parses a stream,
// and the parser's limits. The first of Protocol, Choose and Detector that
// gives an answer is used.
type ExchangeOptions struct {
	// Protocol parses every stream.
	Protocol *parser.Protocol
	// Choose picks the protocol of a stream from its endpoints (e.g. by
	// server port). Returning nil falls through to Detector, or skips the
	// stream when there is no Detector.
	Choose func(s *Stream) *parser.Protocol
	// Detector detects the protocol from a stream's first bytes with a
	// parser.Sniffer.
	Detector *parser.Detector
	// Conn are the limits of each stream's parser.Conn.
	Conn parser.ConnOptions
	// MaxDetectBytes is how many bytes per direction a Sniffer holds while
	// detecting (parser.SnifferOptions.MaxDetectBytes; 0: its default).
	MaxDetectBytes int
	// OnClose, when set, is called after a stream's parser has been closed
	// (so its last exchanges were emitted), with that parser.Conn for its
	// Stats: messages, parse errors, bytes skipped while resynchronising.
	// conn is nil when no protocol was chosen or detected for the stream.
	OnClose func(s *Stream, reason CloseReason, conn *parser.Conn)
}

// Exchanges is a ready [Factory] that parses the two directions of every
// stream with a parser protocol and reports the paired request/response
// exchanges, with their capture times and latency. Client-to-server bytes
// are the parser's Request direction. Gaps are passed on, so a parser
// resynchronises after loss, and Close flushes what is still waiting.
//
// A capture to exchanges:
//
//	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Protocol: redis.Protocol()},
//		func(s *reassembly.Stream, e *parser.Exchange) { fmt.Println(s.Client(), e.Latency()) })
//	a := reassembly.NewAssembler(x, reassembly.Options{})
//	_, err := reassembly.ReadFile("capture.pcap", a)
//	a.FlushAll()
//
// The Exchange passed to emit is reused after emit returns (Clone it to
// keep it). Like the Assembler, Exchanges is not safe for concurrent use.
type Exchanges struct {
	opts    ExchangeOptions
	emit    func(*Stream, *parser.Exchange)
	skipped uint64
}

// NewExchanges returns an Exchanges reporting each exchange to emit.
func NewExchanges(opts ExchangeOptions, emit func(*Stream, *parser.Exchange)) *Exchanges {
	return &Exchanges{opts: opts, emit: emit}
}

// Skipped is the number of streams no protocol was chosen for (no
// Protocol, Choose returned nil and there is no Detector).
func (x *Exchanges) Skipped() uint64 { return x.skipped }

// protoConn is what parser.Conn and parser.Sniffer have in common.
type protoConn interface {
	Feed(dir parser.Direction, data []byte, ts time.Time)
	Gap(dir parser.Direction, n int)
	Close(ts time.Time)
}

type exchangeHandler struct {
	x    *Exchanges
	conn protoConn
	last time.Time
}

// New makes the handler of stream s.
func (x *Exchanges) New(s *Stream) Handler {
	emit := func(e *parser.Exchange) { x.emit(s, e) }
	p := x.opts.Protocol
	if p == nil && x.opts.Choose != nil {
		p = x.opts.Choose(s)
	}
	h := &exchangeHandler{x: x, last: s.Start()}
	switch {
	case p != nil:
		h.conn = parser.NewConn(p, x.opts.Conn, emit)
	case x.opts.Detector != nil:
		h.conn = parser.NewSniffer(x.opts.Detector, s.Server().Port(),
			parser.SnifferOptions{Conn: x.opts.Conn, MaxDetectBytes: x.opts.MaxDetectBytes}, emit)
	default:
		x.skipped++
	}
	return h
}

func direction(d Dir) parser.Direction {
	if d == ClientToServer {
		return parser.Request
	}
	return parser.Response
}

func (h *exchangeHandler) Data(_ *Stream, dir Dir, data []byte, ts time.Time) {
	if ts.After(h.last) {
		h.last = ts
	}
	if h.conn != nil {
		h.conn.Feed(direction(dir), data, ts)
	}
}

func (h *exchangeHandler) Gap(_ *Stream, dir Dir, _ uint64, n int) {
	if h.conn != nil {
		h.conn.Gap(direction(dir), n)
	}
}

func (h *exchangeHandler) Close(s *Stream, reason CloseReason) {
	if h.conn != nil {
		h.conn.Close(h.last)
	}
	if h.x.opts.OnClose == nil {
		return
	}
	var pc *parser.Conn
	switch c := h.conn.(type) {
	case *parser.Conn:
		pc = c
	case *parser.Sniffer:
		pc = c.Conn() // after Close: a Sniffer may decide only then
	}
	h.x.opts.OnClose(s, reason, pc)
}
