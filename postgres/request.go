package postgres

import (
	"github.com/wirekit/wirekit/internal/sqlop"
	"github.com/wirekit/wirekit/parser"
)

// Command names (AttrCommand values).
const (
	CommandQuery         = "QUERY"
	CommandExecute       = "EXECUTE"
	CommandStartup       = "STARTUP"
	CommandSSLRequest    = "SSL_REQUEST"
	CommandGSSENCRequest = "GSSENC_REQUEST"
	CommandCancel        = "CANCEL"
	CommandAuth          = "AUTH"
	CommandCopyData      = "COPY_DATA"
	CommandFunctionCall  = "FUNCTION_CALL"
	CommandTerminate     = "TERMINATE"
)

// requestTree builds the request parser: the root checks the framing
// header (an untyped startup-family packet, or a typed message) and a
// branch per kind of request reads the rest.
func requestTree(o *Options) *parser.PkgParser {
	root := parser.NewPkgParser("postgres.request", requestFastFail(o), nil)
	root.Add(
		parser.NewPkgParser("postgres.startup", firstTypeIs(0), parseStartup),
		parser.NewPkgParser("postgres.query", firstTypeIs('Q'), func(m *parser.Message) (bool, bool) { return parseQuery(m, o) }),
		parser.NewPkgParser("postgres.extended", notExtended, func(m *parser.Message) (bool, bool) { return parseExtended(m, o) }),
		parser.NewPkgParser("postgres.copy_data", notCopy, parseCopyData),
		parser.NewPkgParser("postgres.auth", firstTypeIs('p'), single(CommandAuth, 0)),
		parser.NewPkgParser("postgres.terminate", firstTypeIs('X'), single(CommandTerminate, parser.OneWay)),
		parser.NewPkgParser("postgres.function_call", firstTypeIs('F'), single(CommandFunctionCall, 0)),
	)
	return root
}

// requestFastFail rules out bytes that cannot start a request: an
// untyped packet must carry a known protocol code (and a startup packet
// a parameter name), a typed message a frontend type and a length within
// the limit. Prefixes too short to tell pass.
//
// Not inlined: a function literal in a function inlined into its caller
// is compiled without inlining its own calls, and this one runs per message.
//
//go:noinline
func requestFastFail(o *Options) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		r := parser.NewReader(m.Rest())
		b := r.Peek(1)
		if b == nil {
			return true
		}
		if b[0] == 0 {
			n := r.Uint32()
			code := r.Uint32()
			if !r.Ok() {
				return false
			}
			if n < 8 || n > MaxStartupSize {
				return true
			}
			switch {
			case code == codeSSL || code == codeGSSENC:
				return n != 8
			case code == codeCancel:
				return n != 16
			case code&startupMask == protocolV3:
				k := r.Peek(1)
				return k != nil && !(k[0] >= 'a' && k[0] <= 'z' || k[0] == '_')
			}
			return true
		}
		return typedFastFail(&r, o, frontendType)
	}
}

// typedFastFail checks a typed message header.
func typedFastFail(r *parser.Reader, o *Options, valid func(byte) bool) bool {
	typ := r.Uint8()
	if !valid(typ) {
		return true
	}
	n := r.Uint32()
	if !r.Ok() {
		return false
	}
	return n < 4 || uint64(n) >= uint64(o.MaxMessageSize)
}

// firstTypeIs returns a fastFail for requests whose first byte is not t.
func firstTypeIs(t byte) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		b, ok := firstByte(m)
		return !ok || b != t
	}
}

func notExtended(m *parser.Message) bool {
	b, ok := firstByte(m)
	if !ok {
		return true
	}
	switch b {
	case 'P', 'B', 'D', 'E', 'C', 'H', 'S':
		return false
	}
	return true
}

func notCopy(m *parser.Message) bool {
	b, ok := firstByte(m)
	return !ok || (b != 'd' && b != 'c' && b != 'f')
}

// firstByte returns the byte at m.Offset.
func firstByte(m *parser.Message) (byte, bool) {
	r := m.Reader()
	b := r.Uint8()
	return b, r.Ok()
}

// single completes a one-message request of a kind with no attributes
// beyond its command (authentication messages carry secrets: nothing of
// them is reported). Not inlined, as requestFastFail.
//
//go:noinline
func single(cmd string, flags parser.Flags) parser.ParseFunc {
	return func(m *parser.Message) (bool, bool) {
		m.Attrs.Add(AttrCommand, parser.StringValue(cmd))
		m.Flags |= flags
		return true, true
	}
}

