package httpx_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// TestBenchPayloadRequest decodes the shared bench request field by field.
//
//	GET /api/v1/users/12345/orders?limit=20&offset=40 HTTP/1.1
//	Host: shop.example.internal:8080
//	User-Agent: Mozilla/5.0 (X11; Linux x86_64) ...
//	Accept: application/json
//	Accept-Encoding: gzip, deflate, br
//	Connection: keep-alive
//	traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
func TestBenchPayloadRequest(t *testing.T) {
	b := payload(t, "http_get_req")
	p, err := httpx.NewParser(httpx.Options{ExtraHeaders: []string{"Traceparent", "accept"}})
	require.NoError(t, err)
	var req httpx.Request
	require.NoError(t, p.ParseRequest(&req, b))
	assert.Equal(t, "GET", string(req.Method))
	assert.Equal(t, "/api/v1/users/12345/orders?limit=20&offset=40", string(req.Target))
	assert.Equal(t, "shop.example.internal:8080", string(req.Host))
	assert.True(t, req.HasHost)
	assert.Equal(t, httpx.Version11, req.Version)
	assert.Equal(t, len(b), req.Len)
	assert.Equal(t, 6, req.Fields)
	assert.Equal(t, int64(-1), req.ContentLength)
	assert.True(t, req.KeepAlive)
	assert.True(t, req.ConnKeepAlive)
	assert.Equal(t, "keep-alive", string(req.Connection))
	tp, ok := req.Extra(0)
	assert.True(t, ok)
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", string(tp))
	acc, ok := req.Extra(1)
	assert.True(t, ok)
	assert.Equal(t, "application/json", string(acc))
	_, ok = req.Extra(2)
	assert.False(t, ok)
	assert.Equal(t, "http.header.traceparent", p.ExtraKey(0))

	m := &parser.Message{}
	require.True(t, p.Protocol().ParseRequest(m, b, nil), "%v", m.Err)
	assert.Equal(t, map[string]any{
		"http.method":             "GET",
		"http.path":               "/api/v1/users/12345/orders?limit=20&offset=40",
		"http.host":               "shop.example.internal:8080",
		"http.version":            "1.1",
		"http.keep_alive":         true,
		"http.header.traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"http.header.accept":      "application/json",
	}, m.Attrs.Map())
	assert.Equal(t, len(b), m.Offset)
	assert.Zero(t, m.Flags)
}

// TestBenchPayloadResponse decodes the 200 + 1 KiB body payload.
func TestBenchPayloadResponse(t *testing.T) {
	b := payload(t, "http_200_1k_resp")
	var resp httpx.Response
	require.NoError(t, httpx.DefaultParser().ParseResponse(&resp, b))
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "OK", string(resp.Reason))
	assert.Equal(t, int64(1024), resp.ContentLength)
	assert.Equal(t, "application/json; charset=utf-8", string(resp.ContentType))
	assert.Equal(t, 6, resp.Fields)
	assert.Equal(t, len(b)-1024, resp.Len)

	m := &parser.Message{}
	require.True(t, httpx.Protocol().ParseResponse(m, b, nil, nil), "%v", m.Err)
	assert.Equal(t, map[string]any{
		"http.version":        "1.1",
		"http.status_code":    int64(200),
		"http.reason":         "OK",
		"http.content_length": int64(1024),
		"http.content_type":   "application/json; charset=utf-8",
		"http.keep_alive":     true,
	}, m.Attrs.Map())
	assert.Equal(t, len(b), m.Offset)
	assert.Zero(t, m.Flags)

	// The header-only payload claims 1024 body bytes it does not carry.
	h := payload(t, "http_200_response_header")
	require.True(t, httpx.Protocol().ParseResponse(m, h, nil, nil), "%v", m.Err)
	assert.Equal(t, parser.Truncated, m.Flags)
	v, _ := m.Attrs.Int(httpx.AttrStatusCode)
	assert.Equal(t, int64(200), v)
}

