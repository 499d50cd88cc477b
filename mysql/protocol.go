package mysql

import (
	"bufio"

	"github.com/wirekit/wirekit/internal/limit"
	"github.com/wirekit/wirekit/internal/sqlop"
	"github.com/wirekit/wirekit/parser"
)

// Attribute keys this package sets. The names are the ones the corpus
// truth files use.
const (
	// Requests.
	AttrCommand        = "mysql.command"         // string: QUERY, STMT_PREPARE, STMT_EXECUTE, STMT_CLOSE, PING, INIT_DB, QUIT, ... (COM_ name without the prefix); HANDSHAKE, SSL_REQUEST, AUTH_RESPONSE, LOCAL_INFILE_DATA for the connection phase and LOAD DATA LOCAL
	AttrStatement      = "mysql.statement"       // string: SQL text (QUERY, STMT_PREPARE; STMT_EXECUTE: the prepared statement's, remembered by statement id)
	AttrStmtID         = "mysql.stmt_id"         // int: the statement id (STMT_EXECUTE/CLOSE/RESET/SEND_LONG_DATA/FETCH requests, STMT_PREPARE responses)
	AttrStatementKnown = "mysql.statement_known" // bool: STMT_EXECUTE: false when the statement was prepared before the capture began (or evicted): its text is unknown, never guessed
	AttrOperation      = "mysql.operation"       // string: QUERY, STMT_PREPARE, STMT_EXECUTE (statement known): the statements' leading keywords, upper-cased, each once, space-separated (SELECT; SELECT DROP for two statements); see the package doc
	AttrUser           = "mysql.user"            // string: HANDSHAKE: the user
	AttrDatabase       = "mysql.database"        // string: HANDSHAKE: the database asked for; INIT_DB: the database
	AttrTLS            = "mysql.tls"             // bool: SSL_REQUEST: the client switched to TLS (the connection is no longer parsed)
	AttrCompressed     = "mysql.compressed"      // bool: HANDSHAKE: both sides set CLIENT_COMPRESS: after the login the connection is compressed and no longer parsed
	AttrClientPlugin   = "mysql.client_plugin"   // string: HANDSHAKE: the client's auth plugin

	// Responses.
	AttrResponse      = "mysql.response"       // string: OK, ERR, EOF, RESULTSET, LOCAL_INFILE, AUTH_SWITCH, AUTH_MORE_DATA, STATISTICS (the first result's kind)
	AttrErrorCode     = "mysql.error_code"     // int: the first ERR's error code
	AttrSQLState      = "mysql.sql_state"      // string: its SQLSTATE
	AttrErrorMessage  = "mysql.error_message"  // string: its message
	AttrAffectedRows  = "mysql.affected_rows"  // int: an OK response's affected rows
	AttrLastInsertID  = "mysql.last_insert_id" // int: an OK response's last insert id
	AttrColumns       = "mysql.columns"        // int: a result set's column count (the first result set's)
	AttrRows          = "mysql.rows"           // int: rows in the result sets (text and binary protocol), summed over all results
	AttrResults       = "mysql.results"        // int: results in the response, when more than one (SERVER_MORE_RESULTS_EXISTS)
	AttrParams        = "mysql.params"         // int: a STMT_PREPARE response's parameter count
	AttrAuthPlugin    = "mysql.auth_plugin"    // string: the greeting's auth plugin; an AUTH_SWITCH's plugin
	AttrServerVersion = "mysql.server_version" // string: the greeting's server version
	AttrConnectionID  = "mysql.connection_id"  // int: the greeting's connection (thread) id
	AttrCapabilities  = "mysql.capabilities"   // int: the greeting's capability flags (MariaDB's extended ones in bits 32-63)
	AttrGreeting      = "mysql.greeting"       // bool: the server's greeting (Unsolicited: it answers no request)
)

// Capability flags the parser uses.
const (
	capCompress         = 1 << 5
	capProtocol41       = 1 << 9
	capSSL              = 1 << 11
	capDeprecateEOF     = 1 << 24
	capMariaDBCacheMeta = 1 << (32 + 4) // MARIADB_CLIENT_CACHE_METADATA
)

// Server status flags the framing follows.
const (
	statusCursorExists = 0x0040
	statusMoreResults  = 0x0008
)

