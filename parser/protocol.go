package parser

import "bufio"

// Pairing says how a protocol matches responses to requests.
type Pairing uint8

const (
	// PairInOrder pairs the n-th response with the n-th request still
	// waiting (HTTP/1.x, Redis pipelining).
	PairInOrder Pairing = iota
	// PairByKey pairs by a key both messages carry (Kafka correlation id,
	// Dubbo request id); responses may come in any order. Protocol.Key
	// extracts it.
	PairByKey
)

// Protocol describes one application protocol to the core: how to frame it
// on a byte stream, how to parse each direction, and how to pair the two.
//
// A Protocol is a plain value built once by its package (redis.Protocol(),
// kafka.Protocol(opts) ...) and shared by every connection; per-connection
// state lives in the value NewState returns.
type Protocol struct {
	// Name is the protocol's short name: "redis", "http", "kafka", "dubbo2".
	Name string
	// Request and Response are the roots of the two parser trees. The
	// Request root's fastFail is what detection runs on a new stream.
	Request, Response *PkgParser
	// NewState returns a new per-connection value, handed to Split and set
	// as Message.State while parsing (nil for stateless protocols).
	NewState func() any
	// Split returns the framing function for one direction of a connection,
	// with the contract of bufio.SplitFunc: given the bytes buffered so far
	// it returns how many to consume and the whole message as token, or
	// (0, nil, nil) when it needs more bytes, or an error when the bytes are
	// not this protocol (ErrNotProtocol), claim a size over a limit
	// (ErrTooLarge) or are malformed. At EOF with a partial message it
	// returns ErrShort. It may skip bytes (advance > 0, token nil).
	// state is the connection's NewState value; a stateless protocol may
	// return one shared function.
	Split func(state any, dir Direction) bufio.SplitFunc
	// Decode, when not nil, returns a function that frames and parses one
	// direction in a single pass: what Split then the direction's tree do,
	// with the same answers (see DecodeFunc), for a protocol whose framing
	// already reads most of what its parser needs. It is optional: Decoder
	// composes Split and the tree for protocols without it, and Conn uses
	// Decoder. state is as for Split.
	Decode func(state any, dir Direction) DecodeFunc
	// Pairing selects in-order or keyed pairing.
	Pairing Pairing
	// Key extracts the pairing key from a message's first bytes, for
	// PairByKey: Conn reads it from a response's buffered bytes, before
	// decoding it, to hand the decoder its request (Message.Request). It
	// answers ok=false while those bytes do not hold the whole key yet. It
	// must be cheap and must not allocate.
	Key func(dir Direction, msg []byte) (key uint64, ok bool)
	// Ports are the protocol's well-known server ports, used as a hint for
	// detection and for deciding which side of a connection is the server.
	Ports []uint16
}

// A DecodeFunc frames the next message at the start of data and parses it
// into m, in one call: Split and ParseRequest (or ParseResponse) at once.
//
// advance and err are what the direction's bufio.SplitFunc answers for
// data and atEOF: the bytes to consume, 0 for "need more", or the framing
// error. framed reports whether a message was framed; when it was, m has
// been reset to it (m.Data is exactly the message's bytes, data[:advance])
// and parsed by the direction's tree, matched reports whether the tree
// matched and, when it did not, m.Err says why; m.State is the
// connection's state, and m.Request is kept as the caller set it, so that
// a response sees its request's attributes. When framed is false m holds
// nothing new (skipped bytes, need more, or err).
//
// A DecodeFunc belongs to one connection and direction, like the SplitFunc
// it stands for, and it is resumable: until a call consumes bytes
// (advance > 0), every call's data starts with the same message as the
// previous call's, extended (Conn, the Sniffer, pcaptest and
// bufio.Scanner all call it so). A DecodeFunc may therefore keep how far
// it framed the message in progress and go on from there, so that the
// work per byte stays bounded whatever the chunking; it forgets that
// progress when it consumes bytes, returns an error, or is handed a
// shorter buffer. After a gap Conn takes a new DecodeFunc from Decoder.
type DecodeFunc func(m *Message, data []byte, atEOF bool) (advance int, framed, matched bool, err error)

// Decoder returns the DecodeFunc of one direction of a connection whose
// per-connection value is state: the protocol's own single-pass Decode
// when it has one, else Split followed by the direction's tree.
func (p *Protocol) Decoder(state any, dir Direction) DecodeFunc {
	if p.Decode != nil {
		return p.Decode(state, dir)
	}
	split, root := p.Split(state, dir), p.Request
	if dir == Response {
		root = p.Response
	}
	return func(m *Message, data []byte, atEOF bool) (int, bool, bool, error) {
		adv, tok, err := split(data, atEOF)
		if err != nil || tok == nil {
			return adv, false, false, err
		}
		m.Start(tok, dir, state)
		return adv, true, root.Parse(m), nil
	}
}

// ParseRequest resets m and parses msg as a request. It reports whether the
// tree matched; on failure m.Err says why.
func (p *Protocol) ParseRequest(m *Message, msg []byte, state any) bool {
	m.Reset(msg, Request)
	m.State = state
	return p.Request.Parse(m)
}

// ParseResponse resets m and parses msg as a response to req (nil when
// unknown). It reports whether the tree matched; on failure m.Err says why.
func (p *Protocol) ParseResponse(m *Message, msg []byte, req *Attributes, state any) bool {
	m.Reset(msg, Response)
	m.Request = req
	m.State = state
	return p.Response.Parse(m)
}

// Detector runs the request trees' fastFail of a set of protocols over the
// first bytes of a stream and returns the protocols that do not rule them
// out. It is cheap enough to run on every new connection and allocates
// nothing after the first call. A Detector is not safe for concurrent use;
// make one per goroutine.
type Detector struct {
	protos []*Protocol
	msg    Message
	out    []*Protocol
}

// NewDetector makes a Detector over protos, tried in that order.
func NewDetector(protos ...*Protocol) *Detector {
	return &Detector{protos: protos, out: make([]*Protocol, 0, len(protos))}
}

// Protocols returns the protocols the detector knows.
func (d *Detector) Protocols() []*Protocol { return d.protos }

// Detect returns the candidate protocols for data, the first bytes seen in
// direction dir (Request: the client's first bytes; Response: the
// server's, for streams picked up mid-flight). The result is reused by the
// next call. A candidate whose well-known port equals serverPort (0 for
// unknown) is moved to the front.
func (d *Detector) Detect(dir Direction, data []byte, serverPort uint16) []*Protocol {
	d.out = d.out[:0]
	for _, p := range d.protos {
		root := p.Request
		if dir == Response {
			root = p.Response
		}
		d.msg.Data, d.msg.Offset, d.msg.Dir, d.msg.State = data, 0, dir, nil
		if root.FastFail(&d.msg) {
			continue
		}
		d.out = append(d.out, p)
		if serverPort != 0 && len(d.out) > 1 && p.hasPort(serverPort) {
			copy(d.out[1:], d.out[:len(d.out)-1])
			d.out[0] = p
		}
	}
	d.msg.Data = nil
	return d.out
}

func (p *Protocol) hasPort(port uint16) bool {
	for _, q := range p.Ports {
		if q == port {
			return true
		}
	}
	return false
}
