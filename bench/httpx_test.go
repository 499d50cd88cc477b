package bench

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/pcaptest"
)

// HTTP/1.1 on the shared payloads (../shared/bench-payloads, copied to
// httpx/testdata): wirekit as a user of its Protocol gets it, which is
// what parser.Conn runs per message: the connection's Split frames the
// message (head decoded and checked, body end found), then the parser
// tree sets the attributes (reusing the head Split decoded), into a
// reused parser.Message. Against fasthttp's RequestHeader.Read /
// ResponseHeader.Read (reused headers and bufio.Reader over a
// bytes.Reader: they frame the head too, by finding its end) and
// net/http's ReadRequest / ReadResponse. Pairs:
// BenchmarkHTTP<Case>_wirekit / _fasthttp / _nethttp.
//
//	Request:        GET with 6 header fields (http_get_req)
//	Response1K:     200 with a 1 KiB body (http_200_1k_resp): wirekit
//	                frames head and body; fasthttp and net/http read the
//	                head only
//	ResponseHeader: the header-only payload (http_200_response_header), the
//	                same work on every side: find the end of the head and
//	                decode the status line and every field (wirekit:
//	                httpx.Parser.ParseResponse into a reused Response;
//	                fasthttp: ResponseHeader.Read; net/http: ReadResponse,
//	                which also sets up a body reader). _wirekitTree is the
//	                parser tree alone on the head, without framing (its
//	                Content-Length announces a body that is not there)
//	ResponseChunked: not the same work, said plainly: the 1 KiB body as four
//	                256-byte chunks; wirekit finds the message end by walking
//	                the chunk sizes and copies nothing; fasthttp's
//	                Response.Read and net/http de-chunk the body into a
//	                buffer (a copy of the 1 KiB), which a proxy or a body
//	                inspector needs and a traffic decoder does not
//	Pair:           Request + Response1K, the response framed and parsed
//	                as the answer to the request: the issue's
//	                request+response target (under 300 ns)
//	SplitPair:      wirekit's framing of the pair alone
//	FastFail:       wirekit's request tree rejecting a Redis command
//
// wirekit checks every header byte (control bytes, obs-fold, field-name
// syntax); fasthttp does not validate field values.

// httpxChunked is the 1 KiB body of http_200_1k_resp as four 256-byte
// chunks (the bytes httpx's own BenchmarkParseResponseChunked uses).
func httpxChunked(b *testing.B) []byte { return payload(b, "httpx", "http_200_1k_chunked_resp") }

// httpxWirekit frames and parses req and then resp (either may be nil)
// with one connection's State, as parser.Conn does (the body httpx's own
// benchmarks run).
func httpxWirekit(b *testing.B, req, resp []byte) {
	defer cpuPerOp(b)()
	pcaptest.BenchDecode(b, httpx.Protocol(), req, resp)
}

func httpxFasthttp(b *testing.B, req, resp []byte, fullResponse bool) {
	var rh fasthttp.RequestHeader
	var sh fasthttp.ResponseHeader
	var full fasthttp.Response
	rr, sr := bytes.NewReader(nil), bytes.NewReader(nil)
	rbr, sbr := bufio.NewReader(rr), bufio.NewReader(sr)
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if req != nil {
			rr.Reset(req)
			rbr.Reset(rr)
			rh.Reset()
			if err := rh.Read(rbr); err != nil {
				b.Fatal(err)
			}
		}
		if resp != nil {
			sr.Reset(resp)
			sbr.Reset(sr)
			if fullResponse {
				full.Reset()
				if err := full.Read(sbr); err != nil {
					b.Fatal(err)
				}
				continue
			}
			sh.Reset()
			if err := sh.Read(sbr); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func httpxNethttp(b *testing.B, req, resp []byte, readBody bool) {
	rr, sr := bytes.NewReader(nil), bytes.NewReader(nil)
	rbr, sbr := bufio.NewReader(rr), bufio.NewReader(sr)
	get := &http.Request{Method: "GET"}
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if req != nil {
			rr.Reset(req)
			rbr.Reset(rr)
			if _, err := http.ReadRequest(rbr); err != nil {
				b.Fatal(err)
			}
		}
		if resp != nil {
			sr.Reset(resp)
			sbr.Reset(sr)
			r, err := http.ReadResponse(sbr, get)
			if err != nil {
				b.Fatal(err)
			}
			if readBody {
				var buf [512]byte
				for {
					if _, err := r.Body.Read(buf[:]); err != nil {
						break
					}
				}
			}
		}
	}
}

func BenchmarkHTTPFastFail_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchFastFail(b, httpx.Protocol().Request, []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), true)
}

