package httpx

import (
	"bufio"
	"bytes"

	"github.com/wirekit/wirekit/internal/nocopy"
	"github.com/wirekit/wirekit/parser"
)

// State is the framing state of one HTTP/1.x connection, both directions.
// Make one per connection with Parser.NewState (parser.Conn does this via
// Protocol.NewState) and use its SplitRequest and SplitResponse as the
// bufio.SplitFunc of each direction.
//
// Why state: where a response ends depends on the request it answers (a
// response to HEAD has no body, a 2xx to CONNECT starts a tunnel), so
// SplitRequest records, as soon as it has read a request's head, the
// method's kind in a FIFO of at most Options.MaxPipelined entries, and
// SplitResponse takes the oldest entry when it reads a final response's
// head (1xx interim responses take none; they are framed as messages of
// their own). A response read while the FIFO is empty is framed as the
// answer to a GET and counted in Unpaired.
//
// After a 101 response, or a 2xx response to CONNECT, both directions'
// Split return parser.ErrUpgraded: the bytes that follow are another
// protocol. While a request that may switch protocols (CONNECT, or one
// carrying Upgrade) awaits its response, SplitRequest does not frame the
// next request (it returns need-more, except at EOF), because those bytes
// are HTTP only if the switch is refused.
//
// Each direction also remembers how far it has framed the message at the
// front of its buffer (head parsed, chunks walked), so a large body that
// arrives in many segments is scanned once, not once per segment. This
// relies on the bufio.SplitFunc contract (parser.DecodeFunc's resumable
// contract): every call's data starts at the same message until a call
// returns advance > 0. If a call's data is shorter than the previous
// call's, the State acts as after Gap. A caller that knows of a gap must
// call Gap itself (parser.Conn does).
//
// The protocol's decoder (Protocol.Decode) frames with Split and, when
// the head of the message it framed was decoded in that same call, sets
// the attributes from that decoded head instead of decoding it again.
//
// A State is not safe for concurrent use; each connection's framing runs
// on one goroutine.
type State struct {
	_ nocopy.NoCopy

	p        *Parser
	pending  []uint8 // ring of method kinds of requests awaiting a response
	head, n  int
	gate     int // pending requests that may switch protocols
	upgraded bool

	dir     [2]dirState
	reqHead Request
	resHead Response

	splitReq, splitResp bufio.SplitFunc

	// fresh[dir]: the Split call of that direction that just returned a
	// token decoded its head in that call, from those very bytes, into
	// reqHead/resHead, so the decoder (Protocol.Decode) sets the
	// attributes from it instead of decoding the head again. Every Split
	// call clears it first.
	fresh [2]bool

	skipped   int64
	interim   int64
	unpaired  int64
	conflicts int64
}

// dirState is one direction's progress on the message at the front of
// its buffer.
type dirState struct {
	active  bool // head parsed; body framing in progress
	headNow bool // the head was decoded in this call (reqHead/resHead alias data)
	seen    int  // len(data) on the previous call
	framing Framing
	headLen int
	end     int // FramingLength: message end
	// headScan: while the head is incomplete, data[:headScan] holds no
	// complete head, and the head is parsed again only once an LF arrives
	// after it. So a head fed byte by byte costs at most one parse per
	// line (and lines are capped by MaxHeaders), not one per byte.
	headScan int
	walker   chunkWalker
}

// NewState returns the framing state for a new connection.
func (p *Parser) NewState() *State {
	s := &State{p: p, pending: make([]uint8, p.maxPipelined)}
	s.splitReq = s.SplitRequest
	s.splitResp = s.SplitResponse
	return s
}

// Reset discards both directions' partial progress, the pending request
// FIFO and the upgraded mark, as for a new connection; counters are kept.
// Call it after a gap in either direction: framing cannot resume in the
// middle of a message.
func (s *State) Reset() {
	s.dir = [2]dirState{}
	s.fresh = [2]bool{}
	s.head, s.n, s.gate, s.upgraded = 0, 0, 0, false
}

// Gap tells the State that bytes of direction dir were lost: that
// direction's partial progress is discarded, and so is the pending
// request FIFO, since which response answers which request can no longer
// be known (responses framed next count as Unpaired until requests are
// framed again). A caller driving Split directly should call it on every
// gap.
func (s *State) Gap(dir parser.Direction) {
	s.dir[dir&1] = dirState{}
	s.fresh[dir&1] = false
	s.head, s.n, s.gate = 0, 0, 0
}

// Upgraded reports whether the connection switched protocols (101, or a
// 2xx response to CONNECT).
func (s *State) Upgraded() bool { return s.upgraded }

// Pending is the number of requests framed but not yet answered.
func (s *State) Pending() int { return s.n }

