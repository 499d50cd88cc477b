package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedisThroughProxy(t *testing.T) {
	redisAddr := startRedis(t)
	_, addr, lb := startProxy(t, proxyConfig(redisAddr, "30s"))

	// Plain commands, answered through the proxy.
	out := redisCLI(t, addr, []byte("SET greeting hello\nGET greeting\nINCR counter\nINCR counter\nDEL greeting\n"))
	assert.Equal(t, "OK\nhello\n1\n2\n1\n", string(out))

	// A 3 MiB binary value, set from stdin (-x) and read back raw: every
	// byte must arrive intact in both directions.
	val := make([]byte, 3<<20)
	_, _ = rand.Read(val)
	assert.Equal(t, "OK\n", string(redisCLI(t, addr, val, "-x", "SET", "blob")))
	got := redisCLI(t, addr, nil, "--raw", "GET", "blob")
	require.Equal(t, len(val)+1, len(got))
	require.True(t, bytes.Equal(val, got[:len(val)]), "GET returned different bytes")
	// And the server itself holds exactly those bytes.
	direct := redisCLI(t, redisAddr, nil, "--raw", "STRLEN", "blob")
	assert.Equal(t, strconv.Itoa(len(val))+"\n", string(direct))

	// Pipelined load from redis-benchmark; the server's own command
	// statistics prove every command went through.
	bench := needTool(t, "redis-benchmark")
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bench, "-h", host, "-p", port, "-n", "20000", "-P", "16", "-c", "8", "-t", "set,get", "-q")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	stats := string(redisCLI(t, redisAddr, nil, "INFO", "commandstats"))
	assert.GreaterOrEqual(t, cmdCalls(t, stats, "set"), 20000)
	assert.GreaterOrEqual(t, cmdCalls(t, stats, "get"), 20000)

	closed := lb.records("closed")
	assert.Empty(t, closedWithError(closed), "no connection should end with an error")
}

var cmdstatRe = regexp.MustCompile(`cmdstat_(\w+):calls=(\d+)`)

func cmdCalls(t *testing.T, info, cmd string) int {
	t.Helper()
	for _, m := range cmdstatRe.FindAllStringSubmatch(info, -1) {
		if m[1] == cmd {
			n, _ := strconv.Atoi(m[2])
			return n
		}
	}
	t.Fatalf("no cmdstat_%s in %q", cmd, info)
	return 0
}

func closedWithError(recs []map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if _, ok := r["error"]; ok {
			out = append(out, r)
		}
	}
	return out
}

// echoHandler answers with the request body and its digest.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	sum := sha256.Sum256(body)
	w.Header().Set("X-Body-Sha256", hex.EncodeToString(sum[:]))
	w.Header().Set("X-Path", r.URL.Path)
	_, _ = w.Write(body)
}

func TestHTTPThroughProxy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	_, addr, _ := startProxy(t, proxyConfig(srv.Listener.Addr().String(), "30s"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()

	for i, size := range []int{0, 1, 1400, 64 << 10, 5 << 20} {
		body := make([]byte, size)
		_, _ = rand.Read(body)
		url := fmt.Sprintf("http://%s/echo/%d", addr, i)
		resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(body))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		sum := sha256.Sum256(body)
		assert.Equal(t, hex.EncodeToString(sum[:]), resp.Header.Get("X-Body-Sha256"), "server received the body intact (size %d)", size)
		assert.True(t, bytes.Equal(body, got), "client received the body intact (size %d)", size)
		assert.Equal(t, fmt.Sprintf("/echo/%d", i), resp.Header.Get("X-Path"))
	}
	// Many small requests on kept-alive connections.
	for i := 0; i < 200; i++ {
		resp, err := client.Get(fmt.Sprintf("http://%s/get/%d", addr, i))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, fmt.Sprintf("/get/%d", i), resp.Header.Get("X-Path"))
	}
}

// TestHalfClose: a client that shuts down its writing side must still get
// the whole reply of a server that answers at EOF.
func TestHalfClose(t *testing.T) {
	up := serveTCP(t, func(c net.Conn) {
		b, _ := io.ReadAll(c) // until the client's FIN arrives through the proxy
		sum := sha256.Sum256(b)
		_, _ = fmt.Fprintf(c, "%d %x", len(b), sum)
	})
	_, addr, lb := startProxy(t, proxyConfig(up, "30s"))
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	payload := make([]byte, 1<<20)
	_, _ = rand.Read(payload)
	_, err = c.Write(payload)
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, err := io.ReadAll(c)
	require.NoError(t, err)
	sum := sha256.Sum256(payload)
	assert.Equal(t, fmt.Sprintf("%d %x", len(payload), sum), string(reply))
	require.Eventually(t, func() bool { return len(lb.records("closed")) == 1 }, 5*time.Second, 10*time.Millisecond)
	rec := lb.records("closed")[0]
	assert.Equal(t, float64(len(payload)), rec["bytes_in"])
	assert.NotContains(t, rec, "error")
}

