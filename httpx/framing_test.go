package httpx_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// splitAll frames stream with split, calling it like bufio.Scanner does,
// and returns the tokens. eof says whether the stream ends (the last call
// has atEOF set).
func splitAll(split bufio.SplitFunc, stream []byte, eof bool) (toks []string, err error) {
	for len(stream) > 0 {
		adv, tok, err := split(stream, false)
		if err != nil {
			return toks, err
		}
		if adv == 0 {
			if !eof {
				return toks, nil
			}
			adv, tok, err = split(stream, true)
			if err != nil {
				return toks, err
			}
			if adv == 0 {
				return toks, nil
			}
		}
		if tok != nil {
			toks = append(toks, string(tok))
		}
		stream = stream[adv:]
	}
	return toks, nil
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestRequestFraming covers the request message-end rules (RFC 9112
// section 6.3): each case is a stream made of the expected messages.
func TestRequestFraming(t *testing.T) {
	chunkedBody := "5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: abc\r\nX-Other: 1\r\n\r\n"
	tests := []struct {
		name string
		msgs []string
		skip int64
	}{
		{"get without body", []string{crlf("GET / HTTP/1.1\nHost: a\n\n")}, 0},
		{"content-length", []string{crlf("POST /u HTTP/1.1\nHost: a\nContent-Length: 5\n\n") + "hello"}, 0},
		{"content-length zero", []string{crlf("POST /u HTTP/1.1\nContent-Length: 0\n\n")}, 0},
		{"chunked with extensions and trailers", []string{crlf("POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\n") + chunkedBody}, 0},
		{"chunked, upper-case hex and LF only", []string{"POST /c HTTP/1.1\nTransfer-Encoding: gzip, Chunked\n\nA\n0123456789\n0\n\n"}, 0},
		{"transfer-encoding overrides content-length", []string{crlf("POST /c HTTP/1.1\nContent-Length: 3\nTransfer-Encoding: chunked\n\n") + "3\r\nabc\r\n0\r\n\r\n"}, 0},
		{"duplicate equal content-length", []string{crlf("POST / HTTP/1.1\nContent-Length: 2\nContent-Length: 2\n\n") + "ok"}, 0},
		{"expect 100-continue with body", []string{crlf("PUT /x HTTP/1.1\nExpect: 100-continue\nContent-Length: 3\n\n") + "abc"}, 0},
		{"pipelined", []string{
			crlf("GET /1 HTTP/1.1\nHost: a\n\n"),
			crlf("POST /2 HTTP/1.1\nContent-Length: 4\n\n") + "GET ",
			crlf("GET /3 HTTP/1.0\n\n"),
		}, 0},
		{"http/1.0 with content-length", []string{crlf("POST / HTTP/1.0\nContent-Length: 1\n\n") + "x"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httpx.DefaultParser().NewState()
			stream := strings.Join(tt.msgs, "")
			toks, err := splitAll(s.SplitRequest, []byte(stream), true)
			require.NoError(t, err)
			assert.Equal(t, tt.msgs, toks)
			assert.Equal(t, len(tt.msgs), s.Pending())
			assert.Equal(t, tt.skip, s.Skipped())
		})
	}
}

func TestRequestLeadingEmptyLinesSkipped(t *testing.T) {
	s := httpx.DefaultParser().NewState()
	msg := crlf("GET / HTTP/1.1\n\n")
	toks, err := splitAll(s.SplitRequest, []byte("\r\n\n"+msg), true)
	require.NoError(t, err)
	assert.Equal(t, []string{msg}, toks)
	assert.Equal(t, int64(3), s.Skipped())
}

// TestResponseFraming covers the response rules: each case gives the
// requests the responses answer and the expected response messages.
func TestResponseFraming(t *testing.T) {
	get := crlf("GET / HTTP/1.1\nHost: a\n\n")
	head := crlf("HEAD / HTTP/1.1\nHost: a\n\n")
	post100 := crlf("POST /u HTTP/1.1\nExpect: 100-continue\nContent-Length: 2\n\n") + "hi"
	connect := crlf("CONNECT example.org:443 HTTP/1.1\nHost: example.org:443\n\n")
	tests := []struct {
		name     string
		reqs     []string
		msgs     []string
		interim  int64
		upgraded bool
		unpaired int64
	}{
		{"content-length", []string{get}, []string{crlf("HTTP/1.1 200 OK\nContent-Length: 3\n\n") + "abc"}, 0, false, 0},
		{"chunked with trailers", []string{get}, []string{crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\nExpires: never\n\n")}, 0, false, 0},
		{"response to HEAD has no body", []string{head, get}, []string{
			crlf("HTTP/1.1 200 OK\nContent-Length: 100\n\n"),
			crlf("HTTP/1.1 200 OK\nContent-Length: 1\n\n") + "x",
		}, 0, false, 0},
		{"HEAD with chunked", []string{head}, []string{crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n")}, 0, false, 0},
		{"204 and 304 have no body", []string{get, get}, []string{
			crlf("HTTP/1.1 204 No Content\nContent-Length: 10\n\n"),
			crlf("HTTP/1.1 304 Not Modified\nContent-Length: 10\nETag: \"v1\"\n\n"),
		}, 0, false, 0},
		{"100 continue is its own message", []string{post100}, []string{
			crlf("HTTP/1.1 100 Continue\n\n"),
			crlf("HTTP/1.1 201 Created\nContent-Length: 2\n\n") + "ok",
		}, 1, false, 0},
		{"103 early hints then 200", []string{get}, []string{
			crlf("HTTP/1.1 103 Early Hints\nLink: </s.css>; rel=preload\n\n"),
			crlf("HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
		}, 1, false, 0},
		{"CONNECT 200 is a tunnel", []string{connect}, []string{crlf("HTTP/1.1 200 Connection established\n\n")}, 0, true, 0},
		{"CONNECT refused has a body", []string{connect}, []string{crlf("HTTP/1.1 407 Proxy Auth Required\nContent-Length: 4\n\n") + "deny"}, 0, false, 0},
		{"101 switching protocols", []string{crlf("GET /ws HTTP/1.1\nUpgrade: websocket\nConnection: Upgrade\n\n")}, []string{crlf("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n")}, 0, true, 0},
		{"read until close", []string{get}, []string{crlf("HTTP/1.1 200 OK\nContent-Type: text/plain\n\n") + "all the rest\r\nof the stream"}, 0, false, 0},
		{"non-chunked transfer coding reads until close", []string{get}, []string{crlf("HTTP/1.1 200 OK\nTransfer-Encoding: gzip\n\n") + "\x1f\x8b..."}, 0, false, 0},
		{"http/1.0 without length", []string{get}, []string{crlf("HTTP/1.0 200 OK\n\n") + "body"}, 0, false, 0},
		{"status line without reason", []string{get}, []string{crlf("HTTP/1.1 200\nContent-Length: 1\n\n") + "x"}, 0, false, 0},
		{"no request seen", nil, []string{crlf("HTTP/1.1 200 OK\nContent-Length: 1\n\n") + "x"}, 0, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httpx.DefaultParser().NewState()
			reqs, err := splitAll(s.SplitRequest, []byte(strings.Join(tt.reqs, "")), false)
			require.NoError(t, err)
			require.Equal(t, tt.reqs, nilIfEmpty(reqs))
			toks, err := splitAll(s.SplitResponse, []byte(strings.Join(tt.msgs, "")), true)
			require.NoError(t, err)
			assert.Equal(t, tt.msgs, toks)
			assert.Equal(t, tt.interim, s.Interim())
			assert.Equal(t, tt.upgraded, s.Upgraded())
			assert.Equal(t, tt.unpaired, s.Unpaired())
			if tt.upgraded {
				_, _, err := s.SplitResponse([]byte("\x16\x03\x01"), false)
				assert.ErrorIs(t, err, parser.ErrUpgraded)
				_, _, err = s.SplitRequest([]byte("\x16\x03\x01"), false)
				assert.ErrorIs(t, err, parser.ErrUpgraded)
			} else {
				assert.Zero(t, s.Pending())
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestReadUntilCloseNeedsEOF: without EOF the body is never complete.
func TestReadUntilCloseNeedsEOF(t *testing.T) {
	s := httpx.DefaultParser().NewState()
	resp := []byte(crlf("HTTP/1.1 200 OK\n\n") + "partial")
	adv, tok, err := s.SplitResponse(resp, false)
	require.NoError(t, err)
	assert.Zero(t, adv)
	assert.Nil(t, tok)
	adv, tok, err = s.SplitResponse(resp, true)
	require.NoError(t, err)
	assert.Equal(t, len(resp), adv)
	assert.Equal(t, resp, tok)
}

// TestProtocolSwitchGatesRequests: after CONNECT or an Upgrade request,
// the next bytes from the client are framed only once the response says
// whether the protocol switched.
func TestProtocolSwitchGatesRequests(t *testing.T) {
	tests := []struct {
		name, req, resp string
		switched        bool
	}{
		{"CONNECT accepted", "CONNECT h:443 HTTP/1.1\nHost: h:443\n\n", "HTTP/1.1 200 OK\n\n", true},
		{"CONNECT refused", "CONNECT h:443 HTTP/1.1\nHost: h:443\n\n", "HTTP/1.1 403 Forbidden\nContent-Length: 0\n\n", false},
		{"upgrade accepted", "GET / HTTP/1.1\nUpgrade: h2c\nConnection: Upgrade\n\n", "HTTP/1.1 101 Switching Protocols\nUpgrade: h2c\n\n", true},
		{"upgrade ignored", "GET / HTTP/1.1\nUpgrade: h2c\nConnection: Upgrade\n\n", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", false},
	}
	next := crlf("GET /next HTTP/1.1\n\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httpx.DefaultParser().NewState()
			req := crlf(tt.req)
			stream := []byte(req + next)
			adv, tok, err := s.SplitRequest(stream, false)
			require.NoError(t, err)
			require.Equal(t, req, string(tok))
			stream = stream[adv:]
			adv, _, err = s.SplitRequest(stream, false)
			require.NoError(t, err)
			require.Zero(t, adv, "held until the response is seen")
			_, tok, err = s.SplitResponse([]byte(crlf(tt.resp)), false)
			require.NoError(t, err)
			require.Equal(t, crlf(tt.resp), string(tok))
			_, tok, err = s.SplitRequest(stream, false)
			if tt.switched {
				assert.ErrorIs(t, err, parser.ErrUpgraded)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, next, string(tok))
		})
	}
}

// TestFramingErrors: bad or oversized input is an error, never a guess.
func TestFramingErrors(t *testing.T) {
	small, err := httpx.NewParser(httpx.Options{MaxHeaderBytes: 64, MaxHeaders: 3, MaxBodyBytes: 100, MaxChunkSizeDigits: 4, MaxChunkLineBytes: 20, MaxPipelined: 2})
	require.NoError(t, err)
	def := httpx.DefaultParser()
	get := crlf("GET / HTTP/1.1\n\n")
	tests := []struct {
		name  string
		p     *httpx.Parser
		dir   parser.Direction
		input string
		eof   bool
		want  error
	}{
		{"obs-fold", def, parser.Request, crlf("GET / HTTP/1.1\nX-A: 1\n  continued\n\n"), false, httpx.ErrObsFold},
		{"obs-fold with tab", def, parser.Response, crlf("HTTP/1.1 200 OK\nX-A: 1\n\tcontinued\n\n"), false, httpx.ErrObsFold},
		{"whitespace before first field", def, parser.Request, crlf("GET / HTTP/1.1\n Host: a\n\n"), false, httpx.ErrObsFold},
		{"space before colon", def, parser.Request, crlf("GET / HTTP/1.1\nHost : a\n\n"), false, httpx.ErrBadHeader},
		{"no colon", def, parser.Request, crlf("GET / HTTP/1.1\nHost a\n\n"), false, httpx.ErrBadHeader},
		{"empty name", def, parser.Request, crlf("GET / HTTP/1.1\n: a\n\n"), false, httpx.ErrBadHeader},
		{"bad byte in name", def, parser.Request, crlf("GET / HTTP/1.1\nX(y): a\n\n"), false, httpx.ErrBadHeader},
		{"bare CR in value", def, parser.Request, crlf("GET / HTTP/1.1\nX: a\rb\n\n"), false, httpx.ErrBadHeader},
		{"NUL in value", def, parser.Response, crlf("HTTP/1.1 200 OK\nX: a\x00b\n\n"), false, httpx.ErrBadHeader},
		{"DEL in long value", def, parser.Response, crlf("HTTP/1.1 200 OK\nX: abcdefghijklmnop\x7fq\n\n"), false, httpx.ErrBadHeader},
		{"two Host fields", def, parser.Request, crlf("GET / HTTP/1.1\nHost: a\nhost: b\n\n"), false, httpx.ErrDuplicateHost},
		{"content-length not a number", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: 1a\n\n"), false, httpx.ErrBadContentLength},
		{"content-length negative", def, parser.Response, crlf("HTTP/1.1 200 OK\nContent-Length: -1\n\n"), false, httpx.ErrBadContentLength},
		{"content-length with plus", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: +1\n\n"), false, httpx.ErrBadContentLength},
		{"content-length list", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: 1, 1\n\n"), false, httpx.ErrBadContentLength},
		{"content-length empty", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length:\n\n"), false, httpx.ErrBadContentLength},
		{"content-length 19 digits", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: 1000000000000000000\n\n"), false, httpx.ErrBadContentLength},
		{"conflicting content-length", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: 1\nContent-Length: 2\n\n"), false, httpx.ErrBadContentLength},
		{"request TE not ending in chunked", def, parser.Request, crlf("POST / HTTP/1.1\nTransfer-Encoding: gzip\n\n"), false, httpx.ErrBadTransferEncoding},
		{"chunked not last", def, parser.Request, crlf("POST / HTTP/1.1\nTransfer-Encoding: chunked, gzip\n\n"), false, httpx.ErrBadTransferEncoding},
		{"chunked twice", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n"), false, httpx.ErrBadTransferEncoding},
		{"TE in HTTP/1.0", def, parser.Request, crlf("POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n"), false, httpx.ErrBadTransferEncoding},
		{"HTTP/2 preface", def, parser.Request, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false, httpx.ErrUnsupportedVersion},
		{"HTTP/2 response", def, parser.Response, crlf("HTTP/2 200 OK\n\n"), false, httpx.ErrUnsupportedVersion},
		{"lower-case version", def, parser.Request, crlf("GET / http/1.1\n\n"), false, httpx.ErrUnsupportedVersion},
		{"double space", def, parser.Request, crlf("GET  / HTTP/1.1\n\n"), false, httpx.ErrBadRequestLine},
		{"control byte in target", def, parser.Request, crlf("GET /\x01 HTTP/1.1\n\n"), false, httpx.ErrBadRequestLine},
		{"bad method", def, parser.Request, crlf("G(T / HTTP/1.1\n\n"), false, httpx.ErrBadRequestLine},
		{"status code with letters", def, parser.Response, crlf("HTTP/1.1 2x0 OK\n\n"), false, httpx.ErrBadStatusLine},
		{"status code below 100", def, parser.Response, crlf("HTTP/1.1 099 OK\n\n"), false, httpx.ErrBadStatusLine},
		{"status code 4 digits", def, parser.Response, crlf("HTTP/1.1 2000 OK\n\n"), false, httpx.ErrBadStatusLine},
		{"chunk size not hex", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\n"), false, httpx.ErrBadChunk},
		{"chunk data without CRLF", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "3\r\nabcX\r\n0\r\n\r\n", false, httpx.ErrBadChunk},
		{"chunk extension with control byte", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "3;a\x01\r\nabc\r\n", false, httpx.ErrBadChunk},
		{"trailer obs-fold", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\nA: b\n c\n\n"), false, httpx.ErrObsFold},
		{"head too large", small, parser.Request, "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 100), false, httpx.ErrHeadTooLarge},
		{"too many headers", small, parser.Request, crlf("GET / HTTP/1.1\nA: 1\nB: 2\nC: 3\nD: 4\n\n"), false, httpx.ErrTooManyHeaders},
		{"content-length over limit", small, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: 101\n\n"), false, httpx.ErrBodyTooLarge},
		{"response content-length over limit", small, parser.Response, crlf("HTTP/1.1 200 OK\nContent-Length: 101\n\n"), false, httpx.ErrBodyTooLarge},
		{"chunk over limit", small, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "65\r\n", false, httpx.ErrBodyTooLarge},
		{"chunks add up over limit", small, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + strings.Repeat("a\r\n0123456789\r\n", 7) + "a\r\n", false, httpx.ErrBodyTooLarge},
		{"chunk size digits", small, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "00001\r\n", false, httpx.ErrChunkSizeTooLong},
		{"chunk line too long", small, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "1;" + strings.Repeat("e", 30), false, httpx.ErrChunkSizeTooLong},
		{"huge chunk size", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "ffffffffffffffff\r\n", false, httpx.ErrBodyTooLarge},
		{"trailers too large", small, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\n") + "T: " + strings.Repeat("t", 80), false, httpx.ErrHeadTooLarge},
		{"read-until-close over limit", small, parser.Response, crlf("HTTP/1.1 200 OK\n\n") + strings.Repeat("b", 101), false, httpx.ErrBodyTooLarge},
		{"too many pipelined", small, parser.Request, get + get + get, false, httpx.ErrTooManyPipelined},
		{"truncated head at EOF", def, parser.Request, "GET / HTTP/1.1\r\nHost: a\r\n", true, httpx.ErrTruncated},
		{"truncated body at EOF", def, parser.Request, crlf("POST / HTTP/1.1\nContent-Length: 5\n\n") + "abc", true, httpx.ErrTruncated},
		{"truncated chunked at EOF", def, parser.Response, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + "3\r\nabc\r\n", true, httpx.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.p.NewState()
			split := s.SplitRequest
			if tt.dir == parser.Response {
				split = s.SplitResponse
			}
			_, err := splitAll(split, []byte(tt.input), tt.eof)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// TestErrorClasses: every sentinel wraps the parser class it belongs to.
func TestErrorClasses(t *testing.T) {
	for _, c := range []struct {
		err, class error
	}{
		{httpx.ErrHeadTooLarge, parser.ErrTooLarge},
		{httpx.ErrTooManyHeaders, parser.ErrTooLarge},
		{httpx.ErrBodyTooLarge, parser.ErrTooLarge},
		{httpx.ErrChunkSizeTooLong, parser.ErrTooLarge},
		{httpx.ErrTooManyPipelined, parser.ErrTooLarge},
		{httpx.ErrObsFold, parser.ErrMalformed},
		{httpx.ErrBadHeader, parser.ErrMalformed},
		{httpx.ErrBadChunk, parser.ErrMalformed},
		{httpx.ErrBadContentLength, parser.ErrMalformed},
		{httpx.ErrBadTransferEncoding, parser.ErrMalformed},
		{httpx.ErrDuplicateHost, parser.ErrMalformed},
		{httpx.ErrBadRequestLine, parser.ErrMalformed},
		{httpx.ErrBadStatusLine, parser.ErrMalformed},
		{httpx.ErrUnsupportedVersion, parser.ErrNotProtocol},
		{httpx.ErrTruncated, parser.ErrShort},
	} {
		assert.ErrorIs(t, c.err, c.class, c.err.Error())
	}
	var pe *parser.Error
	s := httpx.DefaultParser().NewState()
	_, _, err := s.SplitRequest([]byte("GET / HTTP/1.1\r\nA: 1\r\n b\r\n\r\n"), false)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "http", pe.Protocol)
	assert.Equal(t, 22, pe.Offset)
}

// TestSplitChunkingInvariance frames generated streams through
// bufio.Scanner fed by readers that return 1 byte, random sizes, or
// everything: the messages must be the same.
func TestSplitChunkingInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	var reqs, resps []string
	for i := 0; i < 40; i++ {
		rq, rs := genExchange(rng)
		reqs, resps = append(reqs, rq), append(resps, rs...)
	}
	readers := map[string]func([]byte) io.Reader{
		"all":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"1 byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"random": func(b []byte) io.Reader { return &randReader{b: b, rng: rand.New(rand.NewPCG(3, 4))} },
		"half":   func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			s := httpx.DefaultParser().NewState()
			got := scanAll(t, s.SplitRequest, mk([]byte(strings.Join(reqs, ""))))
			sameMessages(t, reqs, got)
			got = scanAll(t, s.SplitResponse, mk([]byte(strings.Join(resps, ""))))
			sameMessages(t, resps, got)
			assert.Zero(t, s.Pending())
		})
	}
}

// sameMessages compares message lists without dumping kilobytes of body.
func sameMessages(t *testing.T, want, got []string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "message count")
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("message %d: got %d bytes %.60q, want %d bytes %.60q", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

func scanAll(t *testing.T, split bufio.SplitFunc, r io.Reader) []string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64), 1<<20)
	sc.Split(split)
	var out []string
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	require.NoError(t, sc.Err())
	return out
}

type randReader struct {
	b   []byte
	rng *rand.Rand
}

func (r *randReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), 1+r.rng.IntN(300))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// TestLargeChunkedBodyLinear frames a 200 KiB chunked body fed in 1 KiB
// steps, and checks the work stays linear: the walk resumes where it
// stopped, so each byte is looked at a bounded number of times.
func TestLargeChunkedBodyLinear(t *testing.T) {
	var body strings.Builder
	for i := 0; i < 200; i++ {
		body.WriteString("400\r\n")
		body.WriteString(strings.Repeat("x", 1024))
		body.WriteString("\r\n")
	}
	body.WriteString("0\r\n\r\n")
	msg := []byte(crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n") + body.String())
	s := httpx.DefaultParser().NewState()
	calls := 0
	for n := 1024; ; n += 1024 {
		n = min(n, len(msg))
		calls++
		adv, tok, err := s.SplitResponse(msg[:n], false)
		require.NoError(t, err)
		if adv > 0 {
			assert.Equal(t, msg, tok)
			break
		}
		require.Less(t, n, len(msg))
	}
	assert.Equal(t, (len(msg)+1023)/1024, calls)
}

// genExchange builds a random request and a response to it, covering
// content-length, chunked, HEAD, 1xx, 204 and 304.
func genExchange(rng *rand.Rand) (req string, resps []string) {
	methods := []string{"GET", "POST", "HEAD", "PUT", "DELETE"}
	method := methods[rng.IntN(len(methods))]
	var b strings.Builder
	b.WriteString(method + " /p" + strings.Repeat("x", rng.IntN(20)) + "?q=1 HTTP/1.1\r\nHost: h\r\n")
	if method == "POST" || method == "PUT" {
		body := strings.Repeat("b", rng.IntN(3000))
		if rng.IntN(2) == 0 {
			b.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
		} else {
			b.WriteString("Transfer-Encoding: chunked\r\n\r\n" + chunk(body, rng) + "0\r\n\r\n")
		}
	} else {
		b.WriteString("\r\n")
	}
	req = b.String()
	b.Reset()
	if rng.IntN(4) == 0 {
		resps = append(resps, "HTTP/1.1 100 Continue\r\n\r\n")
	}
	body := strings.Repeat("r", rng.IntN(5000))
	switch rng.IntN(4) {
	case 0:
		b.WriteString("HTTP/1.1 204 No Content\r\n\r\n")
	case 1:
		b.WriteString("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n")
	case 2:
		b.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		if method != "HEAD" {
			b.WriteString(chunk(body, rng) + "0\r\nX-T: 1\r\n\r\n")
		}
	default:
		b.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n")
		if method != "HEAD" {
			b.WriteString(body)
		}
	}
	return req, append(resps, b.String())
}

func chunk(body string, rng *rand.Rand) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(len(body), 1+rng.IntN(1000))
		b.WriteString(hexa(n) + "\r\n" + body[:n] + "\r\n")
		body = body[n:]
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

func hexa(n int) string {
	const digits = "0123456789abcdef"
	var d []byte
	for ; n > 0; n /= 16 {
		d = append([]byte{digits[n%16]}, d...)
	}
	return string(d)
}

var _ = errors.Is
