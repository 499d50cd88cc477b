package redis

import (
	"bufio"

	"github.com/wirekit/wirekit/parser"
)

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
		Name:     "redis",
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
	_ noCopy

	// Skipped counts requests the server ignores without a reply and that
	// framing therefore skipped: empty arrays ("*0", "*-1") and blank
	// inline lines.
	Skipped int

	// The framer's scan of the message it returned last, so that parsing
	// that very message (same first byte address and length) does not scan
	// it again: the argument positions of a request, the validity of a
	// reply. Parsing consumes it.
	framedReq     argList
	framedReqAt   *byte
	framedReqLen  int
	framedRespAt  *byte
	framedRespLen int

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

// noCopy makes go vet flag copies of a State after first use.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// Subscribed reports whether the connection is in pub/sub subscribed mode,
// as the last (un)subscribe confirmation said.
func (s *State) Subscribed() bool { return s.subscribed }

// framedArgs returns the framer's argument positions for msg when msg is
// the request it framed last, consuming them; nil otherwise.
func (s *State) framedArgs(msg []byte) *argList {
	if s == nil || len(msg) == 0 || s.framedReqAt != &msg[0] || s.framedReqLen != len(msg) {
		return nil
	}
	s.framedReqAt = nil
	a := &s.framedReq
	a.msg = msg
	return a
}

// framedValid reports whether msg is the reply the framer validated last,
// consuming that fact.
func (s *State) framedValid(msg []byte) bool {
	if s == nil || len(msg) == 0 || s.framedRespAt != &msg[0] || s.framedRespLen != len(msg) {
		return false
	}
	s.framedRespAt = nil
	return true
}

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

// split returns the framing function of one direction.
//
// A message spanning many segments is offered again and again, longer each
// time. When a scan stops short it also yields a lower bound on the length
// the message needs (each value still expected takes at least 3 bytes, a
// bulk string its whole announced length); until that many bytes are
// buffered the framer answers "need more" without rescanning, so framing a
// large reply byte by byte is not quadratic. The bound is only a shortcut:
// it is dropped when the buffer does not start like the message it was
// computed for or is shorter than before, and every message is framed by a
// full scan.
func (p *proto) split(state any, dir parser.Direction) bufio.SplitFunc {
	st, _ := state.(*State)
	f := &framer{l: &p.l, st: st, req: dir == parser.Request}
	if f.req {
		return f.splitRequest
	}
	return f.splitReply
}

// decode returns the single-pass parser.DecodeFunc of one direction
// (Protocol.Decode). Its answers are those of the direction's framer
// followed by its tree; TestDecodeAgrees and FuzzDecode check that.
func (p *proto) decode(state any, dir parser.Direction) parser.DecodeFunc {
	st, _ := state.(*State)
	d := &decoder{
		f:     framer{l: &p.l, st: st, req: dir == parser.Request},
		dir:   dir,
		state: state,
		root:  p.respTree,
	}
	if dir != parser.Request {
		return d.any
	}
	d.root = p.reqTree
	if st == nil {
		return d.any
	}
	// The request nearly every client sends, an array of a few short bulk
	// strings (see shortRequestLen), is framed and parsed in one pass; any
	// other goes through the framer and the tree.
	//
	// For such an array the tree's walk comes down to its one node's parse
	// with the framer's scan: the array passes the node's fastFail ("*" and
	// a digit), and the parse always completes. So what that parse does is
	// done here directly, on the scan just made. (The body is in this
	// closure rather than in a method, whose method value would add a call.)
	return func(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
		a := &d.args
		n, ok := p.l.shortRequestLen(data, a)
		if !ok {
			return d.any(m, data, atEOF)
		}
		// What splitRequest does when it frames a message (no "need more"
		// bound pending, no scan handed over), stored only when it changes.
		if d.f.need != 0 {
			d.f.need = 0
		}
		if st.framedReqAt != nil {
			st.framedReqAt = nil
		}
		m.Start(data[:n:n], parser.Request, state)
		requestAttrs(m, st, a)
		m.Offset = n
		return n, true, true, nil
	}
}

