package httpx_test

import (
	"bytes"
	"testing"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// chunkedResponse is the 1 KiB body of http_200_1k_resp sent as four
// 256-byte chunks, with a trailer-free last chunk.
func chunkedResponse(tb testing.TB) []byte {
	full := payload(tb, "http_200_1k_resp")
	body := full[bytes.Index(full, []byte("\r\n\r\n"))+4:]
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n" +
		"Date: Tue, 14 Nov 2023 22:13:20 GMT\r\nServer: envoy\r\nCache-Control: no-cache\r\n\r\n")
	for i := 0; i < 4; i++ {
		b.WriteString("100\r\n")
		b.Write(body[i*256 : (i+1)*256])
		b.WriteString("\r\n")
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

func BenchmarkFastFailRequest(b *testing.B) {
	m := &parser.Message{Data: payload(b, "http_get_req")}
	root := httpx.Protocol().Request
	b.ReportAllocs()
	for b.Loop() {
		if root.FastFail(m) {
			b.Fatal("failed fast")
		}
	}
}

func BenchmarkFastFailResponse(b *testing.B) {
	m := &parser.Message{Data: payload(b, "http_200_1k_resp")}
	root := httpx.Protocol().Response
	b.ReportAllocs()
	for b.Loop() {
		if root.FastFail(m) {
			b.Fatal("failed fast")
		}
	}
}

// BenchmarkFastFailNotHTTP is the common case in detection: other traffic.
func BenchmarkFastFailNotHTTP(b *testing.B) {
	m := &parser.Message{Data: []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")}
	root := httpx.Protocol().Request
	b.ReportAllocs()
	for b.Loop() {
		if !root.FastFail(m) {
			b.Fatal("did not fail fast")
		}
	}
}

func benchParse(b *testing.B, dir parser.Direction, data []byte) {
	proto := httpx.Protocol()
	m := &parser.Message{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var ok bool
		if dir == parser.Request {
			ok = proto.ParseRequest(m, data, nil)
		} else {
			ok = proto.ParseResponse(m, data, nil, nil)
		}
		if !ok {
			b.Fatal(m.Err)
		}
	}
}

func BenchmarkParseRequest(b *testing.B) { benchParse(b, parser.Request, payload(b, "http_get_req")) }

func BenchmarkParseResponse1K(b *testing.B) {
	benchParse(b, parser.Response, payload(b, "http_200_1k_resp"))
}

func BenchmarkParseResponseHeader(b *testing.B) {
	benchParse(b, parser.Response, payload(b, "http_200_response_header"))
}

func BenchmarkParseResponseChunked(b *testing.B) {
	benchParse(b, parser.Response, chunkedResponse(b))
}

// BenchmarkParsePair parses the GET request and its 200 + 1 KiB response
// with the trees alone (no State, so each tree decodes its message), the
// response seeing the request's attributes as parser.Conn arranges.
// BenchmarkPair is the target: framing included.
func BenchmarkParsePair(b *testing.B) {
	req, resp := payload(b, "http_get_req"), payload(b, "http_200_1k_resp")
	proto := httpx.Protocol()
	mreq, mresp := &parser.Message{}, &parser.Message{}
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		if !proto.ParseRequest(mreq, req, nil) || !proto.ParseResponse(mresp, resp, &mreq.Attrs, nil) {
			b.Fatal(mreq.Err, mresp.Err)
		}
	}
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
	req, resp := payload(b, "http_get_req"), payload(b, "http_200_1k_resp")
	s := httpx.DefaultParser().NewState()
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		n1, _, err1 := s.SplitRequest(req, false)
		n2, _, err2 := s.SplitResponse(resp, false)
		if n1 != len(req) || n2 != len(resp) || err1 != nil || err2 != nil {
			b.Fatal(n1, n2, err1, err2)
		}
	}
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
	req, resp := payload(b, "http_get_req"), payload(b, "http_200_1k_resp")
	proto := httpx.Protocol()
	st := proto.NewState()
	splitReq, splitResp := proto.Split(st, parser.Request), proto.Split(st, parser.Response)
	var mreq, mresp parser.Message
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		_, tok, err := splitReq(req, false)
		if err != nil || !proto.ParseRequest(&mreq, tok, st) {
			b.Fatal(err, mreq.Err)
		}
		_, tok, err = splitResp(resp, false)
		if err != nil || !proto.ParseResponse(&mresp, tok, &mreq.Attrs, st) {
			b.Fatal(err, mresp.Err)
		}
	}
}
