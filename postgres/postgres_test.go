package postgres

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
)

func TestExtendedQueryResolvesNamedStatements(t *testing.T) {
	ex, c := exchanges(t, Protocol(), prepareReq, prepResp, execReq, execResp, execReq, errResp)
	require.Len(t, ex, 3)
	assert.Equal(t, CommandExecute, str(ex[1].Request, AttrCommand))
	assert.Equal(t, "ins", str(ex[1].Request, AttrStatementName))
	assert.Equal(t, "INSERT INTO t VALUES ($1)", str(ex[1].Request, AttrStatement))
	assert.Equal(t, "INSERT 0 1", str(ex[1].Response, AttrCommandTag))
	assert.Equal(t, int64(0), num(ex[1].Response, AttrRows))
	assert.Equal(t, "23505", str(ex[2].Response, AttrErrorCode))
	assert.Equal(t, "ERROR", str(ex[2].Response, AttrSeverity))
	assert.Equal(t, "duplicate key value", str(ex[2].Response, AttrErrorMessage))
	assert.Zero(t, c.State().(*State).Stats().UnknownStatements)
}

// A connection picked up after its statements were prepared: the Bind's
// statement is reported unknown (name kept, text absent), counted, never
// guessed; what follows parses.
func TestMidStreamUnknownStatement(t *testing.T) {
	ex, c := exchanges(t, Protocol(), execReq, execResp, queryReq, queryResp)
	require.Len(t, ex, 2)
	assert.Equal(t, "ins", str(ex[0].Request, AttrStatementName))
	assert.False(t, ex[0].Request.Has(AttrStatement))
	known, ok := ex[0].Request.Bool(AttrStatementKnown)
	assert.True(t, ok)
	assert.False(t, known)
	assert.Equal(t, uint64(1), c.State().(*State).Stats().UnknownStatements)
	assert.Equal(t, "SELECT 2", str(ex[1].Response, AttrCommandTag))
	assert.Equal(t, int64(2), num(ex[1].Response, AttrRows))
}

// The pgx capture picked up in the middle, at the first Bind after
// several statements were prepared: every exchange after it is still
// parsed, the statements prepared before are counted unknown.
func TestCapturePickedUpMidway(t *testing.T) {
	ex, c := sqltest.PickUp(t, Protocol(), "postgres_pgx_mixed.pcap", func(i int, dir parser.Direction, b []byte) bool {
		return dir == parser.Request && len(b) > 0 && b[0] == 'B' && i > 20
	})
	st := c.Stats()
	assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1])
	assert.Zero(t, st.Unmatched)
	assert.Positive(t, c.State().(*State).Stats().UnknownStatements)
	assert.Greater(t, len(ex), 5)
}

func TestStartupSSLAndCancel(t *testing.T) {
	sslReq := []byte("\x00\x00\x00\x08\x04\xd2\x16\x2f")
	ex, c := exchanges(t, Protocol(), sslReq, []byte("N"),
		startup("user", "ann", "database", "shop", "application_name", "psql"), cat(msg('R', u32(0)), msg('S', "a\x00", "b\x00"), msg('K', u32(1), u32(2)), msg('Z', "I")))
	require.Len(t, ex, 2)
	assert.Equal(t, CommandSSLRequest, str(ex[0].Request, AttrCommand))
	tls, _ := ex[0].Response.Bool(AttrTLS)
	assert.False(t, tls)
	assert.Equal(t, "ann", str(ex[1].Request, AttrUser))
	assert.Equal(t, "shop", str(ex[1].Request, AttrDatabase))
	assert.Equal(t, "psql", str(ex[1].Request, AttrApplicationName))
	assert.Equal(t, "OK", str(ex[1].Response, AttrAuth))
	declined := c.Stats()
	assert.Zero(t, declined.FramingErrors[0]+declined.FramingErrors[1], "SSL declined, then a plain startup")
	assert.Zero(t, declined.SkippedBytes[0]+declined.SkippedBytes[1])

	// Accepted: the rest is TLS, skipped and counted, not an error.
	ex, c = exchanges(t, Protocol(), sslReq, []byte("S"), []byte("\x16\x03\x01\x02\x00 client hello"), []byte("\x16\x03\x03 server hello"))
	require.Len(t, ex, 1)
	tls, _ = ex[0].Response.Bool(AttrTLS)
	assert.True(t, tls)
	st := c.Stats()
	assert.ErrorIs(t, st.StoppedByError[parser.Request], parser.ErrUpgraded)
	assert.Zero(t, st.FramingErrors[0]+st.FramingErrors[1])
	assert.Positive(t, st.SkippedBytes[0])
	assert.Equal(t, uint64(1), c.State().(*State).Stats().TLS)

	cancel := []byte("\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x00\x01\x00\x00\x00\x02")
	ex, _ = exchanges(t, Protocol(), cancel)
	require.Len(t, ex, 1)
	assert.Equal(t, parser.OneWayRequest, ex[0].Kind)
	assert.Equal(t, CommandCancel, str(ex[0].Request, AttrCommand))
}

