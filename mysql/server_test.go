package mysql

import (
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

// myInstall is what the live tests need installed.
const myInstall = "Debian's mariadb-server"

// startMariaDB initialises and starts a server on port; it is stopped
// when the test ends.
func startMariaDB(t testing.TB, port int) *myServer {
	t.Helper()
	_, err := exec.LookPath("mariadbd")
	if err != nil {
		_, err = os.Stat("/usr/sbin/mariadbd")
	}
	sqltest.RequireLive(t, "mariadbd", err == nil, myInstall)
	uid, gid := sqltest.ServerUser(t, "mysql", myInstall)
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
	sqltest.SelfSignedCert(t, crt, key, uid, gid)
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

func (s *myServer) generalLog() []byte { return sqltest.ReadLog(s.logFile) }
