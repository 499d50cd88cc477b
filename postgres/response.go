package postgres

import "github.com/wirekit/wirekit/parser"

// Push kinds (AttrPush values) of messages the server sends on its own.
const (
	PushNotification    = "NOTIFICATION"
	PushNotice          = "NOTICE"
	PushParameterStatus = "PARAMETER_STATUS"
)

// responseTree builds the response parser: the root checks the first
// message header; branches read the answer to an encryption request, a
// message pushed on its own, and a run of messages.
func responseTree(o *Options) *parser.PkgParser {
	root := parser.NewPkgParser("postgres.response", responseFastFail(o), nil)
	root.Add(
		parser.NewPkgParser("postgres.encryption_answer", notOneByte, parseEncryptionAnswer),
		parser.NewPkgParser("postgres.push", notPush, parsePush),
		parser.NewPkgParser("postgres.run", nil, parseRun),
	)
	return root
}

// responseFastFail rules out bytes that cannot start a response: a
// backend message type with a length within the limit (or the single
// byte answering an encryption request).
//
// Not inlined: a function literal in a function inlined into its caller
// is compiled without inlining its own calls, and this one runs per message.
//
//go:noinline
func responseFastFail(o *Options) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		r := parser.NewReader(m.Rest())
		if r.Len() == 1 {
			b := r.Peek(1)
			return !backendType(b[0]) && b[0] != 'N' && b[0] != 'G'
		}
		return typedFastFail(&r, o, backendType)
	}
}

func notOneByte(m *parser.Message) bool { return len(m.Data)-m.Offset != 1 }

// parseEncryptionAnswer reads the one-byte answer to SSLRequest or
// GSSENCRequest: 'S' or 'G' means the server accepted (what follows is
// TLS or GSS-encrypted, and is not parsed: counted in Stats.TLS and in
// the Conn's skipped bytes, ending with parser.ErrUpgraded); 'N' refuses.
func parseEncryptionAnswer(m *parser.Message) (bool, bool) {
	r := m.Reader()
	switch r.Uint8() {
	case 'S', 'G':
		m.Attrs.Add(AttrTLS, parser.BoolValue(true))
	case 'N':
		m.Attrs.Add(AttrTLS, parser.BoolValue(false))
	default:
		return m.Fail(ErrBadSSLAnswer)
	}
	return true, true
}

// notPush rules out all but a single NotificationResponse,
// NoticeResponse or ParameterStatus framed alone: the framing makes one
// only of a message pushed while no response was awaited.
func notPush(m *parser.Message) bool {
	r := m.Reader()
	typ := r.Uint8()
	n := r.Uint32()
	if !r.Ok() || int(n)+1 != len(m.Data)-m.Offset {
		return true
	}
	return typ != 'A' && typ != 'N' && typ != 'S'
}

// parsePush reads a message the server pushed on its own (LISTEN/NOTIFY
// notifications, notices, parameter changes): Unsolicited, it answers no
// request.
func parsePush(m *parser.Message) (bool, bool) {
	r := m.Reader()
	typ := r.Uint8()
	r.Skip(4)
	a := &m.Attrs
	m.Flags |= parser.Unsolicited
	switch typ {
	case 'A':
		r.Skip(4) // the notifying backend's process id
		ch := cstring(&r)
		if !r.Ok() {
			return m.Fail(ErrMalformedBody)
		}
		a.Add(AttrPush, parser.StringValue(PushNotification))
		a.Add(AttrChannel, parser.UnsafeStringValue(ch))
	case 'N':
		a.Add(AttrPush, parser.StringValue(PushNotice))
	case 'S':
		a.Add(AttrPush, parser.StringValue(PushParameterStatus))
	}
	return true, true
}

// parseRun reads a response run: DataRows counted, the last
// CommandComplete's tag, the first ErrorResponse's fields, the last
// Authentication code, notices, notifications and COPY switches.
func parseRun(m *parser.Message) (bool, bool) {
	r := m.Reader()
	a := &m.Attrs
	rows, notices, notes := 0, 0, 0
	var tag []byte
	var copyMode string
	haveTag, haveErr, haveAuth := false, false, false
	var auth uint32
	for r.Len() > 0 {
		typ := r.Uint8()
		n := r.Uint32()
		body := parser.NewReader(r.Bytes(int(n) - 4))
		if !r.Ok() {
			return m.Fail(ErrMalformedBody)
		}
		switch typ {
		case 'D':
			rows++
		case 'C':
			tag = cstring(&body)
			haveTag = body.Ok()
		case 'E':
			if !haveErr {
				haveErr = true
				if !errorFields(&body, a) {
					return m.Fail(ErrMalformedBody)
				}
			}
		case 'N':
			notices++
		case 'A':
			notes++
		case 'R':
			auth = body.Uint32()
			haveAuth = body.Ok()
		case 'G':
			copyMode = "IN"
		case 'H':
			copyMode = "OUT"
		case 'W':
			copyMode = "BOTH"
		}
	}
	if haveTag {
		a.Add(AttrCommandTag, parser.UnsafeStringValue(tag))
	}
	if countsRows(m.Request) {
		a.Add(AttrRows, parser.IntValue(int64(rows)))
	}
	if haveAuth {
		a.Add(AttrAuth, parser.StringValue(authName(auth)))
	}
	if notices > 0 {
		a.Add(AttrNotices, parser.IntValue(int64(notices)))
	}
	if notes > 0 {
		a.Add(AttrNotifications, parser.IntValue(int64(notes)))
	}
	if copyMode != "" {
		a.Add(AttrCopy, parser.StringValue(copyMode))
	}
	return true, true
}

// countsRows reports whether a response to req reports AttrRows: the
// responses to QUERY and EXECUTE, and responses whose request is unknown.
func countsRows(req *parser.Attributes) bool {
	if req == nil {
		return true
	}
	cmd, ok := req.UnsafeString(AttrCommand)
	return !ok || cmd == CommandQuery || cmd == CommandExecute
}

// errorFields reads an ErrorResponse's fields: code, severity, message.
func errorFields(r *parser.Reader, a *parser.Attributes) bool {
	var sevS, sevV []byte
	for r.Len() > 0 {
		code := r.Uint8()
		if code == 0 {
			break
		}
		v := cstring(r)
		switch code {
		case 'S':
			sevS = v
		case 'V':
			sevV = v
		case 'C':
			a.Add(AttrErrorCode, parser.UnsafeStringValue(v))
		case 'M':
			a.Add(AttrErrorMessage, parser.UnsafeStringValue(v))
		}
	}
	if sevV == nil {
		sevV = sevS
	}
	if sevV != nil {
		a.Add(AttrSeverity, parser.UnsafeStringValue(sevV))
	}
	return r.Ok()
}
