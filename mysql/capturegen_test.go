//go:build capturegen

// The capture generator of the mysql_* corpus files (see
// testdata/corpus/README.md). Run as root on a Debian machine with
// mariadb-server, mariadb-client, tcpdump and openssl installed:
//
//	go test -tags capturegen -run TestCapture -v ./mysql
//
// It starts a fresh server, records the traffic of the real mariadb
// client and of go-sql-driver/mysql with tcpdump, and writes the capture,
// the client's log and the server's general query log into
// testdata/corpus. TestDeriveTruth (truthgen_test.go) makes the truth
// files from tshark's mysql dissector, never from this package.
package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/wirekit/wirekit/internal/sqltest"
)

const cliScript = "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, price DECIMAL(8,2));\n" + sqltest.ItemsStatements +
	`LOAD DATA LOCAL INFILE '%s' INTO TABLE items FIELDS TERMINATED BY ',';
SELECT COUNT(*) FROM items WHERE id >= 10;
SELECT * FROM items WHERE id > 100;
USE mysql;
USE corpusdb;
SELECT seq, MD5(seq) FROM seq_1_to_200;
DROP TABLE IF EXISTS not_there;
`

func TestCapture(t *testing.T) {
	const port = 13306
	s := sqltest.StartMariaDB(t, port)
	settle := func() { time.Sleep(300 * time.Millisecond) }
	sqltest.Record(t, s, "mysql_cli_session", settle, func(clientLog *bytes.Buffer) {
		infile := filepath.Join(s.Dir, "items.csv")
		os.WriteFile(infile, []byte("10,kiwi,0.30\n11,lime,0.40\n12,fig,2.10\n"), 0o644)
		script := filepath.Join(s.Dir, "session.sql")
		os.WriteFile(script, []byte(fmt.Sprintf(cliScript, infile)), 0o644)
		cli := func(stdin string, args ...string) {
			cmd := exec.Command("mariadb", append([]string{"--no-defaults", "-h", "127.0.0.1", "-P", fmt.Sprint(port),
				"-u", sqltest.User, "-p" + sqltest.Password}, args...)...)
			if stdin != "" {
				f, _ := os.Open(stdin)
				defer f.Close()
				cmd.Stdin = f
			}
			out, err := cmd.CombinedOutput()
			shown := strings.ReplaceAll(strings.Join(args, " "), sqltest.Password, "***")
			fmt.Fprintf(clientLog, "$ mariadb -h 127.0.0.1 -P %d -u %s -p*** %s\n%s(exit: %v)\n", port, sqltest.User, shown, out, err)
		}
		cli(script, "--skip-ssl", "--local-infile=1", "-v", "-v", "-v", "--force", sqltest.Database)
		cli("", "--ssl", "--ssl-verify-server-cert=0", "-e", "SELECT CURRENT_USER()", sqltest.Database)
	})
	sqltest.Record(t, s, "mysql_godriver_mixed", settle, func(clientLog *bytes.Buffer) { goWorkload(t, clientLog, port) })
}

