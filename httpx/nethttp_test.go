package httpx_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// view is what both implementations report about one message.
type view struct {
	ok       bool
	method   string
	target   string
	host     string
	status   int
	clHeader int64 // Content-Length header value, -1 when absent (not compared for chunked)
	chunked  bool
	end      int // where the message ends in the stream
}

// nethttpRequest reads one request with net/http and its body to the end.
func nethttpRequest(stream []byte) view {
	r := bytes.NewReader(stream)
	br := bufio.NewReader(r)
	req, err := http.ReadRequest(br)
	if err != nil {
		return view{}
	}
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return view{}
	}
	v := view{ok: true, method: req.Method, target: req.RequestURI, host: req.Host, clHeader: -1,
		chunked: len(req.TransferEncoding) > 0, end: len(stream) - r.Len() - br.Buffered()}
	if cl := req.Header.Get("Content-Length"); cl != "" {
		v.clHeader, _ = strconv.ParseInt(cl, 10, 64)
	} else if !v.chunked && req.ContentLength > 0 {
		v.clHeader = req.ContentLength
	}
	return v
}

// nethttpResponse reads one response to a request of method with net/http.
func nethttpResponse(stream []byte, method string) view {
	r := bytes.NewReader(stream)
	br := bufio.NewReader(r)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return view{}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return view{}
	}
	v := view{ok: true, status: resp.StatusCode, clHeader: -1, chunked: len(resp.TransferEncoding) > 0,
		end: len(stream) - r.Len() - br.Buffered()}
	if cl := resp.Header.Get("Content-Length"); cl != "" {
		v.clHeader, _ = strconv.ParseInt(cl, 10, 64)
	}
	return v
}

// wirekitRequest frames and parses the first request of stream.
func wirekitRequest(stream []byte) view {
	s := httpx.DefaultParser().NewState()
	adv, tok, err := s.SplitRequest(stream, true)
	if err != nil || tok == nil {
		return view{}
	}
	var req httpx.Request
	if err := httpx.DefaultParser().ParseRequest(&req, tok); err != nil {
		return view{}
	}
	// http.host is the Host field; net/http's Request.Host prefers the
	// authority of an absolute-form or CONNECT target (RFC 9112 section
	// 3.2.2): derive it the way net/http does before comparing.
	host := string(req.Host)
	raw := string(req.Target)
	if string(req.Method) == "CONNECT" && !strings.HasPrefix(raw, "/") {
		raw = "http://" + raw
	}
	if u, err := url.ParseRequestURI(raw); err == nil && u.Host != "" {
		host = u.Host
	}
	return view{ok: true, method: string(req.Method), target: string(req.Target), host: host,
		clHeader: req.ContentLength, chunked: req.Chunked, end: adv}
}

// wirekitResponse frames and parses the first response of stream, after a
// request of method went the other way.
func wirekitResponse(stream []byte, method string) view {
	s := httpx.DefaultParser().NewState()
	if _, _, err := s.SplitRequest([]byte(method+" / HTTP/1.1\r\nHost: h\r\n\r\n"), false); err != nil {
		panic(err)
	}
	adv, tok, err := s.SplitResponse(stream, true)
	if err != nil || tok == nil {
		return view{}
	}
	var resp httpx.Response
	if err := httpx.DefaultParser().ParseResponse(&resp, tok); err != nil {
		return view{}
	}
	return view{ok: true, status: resp.StatusCode, clHeader: resp.ContentLength, chunked: resp.Chunked, end: adv}
}

func compareViews(t *testing.T, what string, want, got view) bool {
	t.Helper()
	want, got = normalize(want, got)
	return assert.Equal(t, want, got, what)
}

// normalize drops what the two report differently by design: net/http
// deletes Content-Length when the message is chunked, and reports a
// Transfer-Encoding even on messages that have no body; the framing
// itself is compared through end.
func normalize(want, got view) (view, view) {
	if want.chunked || got.chunked {
		want.clHeader, got.clHeader = 0, 0
	}
	want.chunked, got.chunked = false, false
	return want, got
}

