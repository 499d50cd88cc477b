package mysql

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
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

// TestLive drives a MariaDB server the test starts with go-sql-driver
// through a relay that feeds parser.Conn, and checks the exchanges
// against what the driver and the server's general log say.
func TestLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	s := startMariaDB(t, freePort(t))
	tp := newTap(t, Protocol(), s.addr())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := sql.Open("mysql", myUser+":"+myPassword+"@tcp("+tp.ln.Addr().String()+")/"+myDatabase+"?tls=false")
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
	ex := tp.done()

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
			assert.Equal(t, myUser, str(e.Request, AttrUser))
			assert.Equal(t, myDatabase, str(e.Request, AttrDatabase))
		}
	}
	assert.Equal(t, 1, greetings)
	assert.Equal(t, 5, inserts)
	assert.Equal(t, 1, dups)
	assert.Equal(t, 1, big)
	time.Sleep(200 * time.Millisecond)
	log := string(s.generalLog())
	assert.Contains(t, log, "Prepare\tINSERT INTO live VALUES (?, ?)")
	assert.Equal(t, 5+1, strings.Count(log, "Execute\tINSERT INTO live VALUES"))
}
