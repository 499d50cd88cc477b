package sniff

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"strings"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/apache/dubbo-go-hessian2/java_exception"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
	"github.com/wirekit/wirekit/redis"
)

// through feeds one connection's request and response bytes through a
// chain of f and returns the attributes of each exchange as the handler
// saw them; out is f's handler's sink.
func through(t *testing.T, f *Factory, out *[]got, req, rsp []byte) []got {
	t.Helper()
	*out = nil
	c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	require.NoError(t, c.Feed(0, req))
	require.NoError(t, c.Feed(1, rsp))
	c.Release()
	return *out
}

func gather(out *[]got) Handler {
	return func(_ *filter.Conn, ex *parser.Exchange) {
		*out = append(*out, got{protocol: ex.Protocol, kind: ex.Kind, req: jsonish(ex.Request), rsp: jsonish(ex.Response)})
	}
}

// fromConfig builds a sniff Factory the way the proxy does, from JSON.
func fromConfig(t *testing.T, cfg string, h Handler, known ...*parser.Protocol) *Factory {
	t.Helper()
	f, err := NewCreator(h, known...)(json.RawMessage(cfg))
	require.NoError(t, err, cfg)
	return f.(*Factory)
}

const (
	httpReq = "GET /login?token=abc&page=2 HTTP/1.1\r\nHost: example.test\r\n" +
		"Authorization: Bearer s3cr3t-value\r\nCookie: sid=c00k1e\r\nX-Request-Id: r-17\r\n\r\n"
	httpRsp = "HTTP/1.1 200 OK\r\nSet-Cookie: sid=n3w-c00k1e\r\nContent-Length: 0\r\n\r\n"
)

func TestRedactHTTPQueryAndHeaders(t *testing.T) {
	var out []got
	headers := `"http_headers": ["Authorization", "Cookie", "Set-Cookie", "X-Request-Id"]`
	for _, tt := range []struct {
		cfg         string
		path        string
		auth, reqID string
	}{
		{`{` + headers + `}`, "/login?token=***&page=***", "***", "r-17"}, // no "redact": strict
		{`{"redact": "strict", ` + headers + `}`, "/login?token=***&page=***", "***", "r-17"},
		{`{"redact": "default", ` + headers + `}`, "/login?token=***&page=2", "***", "r-17"},
		{`{"redact": "off", ` + headers + `}`, "/login?token=abc&page=2", "Bearer s3cr3t-value", "r-17"},
	} {
		f := fromConfig(t, tt.cfg, gather(&out), httpx.Protocol(), redis.Protocol())
		exs := through(t, f, &out, []byte(httpReq), []byte(httpRsp))
		require.Len(t, exs, 1, tt.cfg)
		ex := exs[0]
		assert.Equal(t, parser.Complete, ex.kind)
		assert.Equal(t, "GET", ex.req[httpx.AttrMethod], tt.cfg)
		assert.Equal(t, tt.path, ex.req[httpx.AttrPath], tt.cfg)
		assert.Equal(t, tt.auth, ex.req["http.header.authorization"], tt.cfg)
		assert.Equal(t, tt.reqID, ex.req["http.header.x-request-id"], tt.cfg, "a name that is not sensitive is kept")
		assert.Equal(t, float64(200), ex.rsp[httpx.AttrStatusCode], tt.cfg)
		if tt.auth == redact.Mask {
			assert.Equal(t, redact.Mask, ex.req["http.header.cookie"], tt.cfg)
			assert.Equal(t, redact.Mask, ex.rsp["http.header.set-cookie"], tt.cfg)
		} else {
			assert.Equal(t, "sid=c00k1e", ex.req["http.header.cookie"], tt.cfg)
			assert.Equal(t, "sid=n3w-c00k1e", ex.rsp["http.header.set-cookie"], tt.cfg)
		}
	}

	_, err := NewCreator(gather(&out), redis.Protocol())(json.RawMessage(`{"http_headers": ["Authorization"]}`))
	assert.ErrorContains(t, err, "without the http protocol")
	_, err = NewCreator(gather(&out), httpx.Protocol())(json.RawMessage(`{"redact": "max"}`))
	assert.ErrorIs(t, err, redact.ErrLevel)
}