// TestNetHTTPCorpus: on every captured message, net/http and httpx agree
// on method, target, host, status, Content-Length and where each message
// ends.
func TestNetHTTPCorpus(t *testing.T) {
	n := 0
	for _, cf := range corpusFiles {
		for _, tc := range readConns(t, pcaptest.Corpus(cf.name+".pcap")) {
			reqs := tc.stream(parser.Request)
			var methods []string
			for len(reqs) > 0 {
				want := nethttpRequest(reqs)
				require.True(t, want.ok)
				got := wirekitRequest(reqs)
				compareViews(t, cf.name+" request", want, got)
				methods = append(methods, want.method)
				reqs = reqs[want.end:]
				n++
			}
			resps := tc.stream(parser.Response)
			for i := 0; len(resps) > 0; {
				want := nethttpResponse(resps, methods[i])
				require.True(t, want.ok)
				got := wirekitResponse(resps, methods[i])
				compareViews(t, cf.name+" response", want, got)
				resps = resps[want.end:]
				if want.status >= 200 {
					i++
				}
				n++
			}
		}
	}
	t.Logf("%d captured messages agree", n)
}

// reqVariant is one way to build a request; diff marks variants where
// net/http is known to decide differently (the test then checks only that
// httpx does what RFC 9112 says, stated in why).
type reqVariant struct {
	name string
	bad  bool   // httpx must refuse it
	diff string // why net/http differs, when it does
	gen  func(rng *rand.Rand) string
}

