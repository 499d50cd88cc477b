package parser

import (
	"errors"
	"time"
)

// ErrUndetected is why a Sniffer gave up: no protocol matched the first
// MaxDetectBytes of the connection.
var ErrUndetected = errors.New("parser: protocol not detected")

// SnifferOptions configure a Sniffer. Zero fields take the defaults.
type SnifferOptions struct {
	// Conn are the options of the Conn made once a protocol is chosen.
	Conn ConnOptions
	// MaxDetectBytes is how many bytes per direction are held while no
	// protocol is chosen. Past it the connection is marked undetected and
	// its bytes are counted as skipped. Default 64 KiB.
	MaxDetectBytes int
}

// DefaultMaxDetectBytes is SnifferOptions.MaxDetectBytes's default.
const DefaultMaxDetectBytes = 64 << 10

type heldChunk struct {
	dir      Direction
	off, n   int // into held[dir]; n == 0 with gap > 0 for a gap
	gap      int
	ts       time.Time
	hasBytes bool
}

// Sniffer is a Conn that first finds out which protocol the connection
// speaks. It holds the first bytes of each direction (copied) until the
// Detector names a candidate whose decoder frames them (see decide: the
// choice depends on the bytes, not on how they were cut), then replays
// them, in arrival order, into a Conn for that protocol and passes
// everything after straight through.
//
// The client's first bytes decide when there are any; a connection picked
// up mid-flight whose server speaks first is decided on the server's bytes.
// Among several candidates, one whose well-known port is the server port
// comes first; a caller that knows better calls Force.
//
// A Sniffer is not safe for concurrent use.
type Sniffer struct {
	det        *Detector
	opts       SnifferOptions
	emit       func(*Exchange)
	serverPort uint16
	conn       *Conn
	held       [2][]byte
	chunks     []heldChunk
	skipped    [2]uint64
	err        error
	// The candidates' decoders tried on the held bytes so far, each kept
	// from one Feed to the next so that its framing resumes where it
	// stopped (the held bytes only grow).
	tries   []sniffTry
	msg     Message
	ordered []*Protocol // the protocols in the order they are tried
	charged int         // cap of held charged to the budget
}

// sniffTry is one candidate's decoder for one direction's held bytes.
type sniffTry struct {
	p      *Protocol
	dir    Direction
	decode DecodeFunc
}

// NewSniffer returns a Sniffer choosing among d's protocols for a
// connection whose server listens on serverPort (0 if unknown).
func NewSniffer(d *Detector, serverPort uint16, opts SnifferOptions, emit func(*Exchange)) *Sniffer {
	if opts.MaxDetectBytes <= 0 {
		opts.MaxDetectBytes = DefaultMaxDetectBytes
	}
	return &Sniffer{det: d, opts: opts, emit: emit, serverPort: serverPort}
}

// Force chooses p without detection. Bytes already held are replayed into
// it. It does nothing once a protocol is chosen.
func (s *Sniffer) Force(p *Protocol) {
	if s.conn == nil && s.err == nil {
		s.choose(p)
	}
}

// Protocol is the chosen protocol, nil while undecided or undetected.
func (s *Sniffer) Protocol() *Protocol {
	if s.conn == nil {
		return nil
	}
	return s.conn.p
}

// Conn is the Conn of the chosen protocol, nil while undecided.
func (s *Sniffer) Conn() *Conn { return s.conn }

// Err is why the Sniffer gave up: ErrUndetected, or ErrOverBudget when
// holding the first bytes would have taken the Budget past its limit;
// nil while it has not.
func (s *Sniffer) Err() error { return s.err }

// Skipped is how many bytes per direction were dropped undetected.
func (s *Sniffer) Skipped() [2]uint64 { return s.skipped }

// Feed hands over the next bytes of direction dir (see Conn.Feed).
func (s *Sniffer) Feed(dir Direction, data []byte, ts time.Time) {
	if s.conn != nil {
		s.conn.Feed(dir, data, ts)
		return
	}
	if s.err != nil || len(data) == 0 {
		s.skipped[dir] += uint64(len(data))
		return
	}
	before := cap(s.held[dir])
	s.chunks = append(s.chunks, heldChunk{dir: dir, off: len(s.held[dir]), n: len(data), ts: ts, hasBytes: true})
	s.held[dir] = append(s.held[dir], data...)
	if grown := cap(s.held[dir]) - before; grown > 0 {
		if !s.budget().take(grown) {
			s.budget().shed.Add(uint64(len(s.held[Request]) + len(s.held[Response])))
			s.drop(ErrOverBudget)
			return
		}
		s.charged += grown
	}
	s.decide(false)
}

// Gap reports lost bytes (see Conn.Gap).
func (s *Sniffer) Gap(dir Direction, n int) {
	if s.conn != nil {
		s.conn.Gap(dir, n)
		return
	}
	if s.err == nil {
		s.chunks = append(s.chunks, heldChunk{dir: dir, off: len(s.held[dir]), gap: n})
	}
}

// Close ends the connection (see Conn.Close). A connection still
// undecided gets a last detection attempt on what it holds.
func (s *Sniffer) Close(ts time.Time) {
	if s.conn == nil && s.err == nil && len(s.held[Request])+len(s.held[Response]) > 0 {
		s.decide(true)
	}
	if s.conn != nil {
		s.conn.Close(ts)
	}
}

