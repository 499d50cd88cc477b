package redis

import (
	"bufio"

	"github.com/wirekit/wirekit/internal/nocopy"
	"github.com/wirekit/wirekit/parser"
)

// Name is the protocol's name (parser.Protocol.Name, Exchange.Protocol).
const Name = "redis"

// DefaultPort is redis-server's well-known port.
const DefaultPort = 6379

// proto holds a Protocol's limits; its methods are the parser nodes and
// the framing functions.
type proto struct {
	l                 limits
	reqTree, respTree *parser.PkgParser // the trees, for decode
}

// NewProtocol returns the Redis protocol with the given limits, for
// parser.Conn and parser.Detector: RESP framing of each direction, the
// request and response parser trees (one node each), in-order pairing and
// per-connection State. Build it once and share it between connections.
func NewProtocol(opts Options) *parser.Protocol {
	p := &proto{l: opts.limits()}
	p.reqTree = parser.NewPkgParser("redis.request", fastFailRequest, p.parseRequest)
	p.respTree = parser.NewPkgParser("redis.response", fastFailResponse, p.parseResponse)
	return &parser.Protocol{
		Name:     Name,
		Request:  p.reqTree,
		Response: p.respTree,
		NewState: func() any { return new(State) },
		Split:    p.split,
		Decode:   p.decode,
		Pairing:  parser.PairInOrder,
		Ports:    []uint16{DefaultPort},
	}
}

// Protocol returns a new Redis protocol with default Options.
func Protocol() *parser.Protocol { return NewProtocol(Options{}) }

// State is the per-connection state of the Redis protocol (the value
// Protocol.NewState returns). It follows what changes how replies pair
// with requests:
//
//   - CLIENT REPLY OFF / SKIP / ON: requests the server will not answer are
//     marked parser.OneWay;
//   - pub/sub: a RESP2 connection in subscribed mode receives message
//     arrays that answer no request, and a SUBSCRIBE of N channels is
//     answered by N confirmations, of which only the first pairs with it;
//   - MONITOR: after its +OK the server streams a line per command it
//     runs, which answer nothing (parser.Unsolicited, redis.push "monitor");
//   - RESET ends all of these.
//
// It also counts the requests framing skipped. A State belongs to one
// connection and is not safe for concurrent use.
type State struct {
	_ nocopy.NoCopy

	// Skipped counts requests the server ignores without a reply and that
	// framing therefore skipped: empty arrays ("*0", "*-1") and blank
	// inline lines.
	Skipped int

	lastCmd *cmdInfo // the command of the last request, tried before the table
	// How the last request spelled lastCmd's name: its bytes packed by
	// nameWord, and its length (0: not packed). The same spelling again
	// is the same command, known by one comparison.
	lastName    uint64
	lastNameLen int
	// lastCmd's first key position for lastKeyArgc arguments, when it
	// depends on nothing else (0 argc: not known).
	lastKey, lastKeyArgc int

	replyOff   bool // CLIENT REPLY OFF in force
	skip       int  // requests, from the current one, without a reply (CLIENT REPLY SKIP)
	subscribed bool // RESP2 subscribed mode (subscription count > 0)
	monitor    bool // MONITOR mode: the server streams command lines
	// MONITOR and RESET requests whose replies have not been seen yet.
	modeRequests int
	extra        int      // further confirmations of extraKind that answer no request (-1: any number)
	extraKind    pushKind // kind of those confirmations
}

// Subscribed reports whether the connection is in pub/sub subscribed mode,
// as the last (un)subscribe confirmation said.
func (s *State) Subscribed() bool { return s.subscribed }

// clientReply applies CLIENT REPLY ON|OFF|SKIP.
func (s *State) clientReply(a *argList) {
	if a.count() != 3 || !equalFold("REPLY", a.arg(1)) {
		return
	}
	switch mode := a.arg(2); {
	case equalFold("ON", mode):
		s.replyOff, s.skip = false, 0
	case equalFold("OFF", mode):
		s.replyOff = true
	case equalFold("SKIP", mode):
		if !s.replyOff {
			s.skip = 2 // this command and the next
		}
	}
}

// noReply reports whether the request being parsed gets no reply.
func (s *State) noReply() bool {
	if s.skip > 0 {
		s.skip--
		return true
	}
	return s.replyOff
}

// split returns the framing function of one direction: the decoder's
// framing alone, for bufio.Scanner and other SplitFunc users.
func (p *proto) split(state any, dir parser.Direction) bufio.SplitFunc {
	st, _ := state.(*State)
	f := &framer{l: &p.l, st: st, req: dir == parser.Request}
	if f.req {
		return f.splitRequest
	}
	return f.splitReply
}

