package postgres

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
)

// Password literals are masked in every reported statement, with the
// default options; everything else is kept as sent.
func TestMaskPasswords(t *testing.T) {
	sqltest.Masking(t, mayHoldPassword, maskPasswords, sqltest.Cases{
		{"CREATE ROLE app WITH LOGIN PASSWORD 's3cret' VALID UNTIL '2030-01-01'", "CREATE ROLE app WITH LOGIN PASSWORD '***' VALID UNTIL '***'"},
		{"ALTER USER corpus PASSWORD 'SCRAM-SHA-256$4096:abc$def:ghi'", "ALTER USER corpus PASSWORD '***'"},
		{"alter role app encrypted password E'pw\\'x'", "alter role app encrypted password E'***'"},
		{"ALTER ROLE app PASSWORD $q$pw$q$", "ALTER ROLE app PASSWORD '***'"},
		{`SELECT id FROM users WHERE name = 'ann' AND "password_hash" = 'x''y'`, `SELECT id FROM users WHERE name = 'ann' AND "password_hash" = '***'`},
		{"CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password 'p')", "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password '***')"},
		{"ALTER USER a PASSWORD 'x'; SELECT 'kept'", "ALTER USER a PASSWORD '***'; SELECT 'kept'"},
		{"SELECT 'password', $1 /* password 'x' */", "SELECT 'password', $1 /* password 'x' */"},
		{"SELECT 1 -- password 'x'", "SELECT 1 -- password 'x'"},
	})
	assert.False(t, mayHoldPassword("SELECT id, name FROM items WHERE id = $1"))
}

// Through parser.Conn with default Options: a simple query, and a named
// statement parsed then bound (its text resolved from the cache), never
// report the password.
func TestPasswordsNeverReported(t *testing.T) {
	parse := cat(msg('P', "chk\x00", "SELECT id FROM users WHERE password = 'hunter2' AND id = $1\x00", u16(0)), msg('S'))
	bind := cat(msg('B', "\x00", "chk\x00", u16(0), u16(1), u32(1), "7", u16(0)), msg('E', "\x00", u32(0)), msg('S'))
	done := cat(msg('C', "SELECT 0\x00"), msg('Z', "I"))
	ex, _ := exchanges(t, Protocol(),
		msg('Q', "ALTER USER corpus PASSWORD 'hunter2'\x00"), cat(msg('C', "ALTER ROLE\x00"), msg('Z', "I")),
		parse, cat(msg('1'), msg('Z', "I")), bind, cat(msg('2'), done))
	require.Len(t, ex, 3)
	assert.Equal(t, "ALTER USER corpus PASSWORD '***'", str(ex[0].Request, AttrStatement))
	assert.Equal(t, "SELECT id FROM users WHERE password = '***' AND id = $1", str(ex[1].Request, AttrStatement))
	assert.Equal(t, "chk", str(ex[2].Request, AttrStatementName))
	assert.Equal(t, "SELECT id FROM users WHERE password = '***' AND id = $1", str(ex[2].Request, AttrStatement))
	for _, e := range ex {
		for k, v := range e.Request.All() {
			assert.False(t, strings.Contains(v.Str(), "hunter2"), k)
		}
	}
}

// mayHoldPassword finds the word it looks for at every offset and in
// any case, and not its near misses.
func TestMayHoldPasswordAnywhere(t *testing.T) {
	sqltest.FindsWords(t, mayHoldPassword, []string{"passw", "PASSW", "PaSsW"}, []string{"", "p", "SELECT pi FROM pass WHERE x = 'passes'", "\xf0\xd0 p P"})
}
