package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
)

// TestLive drives a PostgreSQL server the test starts with pgx through a
// relay that feeds parser.Conn, and checks the exchanges against what
// the driver and the server (log_statement=all) say.
func TestLive(t *testing.T) {
	s := sqltest.StartPostgres(t, sqltest.FreePort(t))
	tp := sqltest.NewTap(t, Protocol(), s.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := "postgres://" + sqltest.User + ":" + sqltest.Password + "@" + tp.Addr() + "/" + sqltest.Database + "?sslmode=disable&application_name=wirekit-live"
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE live (id int PRIMARY KEY, v text)")
	require.NoError(t, err)
	_, err = conn.Prepare(ctx, "ins_live", "INSERT INTO live VALUES ($1, $2)")
	require.NoError(t, err)
	for i := range 5 {
		_, err = conn.Exec(ctx, "ins_live", i, "v")
		require.NoError(t, err)
	}
	_, err = conn.Exec(ctx, "ins_live", 1, "dup")
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe))
	rows, err := conn.Query(ctx, "SELECT g FROM generate_series(1, $1::int) g", 500)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	require.Equal(t, 500, n)
	require.NoError(t, conn.Close(ctx))
	ex := tp.Done()

	var inserts, dups, big int
	for _, e := range ex {
		assert.NoError(t, e.RequestErr)
		assert.NoError(t, e.ResponseErr)
		if e.Request == nil {
			continue
		}
		stmt := str(e.Request, AttrStatement)
		switch {
		case str(e.Request, AttrStatementName) == "ins_live" && str(e.Response, AttrCommandTag) == "INSERT 0 1":
			inserts++
			assert.Equal(t, "INSERT INTO live VALUES ($1, $2)", stmt)
		case str(e.Response, AttrErrorCode) == "23505":
			dups++
			assert.Equal(t, pe.Message, str(e.Response, AttrErrorMessage))
		case strings.HasPrefix(stmt, "SELECT g FROM generate_series") && e.Response.Has(AttrCommandTag):
			big++
			assert.Equal(t, int64(500), num(e.Response, AttrRows))
			assert.Equal(t, "SELECT 500", str(e.Response, AttrCommandTag))
		}
		if str(e.Request, AttrCommand) == CommandStartup {
			assert.Equal(t, "wirekit-live", str(e.Request, AttrApplicationName))
			assert.Equal(t, sqltest.User, str(e.Request, AttrUser))
		}
	}
	assert.Equal(t, 5, inserts)
	assert.Equal(t, 1, dups)
	assert.Equal(t, 1, big)
	s.WaitLog("generate_series")
	log := string(s.Log())
	assert.Contains(t, log, "INSERT INTO live VALUES ($1, $2)")
	assert.NotContains(t, log, sqltest.Password)
}
