package mysql

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
		{"CREATE USER 'app'@'%' IDENTIFIED BY 's3cret!'", "CREATE USER 'app'@'%' IDENTIFIED BY '***'"},
		{"alter user app identified with mysql_native_password as '*E6CC90B8'", "alter user app identified with mysql_native_password as '***'"},
		{"ALTER USER app IDENTIFIED VIA ed25519 USING PASSWORD('pw\\'x')", "ALTER USER app IDENTIFIED VIA ed25519 USING PASSWORD('***')"},
		{"SET PASSWORD FOR 'app'@'localhost' = PASSWORD(\"pw\")", "SET PASSWORD FOR '***'@'***' = PASSWORD('***')"},
		{"CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASSWORD='repl'", "CHANGE MASTER TO MASTER_HOST='db1', MASTER_PASSWORD='***'"},
		{"SELECT id FROM users WHERE name = 'ann' AND `password_hash` = 'x''y'", "SELECT id FROM users WHERE name = 'ann' AND `password_hash` = '***'"},
		{"/*!80000 ALTER USER u IDENTIFIED BY 'p' */", "/*!80000 ALTER USER u IDENTIFIED BY '***' */"},
		{"SET PASSWORD = 'a'; SELECT 'kept'", "SET PASSWORD = '***'; SELECT 'kept'"},
		{"SELECT 'password' /* identified */, 2", "SELECT 'password' /* identified */, 2"},
		{"SELECT 1 -- password 'x'", "SELECT 1 -- password 'x'"},
	})
	assert.False(t, mayHoldPassword("SELECT id, name FROM items WHERE id = 3"))
	assert.True(t, mayHoldPassword("select PassWord from t"))
}

// Through parser.Conn with default Options: COM_QUERY, and STMT_PREPARE
// and the STMT_EXECUTE that resolves it, never report the password.
func TestPasswordsNeverReported(t *testing.T) {
	prep := pkt(0, "\x16SELECT id FROM users WHERE password = 'hunter2' AND id = ?")
	prepOK := pkts(1, "\x00"+le32s(7)+"\x00\x00\x01\x00\x00\x00\x00", coldef("?"), "\xfe\x00\x00\x02\x00")
	exec := pkt(0, "\x17"+le32s(7)+"\x00\x01\x00\x00\x00\x00\x01\x03\x00\x07")
	ex, _ := exchanges(t, Protocol(),
		pkt(0, "\x03ALTER USER 'corpus'@'%' IDENTIFIED BY 'hunter2'"), okResp,
		prep, prepOK, exec, okResp)
	require.Len(t, ex, 3)
	assert.Equal(t, "ALTER USER 'corpus'@'%' IDENTIFIED BY '***'", str(ex[0].Request, AttrStatement))
	assert.Equal(t, "SELECT id FROM users WHERE password = '***' AND id = ?", str(ex[1].Request, AttrStatement))
	assert.Equal(t, "STMT_EXECUTE", str(ex[2].Request, AttrCommand))
	assert.Equal(t, "SELECT id FROM users WHERE password = '***' AND id = ?", str(ex[2].Request, AttrStatement))
	for _, e := range ex {
		for k, v := range e.Request.All() {
			assert.False(t, strings.Contains(v.Str(), "hunter2"), k)
		}
	}
}

// mayHoldPassword finds the words it looks for at every offset and in
// any case, and not their near misses.
func TestMayHoldPasswordAnywhere(t *testing.T) {
	sqltest.FindsWords(t, mayHoldPassword, []string{"passw", "PASSW", "PaSsW", "identified", "IDENTIFIED", "IdEnTiFiEd"}, []string{"", "p", "SELECT pi, ip FROM pass WHERE identifie = 'passes'", "\xf0\xd0\xe9 p i P I"})
}
