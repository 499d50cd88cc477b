package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tcpcopyFilter(dir string) string {
	return fmt.Sprintf(`{"type":"tcpcopy","config":{
		"strategy":{"switch":"ON","interval":1,"duration":1,"cpu_max_rate":100,"mem_max_rate":100},
		"output":{"dir":%q,"format":"pcapng"}}}`, dir)
}

// exchanges returns the access log's exchange records of a protocol.
func exchanges(lb *logBuf, protocol string) []map[string]any {
	var out []map[string]any
	for _, r := range lb.records("exchange") {
		if r["protocol"] == protocol {
			out = append(out, r)
		}
	}
	return out
}

func field(rec map[string]any, group, key string) any {
	g, _ := rec[group].(map[string]any)
	return g[key]
}

// TestRedisSniffAndTcpcopy: a real redis-cli through the proxy with the
// sniff and tcpcopy filters: the access log names every command sent, with
// its reply type, and tshark dissects the same commands from the pcapng.
func TestRedisSniffAndTcpcopy(t *testing.T) {
	redisAddr := startRedis(t)
	dumpDir := t.TempDir()
	tp := startTestProxy(t, proxyConfig(redisAddr, "30s", `{"type":"sniff","config":{"protocols":["redis","http"]}}`, tcpcopyFilter(dumpDir)))

	script := []struct{ line, typ string }{
		{"SET user:1 alice", "simple"},
		{"GET user:1", "bulk"},
		{"GET missing", "null"},
		{"INCRBY hits 5", "integer"},
		{"RPUSH list a b c", "integer"},
		{"LRANGE list 0 -1", "array"},
		{"HSET h f v", "integer"},
		{"NOSUCHCOMMAND x", "error"},
		{"DEL user:1", "integer"},
	}
	var in strings.Builder
	for _, s := range script {
		in.WriteString(s.line + "\n")
	}
	out := redisCLI(t, tp.addr, []byte(in.String()))
	assert.Contains(t, string(out), "alice")
	// A value bigger than one read, to exercise reassembly in both the
	// parser and the dump.
	big := make([]byte, 200<<10)
	_, _ = rand.Read(big)
	redisCLI(t, tp.addr, big, "-x", "SET", "big")
	got := redisCLI(t, tp.addr, nil, "--raw", "GET", "big")
	require.True(t, bytes.Equal(big, got[:len(got)-1]))

	// The log is written when each exchange completes; connections end
	// when redis-cli exits, so everything is there once all are closed.
	require.Eventually(t, func() bool { return len(tp.log.records("closed")) >= 3 }, 5*time.Second, 10*time.Millisecond)
	var cmds, types []string
	for _, r := range exchanges(tp.log, "redis") {
		cmd, _ := field(r, "request", "redis.command").(string)
		if cmd == "COMMAND" { // redis-cli's own start-up query, when it sends one
			continue
		}
		typ, _ := field(r, "response", "redis.type").(string)
		cmds, types = append(cmds, cmd), append(types, typ)
		assert.Equal(t, "complete", r["kind"])
		assert.Greater(t, r["latency"], float64(0))
	}
	var wantCmds, wantTypes []string
	for _, s := range script {
		wantCmds = append(wantCmds, strings.ToUpper(strings.Fields(s.line)[0]))
		wantTypes = append(wantTypes, s.typ)
	}
	wantCmds = append(wantCmds, "SET", "GET")
	wantTypes = append(wantTypes, "simple", "bulk")
	assert.Equal(t, wantCmds, cmds)
	assert.Equal(t, wantTypes, types)

	// Stop the proxy (closing the dumper writes its files out), then let
	// tshark dissect the recording.
	tshark, file, port := tp.recording(t, dumpDir)
	b, err := exec.Command(tshark, "-r", file, "-n", "-o", "tcp.desegment_tcp_streams:TRUE",
		"-d", "tcp.port=="+port+",resp", "-Y", "resp && tcp.dstport=="+port,
		"-T", "fields", "-e", "resp.bulk_string.value").Output()
	require.NoError(t, err)
	dissected := string(b)
	// tshark prints bulk strings hex-encoded, a request's comma-separated.
	hexArgs := func(words ...string) string {
		for i, w := range words {
			words[i] = hex.EncodeToString([]byte(w))
		}
		return strings.Join(words, ",")
	}
	for _, s := range script {
		assert.Contains(t, dissected, hexArgs(strings.Fields(s.line)...)+"\n", "tshark dissects %q", s.line)
	}
	assert.Contains(t, dissected, hexArgs("SET", "big", string(big[:64])), "the 200 KiB value, reassembled")
	ss := tp.log.records("sniff stopped")
	require.Len(t, ss, 1)
	assert.Equal(t, float64(3), ss[0]["connections"])
	assert.Equal(t, map[string]any{"redis": float64(3)}, ss[0]["detected"])
	for _, k := range []string{"undetected", "skipped_bytes", "parse_errors", "framing_errors", "truncated", "unanswered", "unmatched"} {
		assert.Equal(t, float64(0), ss[0][k], k)
	}
	assert.Contains(t, tp.log.String(), `"msg":"tcpcopy stopped"`)
	for _, r := range tp.log.records("tcpcopy stopped") {
		assert.Zero(t, r["dropped_queue_full"])
		assert.Zero(t, r["dropped_write_error"])
	}
}

