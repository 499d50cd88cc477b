package mysql

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// myServer is a MariaDB server of Debian's mariadb-server package started
// by a test in a temporary directory, on 127.0.0.1 only, with a
// self-signed certificate and the general query log on.
type myServer struct {
	dir, sock, logFile, errLog string
	port                       int
	cmd                        *exec.Cmd
}

// Users and database the tests create; the passwords are never printed.
const (
	myUser       = "corpus"
	myPassword   = "corpus-secret"
	myEdUser     = "corpus_ed"
	myEdPassword = "ed-secret"
	myDatabase   = "corpusdb"
)

// requireLive skips outside CI when the test cannot run here (not root, no
// binaries); in CI (CI=true) it fails instead, so the live test always runs.
func requireLive(t testing.TB, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: needed in CI (.ci/run installs it)", what)
	}
	t.Skipf("%s: not available here (run as root with Debian's mariadb-server installed, or with CI=true)", what)
}

// startMariaDB initialises and starts a server on port; it is stopped
// when the test ends.
func startMariaDB(t testing.TB, port int) *myServer {
	t.Helper()
	_, err := exec.LookPath("mariadbd")
	if err != nil {
		_, err = os.Stat("/usr/sbin/mariadbd")
	}
	requireLive(t, "mariadbd", err == nil)
	requireLive(t, "root", os.Geteuid() == 0)
	u, err := user.Lookup("mysql")
	requireLive(t, "user mysql", err == nil)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "wirekit-mysql-")
	if err != nil {
		t.Fatal(err)
	}
	s := &myServer{dir: dir, sock: filepath.Join(dir, "mysqld.sock"), logFile: filepath.Join(dir, "general.log"),
		errLog: filepath.Join(dir, "error.log"), port: port}
	os.Chown(dir, uid, gid)
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir="+data,
		"--auth-root-authentication-method=socket", "--skip-test-db").CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	crt, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
		"-keyout", key, "-out", crt).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	for _, f := range []string{crt, key} {
		os.Chown(f, uid, gid)
	}
	s.cmd = exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", "--datadir="+data,
		"--socket="+s.sock, "--port="+strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+s.errLog,
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
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", s.sock); err == nil {
			c.Close()
			break
		}
		if i == 300 {
			log, _ := os.ReadFile(s.errLog)
			t.Fatalf("mariadbd did not start:\n%s", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// sql_log_off: the setup (with the users' passwords) stays out of the general log.
	s.sql(t, fmt.Sprintf("SET SESSION sql_log_off = 1; CREATE DATABASE %s; CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON %s.* TO '%s'@'127.0.0.1';"+
		"INSTALL SONAME 'auth_ed25519'; CREATE USER '%s'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('%s'); GRANT ALL ON %s.* TO '%s'@'127.0.0.1';",
		myDatabase, myUser, myPassword, myDatabase, myUser, myEdUser, myEdPassword, myDatabase, myEdUser))
	return s
}

// sql runs statements as root over the unix socket (not in any capture).
func (s *myServer) sql(t testing.TB, sql string) {
	t.Helper()
	if out, err := exec.Command("mariadb", "--no-defaults", "-uroot", "--socket="+s.sock, "-e", sql).CombinedOutput(); err != nil {
		t.Fatalf("mariadb %q: %v\n%s", sql, err, out)
	}
}

func (s *myServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *myServer) generalLog() []byte {
	b, _ := os.ReadFile(s.logFile)
	return bytes.Clone(b)
}

// freePort returns a loopback TCP port nothing listens on now, so that
// test servers of concurrent runs on one host (a developer's and a CI
// run) do not collide on a fixed port.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
