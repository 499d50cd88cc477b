package postgres

import (
	"bufio"
	"strings"

	"github.com/wirekit/wirekit/internal/limit"
	"github.com/wirekit/wirekit/internal/sqlop"
	"github.com/wirekit/wirekit/parser"
)

// Attribute keys this package sets. The names are the ones the corpus
// truth files use.
const (
	// Requests.
	AttrCommand         = "postgres.command"          // string: QUERY, EXECUTE, STARTUP, SSL_REQUEST, GSSENC_REQUEST, CANCEL, AUTH, COPY_DATA, FUNCTION_CALL, TERMINATE
	AttrStatement       = "postgres.statement"        // string: SQL text (QUERY: the query; EXECUTE: the first Parse's text, or the prepared statement's the first Bind names)
	AttrStatementName   = "postgres.statement_name"   // string: EXECUTE: the name of the first statement parsed or bound ("" for the unnamed statement)
	AttrStatementKnown  = "postgres.statement_known"  // bool: EXECUTE: false when the bound statement was prepared before the capture began (or evicted): its text is unknown, never guessed
	AttrOperation       = "postgres.operation"        // string: QUERY, EXECUTE (statement known): the statements' leading keywords, upper-cased, each once, space-separated (SELECT; SELECT DROP for two statements); see the package doc
	AttrMessages        = "postgres.messages"         // int: EXECUTE and COPY_DATA: messages in the run
	AttrExecutes        = "postgres.executes"         // int: EXECUTE: Execute messages in the run (pipelined statements)
	AttrUser            = "postgres.user"             // string: STARTUP: the user parameter
	AttrDatabase        = "postgres.database"         // string: STARTUP: the database parameter
	AttrApplicationName = "postgres.application_name" // string: STARTUP: the application_name parameter
	AttrProtocolVersion = "postgres.protocol_version" // int: STARTUP: major<<16 | minor (196608 for 3.0)

	// Responses.
	AttrTLS           = "postgres.tls"           // bool: the answer to SSLRequest/GSSENCRequest: true when the server accepted ('S'/'G'); the connection is then encrypted and no longer parsed
	AttrCommandTag    = "postgres.command_tag"   // string: the last CommandComplete's tag ("INSERT 0 1", "SELECT 3")
	AttrRows          = "postgres.rows"          // int: DataRow messages (responses to QUERY and EXECUTE)
	AttrErrorCode     = "postgres.error_code"    // string: the first ErrorResponse's SQLSTATE
	AttrSeverity      = "postgres.severity"      // string: its severity (the non-localized V field when sent, else S)
	AttrErrorMessage  = "postgres.error_message" // string: its primary message
	AttrAuth          = "postgres.auth"          // string: the last Authentication message: OK, CLEARTEXT_PASSWORD, MD5_PASSWORD, SASL, SASL_CONTINUE, SASL_FINAL, GSS, GSS_CONTINUE, SSPI, KERBEROS_V5
	AttrNotices       = "postgres.notices"       // int: NoticeResponse messages in the response (when any)
	AttrNotifications = "postgres.notifications" // int: NotificationResponse messages in the response (when any)
	AttrChannel       = "postgres.channel"       // string: a NotificationResponse pushed on its own: its channel
	AttrPush          = "postgres.push"          // string: a message pushed on its own (Unsolicited): NOTIFICATION, NOTICE or PARAMETER_STATUS
	AttrCopy          = "postgres.copy"          // string: the response switched to COPY: IN, OUT or BOTH
)

// Default limits.
const (
	// DefaultMaxMessageSize bounds one message and one framed run of
	// messages (a request from its first message to Sync, a response up
	// to ReadyForQuery). PostgreSQL itself accepts messages up to 1 GiB;
	// parser.Conn buffers at most 64 MiB by default.
	DefaultMaxMessageSize = 64 << 20
	// MaxStartupSize is the largest startup packet, PostgreSQL's own
	// MAX_STARTUP_PACKET_LENGTH.
	MaxStartupSize = 10000
	// DefaultMaxStatements bounds the named prepared statements remembered
	// per connection.
	DefaultMaxStatements = 256
	// DefaultMaxStatementBytes bounds the statement text remembered per
	// connection.
	DefaultMaxStatementBytes = 1 << 20
	// maxExpect bounds the responses a connection can be waiting for.
	maxExpect = 256
)

