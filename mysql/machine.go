package mysql

import "github.com/wirekit/wirekit/parser"

// Response kinds (AttrResponse values).
const (
	ResponseOK          = "OK"
	ResponseERR         = "ERR"
	ResponseEOF         = "EOF"
	ResponseResultSet   = "RESULTSET"
	ResponseLocalInfile = "LOCAL_INFILE"
	ResponseAuthSwitch  = "AUTH_SWITCH"
	ResponseAuthMore    = "AUTH_MORE_DATA"
	ResponseStatistics  = "STATISTICS"
)

// How a response is structured, from what its request was.
const (
	modeResults   uint8 = iota // OK | ERR | LOCAL_INFILE | result sets, chained by SERVER_MORE_RESULTS_EXISTS
	modeUnknown                // no request known: the greeting, or results
	modeAuth                   // OK | ERR | auth switch | more data
	modePrepare                // PREPARE_OK, parameter and column definitions | ERR
	modeFieldList              // column definitions up to EOF | ERR
	modeSingle                 // one packet (COM_STATISTICS)
	modeFetch                  // rows up to a terminator (COM_STMT_FETCH)
)

// Phases of the walk.
const (
	phFirst   uint8 = iota // the first packet of a result
	phDefs                 // column definitions
	phDefsEOF              // the EOF after them, when the protocol sends one
	phRows                 // rows up to the terminator
	phParams               // STMT_PREPARE: parameter definitions
	phParamsEOF
	phCols // STMT_PREPARE: column definitions
	phColsEOF
)

// eofMode says whether an EOF packet follows definitions: the
// capabilities both sides announced decide (CLIENT_DEPRECATE_EOF drops
// it); on a connection picked up after its handshake they are unknown,
// and a 5-byte 0xFE packet (the size of an EOF, never of an OK) is taken
// as one.
type eofMode uint8

const (
	eofYes eofMode = iota
	eofNo
	eofMaybe
)

// machine walks the packets of one response, packet by packet, so that
// framing can stop at any packet boundary and go on later, and so that
// the parser, walking the same packets again, sees the same structure.
// It keeps the payloads of the packets the attributes come from (they
// alias the message).
type machine struct {
	o         *Options
	mode      uint8
	phase     uint8
	remaining int
	eof       eofMode
	cacheMeta bool // MARIADB_CLIENT_CACHE_METADATA: a column count may say the definitions are omitted
	metaKnown bool
	greetOK   bool // a greeting may come (nothing awaited, none seen)
	cont      bool // the previous packet was full: this one continues it
	lastSeq   uint8
	// exclude is set with done when the packet just stepped is not part
	// of the response (it begins the next one).
	exclude bool
	// learned is what the walk showed about EOF packets, for a connection
	// whose capabilities are unknown: eofYes or eofNo once seen, else
	// eofMaybe.
	learned eofMode

	greeting   bool
	serverCaps uint64
	kind       string // the first result's kind
	ok, err    []byte // the first OK's and the first ERR's payloads
	first      []byte // the first packet's payload
	columns    int
	colsSet    bool
	rows       int
	results    int
	params     int
	infile     bool
	authOK     bool
}

func (m *machine) start(e expectation, awaited, greetOK bool, caps uint64, known bool, o *Options) {
	*m = machine{o: o, greetOK: greetOK && !awaited, learned: eofMaybe}
	switch {
	case !known:
		m.eof = eofMaybe
	case caps&capDeprecateEOF != 0:
		m.eof = eofNo
	}
	m.cacheMeta, m.metaKnown = caps&capMariaDBCacheMeta != 0, known
	if !awaited {
		m.mode = modeUnknown
		return
	}
	switch e.kind {
	case expAuth:
		m.mode = modeAuth
	case expInfile:
		m.mode = modeResults
	default:
		m.mode = modeOf(e.cmd)
	}
}

func modeOf(cmd uint8) uint8 {
	switch cmd {
	case comStmtPrepare:
		return modePrepare
	case comFieldList:
		return modeFieldList
	case comStatistics:
		return modeSingle
	case comStmtFetch:
		return modeFetch
	case 0x11: // COM_CHANGE_USER: an authentication exchange
		return modeAuth
	}
	return modeResults
}

func (m *machine) setKind(k string) {
	if m.kind == "" {
		m.kind = k
	}
}

// step takes the next packet and reports whether the response is whole.
func (m *machine) step(p packet) (done bool, err error) {
	done, err = m.take(p)
	m.lastSeq = p.seq
	return done, err
}