func goWorkload(t *testing.T, log *bytes.Buffer, port int) {
	ctx := context.Background()
	logf := func(format string, args ...any) { fmt.Fprintf(log, format+"\n", args...) }
	dsn := func(user, pass, extra string) string {
		return fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/%s?%s", user, pass, port, sqltest.Database, extra)
	}
	db, err := sql.Open("mysql", dsn(sqltest.User, sqltest.Password, "tls=false&multiStatements=true"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(what, q string, args ...any) {
		res, err := conn.ExecContext(ctx, q, args...)
		if err != nil {
			if me, ok := err.(*gomysql.MySQLError); ok {
				logf("%s: error %d %s %s", what, me.Number, string(me.SQLState[:]), me.Message)
				return
			}
			logf("%s: error %v", what, err)
			return
		}
		n, _ := res.RowsAffected()
		logf("%s: ok, %d rows affected", what, n)
	}
	exec("create", "CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(20) NOT NULL, balance BIGINT NOT NULL)")
	stmt, err := conn.PrepareContext(ctx, "INSERT INTO accounts (id, owner, balance) VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	for i, owner := range []string{"ann", "ben", "cid"} {
		res, err := stmt.ExecContext(ctx, i+1, owner, 100*(i+1))
		n := int64(-1)
		if err == nil {
			n, _ = res.RowsAffected()
		}
		logf("stmt insert %s: %d %v", owner, n, err)
	}
	_, err = stmt.ExecContext(ctx, 1, "dup", 0)
	logf("stmt insert dup: %v", err)
	stmt.Close()
	var owner string
	var balance int64
	err = conn.QueryRowContext(ctx, "SELECT owner, balance FROM accounts WHERE id = ?", 2).Scan(&owner, &balance)
	logf("query row id=2: %s %d %v", owner, balance, err)
	err = conn.QueryRowContext(ctx, "SELECT owner, balance FROM accounts WHERE id = 3").Scan(&owner, &balance)
	logf("query row id=3 (text protocol): %s %d %v", owner, balance, err)

	tx, _ := conn.BeginTx(ctx, nil)
	_, err = tx.ExecContext(ctx, "UPDATE accounts SET balance = balance - ? WHERE id = ?", 25, 1)
	logf("tx update: %v", err)
	logf("commit: %v", tx.Commit())
	tx, _ = conn.BeginTx(ctx, nil)
	_, err = tx.ExecContext(ctx, "UPDATE no_such_table SET x = 1")
	logf("tx bad update: %v", err)
	logf("rollback: %v", tx.Rollback())

	rows, err := conn.QueryContext(ctx, "SELECT seq, seq * 2 FROM seq_1_to_3000")
	n := 0
	if err == nil {
		for rows.Next() {
			n++
		}
		rows.Close()
	}
	logf("large text result: %d rows %v", n, err)
	rows, err = conn.QueryContext(ctx, "SELECT seq, seq * 3 FROM seq_1_to_1000 WHERE seq > ?", 0)
	n = 0
	if err == nil {
		for rows.Next() {
			n++
		}
		rows.Close()
	}
	logf("large binary result: %d rows %v", n, err)

	// Multi-statements: several results in one response.
	rows, err = conn.QueryContext(ctx, "SELECT 1 AS a; SELECT owner FROM accounts ORDER BY id; UPDATE accounts SET balance = balance + 1 WHERE id = 2")
	if err == nil {
		sets := 0
		for {
			for rows.Next() {
			}
			sets++
			if !rows.NextResultSet() {
				break
			}
		}
		rows.Close()
		logf("multi statements: %d result sets %v", sets, rows.Err())
	} else {
		logf("multi statements: %v", err)
	}
	exec("create procedure", "CREATE PROCEDURE top_accounts(IN lim INT) BEGIN SELECT owner, balance FROM accounts ORDER BY balance DESC LIMIT lim; END")
	rows, err = conn.QueryContext(ctx, "CALL top_accounts(2)")
	if err == nil {
		k := 0
		for rows.Next() {
			k++
		}
		rows.Close()
		logf("call procedure: %d rows %v", k, rows.Err())
	}
	exec("division by zero in strict insert", "INSERT INTO accounts VALUES (99, 'zed', 1/0)")
	logf("ping: %v", conn.PingContext(ctx))
	conn.Close()
	db.Close()

	// ed25519 user: the server's greeting offers mysql_native_password,
	// the account asks for client_ed25519: an auth switch.
	db2, _ := sql.Open("mysql", dsn(sqltest.EdUser, sqltest.EdPassword, "tls=false"))
	err = db2.PingContext(ctx)
	logf("ed25519 ping: %v", err)
	var cnt int
	err = db2.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts").Scan(&cnt)
	logf("ed25519 count: %d %v", cnt, err)
	db2.Close()

	// Wrong password: ERR in the handshake.
	db3, _ := sql.Open("mysql", dsn(sqltest.User, "wrong-password", "tls=false"))
	logf("bad password ping: %v", db3.PingContext(ctx))
	db3.Close()

	// Compressed protocol.
	db4, _ := sql.Open("mysql", dsn(sqltest.User, sqltest.Password, "tls=false&compress=true"))
	err = db4.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts").Scan(&cnt)
	logf("compressed count: %d %v", cnt, err)
	db4.Close()

	// TLS.
	db5, _ := sql.Open("mysql", dsn(sqltest.User, sqltest.Password, "tls=skip-verify"))
	err = db5.QueryRowContext(ctx, "SELECT 1").Scan(&cnt)
	logf("tls select: %d %v", cnt, err)
	db5.Exec("DROP TABLE accounts")
	db5.Close()
}
