package mysql

import (
	"github.com/wirekit/wirekit/internal/sqlop"
	"github.com/wirekit/wirekit/parser"
)

// Connection-phase request names (AttrCommand values beside the COM_
// names).
const (
	CommandHandshake       = "HANDSHAKE"
	CommandSSLRequest      = "SSL_REQUEST"
	CommandAuthResponse    = "AUTH_RESPONSE"
	CommandLocalInfileData = "LOCAL_INFILE_DATA"
)

// Handshake response capability flags.
const (
	capConnectWithDB    = 1 << 3
	capSecureConnection = 1 << 15
	capPluginAuth       = 1 << 19
	capPluginAuthLenenc = 1 << 21
)

// requestTree builds the request parser: the root reads the packet
// header; a branch for command packets (sequence 0) with a branch per
// command family, and branches for the connection phase and LOAD DATA
// LOCAL's file.
func requestTree(o *Options) *parser.PkgParser {
	root := parser.NewPkgParser("mysql.request", requestFastFail(o), parseHeader)
	cmd := parser.NewPkgParser("mysql.command", notSeq0, parseCommandByte)
	cmd.Add(
		parser.NewPkgParser("mysql.text", notCommand(comQuery, comStmtPrepare), func(m *parser.Message) (bool, bool) { return parseText(m, o) }),
		parser.NewPkgParser("mysql.stmt_execute", notCommand(comStmtExecute), parseExecute),
		parser.NewPkgParser("mysql.stmt", notCommand(comStmtClose, comStmtReset, comStmtSendLong, comStmtFetch), parseStmtID),
		parser.NewPkgParser("mysql.init_db", notCommand(comInitDB), parseInitDB),
		parser.NewPkgParser("mysql.other", nil, parseOther),
	)
	root.Add(
		cmd,
		parser.NewPkgParser("mysql.handshake_response", notHandshake, parseHandshake),
		parser.NewPkgParser("mysql.connection_phase", nil, parseConnectionPhase),
	)
	return root
}

// requestFastFail rules out bytes that cannot start a request. On a
// new stream (no connection state: detection) only a command packet
// (sequence 0, a known command) passes; with state, any packet within the
// limit does (authentication packets and LOCAL INFILE data have other
// sequence ids).
//
// Not inlined: a function literal in a function inlined into its caller
// is compiled without inlining its own calls, and this one runs per message.
//
//go:noinline
func requestFastFail(o *Options) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		r := m.Reader()
		n := le24(&r)
		seq := r.Uint8()
		cmd := r.Uint8()
		if !r.Ok() {
			return r.Offset() >= 3 && n == 0
		}
		if int(n) > o.MaxMessageSize {
			return true
		}
		if m.State == nil {
			return n == 0 || seq != 0 || !plausibleCommand(cmd, n, r.Peek(1))
		}
		return false
	}
}

// plausibleCommand is detection's check of a command packet on a new
// stream: commands without arguments have exactly their one byte,
// statement-id commands their five, text commands start with a
// printable byte. Other commands are not taken for MySQL on first bytes
// alone (a connection seen from its start begins with the greeting).
func plausibleCommand(cmd uint8, n uint32, next []byte) bool {
	switch cmd {
	case comQuit, comStatistics, 0x0a, 0x0d, 0x0e, 0x1f: // QUIT, STATISTICS, PROCESS_INFO, DEBUG, PING, RESET_CONNECTION
		return n == 1
	case comStmtClose, comStmtReset:
		return n == 5
	case comStmtExecute:
		return n >= 10
	case comQuery, comStmtPrepare, comInitDB, comFieldList:
		if n < 2 {
			return false
		}
		return next == nil || next[0] >= 0x20 && next[0] < 0x7f || next[0] == '\n' || next[0] == '\t' || next[0] == '\r'
	}
	return false
}

// parseHeader reads the first packet's header and leaves the offset at
// its payload. (A request over 16 MiB continues in further packets: the
// attributes come from the first.)
func parseHeader(m *parser.Message) (bool, bool) {
	r := m.Reader()
	le24(&r)
	r.Uint8()
	if !r.Ok() {
		return m.Fail(ErrMalformedPacket)
	}
	m.Advance(4)
	return true, false
}

// seqOf is the first packet's sequence id.
func seqOf(m *parser.Message) uint8 {
	r := parser.NewReader(m.Data)
	r.Skip(3)
	return r.Uint8()
}

// payload returns the first packet's payload.
func payload(m *parser.Message) []byte {
	p, ok, _ := readPacket(m.Data)
	if !ok {
		r := parser.NewReader(m.Data)
		r.Skip(4)
		return r.Rest() // truncated: what is there
	}
	return p.payload
}

func notSeq0(m *parser.Message) bool {
	if st, ok := m.State.(*State); ok && st.lastRequest == reqInfile {
		return true
	}
	return seqOf(m) != 0
}

// notCommand fails fast a packet whose command is none of cmds. Not inlined:
// a function literal in a function inlined into its caller is compiled
// without inlining its own calls, and this one runs per message.
//
//go:noinline
func notCommand(cmds ...uint8) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		r := parser.NewReader(payload(m))
		c := r.Uint8()
		for _, x := range cmds {
			if c == x {
				return false
			}
		}
		return true
	}
}