// take is step before the packet's sequence id is recorded (a function
// of its own rather than a deferred assignment: step has too many
// returns for the compiler to open-code a defer, and the deferred call
// cost about a fifth of walking a row packet).
func (m *machine) take(p packet) (done bool, err error) {
	if m.cont {
		m.cont = p.full
		return false, nil
	}
	m.cont = p.full
	r := parser.NewReader(p.payload)
	b0 := r.Uint8()
	if !r.Ok() {
		return false, ErrMalformedPacket
	}
	if b0 == 0xff && len(p.payload) >= 3 && r.Peek(2) != nil && r.Peek(2)[0] == 0xff && r.Peek(2)[1] == 0xff {
		// Error code 0xFFFF: a MariaDB progress report
		// (MARIADB_CLIENT_PROGRESS), sent while a command runs.
		return false, nil
	}
	if m.first == nil {
		m.first = p.payload
		if m.greetOK && p.seq == 0 && b0 == 0x0a {
			m.greeting = true
			m.serverCaps = greetingCaps(p.payload)
			return true, nil
		}
		if m.mode == modeFetch {
			m.setKind(ResponseResultSet)
			m.phase = phRows
		}
	}
	switch m.mode {
	case modeAuth:
		switch b0 {
		case 0x00:
			m.setKind(ResponseOK)
			m.ok = p.payload
			m.authOK = true
			return true, nil
		case 0xff:
			m.setKind(ResponseERR)
			m.err = p.payload
			return true, nil
		case 0xfe:
			m.setKind(ResponseAuthSwitch)
			return true, nil
		case 0x01:
			if len(p.payload) == 2 && r.Uint8() == 0x03 {
				return false, nil // caching_sha2 fast auth succeeded: the OK follows
			}
			m.setKind(ResponseAuthMore)
			return true, nil
		}
		m.setKind(ResponseAuthMore)
		return true, nil
	case modeSingle:
		if b0 == 0xff {
			m.setKind(ResponseERR)
			m.err = p.payload
		} else {
			m.setKind(ResponseStatistics)
		}
		return true, nil
	case modeFieldList:
		if b0 == 0xff {
			m.setKind(ResponseERR)
			m.err = p.payload
			return true, nil
		}
		m.setKind(ResponseResultSet)
		if b0 == 0xfe && len(p.payload) < 9 {
			return true, nil
		}
		m.columns++
		m.colsSet = true
		return false, nil
	case modePrepare:
		return m.prepare(p, &r, b0)
	}
	return m.resultStep(p, &r, b0)
}

// isEOF reports whether a packet after definitions is their EOF.
func (m *machine) isEOF(p packet, b0 byte) bool {
	switch m.eof {
	case eofYes:
		return b0 == 0xfe && len(p.payload) < 9
	case eofMaybe:
		return b0 == 0xfe && len(p.payload) == 5
	}
	return false
}

func (m *machine) prepare(p packet, r *parser.Reader, b0 byte) (bool, error) {
	switch m.phase {
	case phFirst:
		if b0 == 0xff {
			m.setKind(ResponseERR)
			m.err = p.payload
			return true, nil
		}
		if b0 != 0x00 {
			return false, ErrMalformedPacket
		}
		m.setKind(ResponseOK)
		m.ok = p.payload
		r.Skip(4) // statement id
		cols := int(le16(r))
		params := int(le16(r))
		if !r.Ok() {
			return false, ErrMalformedPacket
		}
		if cols > m.o.MaxColumns {
			return false, ErrTooManyColumns
		}
		m.columns, m.colsSet, m.params = cols, true, params
		m.remaining = params
		m.phase = phParams
	case phParams, phCols:
		m.remaining--
	case phParamsEOF, phColsEOF:
		eof := m.isEOF(p, b0) && p.seq == m.lastSeq+1
		last := m.phase == phColsEOF || m.columns == 0
		if m.eof == eofMaybe {
			m.learned = eofNo
			if eof {
				m.learned = eofYes
			}
		}
		switch {
		case eof && last:
			return true, nil
		case eof:
			m.phase, m.remaining = phCols, m.columns
		case m.eof == eofYes:
			return false, ErrMalformedPacket
		case last:
			// Capabilities unknown and no EOF: this packet begins the
			// next response.
			m.exclude = true
			return true, nil
		default: // no EOF after the parameters: the first column definition
			m.phase, m.remaining = phCols, m.columns-1
		}
	default:
		return false, ErrMalformedPacket
	}
	return m.prepareNext(), nil
}