func TestIdleTimeout(t *testing.T) {
	_, addr, lb := startProxy(t, proxyConfig(serveTCP(t, echo), "600ms"))
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	// Activity in one direction only (the echo answers, so both are
	// active) keeps the connection open past the timeout.
	buf := make([]byte, 4)
	for i := 0; i < 6; i++ {
		_, err = c.Write([]byte("ping"))
		require.NoError(t, err)
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
	}
	// Then silence: the proxy closes it.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = c.Read(buf)
	require.ErrorIs(t, err, io.EOF)
	assert.Less(t, time.Since(start), 3*time.Second)
	require.Eventually(t, func() bool { return len(lb.records("closed")) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, ErrIdle.Error(), lb.records("closed")[0]["error"])
}

func TestUpstreamDown(t *testing.T) {
	port := freePort(t) // nothing listens there
	_, addr, lb := startProxy(t, proxyConfig(fmt.Sprintf("127.0.0.1:%d", port), "30s"))
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the proxy must close the client when the dial fails")
	require.Eventually(t, func() bool { return len(lb.records("upstream dial failed")) == 1 }, 5*time.Second, 10*time.Millisecond)
}

func TestConnectionLimitEndToEnd(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	_, addr, lb := startProxy(t, proxyConfig(srv.Listener.Addr().String(), "30s",
		`{"type":"connection_limit","config":{"max_connections":1}}`))
	c1, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c1.Close()
	_, err = c1.Write([]byte("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	r1 := make([]byte, 12)
	_, err = io.ReadFull(c1, r1)
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 200", string(r1))

	c2, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c2.Close()
	_, _ = c2.Write([]byte("GET /two HTTP/1.1\r\nHost: x\r\n\r\n"))
	_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c2.Read(make([]byte, 16))
	assert.Equal(t, 0, n, "a refused connection gets no bytes")
	require.Error(t, err)
	require.Eventually(t, func() bool { return len(lb.records("connection refused by filter")) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, lb.records("connection refused by filter")[0]["error"], "connection limit")
}

func TestGracefulShutdown(t *testing.T) {
	p, addr, _ := startProxy(t, proxyConfig(serveTCP(t, echo), "30s"))
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("x"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(t, err)

	// An open connection keeps Shutdown waiting until its deadline, then
	// it is closed.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = p.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded))
	// No new connections are accepted.
	if c2, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c2.SetReadDeadline(time.Now().Add(time.Second))
		_, err = c2.Read(make([]byte, 1))
		c2.Close()
		require.Error(t, err)
	}
}

func TestConfigErrors(t *testing.T) {
	reg, _, err := NewRegistry(nopLogger())
	require.NoError(t, err)
	tests := []struct {
		name, doc, want string
	}{
		{"unknown filter lists registered", proxyConfig("127.0.0.1:1", "1s", `{"type":"nope"}`), `unknown filter type "nope" (registered: `},
		{"bad filter config", proxyConfig("127.0.0.1:1", "1s", `{"type":"connection_limit","config":{"max_connections":-1}}`), "max_connections"},
		{"tcp_proxy not last", strings.Replace(proxyConfig("127.0.0.1:1", "1s"), `"filters": [`, `"filters": [{"type":"tcp_proxy","config":{"cluster":"up"}},`, 1), "tcp_proxy must be the last"},
		{"unknown cluster", strings.Replace(proxyConfig("127.0.0.1:1", "1s"), `"cluster":"up"`, `"cluster":"down"`, 1), `unknown cluster "down"`},
		{"bad duration", proxyConfig("127.0.0.1:1", "soon"), "invalid duration"},
		{"unknown field", strings.Replace(proxyConfig("127.0.0.1:1", "1s"), `"name": "test"`, `"nam": "test"`, 1), "unknown field"},
		{"bad host", proxyConfig("nohostport", "1s"), "nohostport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.doc))
			if err == nil {
				_, err = New(cfg, reg, nopLogger())
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
