package mysql

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
)

func TestOperations(t *testing.T) {
	sqltest.Operations(t, appendOperations, sqltest.Cases{
		{"SELECT 1", "SELECT"},
		{"  drop table t", "DROP"},
		{"/* a comment */ DROP TABLE t", "DROP"},
		{"-- comment\n# another\n\tDrop TABLE t", "DROP"},
		{"/*!50000 DROP TABLE t */", "DROP"},
		{"/*M!100100 TRUNCATE t */", "TRUNCATE"},
		{"((SELECT 1) UNION (SELECT 2))", "SELECT"},
		{"SELECT 1; DROP TABLE t", "SELECT DROP"},
		{"SELECT 1;SELECT 2;;select 3; DELETE FROM t", "SELECT DELETE"},
		{"SELECT 'a;b', \"c;d\", `e;f` FROM t; UPDATE t SET a = 1", "SELECT UPDATE"},
		{"SELECT 'it''s'; DROP TABLE t", "SELECT DROP"},
		// A backslash escapes the quote in the default sql_mode, not with
		// NO_BACKSLASH_ESCAPES: both readings are listed.
		{`SELECT 'x\'; DROP TABLE t; -- '`, "SELECT DROP"},
		{`SELECT 'x\'; SELECT 1'; TRUNCATE t`, "SELECT TRUNCATE"},
		{"SELECT 1 -- ; DROP TABLE t", "SELECT"},
		{"SELECT 1 /* ; DROP */", "SELECT"},
		{"SELECT 1 --; DROP TABLE t", "SELECT DROP"}, // "--;" is not a comment: two minus signs
		// A stored program's body is split too: its statements after the
		// first ';' are listed (it runs at CALL, not now: over-reported).
		{"CREATE PROCEDURE p() BEGIN SELECT 1; END", "CREATE END"},
		{"CREATE PROCEDURE p() BEGIN SELECT 1; DELETE FROM t; END", "CREATE DELETE END"},
		{"", ""},
		{"   ", ""},
		{"123", ""},
		{"with x as (select 1) select * from x", "WITH"},
	})
}

// AttrOperation on COM_QUERY, STMT_PREPARE and the STMT_EXECUTE resolving
// it; none for an execution of an unknown statement.
func TestOperationAttribute(t *testing.T) {
	prep := pkt(0, "\x16/* app */ UPDATE t SET a = ? WHERE id = ?")
	prepOK := pkts(1, "\x00"+le32s(3)+"\x00\x00\x02\x00\x00\x00\x00", coldef("?"), coldef("?"), "\xfe\x00\x00\x02\x00")
	exec := pkt(0, "\x17"+le32s(3)+"\x00\x01\x00\x00\x00\x00\x01\x03\x00\x03\x00\x07\x00\x00\x00\x01\x00\x00\x00")
	unknown := pkt(0, "\x17"+le32s(9)+"\x00\x01\x00\x00\x00\x00\x01\x03\x00\x07\x00\x00\x00")
	ex, _ := exchanges(t, Protocol(), pkt(0, "\x03select 1; DROP TABLE x"), okResp, prep, prepOK, exec, okResp, unknown, okResp)
	require.Len(t, ex, 4)
	assert.Equal(t, "SELECT DROP", str(ex[0].Request, AttrOperation))
	assert.Equal(t, "UPDATE", str(ex[1].Request, AttrOperation))
	assert.Equal(t, "UPDATE", str(ex[2].Request, AttrOperation))
	assert.False(t, ex[3].Request.Has(AttrOperation))

	p := Protocol()
	var m parser.Message
	st := p.NewState()
	q := pkt(0, "\x03SELECT 1; DELETE FROM t")
	require.True(t, p.ParseRequest(&m, q, st))
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.ParseRequest(&m, q, st) }))
}