// pathRecorder is an HTTP handler that remembers the paths it served.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.mu.Unlock()
	echoHandler(w, r)
}

func (p *pathRecorder) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paths...)
}

// TestHTTPSniffDenyAndTcpcopy: net/http client and server through the proxy
// with a deny list on the path, sniff and tcpcopy.
func TestHTTPSniffDenyAndTcpcopy(t *testing.T) {
	rec := &pathRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	dumpDir := t.TempDir()
	tp := startTestProxy(t, proxyConfig(srv.Listener.Addr().String(), "30s",
		`{"type":"deny","config":{"protocol":"http","attribute":"http.path","values":["/admin"],"match":"prefix",
		  "reply":"HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\ndenied\n"}}`,
		`{"type":"sniff","config":{"protocols":["http"]}}`,
		tcpcopyFilter(dumpDir)))
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	var sent []string
	for i := 0; i < 20; i++ {
		body := make([]byte, i*3000)
		_, _ = rand.Read(body)
		path := fmt.Sprintf("/items/%d", i)
		resp, err := client.Post("http://"+tp.addr+path, "application/octet-stream", bytes.NewReader(body))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.True(t, bytes.Equal(body, got))
		sent = append(sent, path)
	}
	// Denied: the client gets the configured 403, the server never sees it.
	resp, err := client.Get("http://" + tp.addr + "/admin/users")
	require.NoError(t, err)
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "denied\n", string(msg))
	// And allowed requests still work afterwards, on a new connection.
	resp, err = client.Get("http://" + tp.addr + "/after")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	sent = append(sent, "/after")
	client.CloseIdleConnections()
	assert.Equal(t, sent, rec.seen(), "the upstream saw exactly the allowed requests")

	require.Eventually(t, func() bool {
		return len(exchanges(tp.log, "http")) == len(sent)
	}, 5*time.Second, 10*time.Millisecond)
	var paths []string
	for _, r := range exchanges(tp.log, "http") {
		paths = append(paths, field(r, "request", "http.path").(string))
		assert.Equal(t, float64(200), field(r, "response", "http.status_code"))
		assert.Greater(t, r["latency"], float64(0))
	}
	assert.Equal(t, sent, paths, "sniff reports every request sent and allowed")
	require.Eventually(t, func() bool {
		for _, r := range tp.log.records("closed") {
			if e, _ := r["error"].(string); strings.Contains(e, `http.path "/admin/users" denied`) {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the denial is logged with its reason")

	tshark, file, port := tp.recording(t, dumpDir)
	b, err := exec.Command(tshark, "-r", file, "-n", "-d", "tcp.port=="+port+",http",
		"-Y", "http.request", "-T", "fields", "-e", "http.request.uri").Output()
	require.NoError(t, err)
	uris := strings.Fields(string(b))
	// tcpcopy sits after deny in the chain, so it records what deny let
	// through: every allowed request, not the denied one.
	assert.Equal(t, sent, uris)
}

// TestRedisDenyEndToEnd: FLUSHALL sent by redis-cli through the proxy never
// reaches the server; the client gets the configured error.
func TestRedisDenyEndToEnd(t *testing.T) {
	redisAddr := startRedis(t)
	tp := startTestProxy(t, proxyConfig(redisAddr, "30s",
		`{"type":"deny","config":{"protocol":"redis","attribute":"redis.command","values":["FLUSHALL","FLUSHDB"],
		  "reply":"-ERR command denied by proxy\r\n"}}`))
	assert.Equal(t, "OK\nOK\n", string(redisCLI(t, tp.addr, []byte("SET a 1\nSET b 2\n"))))

	bin := needTool(t, "redis-cli")
	host, port, _ := net.SplitHostPort(tp.addr)
	out, _ := exec.Command(bin, "-h", host, "-p", port, "FLUSHALL").CombinedOutput()
	assert.Contains(t, string(out), "ERR command denied by proxy")
	assert.Equal(t, "2\n", string(redisCLI(t, redisAddr, nil, "DBSIZE")), "the server still has both keys")

	// The deny filter holds each request until it is complete; a 3 MiB
	// request does not fit the default 1 MiB buffer limit, so the proxy
	// closes the connection rather than let it through unchecked.
	val := bytes.Repeat([]byte("v"), 3<<20)
	cmd := exec.Command(bin, "-h", host, "-p", port, "-x", "SET", "big")
	cmd.Stdin = bytes.NewReader(val)
	_, _ = cmd.CombinedOutput()
	assert.Equal(t, "0\n", string(redisCLI(t, redisAddr, nil, "EXISTS", "big")))
	require.Eventually(t, func() bool {
		for _, r := range tp.log.records("closed") {
			if e, _ := r["error"].(string); strings.Contains(e, "held bytes exceed the buffer limit") {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
}

// TestRedisBenchmarkThroughSniff: redis-benchmark's pipelined load through
// sniff; the access log counts exactly the commands the server executed.
func TestRedisBenchmarkThroughSniff(t *testing.T) {
	redisAddr := startRedis(t)
	tp := startTestProxy(t, proxyConfig(redisAddr, "30s", `{"type":"sniff","config":{"protocols":["redis"]}}`))
	bench := needTool(t, "redis-benchmark")
	host, port, _ := net.SplitHostPort(tp.addr)
	out, err := exec.Command(bench, "-h", host, "-p", port, "-n", "5000", "-P", "16", "-c", "4", "-d", "100",
		"-t", "set,get,lpush", "-q").CombinedOutput()
	require.NoError(t, err, string(out))
	stats := string(redisCLI(t, redisAddr, nil, "INFO", "commandstats"))
	tp.stop() // all connections released: every exchange is logged
	counts := map[string]int{}
	for _, r := range exchanges(tp.log, "redis") {
		require.Equal(t, "complete", r["kind"], "%v", r)
		cmd, _ := field(r, "request", "redis.command").(string)
		counts[cmd]++
	}
	for _, cmd := range []string{"SET", "GET", "LPUSH"} {
		assert.Equal(t, cmdCalls(t, stats, strings.ToLower(cmd)), counts[cmd], cmd)
		assert.GreaterOrEqual(t, counts[cmd], 5000, cmd)
	}
	ss := tp.log.records("sniff stopped")
	require.Len(t, ss, 1)
	for _, k := range []string{"undetected", "skipped_bytes", "parse_errors", "framing_errors", "truncated", "unanswered", "unmatched"} {
		assert.Equal(t, float64(0), ss[0][k], k)
	}
}