// Skipped is the number of bytes skipped: empty lines before a request
// line (RFC 9112 section 2.2 allows a server to ignore them).
func (s *State) Skipped() int64 { return s.skipped }

// LengthConflicts is the number of messages framed that carried both
// Transfer-Encoding and Content-Length (see AttrLengthConflict).
func (s *State) LengthConflicts() int64 { return s.conflicts }

// Interim is the number of 1xx interim responses framed (101 excluded).
func (s *State) Interim() int64 { return s.interim }

// Unpaired is the number of final responses framed while no request was
// pending (a stream picked up mid-way, or a server speaking first).
func (s *State) Unpaired() int64 { return s.unpaired }

func (s *State) push(kind uint8) error {
	if s.n == len(s.pending) {
		return errAt("pipeline", 0, ErrTooManyPipelined)
	}
	i := s.head + s.n
	if i >= len(s.pending) {
		i -= len(s.pending)
	}
	s.pending[i] = kind
	s.n++
	if kind&(kindConnect|kindUpgrade) != 0 {
		s.gate++
	}
	return nil
}

func (s *State) pop() (kind uint8, ok bool) {
	if s.n == 0 {
		return kindOther, false
	}
	kind = s.pending[s.head]
	if s.head++; s.head == len(s.pending) {
		s.head = 0
	}
	s.n--
	if kind&(kindConnect|kindUpgrade) != 0 {
		s.gate--
	}
	return kind, true
}

// SplitRequest frames the client-to-server byte stream into requests,
// with the bufio.SplitFunc contract: it returns each whole request (head
// and body) as token, (0, nil, nil) while more bytes are needed,
// ErrTruncated at EOF inside a request, parser.ErrUpgraded once the
// connection switched protocols, and the head and framing errors
// otherwise (wrapping parser.ErrMalformed, ErrTooLarge or ErrNotProtocol).
// Empty lines before a request line are skipped (advance > 0, nil token)
// and counted in Skipped.
func (s *State) SplitRequest(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if s.upgraded {
		return 0, nil, parser.ErrUpgraded
	}
	d := s.enter(parser.Request, data)
	if len(data) == 0 {
		return 0, nil, nil
	}
	if !d.active {
		if s.gate > 0 && !atEOF {
			return 0, nil, nil
		}
		if n := leadingEmptyLines(data); n > 0 {
			s.skipped += int64(n)
			d.seen, d.headScan = 0, 0
			return n, nil, nil
		}
		if len(data) == 1 && data[0] == '\r' { // maybe the start of an empty line
			if atEOF {
				return 0, nil, errAt("request line", 0, ErrTruncated)
			}
			return 0, nil, nil
		}
		if d.headScan != 0 && !s.headMayEnd(d, data, atEOF) {
			return 0, nil, nil
		}
		req := &s.reqHead
		if err := s.p.ParseRequest(req, data); err != nil {
			if err != parser.ErrShort && !atEOF && s.lineCut(data, func(b []byte) error { return s.p.ParseRequest(req, b) }) {
				err = parser.ErrShort
			}
			return s.headErr(d, err, data, atEOF)
		}
		f, err := s.p.RequestFraming(req)
		if err != nil {
			return 0, nil, err
		}
		kind := methodKind(req.Method)
		if req.Upgrade != nil {
			kind |= kindUpgrade
		}
		if err := s.push(kind); err != nil {
			return 0, nil, err
		}
		return s.startBody(d, f, req.Len, req.ContentLength, data, atEOF, parser.Request)
	}
	return s.body(d, data, atEOF, parser.Request)
}

// startBody begins framing the body of the message whose head, headLen
// bytes at the start of data, was just decoded, and frames as much of it as
// data holds.
func (s *State) startBody(d *dirState, f Framing, headLen int, contentLength int64, data []byte, atEOF bool, dir parser.Direction) (int, []byte, error) {
	h := &s.reqHead.Header
	if dir == parser.Response {
		h = &s.resHead.Header
	}
	if h.HasTransferEncoding && h.ContentLength >= 0 {
		s.conflicts++
	}
	d.begin(f, headLen, contentLength)
	d.headNow = true
	return s.body(d, data, atEOF, dir)
}

// enter starts a Split call of direction dir over data: it drops the
// fresh mark of the token returned last, starts over when data is shorter
// than last time (not the message being framed: a gap the caller did not
// report), and notes data's length for the next call.
func (s *State) enter(dir parser.Direction, data []byte) *dirState {
	s.fresh[dir] = false
	d := &s.dir[dir]
	d.headNow = false
	if d.active && len(data) < d.seen {
		s.Gap(dir) // not the message we were framing: start over
	}
	if len(data) < d.seen {
		d.headScan = 0
	}
	d.seen = len(data)
	return d
}

