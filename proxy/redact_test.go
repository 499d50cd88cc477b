package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitRecords waits until the log holds n records named msg.
func waitRecords(t *testing.T, lb *logBuf, msg string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs := lb.records(msg)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The access log of a request with a token in its query and an
// Authorization header: strict (the default) masks every query value and
// the header, default masks what sensitive names mark, off shows all.
func TestAccessLogRedactsHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	for _, tt := range []struct {
		redact string
		path   string
		auth   string
	}{
		{"", "/login?token=***&page=***", "***"},
		{`"redact": "strict", `, "/login?token=***&page=***", "***"},
		{`"redact": "default", `, "/login?token=***&page=2", "***"},
		{`"redact": "off", `, "/login?token=abc&page=2", "Bearer s3cr3t"},
	} {
		sniff := `{"type":"sniff","config":{` + tt.redact + `"protocols":["http"],"http_headers":["Authorization","User-Agent"]}}`
		tp := startTestProxy(t, proxyConfig(srv.Listener.Addr().String(), "30s", sniff))
		req, err := http.NewRequest("GET", "http://"+tp.addr+"/login?token=abc&page=2", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer s3cr3t")
		req.Header.Set("User-Agent", "redact-test/1")
		client := &http.Client{Transport: &http.Transport{}}
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		client.CloseIdleConnections()
		assert.Equal(t, "/login", resp.Header.Get("X-Path"), "the upstream got the request as sent")

		recs := waitRecords(t, tp.log, "exchange", 1)
		require.Len(t, recs, 1, tt.redact)
		r, _ := recs[0]["request"].(map[string]any)
		assert.Equal(t, tt.path, r["http.path"], tt.redact)
		assert.Equal(t, tt.auth, r["http.header.authorization"], tt.redact)
		assert.Equal(t, "redact-test/1", r["http.header.user-agent"], tt.redact)
		if tt.auth == "***" {
			assert.NotContains(t, tp.log.String(), "s3cr3t", "the secret is nowhere in the log")
			assert.NotContains(t, tp.log.String(), "token=abc")
		}
		tp.stop()
	}
}

// A real redis-server echoes the arguments of a command it refuses in its
// error: masked in the access log at strict.
func TestAccessLogRedactsRedisErrors(t *testing.T) {
	redisAddr := startRedis(t)
	tp := startTestProxy(t, proxyConfig(redisAddr, "30s", `{"type":"sniff","config":{"protocols":["redis"]}}`))
	out := redisCLI(t, tp.addr, nil, "AUTHX", "admin", "hunter2")
	require.Contains(t, string(out), "hunter2", "redis-server echoes the arguments: %s", out)
	recs := waitRecords(t, tp.log, "exchange", 1)
	var found bool
	for _, rec := range recs {
		r, _ := rec["request"].(map[string]any)
		if r["redis.command"] != "AUTHX" {
			continue
		}
		found = true
		rsp, _ := rec["response"].(map[string]any)
		assert.Equal(t, "ERR unknown command '***', with args beginning with: '***' '***' ", rsp["redis.error"])
	}
	assert.True(t, found, "AUTHX exchange logged: %s", tp.log.String())
	assert.NotContains(t, tp.log.String(), "hunter2")
}