// Options configure the protocol. The zero value takes the defaults.
type Options struct {
	// MaxMessageSize bounds a message and a framed run (see
	// DefaultMaxMessageSize). Over it, framing fails with
	// ErrMessageTooLarge and parser.Conn stops the direction, counted.
	MaxMessageSize int
	// MaxStatements and MaxStatementBytes bound the prepared statements
	// remembered per connection. When either would be exceeded, one
	// remembered statement is forgotten (counted in Stats.Evicted); a
	// later Bind of it reports the statement as unknown.
	MaxStatements, MaxStatementBytes int
	// RedactLiterals replaces string and numeric literals in reported
	// statement text with '?' (see Redact). Off by default: parameters
	// of extended queries are never reported anyway.
	RedactLiterals bool
}

func (o *Options) setDefaults() {
	o.MaxMessageSize = limit.Or(o.MaxMessageSize, DefaultMaxMessageSize)
	o.MaxStatements = limit.Or(o.MaxStatements, DefaultMaxStatements)
	o.MaxStatementBytes = limit.Or(o.MaxStatementBytes, DefaultMaxStatementBytes)
}

// Stats count what a connection's state saw that is not an exchange:
// read them with (*State).Stats from parser.Conn.State().
type Stats struct {
	TLS               uint64 // encryption requests the server accepted: the connection is no longer parsed
	Cancels           uint64 // CancelRequests
	UnknownStatements uint64 // Binds of statements not prepared in what was seen (picked up mid-way, or evicted)
	Evicted           uint64 // prepared statements forgotten to stay within the limits
	Unexpected        uint64 // responses framed with no request waiting for them (a capture that began mid-way), or requests over the 256 awaited responses
}

// expectation is what the next response to a framed request looks like.
type expectation uint8

const (
	expRun     expectation = iota // typed messages up to ReadyForQuery (or a COPY/auth turn)
	expStartup                    // the same, during startup: an ErrorResponse ends it too
	expSSL                        // one byte: 'S'/'G' or 'N' (or an ErrorResponse)
)

// State is a connection's protocol state (Protocol.NewState): the
// responses its requests await, its prepared statements and its Stats.
// It is small and bounded: a ring of 256 expectations and at most
// MaxStatements statements of MaxStatementBytes in all.
type State struct {
	opts   *Options
	expect [maxExpect]expectation
	head   int
	n      int
	// encrypted is set when the server accepted SSL/GSS encryption.
	encrypted bool
	stmts     sqlop.Statements[string]
	stats     Stats
	bufs      sqlop.Buffers // AttrStatement and AttrOperation values
}

// Stats returns the connection's counters.
func (s *State) Stats() Stats {
	st := s.stats
	st.Evicted = s.stmts.Evicted
	return st
}

// Encrypted reports whether the connection switched to TLS or GSS
// encryption (and is no longer parsed).
func (s *State) Encrypted() bool { return s.encrypted }

func (s *State) push(e expectation) {
	if s.n == maxExpect {
		s.stats.Unexpected++
		return
	}
	s.expect[(s.head+s.n)%maxExpect] = e
	s.n++
}

// peek returns the expectation of the next response, ok false when none.
func (s *State) peek() (expectation, bool) {
	if s.n == 0 {
		return expRun, false
	}
	return s.expect[s.head], true
}

func (s *State) pop() {
	if s.n == 0 {
		s.stats.Unexpected++
		return
	}
	s.head = (s.head + 1) % maxExpect
	s.n--
}

// remember stores a prepared statement's text under its name (both
// copied when kept).
func (s *State) remember(name, text []byte) {
	if old, ok := s.stmts.Lookup(parser.UnsafeString(name)); ok && old == parser.UnsafeString(text) {
		return // re-prepared with the same text: nothing to copy
	}
	s.stmts.Remember(parser.UnsafeString(name), parser.UnsafeString(text), s.opts.MaxStatements, s.opts.MaxStatementBytes, ownStatement)
}

// ownStatement copies a statement's name and text out of the message.
func ownStatement(name, text string) (string, string) {
	return strings.Clone(name), strings.Clone(text)
}

func (s *State) forget(name []byte) { s.stmts.Forget(parser.UnsafeString(name)) }

// lookup returns a remembered statement's text.
func (s *State) lookup(name []byte) (string, bool) { return s.stmts.Lookup(parser.UnsafeString(name)) }

// Name is the protocol's name (parser.Protocol.Name, Exchange.Protocol).
const Name = "postgres"

// Protocol returns the PostgreSQL protocol with default Options.
func Protocol() *parser.Protocol { return NewProtocol(Options{}) }