// TestParseAttributes covers what the trees set, table-driven.
func TestParseAttributes(t *testing.T) {
	proto := httpx.Protocol()
	head := &parser.Attributes{}
	head.SetString(httpx.AttrMethod, "HEAD")
	tests := []struct {
		name  string
		dir   parser.Direction
		req   *parser.Attributes
		input string
		want  map[string]any
		flags parser.Flags
	}{
		{"http/1.0 defaults to close", parser.Request, nil, "GET http://h/x?y HTTP/1.0\r\n\r\n",
			map[string]any{"http.method": "GET", "http.path": "http://h/x?y", "http.version": "1.0", "http.keep_alive": false}, 0},
		{"http/1.0 keep-alive", parser.Request, nil, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
			map[string]any{"http.method": "GET", "http.path": "/", "http.version": "1.0", "http.keep_alive": true}, 0},
		{"http/1.1 close in a list", parser.Request, nil, "OPTIONS * HTTP/1.1\r\nHOST: h\r\nconnection: foo, CLOSE\r\n\r\n",
			map[string]any{"http.method": "OPTIONS", "http.path": "*", "http.host": "h", "http.version": "1.1", "http.keep_alive": false}, 0},
		{"empty host", parser.Request, nil, "GET / HTTP/1.1\r\nHost:\r\n\r\n",
			map[string]any{"http.method": "GET", "http.path": "/", "http.host": "", "http.version": "1.1", "http.keep_alive": true}, 0},
		{"chunked post with type", parser.Request, nil, "POST /p HTTP/1.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
			map[string]any{"http.method": "POST", "http.path": "/p", "http.version": "1.1", "http.keep_alive": true, "http.content_type": "text/plain", "http.transfer_encoding": "chunked"}, 0},
		{"authority-form CONNECT", parser.Request, nil, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
			map[string]any{"http.method": "CONNECT", "http.path": "h:443", "http.host": "h:443", "http.version": "1.1", "http.keep_alive": true}, 0},
		{"body cut short", parser.Request, nil, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
			map[string]any{"http.method": "POST", "http.path": "/", "http.version": "1.1", "http.keep_alive": true, "http.content_length": int64(10)}, parser.Truncated},
		{"head cut short", parser.Request, nil, "GET /x HTTP/1.1\r\nHost: a\r\nUser-Ag",
			map[string]any{"http.method": "GET", "http.path": "/x", "http.host": "a", "http.version": "1.1", "http.keep_alive": false}, parser.Truncated},
		{"100 continue is interim", parser.Response, nil, "HTTP/1.1 100 Continue\r\n\r\n",
			map[string]any{"http.version": "1.1", "http.status_code": int64(100), "http.reason": "Continue", "http.keep_alive": true}, parser.Interim},
		{"101 is final", parser.Response, nil, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
			map[string]any{"http.version": "1.1", "http.status_code": int64(101), "http.reason": "Switching Protocols", "http.keep_alive": true, "http.upgrade": "websocket"}, 0},
		{"response to HEAD is whole without body", parser.Response, head, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
			map[string]any{"http.version": "1.1", "http.status_code": int64(200), "http.reason": "OK", "http.keep_alive": true, "http.content_length": int64(99)}, 0},
		{"same response to GET is cut short", parser.Response, nil, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
			map[string]any{"http.version": "1.1", "http.status_code": int64(200), "http.reason": "OK", "http.keep_alive": true, "http.content_length": int64(99)}, parser.Truncated},
		{"chunked cut short", parser.Response, nil, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
			map[string]any{"http.version": "1.1", "http.status_code": int64(404), "http.reason": "Not Found", "http.keep_alive": true, "http.transfer_encoding": "chunked"}, parser.Truncated},
		{"reason with tab and obs-text", parser.Response, nil, "HTTP/1.1 500 Bad\tthing \xe9\r\nContent-Length: 0\r\n\r\n",
			map[string]any{"http.version": "1.1", "http.status_code": int64(500), "http.reason": "Bad\tthing \xe9", "http.keep_alive": true, "http.content_length": int64(0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := parseOne(proto, tt.dir, tt.input, tt.req)
			require.True(t, ok, "%v", m.Err)
			assert.Equal(t, tt.want, m.Attrs.Map())
			assert.Equal(t, tt.flags, m.Flags)
			assert.Equal(t, len(tt.input), m.Offset)
		})
	}
}

// parseOne runs input through proto's tree for dir (a response against
// the request attributes req) into a new Message, with no State.
func parseOne(proto *parser.Protocol, dir parser.Direction, input string, req *parser.Attributes) (*parser.Message, bool) {
	m := &parser.Message{}
	if dir == parser.Request {
		return m, proto.ParseRequest(m, []byte(input), nil)
	}
	return m, proto.ParseResponse(m, []byte(input), req, nil)
}

// TestParseFailures: the trees refuse what the framing refuses, and say why.
func TestParseFailures(t *testing.T) {
	proto := httpx.Protocol()
	for _, tt := range []struct {
		name  string
		dir   parser.Direction
		input string
		want  error
	}{
		{"obs-fold", parser.Request, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", httpx.ErrObsFold},
		{"request line cut short", parser.Request, "GET / HT", httpx.ErrTruncated},
		{"status line cut short", parser.Response, "HTTP/1.1 2", httpx.ErrTruncated},
		{"not http/1.x", parser.Response, "HTTP/1.x 200 OK\r\n\r\n", httpx.ErrUnsupportedVersion},
		{"bad transfer coding", parser.Request, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", httpx.ErrBadTransferEncoding},
		{"bad chunk", parser.Response, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", httpx.ErrBadChunk},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := parseOne(proto, tt.dir, tt.input, nil)
			assert.False(t, ok)
			assert.ErrorIs(t, m.Err, tt.want)
		})
	}
}

func TestFastFail(t *testing.T) {
	m := &parser.Message{}
	for _, tt := range []struct {
		in       string
		req, res bool // fails fast as request / response
	}{
		{"GET / HTTP/1.1\r\n", false, true},
		{"PUT /", false, true},
		{"M-SEARCH * HTTP/1.1", false, true},
		{"PROPFIND /", false, true},
		{"GE", false, true},
		{"HTTP/1.1 200 OK\r\n", false, false}, // looks like a method, the parse refuses it
		{"HTTP/1", false, false},
		{"HTTP/2 200", false, true},
		{"*3\r\n$3\r\nSET\r\n", true, true},
		{"\x00\x00\x00\x2a\x00\x03", true, true},
		{"\xda\xbb\xc2\x00", true, true},
		{"get / HTTP/1.1", true, true},
		{"G\x00", true, true},
		{"", true, true},
	} {
		m.Data, m.Offset = []byte(tt.in), 0
		assert.Equal(t, tt.req, httpx.RequestFastFail(m), "request %q", tt.in)
		assert.Equal(t, tt.res, httpx.ResponseFastFail(m), "response %q", tt.in)
	}
}

func TestNewParserRejectsBadExtraHeaders(t *testing.T) {
	_, err := httpx.NewParser(httpx.Options{ExtraHeaders: []string{"X Bad"}})
	assert.Error(t, err)
	_, err = httpx.NewParser(httpx.Options{ExtraHeaders: make([]string, httpx.MaxExtraHeaders+1)})
	assert.Error(t, err)
	_, err = httpx.NewProtocol(httpx.Options{ExtraHeaders: []string{""}})
	assert.Error(t, err)
	p, err := httpx.NewProtocol(httpx.Options{ExtraHeaders: []string{"X-Request-Id"}})
	require.NoError(t, err)
	m := &parser.Message{}
	require.True(t, p.ParseRequest(m, []byte("GET / HTTP/1.1\r\nx-request-id: 42\r\nX-Request-ID: 43\r\n\r\n"), nil))
	v, ok := m.Attrs.String("http.header.x-request-id")
	assert.True(t, ok)
	assert.Equal(t, "42", v, "first occurrence")
}

func TestVersionAndFramingNames(t *testing.T) {
	assert.Equal(t, "1.0", httpx.Version10.String())
	assert.Equal(t, "1.1", httpx.Version11.String())
	assert.Equal(t, "", httpx.Version(0).String())
	assert.Equal(t, "chunked", httpx.FramingChunked.String())
	assert.Equal(t, "tunnel", httpx.FramingTunnel.String())
	var resp httpx.Response
	require.NoError(t, httpx.DefaultParser().ParseResponse(&resp, []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")))
	for _, c := range []struct {
		method string
		want   httpx.Framing
	}{{"GET", httpx.FramingLength}, {"HEAD", httpx.FramingNone}, {"CONNECT", httpx.FramingTunnel}} {
		f, err := httpx.DefaultParser().ResponseFraming(&resp, []byte(c.method))
		require.NoError(t, err)
		assert.Equal(t, c.want, f, c.method)
	}
}

func TestRequestPathQuery(t *testing.T) {
	for _, tt := range []struct {
		target      string
		path, query string
	}{
		{"/missing?q=a%20b", "/missing", "q=a%20b"},
		{"/a/b", "/a/b", ""},
		{"/?", "/", ""},
		{"*", "*", ""},
		{"http://h.example:8080/x/y?z=1#f", "/x/y", "z=1"},
		{"http://h.example", "/", ""},
		{"http://h.example?x", "/", "x"},
		{"h.example:443", "", ""},
	} {
		var req httpx.Request
		require.NoError(t, httpx.DefaultParser().ParseRequest(&req, []byte("GET "+tt.target+" HTTP/1.1\r\n\r\n")))
		assert.Equal(t, tt.path, string(req.Path()), tt.target)
		assert.Equal(t, tt.query, string(req.Query()), tt.target)
	}
}
