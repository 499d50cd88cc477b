package postgres

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
		{"  drop table t;", "DROP"},
		{"/* a /* nested */ comment */ DROP TABLE t", "DROP"},
		{"-- comment\n\tDrop TABLE t", "DROP"},
		{"((SELECT 1) UNION (SELECT 2))", "SELECT"},
		{"SELECT 1; DROP TABLE t", "SELECT DROP"},
		{"select count(*) from items; SELECT 'two statements' AS q;", "SELECT"},
		{`SELECT 'a;b', "c;d", $$e;f$$, $x$g;$$h$x$ FROM t; UPDATE t SET a = 1`, "SELECT UPDATE"},
		{"SELECT 'it''s'; DROP TABLE t", "SELECT DROP"},
		// standard_conforming_strings on (a backslash is a character) or
		// off (it escapes): both readings are listed.
		{`SELECT 'x\'; DROP TABLE t; -- '`, "SELECT DROP"},
		{`SELECT E'x\'; SELECT 1'; TRUNCATE t`, "SELECT TRUNCATE"},
		{"SELECT $1, a$b FROM t; DELETE FROM t", "SELECT DELETE"},
		{"SELECT 1 -- ; DROP TABLE t", "SELECT"},
		{"CREATE FUNCTION f() RETURNS void AS $body$ DELETE FROM t; $body$ LANGUAGE sql; SELECT f()", "CREATE SELECT"},
		{"", ""},
		{"with d as (delete from t returning *) select * from d", "WITH"},
	})
}

// AttrOperation on simple queries and extended runs (the Parse's text,
// or the named statement a Bind resolves); none for a statement prepared
// before the capture.
func TestOperationAttribute(t *testing.T) {
	parse := cat(msg('P', "up\x00", "/* app */ UPDATE t SET a = $1\x00", u16(0)), msg('S'))
	bind := cat(msg('B', "\x00", "up\x00", u16(0), u16(1), u32(1), "7", u16(0)), msg('E', "\x00", u32(0)), msg('S'))
	unknown := cat(msg('B', "\x00", "gone\x00", u16(0), u16(0), u16(0)), msg('E', "\x00", u32(0)), msg('S'))
	done := cat(msg('C', "UPDATE 1\x00"), msg('Z', "I"))
	ex, _ := exchanges(t, Protocol(),
		msg('Q', "select 1; DROP TABLE x\x00"), cat(msg('C', "DROP TABLE\x00"), msg('Z', "I")),
		parse, cat(msg('1'), msg('Z', "I")), bind, cat(msg('2'), done), unknown, cat(msg('2'), done))
	require.Len(t, ex, 4)
	assert.Equal(t, "SELECT DROP", str(ex[0].Request, AttrOperation))
	assert.Equal(t, "UPDATE", str(ex[1].Request, AttrOperation))
	assert.Equal(t, "UPDATE", str(ex[2].Request, AttrOperation))
	assert.False(t, ex[3].Request.Has(AttrOperation))

	p := Protocol()
	var m parser.Message
	st := p.NewState()
	q := msg('Q', "SELECT 1; DELETE FROM t\x00")
	require.True(t, p.ParseRequest(&m, q, st))
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.ParseRequest(&m, q, st) }))
}