var requestVariants = []reqVariant{
	{"plain", false, "", func(rng *rand.Rand) string { return reqHead(rng, "") + "\r\n" }},
	{"content-length", false, "", func(rng *rand.Rand) string {
		body := strings.Repeat("x", rng.IntN(300))
		return reqHead(rng, "Content-Length: "+strconv.Itoa(len(body))+"\r\n") + "\r\n" + body
	}},
	{"chunked", false, "", func(rng *rand.Rand) string {
		return reqHead(rng, "Transfer-Encoding: chunked\r\n") + "\r\n" + chunkBody(rng)
	}},
	{"te and cl", false, "", func(rng *rand.Rand) string {
		return reqHead(rng, "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n") + "\r\n" + chunkBody(rng)
	}},
	{"equal duplicate content-length", false, "", func(rng *rand.Rand) string {
		return reqHead(rng, "Content-Length: 4\r\nContent-Length: 4\r\n") + "\r\nabcd"
	}},
	{"conflicting content-length", true, "", func(rng *rand.Rand) string {
		return reqHead(rng, "Content-Length: 4\r\nContent-Length: 5\r\n") + "\r\nabcde"
	}},
	{"content-length not a number", true, "", func(rng *rand.Rand) string {
		return reqHead(rng, "Content-Length: 4x\r\n") + "\r\nabcd"
	}},
	{"request te not chunked", true, "", func(rng *rand.Rand) string {
		return reqHead(rng, "Transfer-Encoding: gzip\r\n") + "\r\nabcd"
	}},
	{"space before colon", true, "net/http trims it; RFC 9112 5.1: a server MUST reject whitespace between field name and colon", func(rng *rand.Rand) string {
		return reqHead(rng, "X-A : b\r\n") + "\r\n"
	}},
	{"NUL in value", true, "", func(rng *rand.Rand) string { return reqHead(rng, "X-A: b\x00c\r\n") + "\r\n" }},
	{"bare CR in value", true, "", func(rng *rand.Rand) string { return reqHead(rng, "X-A: b\rc\r\n") + "\r\n" }},
	{"two hosts", true, "", func(rng *rand.Rand) string { return reqHead(rng, "Host: other\r\n") + "\r\n" }},
	{"obs-fold", true, "net/http unfolds obs-fold lines; RFC 9112 5.2 lets a server reject them, and httpx never guesses", func(rng *rand.Rand) string {
		return reqHead(rng, "X-A: b\r\n  c\r\n") + "\r\n"
	}},
	{"no host in HTTP/1.1", false, "", func(rng *rand.Rand) string {
		return "GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n"
	}},
	{"TE in HTTP/1.0", true, "net/http ignores Transfer-Encoding in HTTP/1.0; RFC 9112 6.1 says the framing is faulty", func(rng *rand.Rand) string {
		return "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	}},
}

// reqHead builds a random request head (without the final CRLF),
// placing extra among random fields.
func reqHead(rng *rand.Rand, extra string) string {
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "M-SEARCH"}
	targets := []string{"/", "/a/b?c=d&e=%20f", "/~user/x.y;p?q#", "http://h.example/x?y=1", "/" + strings.Repeat("p", 100)}
	var b strings.Builder
	b.WriteString(methods[rng.IntN(len(methods))] + " " + targets[rng.IntN(len(targets))] + " HTTP/1.1\r\n")
	fields := []string{"Host: h.example", "User-Agent: t/1.0", "Accept: */*", "X-Tab: \tv\t", "X-Obs: caf\xc3\xa9", "connection: keep-alive", "Cookie: a=b; c=d", "X-Empty:"}
	rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	k := 1 + rng.IntN(len(fields)-1)
	hasHost := false
	for _, f := range fields[:k] {
		hasHost = hasHost || strings.HasPrefix(f, "Host")
		b.WriteString(f + "\r\n")
	}
	if !hasHost {
		b.WriteString("Host: h.example\r\n")
	}
	b.WriteString(extra)
	return b.String()
}

func chunkBody(rng *rand.Rand) string {
	var b strings.Builder
	for i := rng.IntN(4); i > 0; i-- {
		n := 1 + rng.IntN(50)
		fmt.Fprintf(&b, "%x", n)
		if rng.IntN(3) == 0 {
			b.WriteString(";ext=1")
		}
		b.WriteString("\r\n" + strings.Repeat("c", n) + "\r\n")
	}
	b.WriteString("0\r\n")
	if rng.IntN(2) == 0 {
		b.WriteString("X-Trailer: t\r\n")
	}
	return b.String() + "\r\n"
}

// TestNetHTTPGeneratedRequests compares httpx with net/http on generated
// requests followed by another request (so "where it ends" is tested).
func TestNetHTTPGeneratedRequests(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const next = "GET /next HTTP/1.1\r\nHost: n\r\n\r\n"
	for _, v := range requestVariants {
		t.Run(v.name, func(t *testing.T) {
			for i := 0; i < 200; i++ {
				msg := v.gen(rng)
				stream := []byte(msg + next)
				got := wirekitRequest(stream)
				if !assert.Equal(t, !v.bad, got.ok, "httpx on %q", msg) {
					return
				}
				want := nethttpRequest(stream)
				if v.diff != "" {
					if !assert.NotEqual(t, want.ok, got.ok, "the known difference is gone (%s): %q", v.diff, msg) {
						return
					}
					continue
				}
				if !compareViews(t, fmt.Sprintf("%q", msg), want, got) {
					return
				}
				if got.ok {
					assert.Equal(t, len(msg), got.end)
				}
			}
		})
	}
}

// TestNetHTTPGeneratedResponses does the same for responses, across the
// request methods and status codes that change where a response ends.
func TestNetHTTPGeneratedResponses(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	statuses := []int{100, 103, 200, 201, 204, 206, 301, 304, 400, 404, 500}
	methods := []string{"GET", "HEAD", "POST"}
	for i := 0; i < 3000; i++ {
		status := statuses[rng.IntN(len(statuses))]
		method := methods[rng.IntN(len(methods))]
		var b strings.Builder
		fmt.Fprintf(&b, "HTTP/1.%d %d %s\r\n", rng.IntN(2), status, http.StatusText(status))
		b.WriteString("Date: Mon, 02 Jun 2025 10:00:00 GMT\r\n")
		body := ""
		switch rng.IntN(4) {
		case 0:
			body = strings.Repeat("b", rng.IntN(200))
			fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
		case 1:
			if strings.HasPrefix(b.String(), "HTTP/1.0") {
				b.WriteString("\r\n") // chunked is not HTTP/1.0
			} else {
				b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
				body = chunkBody(rng)
			}
		case 2:
			b.WriteString("Content-Type: text/plain\r\n\r\n") // until close
			body = "rest of the stream"
		default:
			b.WriteString("Content-Length: 0\r\n\r\n")
		}
		stream := []byte(b.String() + body + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
		want := nethttpResponse(stream, method)
		got := wirekitResponse(stream, method)
		if !compareViews(t, fmt.Sprintf("%s -> %q", method, stream), want, got) {
			return
		}
	}
}