// SplitResponse frames the server-to-client byte stream into responses,
// with the same contract as SplitRequest. Each 1xx interim response is a
// message of its own. A read-until-close body is returned only at EOF
// (up to Options.MaxBodyBytes buffered). After a 101 response or a 2xx
// response to CONNECT is returned, every call returns parser.ErrUpgraded.
func (s *State) SplitResponse(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if s.upgraded {
		return 0, nil, parser.ErrUpgraded
	}
	d := s.enter(parser.Response, data)
	if len(data) == 0 {
		return 0, nil, nil
	}
	if !d.active {
		if d.headScan != 0 && !s.headMayEnd(d, data, atEOF) {
			return 0, nil, nil
		}
		resp := &s.resHead
		if err := s.p.ParseResponse(resp, data); err != nil {
			if err != parser.ErrShort && !atEOF && s.lineCut(data, func(b []byte) error { return s.p.ParseResponse(resp, b) }) {
				err = parser.ErrShort
			}
			return s.headErr(d, err, data, atEOF)
		}
		kind := kindOther
		switch {
		case resp.StatusCode < 200 && resp.StatusCode != 101:
			s.interim++
		default:
			var ok bool
			if kind, ok = s.pop(); !ok {
				s.unpaired++
			}
		}
		f, err := s.p.responseFraming(resp, kind)
		if err != nil {
			return 0, nil, err
		}
		return s.startBody(d, f, resp.Len, resp.ContentLength, data, atEOF, parser.Response)
	}
	return s.body(d, data, atEOF, parser.Response)
}

// headMayEnd reports whether parsing the head again can give another
// answer than last time: an LF arrived after headScan, the stream ended,
// or the head limit is reached (then the parse reports it).
func (s *State) headMayEnd(d *dirState, data []byte, atEOF bool) bool {
	if d.headScan == 0 || atEOF || len(data) >= s.p.maxHeaderBytes || d.headScan > len(data) {
		return true
	}
	if bytes.IndexByte(data[d.headScan:], '\n') >= 0 {
		return true
	}
	d.headScan = len(data)
	return false
}

// lineCut reports whether a head that failed to parse failed only in its
// last line, still without its LF: its complete lines parse as a head not
// yet ended. Such a head needs more bytes, as it does when the same bytes
// arrive in pieces (headMayEnd parses again only once an LF arrives), so
// that framing answers the same whatever the chunking.
func (s *State) lineCut(data []byte, parse func([]byte) error) bool {
	if len(data) >= s.p.maxHeaderBytes {
		return false
	}
	i := bytes.LastIndexByte(data, '\n')
	if i+1 == len(data) {
		return false
	}
	return i < 0 || parse(data[:i+1]) == parser.ErrShort
}

func (s *State) headErr(d *dirState, err error, data []byte, atEOF bool) (int, []byte, error) {
	if err == parser.ErrShort {
		if atEOF {
			return 0, nil, errAt("head", 0, ErrTruncated)
		}
		d.headScan = len(data)
		return 0, nil, nil
	}
	return 0, nil, err
}

func (d *dirState) begin(f Framing, headLen int, contentLength int64) {
	d.active, d.framing, d.headLen = true, f, headLen
	d.walker = chunkWalker{pos: headLen}
	if f == FramingLength {
		d.end = headLen + int(contentLength)
	}
}

// body finishes framing the message whose head d holds (direction dir).
func (s *State) body(d *dirState, data []byte, atEOF bool, dir parser.Direction) (int, []byte, error) {
	end := 0
	switch d.framing {
	case FramingNone:
		end = d.headLen
	case FramingTunnel:
		end = d.headLen
		s.upgraded = true
	case FramingLength:
		if len(data) >= d.end {
			end = d.end
		}
	case FramingChunked:
		var err error
		if end, err = s.p.walk(&d.walker, data, d.headLen); err != nil {
			return 0, nil, err
		}
	case FramingUntilClose:
		if int64(len(data)-d.headLen) > s.p.maxBody {
			return 0, nil, errAt("body", d.headLen, ErrBodyTooLarge)
		}
		if atEOF {
			end = len(data)
		}
	}
	if end == 0 {
		if atEOF {
			return 0, nil, errAt("body", len(data), ErrTruncated)
		}
		return 0, nil, nil
	}
	s.fresh[dir&1] = d.headNow // the decoded head aliases this token
	// The next message starts afresh; begin sets the rest.
	d.active, d.seen, d.headScan, d.headNow = false, 0, 0, false
	return end, data[:end:end], nil
}

// leadingEmptyLines counts the bytes of the CRLF / LF lines at the start of b.
func leadingEmptyLines(b []byte) int {
	n := 0
	for {
		switch {
		case len(b) > n && b[n] == '\n':
			n++
		case len(b) > n+1 && b[n] == '\r' && b[n+1] == '\n':
			n += 2
		default:
			return n
		}
	}
}