// parseCommandByte names the command and marks the one-way ones.
func parseCommandByte(m *parser.Message) (bool, bool) {
	r := parser.NewReader(payload(m))
	c := r.Uint8()
	if !r.Ok() {
		return m.Fail(ErrEmptyCommand)
	}
	name := commandNames[c]
	if name == "" {
		name = "UNKNOWN"
	}
	m.Attrs.Add(AttrCommand, parser.StringValue(name))
	switch c {
	case comQuit, comStmtClose, comStmtSendLong:
		m.Flags |= parser.OneWay
	}
	return true, false
}

// parseText reads COM_QUERY and COM_STMT_PREPARE: the statement.
func parseText(m *parser.Message, o *Options) (bool, bool) {
	r := parser.NewReader(payload(m))
	r.Skip(1)
	text := parser.UnsafeString(r.Rest())
	addStatement(m, o, text, false)
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

// parseExecute reads COM_STMT_EXECUTE: the statement id, and the
// statement's text when this connection's STMT_PREPARE of it was seen.
func parseExecute(m *parser.Message) (bool, bool) {
	r := parser.NewReader(payload(m))
	r.Skip(1)
	id := le32(&r)
	if !r.Ok() {
		return m.Fail(ErrMalformedPacket)
	}
	m.Attrs.Add(AttrStmtID, parser.IntValue(int64(id)))
	st, _ := m.State.(*State)
	if st != nil {
		if text, ok := st.stmts.Lookup(id); ok {
			addStatement(m, st.opts, text, true)
			return true, true
		}
		st.stats.UnknownStatements++
	}
	m.Attrs.Add(AttrStatementKnown, parser.BoolValue(false))
	return true, true
}

// parseStmtID reads the statement id of STMT_CLOSE, STMT_RESET,
// STMT_SEND_LONG_DATA and STMT_FETCH; STMT_CLOSE forgets the statement.
func parseStmtID(m *parser.Message) (bool, bool) {
	r := parser.NewReader(payload(m))
	c := r.Uint8()
	id := le32(&r)
	if !r.Ok() {
		return m.Fail(ErrMalformedPacket)
	}
	m.Attrs.Add(AttrStmtID, parser.IntValue(int64(id)))
	if st, ok := m.State.(*State); ok && c == comStmtClose {
		st.stmts.Forget(id)
	}
	return true, true
}

// parseInitDB reads COM_INIT_DB: the database.
func parseInitDB(m *parser.Message) (bool, bool) {
	r := parser.NewReader(payload(m))
	r.Skip(1)
	m.Attrs.Add(AttrDatabase, parser.UnsafeStringValue(r.Rest()))
	return true, true
}

func parseOther(*parser.Message) (bool, bool) { return true, true }

// notHandshake rules out all but a handshake response or SSL request:
// sequence 1 with CLIENT_PROTOCOL_41 and at least the 32 fixed bytes,
// before the connection's login.
func notHandshake(m *parser.Message) bool {
	if st, ok := m.State.(*State); ok && st.lastRequest != reqHandshake && st.lastRequest != reqSSL {
		return true
	}
	r := parser.NewReader(payload(m))
	caps := le32(&r)
	return seqOf(m) != 1 || caps&capProtocol41 == 0 || len(payload(m)) < 32
}

// parseHandshake reads a HandshakeResponse41 (the user, the database,
// the client's auth plugin; never the auth data) or an SSLRequest.
func parseHandshake(m *parser.Message) (bool, bool) {
	p := payload(m)
	r := parser.NewReader(p)
	caps := le32(&r)
	r.Skip(4 + 1 + 23)
	a := &m.Attrs
	if len(p) == 32 && caps&capSSL != 0 {
		a.Add(AttrCommand, parser.StringValue(CommandSSLRequest))
		a.Add(AttrTLS, parser.BoolValue(true))
		m.Flags |= parser.OneWay
		return true, true
	}
	a.Add(AttrCommand, parser.StringValue(CommandHandshake))
	user := nulString(&r)
	switch {
	case caps&capPluginAuthLenenc != 0:
		n, _ := lenenc(&r)
		r.Skip(int(min(n, uint64(r.Len()+1))))
	case caps&capSecureConnection != 0:
		r.Skip(int(r.Uint8()))
	default:
		nulString(&r)
	}
	if !r.Ok() {
		return m.Fail(ErrMalformedPacket)
	}
	a.Add(AttrUser, parser.UnsafeStringValue(user))
	if caps&capConnectWithDB != 0 && r.Len() > 0 {
		a.Add(AttrDatabase, parser.UnsafeStringValue(nulString(&r)))
	}
	if caps&capPluginAuth != 0 && r.Len() > 0 {
		a.Add(AttrClientPlugin, parser.UnsafeStringValue(nulString(&r)))
	}
	if st, ok := m.State.(*State); ok && st.serverCaps&capCompress != 0 && caps&capCompress != 0 {
		a.Add(AttrCompressed, parser.BoolValue(true))
	}
	return true, true
}

// parseConnectionPhase names the other packets a client sends with a
// sequence id other than 0: authentication data (never exposed) and the
// file LOAD DATA LOCAL INFILE sends.
func parseConnectionPhase(m *parser.Message) (bool, bool) {
	name := CommandAuthResponse
	if st, ok := m.State.(*State); ok && st.lastRequest == reqInfile {
		name = CommandLocalInfileData
	}
	m.Attrs.Add(AttrCommand, parser.StringValue(name))
	return true, true
}
