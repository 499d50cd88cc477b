package parser

// Direction says which way a message travels.
type Direction uint8

// Directions.
const (
	Request  Direction = 0 // client to server
	Response Direction = 1 // server to client
)

// String names the direction.
func (d Direction) String() string {
	if d == Response {
		return "response"
	}
	return "request"
}

// Reverse returns the other direction.
func (d Direction) Reverse() Direction { return d ^ 1 }

// Flags are facts a parser states about a message that change how it is
// paired. Parser nodes set them on Message.Flags.
type Flags uint8

const (
	// OneWay marks a request that expects no response (Kafka Produce with
	// acks=0, a Dubbo one-way call). It is reported as an exchange without a
	// response instead of waiting for one.
	OneWay Flags = 1 << iota
	// Unsolicited marks a response that answers no request (a Redis pub/sub
	// message, a RESP3 push). It is reported on its own and consumes no
	// pending request.
	Unsolicited
	// Interim marks a response that precedes the final one for the same
	// request (HTTP 1xx other than 101). It is counted, and the request
	// stays pending.
	Interim
	// Truncated marks a message whose bytes end before the message does
	// (capture snaplen or a gap): its attributes are what could be read.
	Truncated
	// EarlyResponse marks a response that arrived while the request it
	// answers was still incomplete (a server refusing an upload with 413,
	// or answering before reading the whole body). Conn sets it on
	// Exchange.ResponseFlags: the response is paired with the request in
	// progress, reported when that request's last byte is framed.
	EarlyResponse
)

// Message is one protocol message being parsed: its bytes, the read offset
// parser nodes advance, and the attributes they fill.
//
// A Message is reused: Reset it for the next message and the attribute
// storage is kept, so steady-state parsing allocates nothing. Attribute
// values may alias Data; they are valid until Data is reused.
type Message struct {
	// Data is the whole framed message.
	Data []byte
	// Offset is where the next parser node reads. A node that returns
	// (ok, incomplete) leaves Offset where its children start.
	Offset int
	// Dir is Request or Response.
	Dir Direction
	// Attrs are the attributes set so far.
	Attrs Attributes
	// Request is, while a response is parsed, the attributes of the request
	// it answers, or nil when unknown. Kafka's response decoder needs the
	// request's API key and version from it.
	Request *Attributes
	// State is the per-connection value of the protocol (Protocol.NewState),
	// nil for stateless protocols.
	State any
	// Flags are set by parser nodes; see Flags.
	Flags Flags
	// Err is why the last node that failed did so, when it said (nil
	// otherwise). Walk leaves it set on failure.
	Err error

	// route is the path a node's parse function set with Route: the child
	// index the walk starts at on each level below it; routeAt holds how
	// many there are (low byte) and the next level's (high byte), in one
	// field so that the walk reads what Route wrote with one load.
	route   [MaxRoute]int
	routeAt uint16
}

// Start prepares m for parsing data in direction dir with the
// connection's state, keeping storage and m.Request: what a DecodeFunc does
// with the message it framed (see DecodeFunc).
func (m *Message) Start(data []byte, dir Direction, state any) {
	m.Data = data
	m.Offset = 0
	m.Dir = dir
	m.Attrs.Reset()
	m.State = state
	m.Flags = 0
	if m.Err != nil { // most messages parse: skip the store and its write barrier check
		m.Err = nil
	}
}

// Reset prepares m for parsing data in direction dir, keeping storage
// and m.State, with no request (see Start).
func (m *Message) Reset(data []byte, dir Direction) {
	m.Start(data, dir, m.State)
	m.Request = nil
}

// Rest returns the unread bytes, Data[Offset:].
func (m *Message) Rest() []byte {
	if m.Offset >= len(m.Data) {
		return nil
	}
	return m.Data[m.Offset:]
}

// Reader returns a bounds-checked reader over the unread bytes. Advance
// Offset by r.Offset() when the node is done (or use Message.Advance).
func (m *Message) Reader() Reader { return Reader{b: m.Rest()} }

// Advance moves Offset by n bytes, clamped to the end of Data.
func (m *Message) Advance(n int) {
	m.Offset += n
	if m.Offset > len(m.Data) {
		m.Offset = len(m.Data)
	}
}

// Fail records err as the reason for failing and returns (false, false), so
// a node can end with `return m.Fail(err)`.
func (m *Message) Fail(err error) (ok, complete bool) {
	m.Err = err
	return false, false
}
