package deny

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/postgres"
	"github.com/wirekit/wirekit/protocols"
)

// sqlDeny builds a deny filter from its JSON configuration, the protocol
// resolved among the built-in ones as a proxy configuration would.
func sqlDeny(t *testing.T, cfg string) *Factory {
	t.Helper()
	f, err := NewCreator(protocols.All()...)(json.RawMessage(cfg))
	require.NoError(t, err)
	return f.(*Factory)
}

// feedClient feeds the client's bytes of a captured connection through the
// chain in the reads they were captured in, and returns the first error.
func feedClient(cn *conn, s *pcaptest.Stream) error {
	for _, c := range s.Chunks {
		if c.Dir != parser.Request || c.Len == 0 {
			continue
		}
		if err := cn.c.Feed(0, c.Bytes(s)); err != nil {
			return err
		}
	}
	return nil
}

func captureStreams(t *testing.T, name string) []*pcaptest.Stream {
	t.Helper()
	streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
	require.NoError(t, err)
	return streams
}

// commandStart is where, in the client's bytes, the MySQL command packet
// (sequence 0) whose payload is cmd followed by text begins.
func commandStart(t *testing.T, data []byte, cmd byte, text string) int {
	t.Helper()
	payload := append([]byte{cmd}, text...)
	i := bytes.Index(data, payload)
	require.Greater(t, i, 3, "command %q not in the capture", text)
	n := len(payload)
	require.Equal(t, []byte{byte(n), byte(n >> 8), byte(n >> 16), 0}, data[i-4:i], "a command packet header")
	return i - 4
}

// The mariadb client session of the corpus, fed through a deny filter on
// mysql.statement: everything before `DROP TABLE IF EXISTS not_there`
// (22 commands, a LOAD DATA LOCAL INFILE among them) reaches the server
// byte for byte, the DROP does not, the client gets the configured ERR
// packet and the connection closes.
func TestDenyMySQLDropOnCapture(t *testing.T) {
	// The reply is an ERR packet (1142, 42000): its 0xFF marker is not
	// UTF-8, so it is set through Config, not JSON.
	reply := "\x18\x00\x00\x01\xff\x76\x04#42000denied by proxy"
	f, err := New(mysql.Protocol(), Config{Attribute: mysql.AttrStatement, Values: []string{"DROP"}, Match: "prefix",
		IgnoreCase: true, Reply: reply})
	require.NoError(t, err)
	streams := captureStreams(t, "mysql_cli_session")
	s := streams[0]
	cn := newConn(t, f)
	err = feedClient(cn, s)
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, mysql.AttrStatement, de.Attribute)
	assert.Equal(t, "DROP TABLE IF EXISTS not_there", de.Value)
	drop := commandStart(t, s.Data[parser.Request], 0x03, "DROP TABLE IF EXISTS not_there")
	assert.Equal(t, s.Data[parser.Request][:drop], cn.up.Bytes(), "the whole session before the DROP is forwarded, nothing of it after")
	assert.Equal(t, reply, cn.down.String())
	// What the client reads is an ERR packet answering its command.
	p := mysql.Protocol()
	var req, m parser.Message
	req.Attrs.SetString(mysql.AttrCommand, "QUERY")
	require.True(t, p.ParseResponse(&m, cn.down.Bytes(), &req.Attrs, p.NewState()), "%v", m.Err)
	code, _ := m.Attrs.Int(mysql.AttrErrorCode)
	state, _ := m.Attrs.String(mysql.AttrSQLState)
	assert.Equal(t, int64(1142), code)
	assert.Equal(t, "42000", state)
	assert.Equal(t, err, cn.closedErr)
	// The login, 19 commands and the LOCAL INFILE file (its data packet
	// and its empty last packet, framed one by one: deny sees only the
	// client's side) were checked, then the DROP.
	assert.Equal(t, Stats{Checked: 1 + 19 + 2 + 1, Denied: 1}, f.Stats())
	cn.c.Release()

	// The same client's TLS connection: after SSLRequest the bytes are
	// TLS, which deny cannot read; it stops checking and forwards them.
	cn = newConn(t, f)
	require.NoError(t, feedClient(cn, streams[1]))
	assert.Equal(t, streams[1].Data[parser.Request], cn.up.Bytes())
	cn.c.Release()
}

// A command denied by name: go-sql-driver's first STMT_PREPARE closes the
// connection; the login, CREATE TABLE before it pass.
func TestDenyMySQLCommandOnCapture(t *testing.T) {
	f := sqlDeny(t, `{"protocol":"mysql","attribute":"mysql.command","values":["STMT_PREPARE","STMT_EXECUTE"]}`)
	s := captureStreams(t, "mysql_godriver_mixed")[0]
	cn := newConn(t, f)
	err := feedClient(cn, s)
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "STMT_PREPARE", de.Value)
	prep := commandStart(t, s.Data[parser.Request], 0x16, "INSERT INTO accounts (id, owner, balance) VALUES (?, ?, ?)")
	assert.Equal(t, s.Data[parser.Request][:prep], cn.up.Bytes())
	assert.Equal(t, Stats{Checked: 3, Denied: 1}, f.Stats())
	cn.c.Release()
}