func BenchmarkHTTPRequest_wirekit(b *testing.B) {
	httpxWirekit(b, payload(b, "httpx", "http_get_req"), nil)
}

func BenchmarkHTTPRequest_fasthttp(b *testing.B) {
	httpxFasthttp(b, payload(b, "httpx", "http_get_req"), nil, false)
}

func BenchmarkHTTPRequest_nethttp(b *testing.B) {
	httpxNethttp(b, payload(b, "httpx", "http_get_req"), nil, false)
}

func BenchmarkHTTPResponse1K_wirekit(b *testing.B) {
	httpxWirekit(b, nil, payload(b, "httpx", "http_200_1k_resp"))
}

func BenchmarkHTTPResponse1K_fasthttp(b *testing.B) {
	httpxFasthttp(b, nil, payload(b, "httpx", "http_200_1k_resp"), false)
}

func BenchmarkHTTPResponse1K_nethttp(b *testing.B) {
	httpxNethttp(b, nil, payload(b, "httpx", "http_200_1k_resp"), false)
}

func BenchmarkHTTPResponseHeader_wirekit(b *testing.B) {
	resp := payload(b, "httpx", "http_200_response_header")
	p := httpx.DefaultParser()
	var r httpx.Response
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if err := p.ParseResponse(&r, resp); err != nil || r.StatusCode != 200 {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTTPResponseHeader_wirekitTree(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchParse(b, httpx.Protocol(), nil, nil, payload(b, "httpx", "http_200_response_header"))
}

func BenchmarkHTTPResponseHeader_fasthttp(b *testing.B) {
	httpxFasthttp(b, nil, payload(b, "httpx", "http_200_response_header"), false)
}

func BenchmarkHTTPResponseHeader_nethttp(b *testing.B) {
	httpxNethttp(b, nil, payload(b, "httpx", "http_200_response_header"), false)
}

func BenchmarkHTTPResponseChunked_wirekit(b *testing.B) { httpxWirekit(b, nil, httpxChunked(b)) }

func BenchmarkHTTPResponseChunked_fasthttp(b *testing.B) {
	httpxFasthttp(b, nil, httpxChunked(b), true)
}

func BenchmarkHTTPResponseChunked_nethttp(b *testing.B) {
	httpxNethttp(b, nil, httpxChunked(b), true)
}

func BenchmarkHTTPPair_wirekit(b *testing.B) {
	httpxWirekit(b, payload(b, "httpx", "http_get_req"), payload(b, "httpx", "http_200_1k_resp"))
}

func BenchmarkHTTPPair_fasthttp(b *testing.B) {
	httpxFasthttp(b, payload(b, "httpx", "http_get_req"), payload(b, "httpx", "http_200_1k_resp"), false)
}

func BenchmarkHTTPPair_nethttp(b *testing.B) {
	httpxNethttp(b, payload(b, "httpx", "http_get_req"), payload(b, "httpx", "http_200_1k_resp"), false)
}

// BenchmarkHTTPSplitPair_wirekit frames the pair with one connection's
// State (what parser.Conn runs before the trees).
func BenchmarkHTTPSplitPair_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchSplit(b, httpx.Protocol(), payload(b, "httpx", "http_get_req"), payload(b, "httpx", "http_200_1k_resp"))
}