// decode returns the parser.DecodeFunc of one direction (Protocol.Decode):
// the one path from bytes to a parsed message. It frames a message with
// the direction's framer, which keeps its scan position while the message
// is incomplete (see framer), and parses it with the tree's node on the
// framer's scan: the arguments it found, the validity it checked. Its
// answers are those of Split followed by the tree; TestDecodeAgrees and
// FuzzDecode check that.
func (p *proto) decode(state any, dir parser.Direction) parser.DecodeFunc {
	st, _ := state.(*State)
	d := &decoder{p: p, f: framer{l: &p.l, st: st, req: dir == parser.Request}, dir: dir, state: state}
	if dir != parser.Request {
		return d.reply
	}
	d.f.args = &d.args
	if st == nil {
		return d.request
	}
	// The request nearly every client sends, an array of a few short bulk
	// strings (see shortRequestLen), is framed and parsed in one pass; any
	// other goes through the framer. For such an array the node's fastFail
	// ("*" and a digit) passes and its parse always completes, so what the
	// parse does is done here directly. (The body is in this closure rather
	// than in a method, whose method value would add a call.)
	return func(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
		a := &d.args
		n, ok := p.l.shortRequestLen(data, a)
		if !ok {
			return d.request(m, data, atEOF)
		}
		if d.f.seen != 0 {
			d.f.restart()
		}
		m.Start(data[:n:n], parser.Request, state)
		requestAttrs(m, st, a)
		m.Offset = n
		return n, true, true, nil
	}
}

// decoder holds one direction's DecodeFunc.
type decoder struct {
	p     *proto
	f     framer
	dir   parser.Direction
	state any
	args  argList // the arguments the framer scanned
}

// request frames a request and parses it on the framer's scan: the node's
// fastFail, then its parse with the arguments already found.
func (d *decoder) request(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
	n, tok, err := d.f.splitRequest(data, atEOF)
	if tok == nil {
		return n, false, false, err
	}
	m.Start(tok, d.dir, d.state)
	if fastFailRequest(m) {
		return n, true, noMatch(m, false), nil
	}
	var ok bool
	if d.args.inline {
		ok, _ = d.p.loadRequest(m, tok, d.f.st)
	} else {
		d.args.msg = tok
		ok, _ = d.p.request(m, tok, d.f.st, &d.args, nil)
	}
	return n, true, noMatch(m, ok), nil
}

// reply frames a reply and parses it knowing the framer validated it.
func (d *decoder) reply(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
	n, tok, err := d.f.splitReply(data, atEOF)
	if tok == nil {
		return n, false, false, err
	}
	m.Start(tok, d.dir, d.state)
	if fastFailResponse(m) {
		return n, true, noMatch(m, false), nil
	}
	ok, _ := d.p.response(m, true)
	return n, true, noMatch(m, ok), nil
}

// noMatch is what the tree's walk does with its node's answer: a failure
// says why (parser.ErrNoMatch when the node did not).
func noMatch(m *parser.Message, ok bool) bool {
	if !ok && m.Err == nil {
		m.Err = parser.ErrNoMatch
	}
	return ok
}

// framer is one direction's framing, resumable: while the message at the
// front of the buffer is incomplete it keeps how far it got, and the next
// call goes on from there instead of scanning from the start. So framing a
// message costs a bounded amount of work per byte whatever the chunking
// ("*1\r\n" nested 40,000 deep, fed 7 bytes at a time, is scanned once:
// TestFramingLinear counts the bytes).
//
// It relies on the contract every caller of a SplitFunc or DecodeFunc
// keeps (parser.Conn, bufio.Scanner): until a call consumes bytes, each
// call's data starts with the same message, extended. A shorter buffer is
// taken as a new message. parser.Conn makes a new decoder after a gap.
type framer struct {
	l    *limits
	st   *State
	req  bool
	args *argList // where a request's argument positions go (nil: not kept)
	// need is the buffer length below which the pending message cannot be
	// whole (each value still expected takes at least 3 bytes, a bulk
	// string its whole announced length): until then the answer is "need
	// more" without looking.
	need int
	seen int // buffer length at the last "need more"
	// Where the scan of an incomplete reply stopped: the first value not
	// yet complete, and what was still expected there.
	rs     scanState
	resume bool
	// Where the scan of an incomplete request array stopped.
	reqs reqScan
	// lineFrom: an incomplete inline request has no LF in data[:lineFrom].
	lineFrom int
	// scanned counts the bytes the framer's scans started before the end
	// of their buffer, a bound on the bytes they looked at (tests read it).
	scanned int
}

// restart forgets the message in progress.
func (f *framer) restart() {
	f.need, f.seen, f.resume, f.lineFrom = 0, 0, false, 0
	f.reqs.active = false
}

// continues reports whether data continues the message of the previous
// call that answered "need more" (else that progress is dropped), and
// whether it is still too short to be worth looking at.
func (f *framer) waiting(data []byte, atEOF bool) bool {
	if len(data) < f.seen {
		f.restart()
		return false
	}
	return !atEOF && f.need > len(data)
}