// msgStart is where the PostgreSQL message of type typ whose body starts
// with body begins in data.
func msgStart(t *testing.T, data []byte, typ byte, body string) int {
	t.Helper()
	i := bytes.Index(data, []byte(body))
	require.Greater(t, i, 4, "message %q not in the capture", body)
	require.Equal(t, typ, data[i-5])
	return i - 5
}

// psql's session: DROP TABLE IF EXISTS is denied; the startup and SCRAM
// messages, 17 queries and the COPY FROM STDIN data before it pass.
func TestDenyPostgresDropOnCapture(t *testing.T) {
	f := sqlDeny(t, `{"protocol":"postgres","attribute":"postgres.statement","values":["drop"],"match":"prefix","ignore_case":true}`)
	s := captureStreams(t, "postgres_psql_session")[0]
	cn := newConn(t, f)
	err := feedClient(cn, s)
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, postgres.AttrStatement, de.Attribute)
	assert.Equal(t, "DROP TABLE IF EXISTS not_there;", de.Value)
	drop := msgStart(t, s.Data[parser.Request], 'Q', "DROP TABLE IF EXISTS not_there;")
	assert.Equal(t, s.Data[parser.Request][:drop], cn.up.Bytes())
	assert.Zero(t, cn.down.Len(), "no reply configured")
	// Startup, two SASL messages, 17 queries and the COPY data run, then
	// the DROP.
	assert.Equal(t, Stats{Checked: 1 + 2 + 17 + 1 + 1, Denied: 1}, f.Stats())
	cn.c.Release()
}

// pgx's second connection runs `SELECT pg_notify($1, $2)` as an extended
// query and then DROP TABLE accounts as a simple query: the extended run
// passes, the DROP is denied. pgx's first connection has no DROP and is
// forwarded whole, 3000-row query, COPY and cancelled pg_sleep included.
func TestDenyPostgresDropPgx(t *testing.T) {
	f := sqlDeny(t, `{"protocol":"postgres","attribute":"postgres.statement","values":["DROP"],"match":"prefix","ignore_case":true}`)
	streams := captureStreams(t, "postgres_pgx_mixed")
	cn := newConn(t, f)
	require.NoError(t, feedClient(cn, streams[0]))
	assert.Equal(t, streams[0].Data[parser.Request], cn.up.Bytes())
	cn.c.Release()

	cn = newConn(t, f)
	err := feedClient(cn, streams[1])
	require.ErrorIs(t, err, filter.ErrDenied)
	assert.Contains(t, err.Error(), `postgres.statement "DROP TABLE accounts" denied`)
	drop := msgStart(t, streams[1].Data[parser.Request], 'Q', "DROP TABLE accounts")
	assert.Equal(t, streams[1].Data[parser.Request][:drop], cn.up.Bytes())
	assert.True(t, strings.Contains(cn.up.String(), "SELECT pg_notify($1, $2)"), "the extended query before it passed")
	cn.c.Release()
	assert.Equal(t, int64(1), f.Stats().Denied)
}

// The same sessions with every captured read cut again at random points:
// the client's commands were captured one per read, so whatever the cuts
// the forwarded bytes are exactly those before the DROP (a command cut in
// pieces is held until whole, then checked once).
func TestDenySQLChunkingInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 18))
	for _, tc := range []struct {
		capture, cfg, text string
		start              func(t *testing.T, data []byte) int
		checked            int64
	}{
		{"mysql_cli_session", `{"protocol":"mysql","attribute":"mysql.statement","values":["DROP"],"match":"prefix"}`, "DROP TABLE IF EXISTS not_there",
			func(t *testing.T, data []byte) int {
				return commandStart(t, data, 0x03, "DROP TABLE IF EXISTS not_there")
			}, 23},
		{"postgres_psql_session", `{"protocol":"postgres","attribute":"postgres.statement","values":["DROP"],"match":"prefix"}`, "DROP TABLE IF EXISTS not_there;",
			func(t *testing.T, data []byte) int { return msgStart(t, data, 'Q', "DROP TABLE IF EXISTS not_there;") }, 22},
	} {
		s := captureStreams(t, tc.capture)[0]
		drop := tc.start(t, s.Data[parser.Request])
		for trial := range 20 {
			f := sqlDeny(t, tc.cfg)
			cn := newConn(t, f)
			var err error
			maxCut := 1 + trial*trial*3
			for _, c := range s.Chunks {
				if c.Dir != parser.Request || err != nil {
					continue
				}
				for b := c.Bytes(s); len(b) > 0 && err == nil; {
					n := min(len(b), 1+rng.IntN(maxCut))
					err = cn.c.Feed(0, b[:n])
					b = b[n:]
				}
			}
			var de *DeniedError
			require.ErrorAs(t, err, &de, "%s trial %d", tc.capture, trial)
			require.Equal(t, tc.text, de.Value)
			require.Equal(t, s.Data[parser.Request][:drop], cn.up.Bytes(), "%s trial %d (cuts up to %d bytes)", tc.capture, trial, maxCut)
			require.Equal(t, Stats{Checked: tc.checked, Denied: 1}, f.Stats(), "each request checked once")
			cn.c.Release()
		}
	}
}

