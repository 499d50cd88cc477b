//go:build capturegen

// The capture generator of the postgres_* corpus files (see
// testdata/corpus/README.md). Run as root on a Debian machine with
// postgresql, tcpdump and openssl installed:
//
//	go test -tags capturegen -run TestCapture -v ./postgres
//
// It starts a fresh server, records the traffic of the real psql client
// and of pgx with tcpdump, and writes the capture, the client's log and
// the server's log (log_statement=all) into testdata/corpus. The truth
// files are made from those by TestDeriveTruth (truthgen_test.go), from
// tshark's pgsql dissector, never from this package.
package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wirekit/wirekit/internal/sqltest"
)

const psqlScript = "\\set ON_ERROR_STOP 0\nCREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2));\n" + sqltest.ItemsStatements +
	`COPY items (id, name, price) FROM STDIN;
10	kiwi	0.30
11	lime	0.40
12	fig	2.10
\.
COPY (SELECT id, name FROM items ORDER BY id) TO STDOUT;
LISTEN corpus_channel;
NOTIFY corpus_channel, 'self notice';
SELECT count(*) FROM items; SELECT 'two statements' AS q;
DROP TABLE IF EXISTS not_there;
SELECT g, md5(g::text) FROM generate_series(1, 200) g;
`

func TestCapture(t *testing.T) {
	const port = 15432
	s := sqltest.StartPostgres(t, port)

	// psql: one plain session running the script, then one TLS session.
	sqltest.Record(t, s, "postgres_psql_session", func() { s.WaitLog("SELECT current_user") }, func(clientLog *bytes.Buffer) {
		script := filepath.Join(s.Dir, "session.sql")
		os.WriteFile(script, []byte(psqlScript), 0o644)
		env := append(os.Environ(), "PGPASSWORD="+sqltest.Password)
		psql := func(conninfo string, args ...string) {
			cmd := exec.Command("psql", append([]string{conninfo, "-X", "-e"}, args...)...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			fmt.Fprintf(clientLog, "$ psql %q %s\n%s(exit: %v)\n", conninfo, strings.Join(args, " "), out, err)
		}
		base := fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=%s", port, sqltest.User, sqltest.Database)
		psql(base+" sslmode=disable gssencmode=disable application_name=psql-corpus", "-f", script)
		psql(base+" sslmode=require gssencmode=disable application_name=psql-tls", "-c", "SELECT current_user")
	})

	// pgx: prepared statements, errors, transactions, a large result set,
	// a batch, COPY, a cancelled query, LISTEN/NOTIFY between two
	// connections, and a TLS connection.
	settle := func() {
		s.WaitLog("disconnection")
		time.Sleep(300 * time.Millisecond)
	}
	sqltest.Record(t, s, "postgres_pgx_mixed", settle, func(clientLog *bytes.Buffer) { pgxWorkload(t, clientLog, port) })
}

func pgxWorkload(t *testing.T, log *bytes.Buffer, port int) {
	ctx := context.Background()
	logf := func(format string, args ...any) { fmt.Fprintf(log, format+"\n", args...) }
	url := func(extra string) string {
		return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?%s", sqltest.User, sqltest.Password, port, sqltest.Database, extra)
	}
	conn, err := pgx.Connect(ctx, url("sslmode=disable&application_name=pgx-corpus"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, tag pgconn.CommandTag, err error) {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			logf("%s: error %s %s %s", what, pe.Severity, pe.Code, pe.Message)
			return
		}
		if err != nil {
			logf("%s: error %v", what, err)
			return
		}
		logf("%s: %s", what, tag)
	}
	tag, err := conn.Exec(ctx, "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance bigint NOT NULL)")
	check("create", tag, err)
	_, err = conn.Prepare(ctx, "ins_account", "INSERT INTO accounts (id, owner, balance) VALUES ($1, $2, $3)")
	check("prepare ins_account", pgconn.CommandTag{}, err)
	for i, owner := range []string{"ann", "ben", "cid"} {
		tag, err = conn.Exec(ctx, "ins_account", i+1, owner, 100*(i+1))
		check("exec ins_account "+owner, tag, err)
	}
	tag, err = conn.Exec(ctx, "ins_account", 1, "dup", 0)
	check("exec ins_account dup", tag, err)
	var owner string
	var balance int64
	err = conn.QueryRow(ctx, "SELECT owner, balance FROM accounts WHERE id = $1", 2).Scan(&owner, &balance)
	logf("query row id=2: %s %d %v", owner, balance, err)
	err = conn.QueryRow(ctx, "SELECT owner, balance FROM accounts WHERE id = $1", 3).Scan(&owner, &balance)
	logf("query row id=3: %s %d %v", owner, balance, err)

	tx, err := conn.Begin(ctx)
	check("begin", pgconn.CommandTag{}, err)
	tag, err = tx.Exec(ctx, "UPDATE accounts SET balance = balance - $1 WHERE id = $2", 25, 1)
	check("tx update", tag, err)
	err = tx.Commit(ctx)
	check("commit", pgconn.CommandTag{}, err)
	tx, _ = conn.Begin(ctx)
	tag, err = tx.Exec(ctx, "UPDATE no_such_table SET x = $1", 1)
	check("tx bad update", tag, err)
	err = tx.Rollback(ctx)
	check("rollback", pgconn.CommandTag{}, err)

	rows, _ := conn.Query(ctx, "SELECT g, g * 2 FROM generate_series(1, $1::int) g", 3000) // its error is rows.Err()
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	logf("large result: %d rows %s %v", n, rows.CommandTag(), rows.Err())

	b := &pgx.Batch{}
	b.Queue("SELECT count(*) FROM accounts")
	b.Queue("UPDATE accounts SET balance = balance + 1 WHERE id = $1", 2)
	b.Queue("SELECT owner FROM accounts WHERE balance > $1 ORDER BY id", 150)
	br := conn.SendBatch(ctx, b)
	for i := range 3 {
		tag, err := br.Exec()
		check(fmt.Sprintf("batch %d", i), tag, err)
	}
	check("batch close", pgconn.CommandTag{}, br.Close())

	nc, err := conn.CopyFrom(ctx, pgx.Identifier{"accounts"}, []string{"id", "owner", "balance"},
		pgx.CopyFromRows([][]any{{10, "dan", int64(5)}, {11, "eve", int64(6)}, {12, "fay", int64(7)}}))
	logf("copy from: %d %v", nc, err)

	tag, err = conn.Exec(ctx, "SELECT 1/0")
	check("division by zero", tag, err)

	// A query cancelled by its context: pgx sends a CancelRequest on a
	// new connection.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	tag, err = conn.Exec(cctx, "SELECT pg_sleep(3)")
	cancel()
	check("cancelled sleep", tag, err)
	if conn.IsClosed() {
		logf("connection closed after cancel; reconnecting")
		conn, err = pgx.Connect(ctx, url("sslmode=disable&application_name=pgx-corpus"))
		if err != nil {
			t.Fatal(err)
		}
	}

	// LISTEN on a second connection, NOTIFY from the first.
	listener, err := pgx.Connect(ctx, url("sslmode=disable&application_name=pgx-listener"))
	if err != nil {
		t.Fatal(err)
	}
	tag, err = listener.Exec(ctx, "LISTEN corpus_events")
	check("listen", tag, err)
	tag, err = conn.Exec(ctx, "SELECT pg_notify($1, $2)", "corpus_events", "account-changed")
	check("pg_notify", tag, err)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	note, err := listener.WaitForNotification(wctx)
	cancel()
	if err == nil {
		logf("notification: channel=%s payload=%s", note.Channel, note.Payload)
	} else {
		logf("notification: %v", err)
	}
	listener.Close(ctx)

	tag, err = conn.Exec(ctx, "DROP TABLE accounts")
	check("drop", tag, err)
	conn.Close(ctx)

	// TLS: the SSLRequest is answered 'S', the rest is encrypted.
	tlsConn, err := pgx.Connect(ctx, url("sslmode=require&application_name=pgx-tls"))
	if err != nil {
		logf("tls connect: %v", err)
		return
	}
	var one int
	err = tlsConn.QueryRow(ctx, "SELECT 1").Scan(&one)
	logf("tls select: %d %v", one, err)
	tlsConn.Close(ctx)
}
