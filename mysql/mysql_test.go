package mysql

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
)

func TestPreparedStatements(t *testing.T) {
	ex, c := exchanges(t, Protocol(), prepareReq, prepResp, executeReq, okResp, closeReq, nil, executeReq, errResp)
	require.Len(t, ex, 4)
	assert.Equal(t, "STMT_PREPARE", str(ex[0].Request, AttrCommand))
	assert.Equal(t, int64(1), num(ex[0].Response, AttrStmtID))
	assert.Equal(t, int64(1), num(ex[0].Response, AttrParams))
	assert.Equal(t, "INSERT INTO t VALUES (?)", str(ex[1].Request, AttrStatement))
	assert.Equal(t, int64(1), num(ex[1].Response, AttrAffectedRows))
	assert.Equal(t, parser.OneWayRequest, ex[2].Kind) // STMT_CLOSE
	// After STMT_CLOSE the id is forgotten: unknown, counted, never guessed.
	assert.False(t, ex[3].Request.Has(AttrStatement))
	assert.Equal(t, int64(1), num(ex[3].Request, AttrStmtID))
	assert.Equal(t, int64(1062), num(ex[3].Response, AttrErrorCode))
	assert.Equal(t, "23000", str(ex[3].Response, AttrSQLState))
	assert.Equal(t, uint64(1), c.State().(*State).Stats().UnknownStatements)
	st := c.Stats()
	assert.Zero(t, st.Unmatched+st.Unanswered)
}

func TestResultSetsAndMultiResults(t *testing.T) {
	multi := pkts(1, "\x01", coldef("a"), "\xfe\x00\x00\x0a\x00", "\x011", "\xfe\x00\x00\x0a\x00", // more results
		"\x00\x01\x00\x02\x00\x00\x00")
	ex, _ := exchanges(t, Protocol(), queryReq, resultResp, pkt(0, "\x03SELECT 1; UPDATE t SET a=1"), multi)
	require.Len(t, ex, 2)
	assert.Equal(t, ResponseResultSet, str(ex[0].Response, AttrResponse))
	assert.Equal(t, int64(2), num(ex[0].Response, AttrColumns))
	assert.Equal(t, int64(2), num(ex[0].Response, AttrRows))
	assert.Equal(t, int64(1), num(ex[1].Response, AttrRows))
	assert.Equal(t, int64(2), num(ex[1].Response, AttrResults))
}

// A connection picked up mid-way at a STMT_EXECUTE of the go-sql-driver
// capture: everything after it parses; the statement prepared before is
// unknown (its 4 executions counted). The capabilities are unknown too,
// so the first STMT_PREPARE response after the pick-up can only be
// closed by the next response's first packet (whether an EOF follows
// its definitions is not known yet): its statement's one execution, read
// before, is unknown as well; from that response on the connection knows
// (CLIENT_DEPRECATE_EOF is on) and resolves the later statements.
func TestCapturePickedUpMidway(t *testing.T) {
	ex, c := sqltest.PickUp(t, Protocol(), "mysql_godriver_mixed.pcap", func(_ int, dir parser.Direction, b []byte) bool {
		return dir == parser.Request && len(b) > 4 && b[4] == comStmtExecute
	})
	st := c.Stats()
	assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1])
	assert.Zero(t, st.Unmatched)
	assert.Equal(t, uint64(4+1), c.State().(*State).Stats().UnknownStatements)
	assert.Greater(t, len(ex), 20)
	rows := int64(0)
	for _, e := range ex {
		if e.Response != nil {
			rows += num(e.Response, AttrRows)
		}
	}
	assert.Equal(t, int64(1+1+3000+1000+4+2), rows) // the rows of every result set after the pick-up
}

func TestHostileLengths(t *testing.T) {
	p := Protocol()
	var m parser.Message
	var req parser.Attributes
	req.SetString(AttrCommand, "QUERY")
	// A column count of 2^60.
	assert.False(t, p.ParseResponse(&m, pkt(1, "\xfe\x00\x00\x00\x00\x00\x00\x00\x10"), &req, p.NewState()))
	split := p.Split(p.NewState(), parser.Response)
	p.Split(p.NewState(), parser.Request) // (request framing is separate)
	_, _, err := split(pkt(1, "\xfc\xff\xff"), false)
	assert.ErrorIs(t, err, ErrTooManyColumns)
	assert.ErrorIs(t, err, parser.ErrTooLarge)

	small := NewProtocol(Options{MaxMessageSize: 1 << 10})
	reqSplit := small.Split(small.NewState(), parser.Request)
	_, _, err = reqSplit([]byte{0xff, 0xff, 0xff, 0}, false) // announces 16 MiB, nothing buffered
	assert.ErrorIs(t, err, ErrMessageTooLarge)
	sqltest.StopsOversized(t, small, pkt(0, "\x03"+string(make([]byte, 2000)))) // 2005 bytes skipped
}

func TestStatementCacheBounded(t *testing.T) {
	p := NewProtocol(Options{MaxStatements: 8, MaxStatementBytes: 100})
	st := p.NewState().(*State)
	var m parser.Message
	for i := range 100 {
		var req parser.Attributes
		req.SetString(AttrCommand, "STMT_PREPARE")
		req.SetString(AttrStatement, fmt.Sprintf("SELECT %d", i))
		resp := pkt(1, "\x00"+le32s(uint32(i+1))+"\x00\x00\x00\x00\x00\x00\x00")
		require.True(t, p.ParseResponse(&m, resp, &req, st))
	}
	assert.LessOrEqual(t, st.stmts.Len(), 8)
	assert.LessOrEqual(t, st.stmts.Bytes(), 100)
	assert.Equal(t, uint64(92), st.Stats().Evicted)
}

func TestLocalInfileAndProgress(t *testing.T) {
	ex, _ := exchanges(t, Protocol(),
		pkt(0, "\x03LOAD DATA LOCAL INFILE 'f' INTO TABLE t"), pkt(1, "\xfbf"),
		pkts(2, "1,a\n2,b\n", ""), cat(pkt(4, "\xff\xff\xff\x01\x02\x02\x00\x00\x00\x00progress"), pkt(5, "\x00\x02\x00\x02\x00\x00\x00")))
	require.Len(t, ex, 2)
	assert.Equal(t, ResponseLocalInfile, str(ex[0].Response, AttrResponse))
	assert.Equal(t, CommandLocalInfileData, str(ex[1].Request, AttrCommand))
	assert.Equal(t, ResponseOK, str(ex[1].Response, AttrResponse))
	assert.Equal(t, int64(2), num(ex[1].Response, AttrAffectedRows))
	assert.False(t, ex[1].Response.Has(AttrErrorCode))
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT * FROM t1 WHERE a = 'x\'y' AND b = "z" AND c = 42 AND d = ?`: `SELECT * FROM t1 WHERE a = ? AND b = ? AND c = ? AND d = ?`,
		"INSERT INTO `t2` VALUES (X'ff', 0x1f, 1.5e3)":                       "INSERT INTO `t2` VALUES (?, ?, ?)",
	} {
		assert.Equal(t, want, string(Redact(nil, in)), in)
	}
	ex, _ := exchanges(t, NewProtocol(Options{RedactLiterals: true}), pkt(0, "\x03SELECT 'secret', 7"), okResp)
	require.Len(t, ex, 1)
	assert.Equal(t, "SELECT ?, ?", str(ex[0].Request, AttrStatement))
}