// Statements that a prefix rule on the statement text lets through — a
// leading comment, an executable comment, a second statement — are
// denied by a word rule on the operation, after the corpus' real logins.
func TestDenySQLOperation(t *testing.T) {
	myLogin, err := pcaptest.Messages(mysql.Protocol(), captureStreams(t, "mysql_cli_session")[0], parser.Request)
	require.NoError(t, err)
	pgLogin, err := pcaptest.Messages(postgres.Protocol(), captureStreams(t, "postgres_psql_session")[0], parser.Request)
	require.NoError(t, err)
	myQuery := func(sql string) []byte {
		n := len(sql) + 1
		return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0, 0x03}, sql...)
	}
	pgQuery := func(sql string) []byte {
		n := len(sql) + 5
		return append([]byte{'Q', byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, append([]byte(sql), 0)...)
	}
	for _, tc := range []struct {
		proto         string
		login         [][]byte
		query         func(string) []byte
		evasions, ok  []string
		prefix, words string
	}{
		{"mysql", myLogin[:1], myQuery,
			[]string{"/* x */ DROP TABLE items", "SELECT 1; DROP TABLE items", "/*!50000 DROP TABLE items */", "\n drop table items", "(DROP TABLE items)"},
			[]string{"SELECT 'DROP TABLE items'", "SELECT 1 -- ; DROP TABLE items", "INSERT INTO log VALUES ('x; DROP TABLE items')"},
			`{"protocol":"mysql","attribute":"mysql.statement","values":["DROP"],"match":"prefix","ignore_case":true}`,
			`{"protocol":"mysql","attribute":"mysql.operation","values":["DROP","TRUNCATE"],"match":"word","ignore_case":true}`},
		{"postgres", pgLogin[:3], pgQuery,
			[]string{"/* x */ DROP TABLE items", "SELECT 1; DROP TABLE items", "-- c\nDROP TABLE items", `SELECT 'x\'; DROP TABLE items; --'`},
			[]string{"SELECT 'DROP TABLE items'", "SELECT $$; DROP TABLE items$$", "SELECT 1 /* ; DROP TABLE items */"},
			`{"protocol":"postgres","attribute":"postgres.statement","values":["DROP"],"match":"prefix","ignore_case":true}`,
			`{"protocol":"postgres","attribute":"postgres.operation","values":["DROP","TRUNCATE"],"match":"word","ignore_case":true}`},
	} {
		run := func(cfg, sql string) error {
			cn := newConn(t, sqlDeny(t, cfg))
			defer cn.c.Release()
			for _, m := range tc.login {
				require.NoError(t, cn.c.Feed(0, m))
			}
			return cn.c.Feed(0, tc.query(sql))
		}
		for _, sql := range tc.evasions {
			assert.NoError(t, run(tc.prefix, sql), "%s: a prefix rule on the text misses %q", tc.proto, sql)
			err := run(tc.words, sql)
			var de *DeniedError
			if assert.ErrorAs(t, err, &de, "%s: %q", tc.proto, sql) {
				assert.Contains(t, " "+de.Value+" ", " DROP ", sql)
			}
		}
		for _, sql := range tc.ok {
			assert.NoError(t, run(tc.words, sql), "%s: %q runs no DROP", tc.proto, sql)
		}
	}
}

// On the captures the word rule denies what the prefix rule denied: psql's
// DROP TABLE IF EXISTS and pgx's DROP TABLE accounts, mariadb's DROP.
func TestDenySQLOperationOnCapture(t *testing.T) {
	for _, tc := range []struct {
		capture, cfg string
		stream       int
		start        func(t *testing.T, data []byte) int
	}{
		{"mysql_cli_session", `{"protocol":"mysql","attribute":"mysql.operation","values":["drop"],"match":"word","ignore_case":true}`, 0,
			func(t *testing.T, data []byte) int {
				return commandStart(t, data, 0x03, "DROP TABLE IF EXISTS not_there")
			}},
		{"postgres_psql_session", `{"protocol":"postgres","attribute":"postgres.operation","values":["DROP"],"match":"word"}`, 0,
			func(t *testing.T, data []byte) int { return msgStart(t, data, 'Q', "DROP TABLE IF EXISTS not_there;") }},
		{"postgres_pgx_mixed", `{"protocol":"postgres","attribute":"postgres.operation","values":["DROP"],"match":"word"}`, 1,
			func(t *testing.T, data []byte) int { return msgStart(t, data, 'Q', "DROP TABLE accounts") }},
	} {
		s := captureStreams(t, tc.capture)[tc.stream]
		cn := newConn(t, sqlDeny(t, tc.cfg))
		err := feedClient(cn, s)
		var de *DeniedError
		require.ErrorAs(t, err, &de, tc.capture)
		assert.Equal(t, "DROP", de.Value)
		assert.Equal(t, s.Data[parser.Request][:tc.start(t, s.Data[parser.Request])], cn.up.Bytes(), tc.capture)
		cn.c.Release()
	}
}
