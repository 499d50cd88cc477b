package postgres

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wirekit/wirekit/internal/sqltest"
)

// pgServer is a PostgreSQL server of Debian's postgresql package started
// by a test in a temporary directory, listening on 127.0.0.1 only, with a
// self-signed certificate (ssl=on), SCRAM authentication for TCP clients
// and every statement logged (log_statement=all).
type pgServer struct {
	bin, dir, sock, logFile string
	port                    int
}

// Role and database the tests create; the password is never printed.
const (
	pgUser     = "corpus"
	pgPassword = "corpus-secret"
	pgDatabase = "corpusdb"
)

// pgBinDir finds the server binaries of the installed major version.
func pgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return ""
	}
	return filepath.Dir(dirs[len(dirs)-1])
}

// pgInstall is what the live tests need installed.
const pgInstall = "Debian's postgresql"

// startPostgres initialises and starts a server on port; it is stopped
// when the test ends.
func startPostgres(t testing.TB, port int) *pgServer {
	t.Helper()
	bin := pgBinDir()
	sqltest.RequireLive(t, "postgresql server binaries", bin != "", pgInstall)
	uid, gid := sqltest.ServerUser(t, "postgres", pgInstall)
	dir, err := os.MkdirTemp("", "wirekit-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s := &pgServer{bin: bin, dir: dir, sock: dir, logFile: filepath.Join(dir, "server.log"), port: port}
	t.Cleanup(func() {
		_ = s.as("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	})
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := s.as("initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	crt, key := filepath.Join(data, "server.crt"), filepath.Join(data, "server.key")
	sqltest.SelfSignedCert(t, crt, key, uid, gid)
	conf := fmt.Sprintf(`
port = %d
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
log_statement = 'all'
log_connections = on
log_disconnections = on
log_line_prefix = '%%m [%%p] %%r %%u@%%d %%a '
log_min_messages = info
log_error_verbosity = default
fsync = off
`, port, dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	logf, _ := os.Create(s.logFile)
	logf.Close()
	os.Chown(s.logFile, uid, gid)
	if out, err := s.as("pg_ctl", "-D", data, "-l", s.logFile, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(s.logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	// The role and database, over the unix socket (not in any capture).
	s.psqlSocket(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgUser, pgPassword))
	s.psqlSocket(t, fmt.Sprintf("CREATE DATABASE %s OWNER %s", pgDatabase, pgUser))
	return s
}

// as runs one of the server's programs as the postgres user.
func (s *pgServer) as(prog string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, prog)}, args...)...)
}

func (s *pgServer) psqlSocket(t testing.TB, sql string) {
	t.Helper()
	cmd := exec.Command("runuser", "-u", "postgres", "--", "psql", "-h", s.sock, "-p", strconv.Itoa(s.port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
		"-c", "SET log_statement = 'none'", "-c", sql) // the setup (with the role's password) stays out of the log
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
}

// addr is the server's TCP address.
func (s *pgServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// serverLog returns the server's log so far.
func (s *pgServer) serverLog() []byte { return sqltest.ReadLog(s.logFile) }

// waitLog waits until the server log contains sub (statement logging is
// asynchronous to the client's view).
func (s *pgServer) waitLog(sub string) {
	for range 100 {
		if bytes.Contains(s.serverLog(), []byte(sub)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