func TestRedactRedisErrorEcho(t *testing.T) {
	// What redis-server 7 answers an unknown command: its arguments come
	// back in the error text.
	req := []byte("*3\r\n$5\r\nAUTHX\r\n$5\r\nadmin\r\n$7\r\nhunter2\r\n")
	rsp := []byte("-ERR unknown command 'AUTHX', with args beginning with: 'admin' 'hunter2' \r\n")
	var out []got
	for level, want := range map[string]string{
		"strict":  "ERR unknown command '***', with args beginning with: '***' '***' ",
		"default": "ERR unknown command 'AUTHX', with args beginning with: 'admin' 'hunter2' ",
		"off":     "ERR unknown command 'AUTHX', with args beginning with: 'admin' 'hunter2' ",
	} {
		f := fromConfig(t, `{"redact": "`+level+`"}`, gather(&out), redis.Protocol())
		exs := through(t, f, &out, req, rsp)
		require.Len(t, exs, 1)
		assert.Equal(t, want, exs[0].rsp[redis.AttrError], level)
		assert.Equal(t, "AUTHX", exs[0].req[redis.AttrCommand], level, "the command is plain")
	}
	// The default of New is strict too.
	f, err := New([]*parser.Protocol{redis.Protocol()}, parser.SnifferOptions{}, gather(&out))
	require.NoError(t, err)
	exs := through(t, f, &out, req, rsp)
	require.Len(t, exs, 1)
	assert.NotContains(t, exs[0].rsp[redis.AttrError], "hunter2")
}

// dubboFrame puts a Dubbo2 header in front of a hessian2 body.
func dubboFrame(flags, status byte, id uint64, body []byte) []byte {
	b := make([]byte, dubbo2.HeaderLen, dubbo2.HeaderLen+len(body))
	b[0], b[1], b[2], b[3] = 0xda, 0xbb, flags|byte(dubbo2.Hessian2), status
	binary.BigEndian.PutUint64(b[4:], id)
	binary.BigEndian.PutUint32(b[12:], uint32(len(body)))
	return append(b, body...)
}

// hessianStr is a hessian2 short string (under 32 bytes).
func hessianStr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// dubboCall is a Dubbo2 request (id 9) calling login(Map) with a map
// argument holding a password, and an attachments map written by hand so
// that one key can be a hessian2 binary value: Java writes a byte[] key as
// binary, and the map is otherwise what dubbo-go's codec writes.
func dubboCall(t *testing.T) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	for _, v := range []any{"2.0.2", "org.wirekit.Login", "1.0.0", "login", "Ljava/util/Map;",
		map[string]any{"user": "ann", "password": "hunter2"}} {
		require.NoError(t, e.Encode(v))
	}
	body := e.Buffer()
	body = append(body, 'H')
	for _, kv := range [][2]string{{"auth", "a-1"}, {"jwt", "eyJhbGciOi"}, {"pwd", "p-1"}, {"bearer", "b-1"},
		{"sign", "s-1"}, {"privkey", "k-1"}, {"interface", "org.wirekit.Login"}, {"traceId", "tr-1"}} {
		body = append(append(body, hessianStr(kv[0])...), hessianStr(kv[1])...)
	}
	// "token" as a short binary key (tag 0x20+len), value "tok-binary".
	body = append(append(append(body, 0x20+5), "token"...), hessianStr("tok-binary")...)
	body = append(body, 'Z')
	return dubboFrame(dubbo2.FlagRequest|dubbo2.FlagTwoWay, 0, 9, body)
}