// parseStartup reads an untyped packet: StartupMessage (its user,
// database and application_name), SSLRequest, GSSENCRequest or
// CancelRequest (one-way; its secret key is not reported).
func parseStartup(m *parser.Message) (bool, bool) {
	r := m.Reader()
	n := r.Uint32()
	code := r.Uint32()
	if !r.Ok() || int(n) != len(m.Data) {
		return m.Fail(ErrMalformedBody)
	}
	a := &m.Attrs
	switch {
	case code == codeSSL:
		a.Add(AttrCommand, parser.StringValue(CommandSSLRequest))
	case code == codeGSSENC:
		a.Add(AttrCommand, parser.StringValue(CommandGSSENCRequest))
	case code == codeCancel:
		a.Add(AttrCommand, parser.StringValue(CommandCancel))
		m.Flags |= parser.OneWay
		if st, ok := m.State.(*State); ok {
			st.stats.Cancels++
		}
	case code&startupMask == protocolV3:
		a.Add(AttrCommand, parser.StringValue(CommandStartup))
		a.Add(AttrProtocolVersion, parser.IntValue(int64(code)))
		for r.Len() > 1 {
			k := cstring(&r)
			v := cstring(&r)
			if !r.Ok() {
				return m.Fail(ErrMalformedBody)
			}
			switch parser.UnsafeString(k) {
			case "user":
				a.Set(AttrUser, parser.UnsafeStringValue(v))
			case "database":
				a.Set(AttrDatabase, parser.UnsafeStringValue(v))
			case "application_name":
				a.Set(AttrApplicationName, parser.UnsafeStringValue(v))
			}
		}
	default:
		return m.Fail(ErrBadStartup)
	}
	return true, true
}

// addStatement adds AttrStatement (as sent, with its literals redacted
// (Options.RedactLiterals), or with password literals masked: always, see
// maskPasswords) and AttrOperation of text, into the connection's
// buffers; owned: a remembered statement's text, not the message's.
func addStatement(m *parser.Message, o *Options, text string, owned bool) {
	var bufs *sqlop.Buffers // without a State, new ones
	if st, ok := m.State.(*State); ok {
		bufs = &st.bufs
	}
	reporter.Add(&m.Attrs, bufs, o != nil && o.RedactLiterals, text, owned)
}

// reporter is addStatement's treatment of the text.
var reporter = sqlop.Reporter{Statement: AttrStatement, Operation: AttrOperation, Ops: &operations,
	Scrub: sqlop.Scrub{Redact: Redact, Mask: maskPasswords, MayHoldPassword: mayHoldPassword}}

// parseQuery reads a simple Query.
func parseQuery(m *parser.Message, o *Options) (bool, bool) {
	r := m.Reader()
	r.Skip(5)
	q := cstring(&r)
	if !r.Ok() {
		return m.Fail(ErrMalformedBody)
	}
	m.Attrs.Add(AttrCommand, parser.StringValue(CommandQuery))
	addStatement(m, o, parser.UnsafeString(q), false)
	return true, true
}

// parseExtended reads an extended-query run (Parse, Bind, Describe,
// Execute, Close, Flush ... Sync): the statement is the first Parse's,
// or the one the first Bind names, looked up among the statements this
// connection prepared. Parse remembers named statements, Close forgets
// them.
func parseExtended(m *parser.Message, o *Options) (bool, bool) {
	st, _ := m.State.(*State)
	r := m.Reader()
	a := &m.Attrs
	a.Add(AttrCommand, parser.StringValue(CommandExecute))
	first := true
	msgs, execs := 0, 0
	for r.Len() > 0 {
		typ := r.Uint8()
		n := r.Uint32()
		body := parser.NewReader(r.Bytes(int(n) - 4))
		if !r.Ok() {
			return m.Fail(ErrMalformedBody)
		}
		msgs++
		switch typ {
		case 'P':
			name := cstring(&body)
			text := cstring(&body)
			if !body.Ok() {
				return m.Fail(ErrMalformedBody)
			}
			if first {
				first = false
				a.Add(AttrStatementName, parser.UnsafeStringValue(name))
				addStatement(m, o, parser.UnsafeString(text), false)
			}
			if st != nil {
				st.remember(name, text)
			}
		case 'B':
			cstring(&body) // portal
			name := cstring(&body)
			if !body.Ok() {
				return m.Fail(ErrMalformedBody)
			}
			if first {
				first = false
				a.Add(AttrStatementName, parser.UnsafeStringValue(name))
				if text, ok := st.lookupOK(name); ok {
					addStatement(m, o, text, true)
				} else {
					a.Add(AttrStatementKnown, parser.BoolValue(false))
					if st != nil {
						st.stats.UnknownStatements++
					}
				}
			}
		case 'C':
			kind := body.Uint8()
			name := cstring(&body)
			if !body.Ok() {
				return m.Fail(ErrMalformedBody)
			}
			if kind == 'S' && st != nil {
				st.forget(name)
			}
		case 'E':
			execs++
		}
	}
	a.Add(AttrMessages, parser.IntValue(int64(msgs)))
	a.Add(AttrExecutes, parser.IntValue(int64(execs)))
	return true, true
}

// lookupOK is lookup on a possibly nil State.
func (s *State) lookupOK(name []byte) (string, bool) {
	if s == nil {
		return "", false
	}
	return s.lookup(name)
}

// parseCopyData reads a COPY data run (CopyData ... CopyDone/CopyFail).
func parseCopyData(m *parser.Message) (bool, bool) {
	r := m.Reader()
	msgs := 0
	for r.Len() > 0 {
		r.Uint8()
		n := r.Uint32()
		r.Skip(int(n) - 4)
		msgs++
	}
	if !r.Ok() {
		return m.Fail(ErrMalformedBody)
	}
	m.Attrs.Add(AttrCommand, parser.StringValue(CommandCopyData))
	m.Attrs.Add(AttrMessages, parser.IntValue(int64(msgs)))
	return true, true
}
