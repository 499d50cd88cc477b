package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
)

// TestLive drives a MariaDB server the test starts with go-sql-driver
// through a relay that feeds parser.Conn, and checks the exchanges
// against what the driver and the server's general log say.
func TestLive(t *testing.T) {
	s := sqltest.StartMariaDB(t, sqltest.FreePort(t))
	tp := sqltest.NewTap(t, Protocol(), s.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := sql.Open("mysql", sqltest.User+":"+sqltest.Password+"@tcp("+tp.Addr()+")/"+sqltest.Database+"?tls=false")
	require.NoError(t, err)
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "CREATE TABLE live (id INT PRIMARY KEY, v VARCHAR(10))")
	require.NoError(t, err)
	stmt, err := conn.PrepareContext(ctx, "INSERT INTO live VALUES (?, ?)")
	require.NoError(t, err)
	for i := range 5 {
		_, err = stmt.ExecContext(ctx, i, "v")
		require.NoError(t, err)
	}
	_, err = stmt.ExecContext(ctx, 1, "dup")
	var me *gomysql.MySQLError
	require.True(t, errors.As(err, &me))
	require.NoError(t, stmt.Close())
	rows, err := conn.QueryContext(ctx, "SELECT seq FROM seq_1_to_500")
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	require.Equal(t, 500, n)
	require.NoError(t, conn.Close())
	require.NoError(t, db.Close())
	ex := tp.Done()

	var inserts, dups, big, greetings int
	for _, e := range ex {
		assert.NoError(t, e.RequestErr)
		assert.NoError(t, e.ResponseErr)
		if e.Kind == parser.Push {
			greetings++
			assert.True(t, strings.Contains(str(e.Response, AttrServerVersion), "MariaDB"))
			continue
		}
		stmt := str(e.Request, AttrStatement)
		switch {
		case str(e.Request, AttrCommand) == "STMT_EXECUTE" && str(e.Response, AttrResponse) == ResponseOK:
			inserts++
			assert.Equal(t, "INSERT INTO live VALUES (?, ?)", stmt)
			assert.Equal(t, int64(1), num(e.Response, AttrAffectedRows))
		case e.Response != nil && num(e.Response, AttrErrorCode) == int64(me.Number):
			dups++
			assert.Equal(t, me.Message, str(e.Response, AttrErrorMessage))
			assert.Equal(t, string(me.SQLState[:]), str(e.Response, AttrSQLState))
		case stmt == "SELECT seq FROM seq_1_to_500":
			big++
			assert.Equal(t, int64(500), num(e.Response, AttrRows))
		case str(e.Request, AttrCommand) == CommandHandshake:
			assert.Equal(t, sqltest.User, str(e.Request, AttrUser))
			assert.Equal(t, sqltest.Database, str(e.Request, AttrDatabase))
		}
	}
	assert.Equal(t, 1, greetings)
	assert.Equal(t, 5, inserts)
	assert.Equal(t, 1, dups)
	assert.Equal(t, 1, big)
	time.Sleep(200 * time.Millisecond)
	log := string(s.Log())
	assert.Contains(t, log, "Prepare\tINSERT INTO live VALUES (?, ?)")
	assert.Equal(t, 5+1, strings.Count(log, "Execute\tINSERT INTO live VALUES"))
}