func dubboException(t *testing.T, msg string) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	require.NoError(t, e.Encode(int32(0)))
	require.NoError(t, e.Encode(java_exception.NewIllegalArgumentException(msg)))
	return dubboFrame(0, byte(dubbo2.StatusOK), 9, e.Buffer())
}

func TestRedactDubboAttachmentsArgumentsException(t *testing.T) {
	req := dubboCall(t)
	rsp := dubboException(t, "login failed for ann: password hunter2 expired")
	var out []got
	// SensitiveAttachments empty: the parser masks nothing itself, so what
	// is masked below is the redaction's work.
	proto := dubbo2.NewProtocol(dubbo2.Options{DecodeAttachments: true, DecodeArguments: true, SensitiveAttachments: []string{}})
	for _, level := range []string{"strict", "default", "off"} {
		f := fromConfig(t, `{"redact": "`+level+`"}`, gather(&out), proto)
		exs := through(t, f, &out, req, rsp)
		require.Len(t, exs, 1, level)
		ex := exs[0]
		require.Equal(t, parser.Complete, ex.kind)
		att, _ := ex.req[dubbo2.AttrAttachments].(string)
		var atts map[string]any
		require.NoError(t, json.Unmarshal([]byte(att), &atts), att)
		args, _ := ex.req[dubbo2.AttrArguments].(string)
		msg := ex.rsp[dubbo2.AttrExceptionMessage]
		assert.Equal(t, "org.wirekit.Login", atts["interface"], level)
		assert.Equal(t, "tr-1", atts["traceId"], level)
		assert.Equal(t, "java.lang.IllegalArgumentException", ex.rsp[dubbo2.AttrExceptionClass], level)
		// A binary key is rendered as base64 of its bytes: "token" is
		// dG9rZW4=; the policy reads such a name decoded.
		const binToken = "dG9rZW4="
		require.Contains(t, atts, binToken, att)
		if level == "off" {
			assert.Equal(t, "a-1", atts["auth"])
			assert.Equal(t, "tok-binary", atts[binToken])
			assert.Contains(t, args, "hunter2")
			assert.Equal(t, "login failed for ann: password hunter2 expired", msg)
			continue
		}
		for _, k := range []string{"auth", "jwt", "pwd", "bearer", "sign", "privkey", binToken} {
			assert.Equal(t, redact.Mask, atts[k], "%s: attachment %s in %s", level, k, att)
		}
		assert.NotContains(t, args, "hunter2", level)
		assert.Contains(t, args, `"ann"`, level, "members not named as secrets are kept")
		if level == "strict" {
			assert.Equal(t, redact.Mask, msg, "exception messages are masked whole at strict")
		} else {
			assert.Equal(t, "login failed for ann: password hunter2 expired", msg)
		}
	}
}

// The attributes the handler sees are rewritten into the connection's
// buffers: a later exchange does not change an earlier one's strings
// before its handler returned, and values are whole.
func TestRedactPipelinedExchanges(t *testing.T) {
	var paths []string
	f := fromConfig(t, `{}`, func(_ *filter.Conn, ex *parser.Exchange) {
		p, _ := ex.Request.String(httpx.AttrPath)
		paths = append(paths, strings.Clone(p))
	}, httpx.Protocol())
	var req, rsp strings.Builder
	for i := range 3 {
		req.WriteString("GET /q?password=" + strings.Repeat("x", 10*i+1) + "&n=" + strings.Repeat("y", i+1) + " HTTP/1.1\r\nHost: h\r\n\r\n")
		rsp.WriteString("HTTP/1.1 204 No Content\r\n\r\n")
	}
	c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	require.NoError(t, c.Feed(0, []byte(req.String())))
	require.NoError(t, c.Feed(1, []byte(rsp.String())))
	c.Release()
	assert.Equal(t, []string{"/q?password=***&n=***", "/q?password=***&n=***", "/q?password=***&n=***"}, paths)
}