// decoder holds one direction's DecodeFunc.
type decoder struct {
	f     framer
	dir   parser.Direction
	state any
	root  *parser.PkgParser
	args  argList // the arguments the request fast path scanned
}

// any frames a message with the framer, then parses it with the tree,
// which takes the framer's scan over instead of reading the message again
// (see State.framedArgs).
func (d *decoder) any(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
	var n int
	var tok []byte
	var err error
	if d.f.req {
		n, tok, err = d.f.splitRequest(data, atEOF)
	} else {
		n, tok, err = d.f.splitReply(data, atEOF)
	}
	if tok == nil {
		return n, false, false, err
	}
	m.Start(tok, d.dir, d.state)
	return n, true, d.root.Parse(m), nil
}

// framer is one direction's framing function and its "need more" bound.
type framer struct {
	l    *limits
	st   *State
	req  bool
	need int    // buffer length below which the pending message cannot be whole
	seen int    // buffer length when need was computed
	head uint64 // the first bytes of that buffer
}

// headOf packs up to 8 leading bytes, to recognise the same pending message.
func headOf(b []byte) uint64 {
	var h uint64
	for i := 0; i < len(b) && i < 8; i++ {
		h = h<<8 | uint64(b[i])
	}
	return h
}

// waiting reports whether data is still shorter than the bound computed for
// the message pending at its start, so that scanning it again is useless.
func (f *framer) waiting(data []byte, atEOF bool) bool {
	return !atEOF && f.need > len(data) && len(data) >= f.seen && headOf(data) == f.head
}

// splitRequest frames one request (the bufio.SplitFunc of the request
// direction), leaving its argument positions in the State for the parser.
func (f *framer) splitRequest(data []byte, atEOF bool) (int, []byte, error) {
	if len(data) == 0 || f.need > 0 && f.waiting(data, atEOF) {
		return 0, nil, nil
	}
	f.need = 0
	var a *argList
	st := f.st
	if st != nil {
		a = &st.framedReq
		st.framedReqAt = nil
	}
	n, skip, err := f.l.requestLen(data, a)
	if err != nil {
		return f.fail(data, atEOF, n, err)
	}
	if skip {
		if st != nil {
			st.Skipped++
		}
		return n, nil, nil
	}
	if st != nil && !a.inline {
		st.framedReqAt, st.framedReqLen = &data[0], n
	}
	return n, data[:n:n], nil
}

// splitReply frames one reply (the bufio.SplitFunc of the response
// direction), noting in the State that it is valid.
func (f *framer) splitReply(data []byte, atEOF bool) (int, []byte, error) {
	if len(data) == 0 || f.need > 0 && f.waiting(data, atEOF) {
		return 0, nil, nil
	}
	f.need = 0
	st := f.st
	if st != nil {
		st.framedRespAt = nil
	}
	var n int
	var err error
	switch Type(data[0]) {
	case TypeSimple, TypeError:
		// The most common replies are one line ("+OK", "-ERR ..."):
		// find its end directly rather than through scan's aggregate
		// loop, which answers the same, slower.
		var e int
		if e, err = f.l.lineEnd(data, 1); err == nil {
			n = e + 2
		} else if err == errShort {
			n = len(data) + 1 // what scan says: at least one more byte
		}
	default:
		n, err = f.l.scan(data, 0, 1)
	}
	if err != nil {
		return f.fail(data, atEOF, n, err)
	}
	if st != nil {
		st.framedRespAt, st.framedRespLen = &data[0], n
	}
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
		return 0, nil, wrap(field, 0, parser.ErrNotProtocol)
	}
	if err != errShort {
		return 0, nil, wrap(field, n, err)
	}
	if atEOF {
		return 0, nil, wrap(field, len(data), parser.ErrShort)
	}
	if n > f.l.maxMessage || len(data) >= f.l.maxMessage {
		return 0, nil, wrap(field, len(data), ErrMessageTooLarge)
	}
	f.need, f.seen, f.head = n, len(data), headOf(data)
	return 0, nil, nil
}

// isInlineStart reports whether c may start an inline command.
func isInlineStart(c byte) bool {
	return c > ' ' && c < 0x7f || c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