func TestNotificationPushAndCopy(t *testing.T) {
	note := msg('A', u32(42), "events\x00", "payload\x00")
	copyIn := cat(msg('G', "\x00", u16(0)))
	ex, _ := exchanges(t, Protocol(), queryReq, queryResp, nil, note,
		msg('Q', "COPY t FROM STDIN\x00"), copyIn, cat(msg('d', "1\n"), msg('d', "2\n"), msg('c')), cat(msg('C', "COPY 2\x00"), msg('Z', "I")))
	require.Len(t, ex, 4)
	assert.Equal(t, parser.Push, ex[1].Kind)
	assert.Equal(t, "events", str(ex[1].Response, AttrChannel))
	assert.Equal(t, "IN", str(ex[2].Response, AttrCopy))
	assert.Equal(t, CommandCopyData, str(ex[3].Request, AttrCommand))
	assert.Equal(t, int64(3), num(ex[3].Request, AttrMessages))
	assert.Equal(t, "COPY 2", str(ex[3].Response, AttrCommandTag))
}

// Lengths on the wire are checked before anything is buffered.
func TestHostileLengths(t *testing.T) {
	p := Protocol()
	split := p.Split(p.NewState(), parser.Request)
	_, _, err := split([]byte{'Q', 0xff, 0xff, 0xff, 0xf0}, false)
	assert.ErrorIs(t, err, ErrMessageTooLarge)
	assert.ErrorIs(t, err, parser.ErrTooLarge)
	_, _, err = split([]byte{'Q', 0, 0, 0, 2}, false)
	assert.ErrorIs(t, err, ErrBadLength)
	_, _, err = split([]byte{0, 0, 0x7f, 0xff, 0, 3, 0, 0}, false)
	assert.ErrorIs(t, err, ErrMessageTooLarge) // startup packet over 10000 bytes
	resp := p.Split(p.NewState(), parser.Response)
	_, _, err = resp([]byte{'D', 0x7f, 0xff, 0xff, 0xff}, false)
	assert.ErrorIs(t, err, ErrMessageTooLarge)

	// Through a Conn: the direction stops, its bytes are counted.
	sqltest.StopsOversized(t, NewProtocol(Options{MaxMessageSize: 1 << 10}), msg('Q', string(make([]byte, 2000))+"\x00")) // 2006 bytes skipped
}

// The prepared-statement cache stays within its bounds.
func TestStatementCacheBounded(t *testing.T) {
	p := NewProtocol(Options{MaxStatements: 8, MaxStatementBytes: 200})
	st := p.NewState().(*State)
	var m parser.Message
	for i := range 100 {
		name := fmt.Sprintf("s%d\x00", i)
		text := fmt.Sprintf("SELECT %d\x00", i)
		require.True(t, p.ParseRequest(&m, cat(msg('P', name, text, u16(0)), msg('S')), st))
	}
	assert.LessOrEqual(t, st.stmts.Len(), 8)
	assert.LessOrEqual(t, st.stmts.Bytes(), 200)
	assert.Equal(t, uint64(92), st.Stats().Evicted)
	require.True(t, p.ParseRequest(&m, cat(msg('C', "S", "s99\x00"), msg('S')), st))
	_, kept := st.stmts.Lookup("s99")
	assert.False(t, kept)
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT * FROM t WHERE a = 'x''y' AND b = 42 AND c = $1": "SELECT * FROM t WHERE a = ? AND b = ? AND c = $1",
		"INSERT INTO t2 VALUES (E'a\\'b', 1.5e3, $$raw$$)":       "INSERT INTO t2 VALUES (?, ?, ?)",
		`SELECT "col1" FROM x -- 'comment' 5`:                    `SELECT "col1" FROM x -- 'comment' 5`,
	} {
		assert.Equal(t, want, string(Redact(nil, in)), in)
	}
	ex, _ := exchanges(t, NewProtocol(Options{RedactLiterals: true}), msg('Q', "SELECT 'secret', 7\x00"), queryResp)
	require.Len(t, ex, 1)
	assert.Equal(t, "SELECT ?, ?", str(ex[0].Request, AttrStatement))
}