// NewProtocol returns the PostgreSQL frontend/backend protocol (v3)
// configured by opts: framed per request and response run, paired in
// order, on port 5432.
func NewProtocol(opts Options) *parser.Protocol {
	opts.setDefaults()
	o := &opts
	return &parser.Protocol{
		Name:     Name,
		Request:  requestTree(o),
		Response: responseTree(o),
		NewState: func() any { return &State{opts: o} },
		Split: func(state any, dir parser.Direction) bufio.SplitFunc {
			st, _ := state.(*State)
			if st == nil {
				st = &State{opts: o}
			}
			f := &framer{st: st, max: o.MaxMessageSize}
			if dir == parser.Response {
				return f.splitResponse
			}
			return f.splitRequest
		},
		Pairing: parser.PairInOrder,
		Ports:   []uint16{5432},
	}
}

// Protocol codes of the untyped packets a client sends first.
const (
	codeCancel  = 80877102
	codeSSL     = 80877103
	codeGSSENC  = 80877104
	protocolV3  = 3 << 16
	startupMask = 0xffff0000
)

// framer frames one direction. Framing a run walks its messages once:
// off is how far the current, unfinished run was walked, so that a run
// arriving in many pieces is not walked again from its start (the
// bufio.SplitFunc contract hands the same bytes, extended, until a call
// consumes them).
type framer struct {
	st  *State
	max int
	off int
}

// header reads the type and length of the typed message at data[off:]:
// the message's total size (type byte included), 0 when more bytes are
// needed, or an error.
func (f *framer) header(data []byte, off int, valid func(byte) bool) (typ byte, size int, err error) {
	if len(data)-off < 5 {
		if len(data) > off && !valid(data[off]) {
			return 0, 0, ErrBadType
		}
		return 0, 0, nil
	}
	r := parser.NewReader(data[off:])
	typ = r.Uint8()
	n := r.Uint32()
	if !valid(typ) {
		return typ, 0, ErrBadType
	}
	if n < 4 {
		return typ, 0, ErrBadLength
	}
	if uint64(n) >= uint64(f.max) {
		return typ, 0, ErrMessageTooLarge
	}
	return typ, int(n) + 1, nil
}

// splitRequest frames one request: an untyped startup-family packet, a
// single message (Query, Terminate, an authentication message,
// FunctionCall), an extended-query run up to Sync, or a COPY data run up
// to CopyDone/CopyFail.
func (f *framer) splitRequest(data []byte, atEOF bool) (int, []byte, error) {
	if ok, err := f.resume(data); !ok {
		return 0, nil, err
	}
	st := f.st
	r := parser.NewReader(data)
	first := r.Uint8()
	if first == 0 { // an untyped packet: its length's high byte is 0
		r = parser.NewReader(data)
		n := r.Uint32()
		code := r.Uint32()
		if !r.Ok() {
			return f.short(atEOF)
		}
		if n < 8 || n > MaxStartupSize {
			return 0, nil, ErrMessageTooLarge
		}
		e, expects := expRun, true
		switch {
		case code == codeSSL, code == codeGSSENC:
			e = expSSL
		case code == codeCancel:
			expects = false
		case code&startupMask == protocolV3:
			e = expStartup
		default:
			return 0, nil, ErrBadStartup
		}
		if len(data) < int(n) {
			return f.short(atEOF)
		}
		if expects {
			st.push(e)
		}
		return int(n), data[:n], nil
	}
	off := f.off
	for {
		typ, size, err := f.header(data, off, frontendType)
		if err != nil || size == 0 || len(data)-off < size || off+size > f.max {
			return f.notWhole(off, size, err, atEOF)
		}
		off += size
		end := false
		switch first {
		case 'Q', 'p', 'F':
			end = true
		case 'X':
			f.off = 0
			return off, data[:off], nil // Terminate: no response
		case 'd', 'c', 'f':
			end = typ == 'c' || typ == 'f'
		default: // the extended query protocol
			end = typ == 'S'
		}
		if end {
			f.off = 0
			st.push(expRun)
			return off, data[:off], nil
		}
	}
}

// short answers "need more", or ErrShort at EOF.
// resume starts a call of a Split: ErrUpgraded once the connection is
// encrypted, nothing to do without data, and a saved offset past the
// data dropped (the data is not what it was measured on); ok when the
// framing goes on.
func (f *framer) resume(data []byte) (ok bool, err error) {
	if f.st.encrypted {
		return false, parser.ErrUpgraded
	}
	if len(data) == 0 {
		return false, nil
	}
	if f.off > len(data) {
		f.off = 0
	}
	return true, nil
}