// splitRequest frames one request (the bufio.SplitFunc of the request
// direction), leaving its argument positions in f.args when set.
func (f *framer) splitRequest(data []byte, atEOF bool) (int, []byte, error) {
	if len(data) == 0 {
		return 0, nil, nil
	}
	if f.seen > 0 && f.waiting(data, atEOF) {
		return 0, nil, nil
	}
	if !isInlineStart(data[0]) && data[0] != '*' {
		// Not a command, whole line or not: the same answer whatever the
		// chunking, and the same as the tree's fastFail.
		f.restart()
		return 0, nil, wrap("request", 0, parser.ErrNotProtocol)
	}
	var n int
	var skip bool
	var err error
	if data[0] != '*' && f.lineFrom > 0 {
		f.scanned += len(data) - f.lineFrom
		n, skip, err = f.l.inlineFrom(data, f.lineFrom, f.args)
	} else if f.reqs.active {
		f.scanned += len(data) - f.reqs.pos
		n, skip, err = f.l.anyRequestLen(data, f.args, &f.reqs)
	} else {
		f.scanned += len(data)
		if f.args != nil {
			n, skip, err = f.l.requestLen(data, f.args)
			if err == errShort && data[0] == '*' {
				// Scan again to record where to resume (rare: a request
				// over several segments).
				n, skip, err = f.l.anyRequestLen(data, f.args, &f.reqs)
			}
		} else {
			n, skip, err = f.l.requestLen(data, nil)
		}
	}
	if err != nil {
		reqs := f.reqs
		n, tok, err := f.fail(data, atEOF, n, err)
		if err == nil { // need more
			if data[0] != '*' {
				f.lineFrom = len(data) // no LF in data yet
			} else if reqs.active {
				f.reqs, f.need = reqs, reqs.need
			} else {
				f.need = len(data) + 1
			}
		}
		return n, tok, err
	}
	f.restart()
	if skip {
		if f.st != nil {
			f.st.Skipped++
		}
		return n, nil, nil
	}
	return n, data[:n:n], nil
}

// splitReply frames one reply (the bufio.SplitFunc of the response
// direction).
func (f *framer) splitReply(data []byte, atEOF bool) (int, []byte, error) {
	if len(data) == 0 {
		return 0, nil, nil
	}
	if f.seen > 0 && f.waiting(data, atEOF) {
		return 0, nil, nil
	}
	var n int
	var err error
	switch {
	case f.resume:
		f.scanned += len(data) - f.rs.pos
		n, err = f.l.resumeScan(data, &f.rs)
	case Type(data[0]) == TypeSimple || Type(data[0]) == TypeError:
		// The most common replies are one line ("+OK", "-ERR ..."):
		// find its end directly rather than through scan's aggregate
		// loop, which answers the same, slower. A line already searched
		// in part is searched on from there (from its last byte, which
		// may be the CR), while the buffer is within MaxLine, where that
		// answers what a search from the start does.
		from := 1
		if f.lineFrom > 1 && len(data) <= f.l.maxLine {
			from = f.lineFrom - 1
		}
		f.scanned += len(data) - from
		var e int
		if e, err = f.l.lineEnd(data, from); err == nil {
			n = e + 2
		} else if err == errShort {
			n = len(data) + 1 // what scan says: at least one more byte
			f.lineFrom = len(data)
		}
	default:
		f.rs.pos, f.rs.pending, f.rs.sp = 0, 1, 0
		f.scanned += len(data)
		n, err = f.l.resumeScan(data, &f.rs)
	}
	if err != nil {
		lineFrom := f.lineFrom
		resume := err == errShort && Type(data[0]) != TypeSimple && Type(data[0]) != TypeError
		n, tok, err := f.fail(data, atEOF, n, err)
		if err == nil { // need more: keep the progress
			f.resume, f.lineFrom = resume, lineFrom
			f.need = len(data) + 1
			if resume {
				f.need = f.rs.need
			}
		}
		return n, tok, err
	}
	f.restart()
	return n, data[:n:n], nil
}

// fail turns a scan error into the split answer: not this protocol, a
// protocol error, a message cut short at EOF or over the size limit, or
// "need more" with the bound n remembered.
func (f *framer) fail(data []byte, atEOF bool, n int, err error) (int, []byte, error) {
	field := "reply"
	var notProto bool
	if f.req {
		field = "request"
		notProto = !isInlineStart(data[0]) && data[0] != '*'
	} else {
		notProto = !isValueStart(data[0])
	}
	if notProto {
		f.restart()
		return 0, nil, wrap(field, 0, parser.ErrNotProtocol)
	}
	if err != errShort {
		f.restart()
		return 0, nil, wrap(field, n, err)
	}
	if atEOF {
		f.restart()
		return 0, nil, wrap(field, len(data), parser.ErrShort)
	}
	if n > f.l.maxMessage || len(data) >= f.l.maxMessage {
		f.restart()
		return 0, nil, wrap(field, f.l.maxMessage, ErrMessageTooLarge)
	}
	f.need, f.seen = n, len(data)
	return 0, nil, nil
}

// isInlineStart reports whether c may start an inline command.
func isInlineStart(c byte) bool {
	return c > ' ' && c < 0x7f || c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
