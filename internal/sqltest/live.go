package sqltest

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// Tap is a TCP relay on 127.0.0.1 in front of a server: every byte each
// way is also fed to a parser.Conn per connection, as a capture would see
// it.
type Tap struct {
	ln    net.Listener
	mu    sync.Mutex
	ex    []*parser.Exchange
	conns []*parser.Conn
	wg    sync.WaitGroup
}

// NewTap starts a relay to server whose Conns parse with proto; it stops
// listening when the test ends.
func NewTap(t *testing.T, proto *parser.Protocol, server string) *Tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tp := &Tap{ln: ln}
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

// Addr is the address clients connect to.
func (tp *Tap) Addr() string { return tp.ln.Addr().String() }

// Done waits for the relayed connections to end, closes their Conns and
// returns the exchanges.
func (tp *Tap) Done() []*parser.Exchange {
	tp.wg.Wait()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for _, c := range tp.conns {
		c.Close(time.Now())
	}
	return tp.ex
}

// RequireLive skips outside CI when the test cannot run here (not root,
// no binaries: install says what to install); in CI (CI=true) it fails
// instead, so the live tests always run there.
func RequireLive(t testing.TB, what string, ok bool, install string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: needed in CI (.ci/run installs it)", what)
	}
	t.Skipf("%s: not available here (run as root with %s installed, or with CI=true)", what, install)
}

// ServerUser skips the test with -short (it starts a server), checks it
// runs as root and returns the uid and gid of the system user a server
// runs as (mysql, postgres).
func ServerUser(t testing.TB, name, install string) (uid, gid int) {
	t.Helper()
	if testing.Short() {
		t.Skipf("starts a server as the %s user (not with -short)", name)
	}
	RequireLive(t, "root (to run the server as the "+name+" user)", os.Geteuid() == 0, install)
	u, err := user.Lookup(name)
	RequireLive(t, "user "+name, err == nil, install)
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

// SelfSignedCert writes a self-signed certificate for 127.0.0.1 and its
// key (mode 0600), owned by uid:gid.
func SelfSignedCert(t testing.TB, crt, key string, uid, gid int) {
	t.Helper()
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
		"-keyout", key, "-out", crt).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	for _, f := range []string{crt, key} {
		os.Chown(f, uid, gid)
		os.Chmod(f, 0o600)
	}
}

// FreePort returns a loopback TCP port nothing listens on now, so that
// test servers of concurrent runs on one host (a developer's and a CI
// run) do not collide on a fixed port.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ReadLog returns a server's log file so far (empty when it cannot be
// read).
func ReadLog(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}