// Command codes.
const (
	comQuit           = 0x01
	comInitDB         = 0x02
	comQuery          = 0x03
	comFieldList      = 0x04
	comStatistics     = 0x09
	comStmtPrepare    = 0x16
	comStmtExecute    = 0x17
	comStmtSendLong   = 0x18
	comStmtClose      = 0x19
	comStmtReset      = 0x1a
	comStmtFetch      = 0x1c
	comMaxKnown       = 0x1f
	comMariaDBBulkExe = 0xfa
)

// commandNames names the command codes (COM_ names without the prefix).
var commandNames = [256]string{
	0x00: "SLEEP", 0x01: "QUIT", 0x02: "INIT_DB", 0x03: "QUERY", 0x04: "FIELD_LIST", 0x05: "CREATE_DB",
	0x06: "DROP_DB", 0x07: "REFRESH", 0x08: "SHUTDOWN", 0x09: "STATISTICS", 0x0a: "PROCESS_INFO",
	0x0b: "CONNECT", 0x0c: "PROCESS_KILL", 0x0d: "DEBUG", 0x0e: "PING", 0x0f: "TIME", 0x10: "DELAYED_INSERT",
	0x11: "CHANGE_USER", 0x12: "BINLOG_DUMP", 0x13: "TABLE_DUMP", 0x14: "CONNECT_OUT", 0x15: "REGISTER_SLAVE",
	0x16: "STMT_PREPARE", 0x17: "STMT_EXECUTE", 0x18: "STMT_SEND_LONG_DATA", 0x19: "STMT_CLOSE",
	0x1a: "STMT_RESET", 0x1b: "SET_OPTION", 0x1c: "STMT_FETCH", 0x1d: "DAEMON", 0x1e: "BINLOG_DUMP_GTID",
	0x1f: "RESET_CONNECTION", 0xfa: "STMT_BULK_EXECUTE",
}

// Default limits.
const (
	// DefaultMaxMessageSize bounds one framed message: a command with its
	// continuation packets, or a whole response (every result set of it).
	DefaultMaxMessageSize = 64 << 20
	// DefaultMaxColumns bounds a result set's column count (MySQL's own
	// limit is 4096 columns per table).
	DefaultMaxColumns = 4096
	// DefaultMaxStatements bounds the prepared statements remembered per
	// connection.
	DefaultMaxStatements = 256
	// DefaultMaxStatementBytes bounds their text per connection.
	DefaultMaxStatementBytes = 1 << 20
	maxExpect                = 256
)

// Options configure the protocol. The zero value takes the defaults.
type Options struct {
	// MaxMessageSize bounds a framed message (see DefaultMaxMessageSize):
	// over it framing fails with ErrMessageTooLarge and parser.Conn
	// stops the direction, counted.
	MaxMessageSize int
	// MaxColumns bounds a column count read from the wire.
	MaxColumns int
	// MaxStatements and MaxStatementBytes bound the prepared statements
	// remembered per connection; when full, one is forgotten (counted in
	// Stats.Evicted) and a later STMT_EXECUTE of it reports it unknown.
	MaxStatements, MaxStatementBytes int
	// RedactLiterals replaces string and numeric literals in reported
	// statement text with '?' (see Redact). Off by default; parameters of
	// prepared statements are never reported.
	RedactLiterals bool
}

func (o *Options) setDefaults() {
	o.MaxMessageSize = limit.Or(o.MaxMessageSize, DefaultMaxMessageSize)
	o.MaxColumns = limit.Or(o.MaxColumns, DefaultMaxColumns)
	o.MaxStatements = limit.Or(o.MaxStatements, DefaultMaxStatements)
	o.MaxStatementBytes = limit.Or(o.MaxStatementBytes, DefaultMaxStatementBytes)
}

// Stats count what a connection's state saw that is not an exchange.
type Stats struct {
	TLS               uint64 // SSL requests: the connection is no longer parsed
	Compressed        uint64 // logins that switched to the compressed protocol: no longer parsed
	UnknownStatements uint64 // STMT_EXECUTEs of statements not prepared in what was seen (picked up mid-way, or evicted)
	Evicted           uint64 // prepared statements forgotten to stay within the limits
	Unexpected        uint64 // responses framed while no request awaited one (a capture begun mid-way), or requests over the 256 awaited
}

// expectation is what the next response looks like: a kind and, for
// commands, the command code.
type expectation struct {
	kind uint8
	cmd  uint8
}