// decide chooses a protocol when the held bytes say which, or gives up.
//
// The decision depends on the bytes held, never on how they were cut
// (issue 14.4): the candidates are judged in the Detector's order, each by
// its own decoder on the held bytes (up to MaxDetectBytes). A candidate
// whose decoder refuses them is out for good; the first candidate still in
// decides: it is chosen once it frames a whole message (or skips bytes as
// its protocol allows), and while it needs more the Sniffer waits, even if
// a later candidate would frame one already. Past MaxDetectBytes, or at
// Close, that first candidate is chosen as it is; when none is left the
// connection is undetected.
func (s *Sniffer) decide(final bool) {
	dir := Request
	if len(s.held[Request]) == 0 {
		dir = Response
	}
	data := s.held[dir]
	full := len(data) >= s.opts.MaxDetectBytes
	if full {
		data = data[:s.opts.MaxDetectBytes]
	}
	for _, p := range s.order() {
		v := s.verdict(p, dir, data)
		if v == refused {
			continue
		}
		if v == needsMore {
			// The tree's fastFail on what is there so far (it may read
			// bytes past the first message, so it is run on the message
			// itself once framed).
			root := p.Request
			if dir == Response {
				root = p.Response
			}
			s.msg.Data, s.msg.Offset, s.msg.Dir, s.msg.State, s.msg.Request = data, 0, dir, nil, nil
			if root.FastFail(&s.msg) {
				continue
			}
		}
		if v == accepted || final || full {
			s.choose(p)
		}
		return
	}
	if final || full || len(s.held[dir^1]) > s.opts.MaxDetectBytes {
		s.drop(ErrUndetected)
	}
}

// drop gives up on the connection: its held bytes are counted skipped and
// released.
func (s *Sniffer) drop(err error) {
	s.err = err
	s.skipped[Request] += uint64(len(s.held[Request]))
	s.skipped[Response] += uint64(len(s.held[Response]))
	s.release()
}

// release lets go of the held bytes and their share of the budget.
func (s *Sniffer) release() {
	s.held, s.chunks, s.tries = [2][]byte{}, nil, nil
	s.msg = Message{}
	s.budget().give(s.charged)
	s.charged = 0
}

// budget is the Budget the held bytes are charged to (the Conn's).
func (s *Sniffer) budget() *Budget {
	if s.opts.Conn.Budget == nil {
		return defaultBudget
	}
	return s.opts.Conn.Budget
}

// A candidate's verdict on the held bytes.
const (
	needsMore = iota // a plausible start of a message
	accepted         // a whole message framed, or bytes skipped
	refused          // not this protocol (final: the bytes only grow)
)

// verdict runs p's decoder on data, the held bytes of dir: the decoder a
// Conn would use (the one path from bytes to messages), on its own state,
// kept from one call to the next so that its framing resumes.
func (s *Sniffer) verdict(p *Protocol, dir Direction, data []byte) int {
	var t *sniffTry
	for i := range s.tries {
		if s.tries[i].p == p && s.tries[i].dir == dir {
			t = &s.tries[i]
			break
		}
	}
	if t == nil && p.Decode == nil && p.Split == nil {
		return refused // nothing to frame with
	}
	if t == nil {
		var state any
		if p.NewState != nil {
			state = p.NewState()
		}
		s.tries = append(s.tries, sniffTry{p: p, dir: dir, decode: p.Decoder(state, dir)})
		t = &s.tries[len(s.tries)-1]
	}
	if t.decode == nil {
		return refused
	}
	s.msg.Request = nil
	adv, framed, _, err := t.decode(&s.msg, data, false)
	switch {
	case err != nil:
		t.decode = nil
		return refused
	case adv > 0:
		// A whole message (or bytes its protocol skips): the tree's
		// fastFail judges that message alone, not the bytes after it, so
		// the verdict holds however the bytes were cut.
		root := p.Request
		if dir == Response {
			root = p.Response
		}
		msg := data[:adv]
		if framed {
			msg = s.msg.Data
		}
		s.msg.Data, s.msg.Offset, s.msg.Dir, s.msg.State, s.msg.Request = msg, 0, dir, nil, nil
		if root.FastFail(&s.msg) {
			t.decode = nil
			return refused
		}
		return accepted
	}
	return needsMore
}

// order is the Detector's protocols, those whose well-known port is the
// server port first.
func (s *Sniffer) order() []*Protocol {
	all := s.det.Protocols()
	if s.serverPort == 0 {
		return all
	}
	if s.ordered == nil {
		s.ordered = make([]*Protocol, 0, len(all))
		for _, p := range all {
			if p.hasPort(s.serverPort) {
				s.ordered = append(s.ordered, p)
			}
		}
		for _, p := range all {
			if !p.hasPort(s.serverPort) {
				s.ordered = append(s.ordered, p)
			}
		}
	}
	return s.ordered
}

func (s *Sniffer) choose(p *Protocol) {
	s.conn = NewConn(p, s.opts.Conn, s.emit)
	for _, c := range s.chunks {
		if !c.hasBytes {
			s.conn.Gap(c.dir, c.gap)
			continue
		}
		s.conn.Feed(c.dir, s.held[c.dir][c.off:c.off+c.n], c.ts)
	}
	s.release()
}
