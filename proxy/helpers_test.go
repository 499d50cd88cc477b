package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// logBuf collects the proxy's JSON log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records returns the decoded log records whose msg is msg.
func (l *logBuf) records(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proxyConfig returns a one-listener configuration in front of upstream,
// with filters before the tcp_proxy filter.
func proxyConfig(upstream string, idle string, filters ...string) string {
	fs := append(append([]string(nil), filters...),
		fmt.Sprintf(`{"type":"tcp_proxy","config":{"cluster":"up","idle_timeout":%q}}`, idle))
	return fmt.Sprintf(`{
	  "servers": [{"graceful_timeout": "5s", "listeners": [{
	    "name": "test", "address": "127.0.0.1:0",
	    "filter_chains": [{"filters": [%s]}]
	  }]}],
	  "cluster_manager": {"clusters": [{"name": "up", "connect_timeout": "2s", "hosts": [{"address": %q}]}]}
	}`, strings.Join(fs, ","), upstream)
}

// testProxy is a running proxy under test.
type testProxy struct {
	p    *Proxy
	addr string
	log  *logBuf
	once sync.Once
	stop func() // shuts the proxy down and closes the dumpers (idempotent)
}

// startProxy builds and starts a proxy from a configuration document and
// returns its listener address and log.
func startProxy(t *testing.T, doc string) (*Proxy, string, *logBuf) {
	tp := startTestProxy(t, doc)
	return tp.p, tp.addr, tp.log
}

func startTestProxy(t *testing.T, doc string) *testProxy {
	t.Helper()
	lb := &logBuf{}
	log := slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg, err := ParseConfig([]byte(doc))
	require.NoError(t, err)
	reg, closeFilters, err := NewRegistry(log)
	require.NoError(t, err)
	p, err := New(cfg, reg, log)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	tp := &testProxy{p: p, addr: p.Addr("test").String(), log: lb}
	tp.stop = func() {
		tp.once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = p.Shutdown(ctx)
			closeFilters()
		})
	}
	t.Cleanup(func() {
		tp.stop()
		if t.Failed() {
			t.Logf("proxy log:\n%s", lb.String())
		}
	})
	return tp
}

// needTool returns the path of an external program the end-to-end tests
// drive. Without it the test is skipped, except under CI (CI set), where
// .ci/run installs it and its absence is a failure.
// recording stops the proxy (closing the dumper writes its files out) and
// returns tshark's path (the test is skipped without it), the one pcapng
// file the dumper wrote in dir, and the proxy's port.
func (tp *testProxy) recording(t *testing.T, dir string) (tshark, file, port string) {
	t.Helper()
	tp.stop()
	tshark = needTool(t, "tshark")
	files, err := filepath.Glob(filepath.Join(dir, "*.pcapng"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	_, port, _ = net.SplitHostPort(tp.addr)
	return tshark, files[0], port
}

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not on PATH; .ci/run must install it", name)
	}
	t.Skipf("%s not on PATH (set CI=1 to make this a failure)", name)
	return ""
}

// serveTCP accepts loopback connections until the test ends and runs
// handle on each in its own goroutine, closing the connection after it; it
// returns the listening address.
func serveTCP(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// echo is a serveTCP handler writing back what it reads.
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis runs a throwaway redis-server on a free loopback port and
// returns its address.
func startRedis(t *testing.T) string {
	t.Helper()
	bin := needTool(t, "redis-server")
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--protected-mode", "no")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start on %s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisCLI runs redis-cli against addr with extra args and stdin.
func redisCLI(t *testing.T, addr string, stdin []byte, args ...string) []byte {
	t.Helper()
	bin := needTool(t, "redis-cli")
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "redis-cli %v: %s", args, stderr.String())
	return out
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
