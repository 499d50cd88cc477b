package bench

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
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

func httpxPayload(b *testing.B, name string) []byte {
	h, err := os.ReadFile("../httpx/testdata/" + name + ".hex")
	if err != nil {
		b.Fatal(err)
	}
	p, err := hex.DecodeString(strings.Join(strings.Fields(string(h)), ""))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// httpxChunked is the 1 KiB body of http_200_1k_resp as four 256-byte
// chunks (the same bytes httpx's own BenchmarkParseResponseChunked uses).
func httpxChunked(b *testing.B) []byte {
	full := httpxPayload(b, "http_200_1k_resp")
	body := full[bytes.Index(full, []byte("\r\n\r\n"))+4:]
	var w bytes.Buffer
	w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n" +
		"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\nServer: envoy\r\nCache-Control: no-cache\r\n\r\n")
	for i := 0; i < 4; i++ {
		w.WriteString("100\r\n")
		w.Write(body[i*256 : (i+1)*256])
		w.WriteString("\r\n")
	}
	w.WriteString("0\r\n\r\n")
	return w.Bytes()
}

// httpxWirekit frames and parses req and then resp (either may be nil)
// with one connection's State, as parser.Conn does.
func httpxWirekit(b *testing.B, req, resp []byte) {
	// Protocol.Decoder frames and parses in one call, as parser.Conn does.
	proto := httpx.Protocol()
	st := proto.NewState()
	decReq, decResp := proto.Decoder(st, parser.Request), proto.Decoder(st, parser.Response)
	var mreq, mresp parser.Message
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for i := 0; b.Loop(); i++ {
		if resp == nil && i%64 == 63 {
			// Requests alone would fill the FIFO of requests awaiting a
			// response (Options.MaxPipelined): forget them now and then.
			st.(*httpx.State).Reset()
		}
		if req != nil {
			n, framed, ok, err := decReq(&mreq, req, false)
			if err != nil || n != len(req) || !framed || !ok {
				b.Fatal(n, err, mreq.Err)
			}
		}
		if resp != nil {
			mresp.Request = &mreq.Attrs
			n, framed, ok, err := decResp(&mresp, resp, false)
			if err != nil || n != len(resp) || !framed || !ok {
				b.Fatal(n, err, mresp.Err)
			}
		}
	}
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
	m := &parser.Message{Data: []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")}
	root := httpx.Protocol().Request
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if !root.FastFail(m) {
			b.Fatal("not rejected")
		}
	}
}

func BenchmarkHTTPRequest_wirekit(b *testing.B) {
	httpxWirekit(b, httpxPayload(b, "http_get_req"), nil)
}

func BenchmarkHTTPRequest_fasthttp(b *testing.B) {
	httpxFasthttp(b, httpxPayload(b, "http_get_req"), nil, false)
}

func BenchmarkHTTPRequest_nethttp(b *testing.B) {
	httpxNethttp(b, httpxPayload(b, "http_get_req"), nil, false)
}

func BenchmarkHTTPResponse1K_wirekit(b *testing.B) {
	httpxWirekit(b, nil, httpxPayload(b, "http_200_1k_resp"))
}

func BenchmarkHTTPResponse1K_fasthttp(b *testing.B) {
	httpxFasthttp(b, nil, httpxPayload(b, "http_200_1k_resp"), false)
}

func BenchmarkHTTPResponse1K_nethttp(b *testing.B) {
	httpxNethttp(b, nil, httpxPayload(b, "http_200_1k_resp"), false)
}

func BenchmarkHTTPResponseHeader_wirekit(b *testing.B) {
	resp := httpxPayload(b, "http_200_response_header")
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
	resp := httpxPayload(b, "http_200_response_header")
	proto := httpx.Protocol()
	var m parser.Message
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if !proto.ParseResponse(&m, resp, nil, nil) {
			b.Fatal(m.Err)
		}
	}
}

func BenchmarkHTTPResponseHeader_fasthttp(b *testing.B) {
	httpxFasthttp(b, nil, httpxPayload(b, "http_200_response_header"), false)
}

func BenchmarkHTTPResponseHeader_nethttp(b *testing.B) {
	httpxNethttp(b, nil, httpxPayload(b, "http_200_response_header"), false)
}

func BenchmarkHTTPResponseChunked_wirekit(b *testing.B) { httpxWirekit(b, nil, httpxChunked(b)) }

func BenchmarkHTTPResponseChunked_fasthttp(b *testing.B) {
	httpxFasthttp(b, nil, httpxChunked(b), true)
}

func BenchmarkHTTPResponseChunked_nethttp(b *testing.B) {
	httpxNethttp(b, nil, httpxChunked(b), true)
}

func BenchmarkHTTPPair_wirekit(b *testing.B) {
	httpxWirekit(b, httpxPayload(b, "http_get_req"), httpxPayload(b, "http_200_1k_resp"))
}

func BenchmarkHTTPPair_fasthttp(b *testing.B) {
	httpxFasthttp(b, httpxPayload(b, "http_get_req"), httpxPayload(b, "http_200_1k_resp"), false)
}

func BenchmarkHTTPPair_nethttp(b *testing.B) {
	httpxNethttp(b, httpxPayload(b, "http_get_req"), httpxPayload(b, "http_200_1k_resp"), false)
}

// BenchmarkHTTPSplitPair_wirekit frames the pair with one connection's
// State (what parser.Conn runs before the trees).
func BenchmarkHTTPSplitPair_wirekit(b *testing.B) {
	req, resp := httpxPayload(b, "http_get_req"), httpxPayload(b, "http_200_1k_resp")
	s := httpx.DefaultParser().NewState()
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		n1, _, err1 := s.SplitRequest(req, false)
		n2, _, err2 := s.SplitResponse(resp, false)
		if n1 != len(req) || n2 != len(resp) || err1 != nil || err2 != nil {
			b.Fatal(n1, n2, err1, err2)
		}
	}
}