const (
	expCommand uint8 = iota
	expAuth          // the answer to a handshake response or an auth packet
	expInfile        // the answer to a LOCAL INFILE file
)

// Request kinds the framer decided (State.lastRequest).
const (
	reqCommand uint8 = iota
	reqHandshake
	reqSSL
	reqAuth
	reqInfile
)

// State is a connection's protocol state (Protocol.NewState): the
// capabilities both sides announced, the responses its requests await,
// its prepared statements and its Stats. It is small and bounded.
type State struct {
	opts                   *Options
	serverCaps, clientCaps uint64
	greeted, handshook     bool
	encrypted, compressed  bool
	infile                 bool    // the client is to send a LOCAL INFILE file
	eofLearned             eofMode // on a connection picked up after its handshake: whether EOF packets follow definitions, once a response showed it
	lastRequest            uint8
	expect                 [maxExpect]expectation
	head, n                int
	stmts                  sqlop.Statements[uint32]
	stats                  Stats
	bufs                   sqlop.Buffers // AttrStatement and AttrOperation values
}

// Stats returns the connection's counters.
func (s *State) Stats() Stats {
	st := s.stats
	st.Evicted = s.stmts.Evicted
	return st
}

// Stopped reports whether the connection switched to TLS or compression
// and is no longer parsed.
func (s *State) Stopped() bool { return s.encrypted || s.compressed }

func (s *State) caps() (caps uint64, known bool) {
	if !s.handshook {
		return 0, false
	}
	return s.serverCaps & s.clientCaps, true
}

func (s *State) push(e expectation) {
	if s.n == maxExpect {
		s.stats.Unexpected++
		return
	}
	s.expect[(s.head+s.n)%maxExpect] = e
	s.n++
}

func (s *State) peek() (expectation, bool) {
	if s.n == 0 {
		return expectation{}, false
	}
	return s.expect[s.head], true
}

func (s *State) pop() {
	if s.n > 0 {
		s.head = (s.head + 1) % maxExpect
		s.n--
	}
}

// remember keeps a prepared statement's text (owned) under its id.
func (s *State) remember(id uint32, text string) {
	s.stmts.Remember(id, text, s.opts.MaxStatements, s.opts.MaxStatementBytes, nil)
}

// Name is the protocol's name (parser.Protocol.Name, Exchange.Protocol).
const Name = "mysql"

// Protocol returns the MySQL/MariaDB protocol with default Options.
func Protocol() *parser.Protocol { return NewProtocol(Options{}) }

// NewProtocol returns the MySQL/MariaDB client/server protocol
// configured by opts: a command and its whole response per exchange,
// paired in order, on port 3306.
func NewProtocol(opts Options) *parser.Protocol {
	opts.setDefaults()
	o := &opts
	return &parser.Protocol{
		Name:     Name,
		Request:  requestTree(o),
		Response: responseTree(o),
		NewState: func() any { return &State{opts: o, eofLearned: eofMaybe} },
		Split: func(state any, dir parser.Direction) bufio.SplitFunc {
			st, _ := state.(*State)
			if st == nil {
				st = &State{opts: o, eofLearned: eofMaybe}
			}
			f := &framer{st: st, o: o}
			if dir == parser.Response {
				return f.splitResponse
			}
			return f.splitRequest
		},
		Pairing: parser.PairInOrder,
		Ports:   []uint16{3306},
	}
}

// framer frames one direction. A message's packets are walked once: off
// and the response machine keep how far the current, unfinished message
// was walked (the bufio.SplitFunc contract hands the same bytes,
// extended, until a call consumes them).
type framer struct {
	st      *State
	o       *Options
	off     int
	started bool
	m       machine
}

func (f *framer) reset() { f.off, f.started = 0, false }

// resume starts a call of a Split: ErrUpgraded once the connection
// switched to TLS or compression, and a saved offset past the data
// dropped (the data is not what it was measured on).
func (f *framer) resume(data []byte) error {
	if f.st.encrypted || f.st.compressed {
		return parser.ErrUpgraded
	}
	if f.off > len(data) {
		f.reset()
	}
	return nil
}

