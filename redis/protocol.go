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
	l limits
}

// NewProtocol returns the Redis protocol with the given limits, for
// parser.Conn and parser.Detector: RESP framing of each direction, the
// request and response parser trees (one node each), in-order pairing and
// per-connection State. Build it once and share it between connections.
func NewProtocol(opts Options) *parser.Protocol {
	p := &proto{l: opts.limits()}
	return &parser.Protocol{
		Name:     "redis",
		Request:  parser.NewPkgParser("redis.request", fastFailRequest, p.parseRequest),
		Response: parser.NewPkgParser("redis.response", fastFailResponse, p.parseResponse),
		NewState: func() any { return new(State) },
		Split:    p.split,
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
//     answered by N confirmations, of which only the first pairs with it.
//
// It also counts the requests framing skipped. A State belongs to one
// connection and is not safe for concurrent use.
type State struct {
	// Skipped counts requests the server ignores without a reply and that
	// framing therefore skipped: empty arrays ("*0", "*-1") and blank
	// inline lines.
	Skipped int

	replyOff   bool     // CLIENT REPLY OFF in force
	skip       int      // requests, from the current one, without a reply (CLIENT REPLY SKIP)
	subscribed bool     // RESP2 subscribed mode (subscription count > 0)
	extra      int      // further confirmations of extraKind that answer no request (-1: any number)
	extraKind  pushKind // kind of those confirmations
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

// split returns the framing function of one direction.
func (p *proto) split(state any, dir parser.Direction) bufio.SplitFunc {
	st, _ := state.(*State)
	l := &p.l
	if dir == parser.Request {
		return func(data []byte, atEOF bool) (int, []byte, error) {
			if len(data) == 0 {
				return 0, nil, nil
			}
			n, skip, err := l.requestLen(data)
			if err != nil {
				return l.splitErr(data, atEOF, "request", err, !isInlineStart(data[0]) && data[0] != '*')
			}
			if skip {
				if st != nil {
					st.Skipped++
				}
				return n, nil, nil
			}
			return n, data[:n:n], nil
		}
	}
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if len(data) == 0 {
			return 0, nil, nil
		}
		n, err := l.scan(data, 0, 1)
		if err != nil {
			return l.splitErr(data, atEOF, "reply", err, !isValueStart(data[0]))
		}
		return n, data[:n:n], nil
	}
}

// splitErr turns a framing error into the bufio.SplitFunc result.
func (l *limits) splitErr(data []byte, atEOF bool, field string, err error, notProto bool) (int, []byte, error) {
	if notProto {
		return 0, nil, wrap(field, 0, parser.ErrNotProtocol)
	}
	if err == errShort {
		if atEOF {
			return 0, nil, wrap(field, len(data), parser.ErrShort)
		}
		if len(data) >= l.maxMessage {
			return 0, nil, wrap(field, len(data), ErrMessageTooLarge)
		}
		return 0, nil, nil
	}
	return 0, nil, wrap(field, 0, err)
}

// isInlineStart reports whether c may start an inline command.
func isInlineStart(c byte) bool {
	return c > ' ' && c < 0x7f || c == ' ' || c == '\t' || c == '\r' || c == '\n'
}
