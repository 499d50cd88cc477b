package httpx_test

import (
	"testing"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/pcaptest"
)

// chunkedResponse is the 1 KiB body of http_200_1k_resp sent as four
// 256-byte chunks, with a trailer-free last chunk (TestChunkedPayload
// checks it).
func chunkedResponse(tb testing.TB) []byte { return payload(tb, "http_200_1k_chunked_resp") }

func BenchmarkFastFailRequest(b *testing.B) {
	pcaptest.BenchFastFail(b, httpx.Protocol().Request, payload(b, "http_get_req"), false)
}

func BenchmarkFastFailResponse(b *testing.B) {
	pcaptest.BenchFastFail(b, httpx.Protocol().Response, payload(b, "http_200_1k_resp"), false)
}

// BenchmarkFastFailNotHTTP is the common case in detection: other traffic.
func BenchmarkFastFailNotHTTP(b *testing.B) {
	pcaptest.BenchFastFail(b, httpx.Protocol().Request, []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), true)
}

func BenchmarkParseRequest(b *testing.B) {
	pcaptest.BenchParse(b, httpx.Protocol(), nil, payload(b, "http_get_req"), nil)
}

func BenchmarkParseResponse1K(b *testing.B) {
	pcaptest.BenchParse(b, httpx.Protocol(), nil, nil, payload(b, "http_200_1k_resp"))
}

func BenchmarkParseResponseHeader(b *testing.B) {
	pcaptest.BenchParse(b, httpx.Protocol(), nil, nil, payload(b, "http_200_response_header"))
}

func BenchmarkParseResponseChunked(b *testing.B) {
	pcaptest.BenchParse(b, httpx.Protocol(), nil, nil, chunkedResponse(b))
}

// BenchmarkParsePair parses the GET request and its 200 + 1 KiB response
// with the trees alone (no State, so each tree decodes its message), the
// response seeing the request's attributes as parser.Conn arranges.
// BenchmarkPair is the target: framing included.
func BenchmarkParsePair(b *testing.B) {
	pcaptest.BenchParse(b, httpx.Protocol(), nil, payload(b, "http_get_req"), payload(b, "http_200_1k_resp"))
}

// BenchmarkDecodeRequest decodes into a reused Request, without attributes.
func BenchmarkDecodeRequest(b *testing.B) {
	data := payload(b, "http_get_req")
	p := httpx.DefaultParser()
	var req httpx.Request
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.ParseRequest(&req, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	data := payload(b, "http_200_1k_resp")
	p := httpx.DefaultParser()
	var resp httpx.Response
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.ParseResponse(&resp, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSplitPair frames the request and the response with one
// connection's State, as a stream would.
func BenchmarkSplitPair(b *testing.B) {
	pcaptest.BenchSplit(b, httpx.Protocol(), payload(b, "http_get_req"), payload(b, "http_200_1k_resp"))
}

func BenchmarkSplitChunked(b *testing.B) {
	req, resp := payload(b, "http_get_req"), chunkedResponse(b)
	s := httpx.DefaultParser().NewState()
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		s.SplitRequest(req, false)
		if n, _, err := s.SplitResponse(resp, false); n != len(resp) || err != nil {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkPair is the request+response target as a user of the
// Protocol gets it (what parser.Conn runs per exchange): frame the GET
// with the connection's Split, parse it with the request tree, frame the
// 200 + 1 KiB response, parse it with the response tree against the
// request's attributes.
func BenchmarkPair(b *testing.B) {
	pcaptest.BenchSplitParse(b, httpx.Protocol(), payload(b, "http_get_req"), payload(b, "http_200_1k_resp"))
}