// prepareNext moves past the empty parts of a STMT_PREPARE response and
// reports whether it is whole. Without known capabilities whether an EOF
// follows the definitions is known only from the next packet: after the
// parameters a column definition is told from an EOF by its size; after
// the last definitions, a packet that is not the EOF (by size and
// sequence id) begins the next response, and the response ends before it.
func (m *machine) prepareNext() bool {
	for {
		switch m.phase {
		case phParams:
			if m.remaining > 0 {
				return false
			}
			if m.params > 0 && m.eof != eofNo {
				m.phase = phParamsEOF
				return false
			}
			m.phase, m.remaining = phCols, m.columns
		case phCols:
			if m.remaining > 0 {
				return false
			}
			if m.columns > 0 && m.eof != eofNo {
				m.phase = phColsEOF
				return false
			}
			return true
		default:
			return false
		}
	}
}

// resultStep walks OK/ERR/LOCAL_INFILE packets and result sets.
func (m *machine) resultStep(p packet, r *parser.Reader, b0 byte) (bool, error) {
	switch m.phase {
	case phFirst:
		switch {
		case b0 == 0x00:
			m.setKind(ResponseOK)
			if m.ok == nil {
				m.ok = p.payload
			}
			m.results++
			return okStatus(r)&statusMoreResults == 0, nil
		case b0 == 0xff:
			m.setKind(ResponseERR)
			if m.err == nil {
				m.err = p.payload
			}
			m.results++
			return true, nil
		case b0 == 0xfe && len(p.payload) < 9:
			m.setKind(ResponseEOF)
			m.results++
			return true, nil
		case b0 == 0xfb:
			m.setKind(ResponseLocalInfile)
			m.infile = true
			return true, nil
		}
		r2 := parser.NewReader(p.payload)
		n, null := lenenc(&r2)
		if !r2.Ok() || null || n == 0 {
			return false, ErrMalformedPacket
		}
		if n > uint64(m.o.MaxColumns) {
			return false, ErrTooManyColumns
		}
		follows := true
		if m.cacheMeta || !m.metaKnown {
			if r2.Len() > 0 {
				follows = r2.Uint8() != 0
			}
		}
		m.setKind(ResponseResultSet)
		m.results++
		if !m.colsSet {
			m.columns, m.colsSet = int(n), true
		}
		if follows {
			m.remaining = int(n)
			m.phase = phDefs
		} else {
			m.phase = phDefsEOF
			if m.eof == eofNo {
				m.phase = phRows
			}
		}
		return false, nil
	case phDefs:
		m.remaining--
		if m.remaining == 0 {
			m.phase = phDefsEOF
			if m.eof == eofNo {
				m.phase = phRows
			}
		}
		return false, nil
	case phDefsEOF:
		m.phase = phRows
		if m.isEOF(p, b0) {
			r.Skip(2) // warnings
			if le16(r)&statusCursorExists != 0 {
				return true, nil // rows come with COM_STMT_FETCH
			}
			return false, nil
		}
		return m.resultStep(p, r, b0)
	case phRows:
		switch {
		case b0 == 0xff:
			if m.err == nil {
				m.err = p.payload
			}
			return true, nil
		case b0 == 0xfe && !p.full:
			// The terminator: an EOF (5 bytes) or, with
			// CLIENT_DEPRECATE_EOF, an OK with the 0xFE header. A text
			// row cannot start with 0xFE unless its first value is 16 MiB
			// or more, which makes its packet full.
			var status uint16
			if len(p.payload) == 5 {
				r.Skip(2)
				status = le16(r)
				m.learned = eofYes
			} else {
				status = okStatus(r)
				m.learned = eofNo
			}
			if status&statusMoreResults != 0 {
				m.phase = phFirst
				return false, nil
			}
			return true, nil
		}
		m.rows++
		return false, nil
	}
	return false, ErrMalformedPacket
}

// okStatus reads the status flags of an OK packet whose header byte was
// read: affected rows, last insert id, then the status.
func okStatus(r *parser.Reader) uint16 {
	lenenc(r)
	lenenc(r)
	return le16(r)
}

// greetingCaps reads the capability flags of a v10 greeting, with
// MariaDB's extended ones in bits 32-63.
func greetingCaps(payload []byte) uint64 {
	r := parser.NewReader(payload)
	r.Skip(1)
	nulString(&r) // version
	r.Skip(4 + 8 + 1)
	caps := uint64(le16(&r))
	r.Skip(1 + 2)
	caps |= uint64(le16(&r)) << 16
	r.Skip(1 + 6)
	ext := uint64(le32(&r))
	if caps&1 == 0 { // MariaDB: no CLIENT_MYSQL bit, extended capabilities in the filler
		caps |= ext << 32
	}
	return caps
}
