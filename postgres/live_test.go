package postgres

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// tap is a TCP relay on 127.0.0.1 in front of a server: every byte each
// way is also fed to a parser.Conn per connection, as a capture would see
// it.
type tap struct {
	ln    net.Listener
	mu    sync.Mutex
	ex    []*parser.Exchange
	conns []*parser.Conn
	wg    sync.WaitGroup
}

func newTap(t *testing.T, proto *parser.Protocol, server string) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tp := &tap{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", server)
			if err != nil {
				c.Close()
				continue
			}
			tp.mu.Lock()
			pc := parser.NewConn(proto, parser.ConnOptions{}, func(e *parser.Exchange) { tp.ex = append(tp.ex, e.Clone()) })
			tp.conns = append(tp.conns, pc)
			tp.mu.Unlock()
			pipe := func(dst, src net.Conn, dir parser.Direction) {
				defer tp.wg.Done()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 {
						// Feed before forwarding, so the order across
						// directions is the order a capture would see.
						tp.mu.Lock()
						pc.Feed(dir, buf[:n], time.Now())
						tp.mu.Unlock()
						if _, werr := dst.Write(buf[:n]); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
			}
			tp.wg.Add(2)
			go pipe(s, c, parser.Request)
			go pipe(c, s, parser.Response)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return tp
}

// done waits for the relayed connections to end and closes their Conns.
func (tp *tap) done() []*parser.Exchange {
	tp.wg.Wait()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for _, c := range tp.conns {
		c.Close(time.Now())
	}
	return tp.ex
}

// TestLive drives a PostgreSQL server the test starts with pgx through a
// relay that feeds parser.Conn, and checks the exchanges against what
// the driver and the server (log_statement=all) say.
func TestLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	s := startPostgres(t, freePort(t))
	tp := newTap(t, Protocol(), s.addr())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := "postgres://" + pgUser + ":" + pgPassword + "@" + tp.ln.Addr().String() + "/" + pgDatabase + "?sslmode=disable&application_name=wirekit-live"
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
	ex := tp.done()

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
			assert.Equal(t, pgUser, str(e.Request, AttrUser))
		}
	}
	assert.Equal(t, 5, inserts)
	assert.Equal(t, 1, dups)
	assert.Equal(t, 1, big)
	s.waitLog("generate_series")
	log := string(s.serverLog())
	assert.Contains(t, log, "INSERT INTO live VALUES ($1, $2)")
	assert.NotContains(t, log, pgPassword)
}