// notWhole is the framing result when the packet at off is whole but
// takes the message over MaxMessageSize, or is not whole yet (the
// message ends at end at the least): ErrMessageTooLarge, or need more.
func (f *framer) notWhole(off, end int, whole, atEOF bool) (int, []byte, error) {
	if whole || end > f.o.MaxMessageSize {
		f.reset()
		return 0, nil, ErrMessageTooLarge
	}
	f.off = off
	return f.short(atEOF)
}

func (f *framer) short(atEOF bool) (int, []byte, error) {
	if atEOF {
		f.reset()
		return 0, nil, parser.ErrShort
	}
	return 0, nil, nil
}

// splitRequest frames one request: a command packet (sequence 0) with
// its continuation packets, a handshake response or SSL request, an
// authentication packet, or the file LOAD DATA LOCAL INFILE sends (up to
// its empty packet).
func (f *framer) splitRequest(data []byte, atEOF bool) (int, []byte, error) {
	if err := f.resume(data); err != nil {
		return 0, nil, err
	}
	st := f.st
	off := f.off
	for {
		p, ok, need := readPacket(data[off:])
		if !ok || off+p.size > f.o.MaxMessageSize {
			return f.notWhole(off, off+need, ok, atEOF)
		}
		firstPkt := off == 0
		off += p.size
		if firstPkt && !st.infile && p.seq == 0 && len(p.payload) == 0 {
			f.reset()
			return 0, nil, ErrEmptyCommand
		}
		if st.infile {
			if len(p.payload) > 0 {
				continue // the file goes on to its empty packet
			}
			f.reset()
			st.infile = false
			st.lastRequest = reqInfile
			st.push(expectation{kind: expInfile})
			return off, data[:off], nil
		}
		if p.full {
			continue
		}
		f.reset()
		first, _, _ := readPacket(data)
		switch {
		case first.seq == 0:
			st.lastRequest = reqCommand
			pr := parser.NewReader(first.payload)
			cmd := pr.Uint8()
			switch cmd {
			case comQuit, comStmtClose, comStmtSendLong:
			default:
				st.push(expectation{kind: expCommand, cmd: cmd})
			}
		case first.seq == 1 && !st.handshook && len(first.payload) >= 32:
			pr := parser.NewReader(first.payload)
			caps := uint64(le32(&pr))
			pr.Skip(24)
			caps |= uint64(le32(&pr)) << 32 // MariaDB's extended capabilities (the filler's last 4 bytes)
			st.clientCaps = caps
			st.handshook = true
			if len(first.payload) == 32 && caps&capSSL != 0 {
				st.lastRequest = reqSSL
				st.encrypted = true
				st.stats.TLS++
				return off, data[:off], nil
			}
			st.lastRequest = reqHandshake
			st.push(expectation{kind: expAuth})
		default:
			st.lastRequest = reqAuth
			st.push(expectation{kind: expAuth})
		}
		return off, data[:off], nil
	}
}

// splitResponse frames one response: the server's greeting, or
// everything answering one request, walked by the response machine for
// what the request awaits.
func (f *framer) splitResponse(data []byte, atEOF bool) (int, []byte, error) {
	if err := f.resume(data); err != nil {
		return 0, nil, err
	}
	st := f.st
	e, awaited := st.peek()
	if !f.started {
		f.started = true
		caps, known := st.caps()
		f.m.start(e, awaited, !st.greeted, caps, known, f.o)
		if !known && st.eofLearned != eofMaybe {
			f.m.eof = st.eofLearned
		}
	}
	off := f.off
	for {
		p, ok, need := readPacket(data[off:])
		if !ok || off+p.size > f.o.MaxMessageSize {
			return f.notWhole(off, off+need, ok, atEOF)
		}
		done, err := f.m.step(p)
		if err != nil {
			f.reset()
			return 0, nil, err
		}
		if !done || !f.m.exclude {
			off += p.size
		}
		if !done {
			continue
		}
		f.reset()
		m := &f.m
		switch {
		case m.greeting:
			st.greeted = true
			st.serverCaps = m.serverCaps
		case awaited:
			st.pop()
		default:
			st.stats.Unexpected++
		}
		if m.infile {
			st.infile = true
		}
		if m.eof == eofMaybe && m.learned != eofMaybe {
			st.eofLearned = m.learned
		}
		if m.authOK && st.serverCaps&st.clientCaps&capCompress != 0 {
			st.compressed = true
			st.stats.Compressed++
		}
		return off, data[:off], nil
	}
}
