package mysql

import (
	"strings"

	"github.com/wirekit/wirekit/parser"
)

// responseTree builds the response parser: the root reads the first
// packet header; a branch for the server's greeting and one for
// everything answering a request, walked by the same machine the framing
// uses.
func responseTree(o *Options) *parser.PkgParser {
	root := parser.NewPkgParser("mysql.response", responseFastFail(o), parseHeader)
	root.Add(
		parser.NewPkgParser("mysql.greeting", notGreeting, parseGreeting),
		parser.NewPkgParser("mysql.result", nil, func(m *parser.Message) (bool, bool) { return parseResult(m, o) }),
	)
	return root
}

// responseFastFail rules out bytes that cannot start a response. On a
// new stream (no connection state: detection) only a v10 greeting
// passes: sequence 0, protocol 10, a version starting with a digit; with
// state, any packet within the limit does.
//
// Not inlined: a function literal in a function inlined into its caller
// is compiled without inlining its own calls, and this one runs per message.
//
//go:noinline
func responseFastFail(o *Options) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		r := m.Reader()
		n := le24(&r)
		seq := r.Uint8()
		if !r.Ok() {
			return r.Offset() >= 3 && n == 0
		}
		if int(n) > o.MaxMessageSize || n == 0 {
			return true
		}
		if m.State != nil {
			return false
		}
		proto := r.Uint8()
		v := r.Uint8()
		if !r.Ok() {
			return seq != 0 || (r.Offset() > 4 && proto != 0x0a)
		}
		return seq != 0 || proto != 0x0a || n < 20 || n > 1024 || v < '0' || v > '9'
	}
}

func notGreeting(m *parser.Message) bool {
	if m.Request != nil || seqOf(m) != 0 {
		return true
	}
	r := parser.NewReader(payload(m))
	return r.Uint8() != 0x0a
}

// parseGreeting reads the server's v10 greeting: version, connection id,
// capabilities, auth plugin. It answers no request (Unsolicited).
func parseGreeting(m *parser.Message) (bool, bool) {
	p := payload(m)
	r := parser.NewReader(p)
	r.Skip(1)
	version := nulString(&r)
	id := le32(&r)
	if !r.Ok() {
		return m.Fail(ErrMalformedPacket)
	}
	a := &m.Attrs
	m.Flags |= parser.Unsolicited
	a.Add(AttrGreeting, parser.BoolValue(true))
	a.Add(AttrServerVersion, parser.UnsafeStringValue(version))
	a.Add(AttrConnectionID, parser.IntValue(int64(id)))
	a.Add(AttrCapabilities, parser.IntValue(int64(greetingCaps(p))))
	// The auth plugin: after auth data part 2 (at least 13 bytes).
	r.Skip(8 + 1 + 2 + 1 + 2 + 2)
	alen := int(r.Uint8())
	r.Skip(10)
	r.Skip(max(13, alen-8))
	if r.Ok() && r.Len() > 0 {
		a.Add(AttrAuthPlugin, parser.UnsafeStringValue(nulString(&r)))
	}
	return true, true
}

// parseResult walks the response's packets with the machine and sets the
// attributes of what it found.
func parseResult(m *parser.Message, o *Options) (bool, bool) {
	st, _ := m.State.(*State)
	var caps uint64
	known := false
	if st != nil {
		caps, known = st.caps()
	}
	e, awaited := expectationOf(m.Request)
	var mc machine
	mc.start(e, awaited, false, caps, known, o)
	if st != nil && !known && st.eofLearned != eofMaybe {
		mc.eof = st.eofLearned
	}
	data := m.Data
	done := false
	for len(data) > 0 && !done {
		p, ok, _ := readPacket(data)
		if !ok {
			m.Flags |= parser.Truncated
			break
		}
		var err error
		if done, err = mc.step(p); err != nil {
			return m.Fail(err)
		}
		if mc.exclude {
			break
		}
		data = data[p.size:]
	}
	if mc.kind == "" {
		return m.Fail(ErrMalformedPacket)
	}
	a := &m.Attrs
	a.Add(AttrResponse, parser.StringValue(mc.kind))
	switch mc.kind {
	case ResponseOK:
		r := parser.NewReader(mc.ok)
		r.Skip(1)
		if mc.mode == modePrepare {
			id := le32(&r)
			a.Add(AttrStmtID, parser.IntValue(int64(id)))
			a.Add(AttrColumns, parser.IntValue(int64(mc.columns)))
			a.Add(AttrParams, parser.IntValue(int64(mc.params)))
			if st != nil && m.Request != nil {
				if text, ok := m.Request.UnsafeString(AttrStatement); ok {
					if old, ok := st.stmts.Lookup(id); !ok || old != text {
						st.remember(id, strings.Clone(text))
					}
				}
			}
			break
		}
		affected, _ := lenenc(&r)
		insertID, _ := lenenc(&r)
		if r.Ok() {
			a.Add(AttrAffectedRows, parser.IntValue(int64(affected)))
			a.Add(AttrLastInsertID, parser.IntValue(int64(insertID)))
		}
	case ResponseResultSet:
		a.Add(AttrColumns, parser.IntValue(int64(mc.columns)))
		a.Add(AttrRows, parser.IntValue(int64(mc.rows)))
	case ResponseAuthSwitch:
		r := parser.NewReader(mc.first)
		r.Skip(1)
		if r.Len() > 0 {
			a.Add(AttrAuthPlugin, parser.UnsafeStringValue(nulString(&r)))
		}
	}
	if mc.results > 1 {
		a.Add(AttrResults, parser.IntValue(int64(mc.results)))
	}
	if mc.err != nil {
		r := parser.NewReader(mc.err)
		r.Skip(1)
		code := le16(&r)
		if !r.Ok() {
			return m.Fail(ErrMalformedPacket)
		}
		a.Add(AttrErrorCode, parser.IntValue(int64(code)))
		if b := r.Peek(1); b != nil && b[0] == '#' {
			r.Skip(1)
			a.Add(AttrSQLState, parser.UnsafeStringValue(r.Bytes(5)))
		}
		a.Add(AttrErrorMessage, parser.UnsafeStringValue(r.Rest()))
	}
	return true, true
}

// expectationOf is what a response to req looks like, from its command.
func expectationOf(req *parser.Attributes) (expectation, bool) {
	if req == nil {
		return expectation{}, false
	}
	cmd, _ := req.UnsafeString(AttrCommand)
	switch cmd {
	case CommandHandshake, CommandAuthResponse:
		return expectation{kind: expAuth}, true
	case CommandLocalInfileData:
		return expectation{kind: expInfile}, true
	case "STMT_PREPARE":
		return expectation{kind: expCommand, cmd: comStmtPrepare}, true
	case "FIELD_LIST":
		return expectation{kind: expCommand, cmd: comFieldList}, true
	case "STATISTICS":
		return expectation{kind: expCommand, cmd: comStatistics}, true
	case "STMT_FETCH":
		return expectation{kind: expCommand, cmd: comStmtFetch}, true
	case "CHANGE_USER":
		return expectation{kind: expCommand, cmd: 0x11}, true
	}
	return expectation{kind: expCommand, cmd: comQuery}, true
}