// notWhole is the framing result when the message at off is bad (err),
// takes the run over the bound (a whole message or its announced size),
// or is not whole yet: the error, ErrMessageTooLarge, or need more.
func (f *framer) notWhole(off, size int, err error, atEOF bool) (int, []byte, error) {
	if err == nil && off+size > f.max {
		err = ErrMessageTooLarge
	}
	if err != nil {
		f.off = 0
		return 0, nil, err
	}
	f.off = off
	return f.short(atEOF)
}

func (f *framer) short(atEOF bool) (int, []byte, error) {
	if atEOF {
		f.off = 0
		return 0, nil, parser.ErrShort
	}
	return 0, nil, nil
}

// splitResponse frames one response: the one-byte answer to an
// encryption request, a message the server pushed on its own
// (NotificationResponse, NoticeResponse, ParameterStatus while nothing is
// awaited), or a run of messages up to ReadyForQuery, or up to the
// CopyInResponse/CopyBothResponse or Authentication request that hands
// the turn to the client (or an ErrorResponse during startup).
func (f *framer) splitResponse(data []byte, atEOF bool) (int, []byte, error) {
	if ok, err := f.resume(data); !ok {
		return 0, nil, err
	}
	st := f.st
	e, awaited := st.peek()
	if e == expSSL {
		r := parser.NewReader(data)
		switch r.Uint8() {
		case 'S', 'G':
			st.pop()
			st.encrypted = true
			st.stats.TLS++
			return 1, data[:1], nil
		case 'N':
			st.pop()
			return 1, data[:1], nil
		case 'E': // an old server's error: a run
		default:
			return 0, nil, ErrBadSSLAnswer
		}
	}
	off := f.off
	for {
		typ, size, err := f.header(data, off, backendType)
		if err != nil || size == 0 || len(data)-off < size || off+size > f.max {
			return f.notWhole(off, size, err, atEOF)
		}
		start := off
		off += size
		if start == 0 && !awaited && (typ == 'A' || typ == 'N' || typ == 'S') {
			f.off = 0
			return off, data[:off], nil // pushed on its own
		}
		end := false
		switch typ {
		case 'Z', 'G', 'W':
			end = true
		case 'E':
			end = e == expStartup
		case 'R':
			ar := parser.NewReader(data[start+5 : off])
			end = authAwaitsClient(ar.Uint32())
		}
		if end {
			f.off = 0
			if awaited {
				st.pop()
			} else {
				st.stats.Unexpected++
			}
			return off, data[:off], nil
		}
	}
}

// authAwaitsClient reports whether an Authentication message asks the
// client for something (every code but OK and SASLFinal).
func authAwaitsClient(code uint32) bool {
	switch code {
	case 2, 3, 5, 7, 8, 9, 10, 11:
		return true
	}
	return false
}

// frontendType reports whether b is a message type a client sends.
func frontendType(b byte) bool {
	switch b {
	case 'B', 'C', 'c', 'd', 'D', 'E', 'f', 'F', 'H', 'p', 'P', 'Q', 'S', 'X':
		return true
	}
	return false
}

// backendType reports whether b is a message type a server sends.
func backendType(b byte) bool {
	switch b {
	case 'R', 'K', 'S', 'Z', 'T', 'D', 'C', 'E', 'N', 'A', '1', '2', '3', 'n', 't', 's', 'I', 'G', 'H', 'W', 'd', 'c', 'V', 'v':
		return true
	}
	return false
}

// authName names an Authentication code.
func authName(code uint32) string {
	switch code {
	case 0:
		return "OK"
	case 2:
		return "KERBEROS_V5"
	case 3:
		return "CLEARTEXT_PASSWORD"
	case 5:
		return "MD5_PASSWORD"
	case 7:
		return "GSS"
	case 8:
		return "GSS_CONTINUE"
	case 9:
		return "SSPI"
	case 10:
		return "SASL"
	case 11:
		return "SASL_CONTINUE"
	case 12:
		return "SASL_FINAL"
	}
	return "UNKNOWN"
}

// cstring reads a NUL-terminated string, without the NUL.
func cstring(r *parser.Reader) []byte {
	rest := r.Rest()
	i := strings.IndexByte(parser.UnsafeString(rest), 0)
	if i < 0 {
		r.Fail(ErrMalformedBody)
		return nil
	}
	b := r.Bytes(i)
	r.Skip(1)
	return b
}
