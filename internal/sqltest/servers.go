package sqltest

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
)

// Server is a database server of a Debian package that a test started in
// a temporary directory (removed when the test ends), listening on
// 127.0.0.1 only, with a self-signed certificate, its statements logged
// and the role and database User and Database (Password) made.
type Server struct {
	Dir           string // the temporary directory: the server's files, a test's scratch files
	Port          int
	sock, logFile string
	cmd           *exec.Cmd // mariadbd (PostgreSQL runs under pg_ctl)
	bin           string    // PostgreSQL's binaries
	recorded      int       // the length of the log Record has written out
}

// The user and database the servers are given, and the MariaDB user
// authenticating with ed25519; the passwords are never printed.
const (
	User       = "corpus"
	Password   = "corpus-secret"
	Database   = "corpusdb"
	EdUser     = "corpus_ed"
	EdPassword = "ed-secret"
)

// What the live tests need installed.
const (
	mariaDBInstall  = "Debian's mariadb-server"
	postgresInstall = "Debian's postgresql"
)

// Addr is the server's TCP address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// Log returns the server's statement log so far (MariaDB's general query
// log, PostgreSQL's log with log_statement=all).
func (s *Server) Log() []byte { return ReadLog(s.logFile) }

// WaitLog waits (up to 2 s) until the server's log contains sub:
// statement logging is asynchronous to the client's view.
func (s *Server) WaitLog(sub string) {
	for range 100 {
		if bytes.Contains(s.Log(), []byte(sub)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tempDir makes the server's directory, owned by uid:gid, removed when
// the test ends (after the server is stopped: cleanups run last first).
func tempDir(t testing.TB, prefix string, uid, gid int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return dir
}

// StartMariaDB initialises and starts a MariaDB server (the general query
// log on, LOAD DATA LOCAL allowed, the ed25519 plugin and EdUser too) on
// port; it is stopped when the test ends.
func StartMariaDB(t testing.TB, port int) *Server {
	t.Helper()
	uid, gid := ServerUser(t, "mysql", mariaDBInstall)
	_, err := exec.LookPath("mariadbd")
	if err != nil {
		_, err = os.Stat("/usr/sbin/mariadbd")
	}
	RequireLive(t, "mariadbd", err == nil, mariaDBInstall)
	dir := tempDir(t, "wirekit-mysql-", uid, gid)
	s := &Server{Dir: dir, Port: port, sock: filepath.Join(dir, "mysqld.sock"), logFile: filepath.Join(dir, "general.log")}
	errLog := filepath.Join(dir, "error.log")
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir="+data,
		"--auth-root-authentication-method=socket", "--skip-test-db").CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	crt, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	SelfSignedCert(t, crt, key, uid, gid)
	s.cmd = exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", "--datadir="+data,
		"--socket="+s.sock, "--port="+strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+errLog,
		"--general-log=1", "--general-log-file="+s.logFile, "--local-infile=1",
		"--ssl-cert="+crt, "--ssl-key="+key, "--innodb-buffer-pool-size=32M", "--skip-log-bin")
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", s.sock); err == nil {
			c.Close()
			break
		}
		if i == 300 {
			log, _ := os.ReadFile(errLog)
			t.Fatalf("mariadbd did not start:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// sql_log_off: the setup (with the users' passwords) stays out of the general log.
	s.mariadb(t, fmt.Sprintf("SET SESSION sql_log_off = 1; CREATE DATABASE %s; CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON %s.* TO '%s'@'127.0.0.1';"+
		"INSTALL SONAME 'auth_ed25519'; CREATE USER '%s'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('%s'); GRANT ALL ON %s.* TO '%s'@'127.0.0.1';",
		Database, User, Password, Database, User, EdUser, EdPassword, Database, EdUser))
	return s
}

// mariadb runs statements as root over the unix socket (not in any
// capture).
func (s *Server) mariadb(t testing.TB, sql string) {
	t.Helper()
	if out, err := exec.Command("mariadb", "--no-defaults", "-uroot", "--socket="+s.sock, "-e", sql).CombinedOutput(); err != nil {
		t.Fatalf("mariadb %q: %v\n%s", sql, err, out)
	}
}

// pgBinDir finds the server binaries of the installed major version.
func pgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return ""
	}
	return filepath.Dir(dirs[len(dirs)-1])
}

// StartPostgres initialises and starts a PostgreSQL server (SCRAM
// authentication for TCP clients, log_statement=all, connections logged)
// on port; it is stopped when the test ends.
func StartPostgres(t testing.TB, port int) *Server {
	t.Helper()
	uid, gid := ServerUser(t, "postgres", postgresInstall)
	bin := pgBinDir()
	RequireLive(t, "postgresql server binaries", bin != "", postgresInstall)
	dir := tempDir(t, "wirekit-pg-", uid, gid)
	s := &Server{Dir: dir, Port: port, sock: dir, logFile: filepath.Join(dir, "server.log"), bin: bin}
	t.Cleanup(func() { _ = s.as("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run() })
	data := filepath.Join(dir, "data")
	if out, err := s.as("initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	crt, key := filepath.Join(data, "server.crt"), filepath.Join(data, "server.key")
	SelfSignedCert(t, crt, key, uid, gid)
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
	s.psql(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", User, Password))
	s.psql(t, fmt.Sprintf("CREATE DATABASE %s OWNER %s", Database, User))
	return s
}

// as runs one of the server's programs as the postgres user.
func (s *Server) as(prog string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, prog)}, args...)...)
}

// psql runs a statement as the postgres user over the unix socket (not
// in any capture).
func (s *Server) psql(t testing.TB, sql string) {
	t.Helper()
	cmd := exec.Command("runuser", "-u", "postgres", "--", "psql", "-h", s.sock, "-p", strconv.Itoa(s.Port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
		"-c", "SET log_statement = 'none'", "-c", sql) // the setup (with the role's password) stays out of the log
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
}
