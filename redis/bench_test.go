package redis

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// benchPayload reads a hex payload from testdata (a copy of
// ../shared/bench-payloads, the bytes other libraries were measured on).
func benchPayload(tb testing.TB, name string) []byte {
	tb.Helper()
	h, err := os.ReadFile("testdata/" + name + ".hex")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(h)), ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkFastFail is detection's cost per candidate stream: the request
// tree's fastFail on SET key value.
func BenchmarkFastFail(b *testing.B) {
	p := Protocol()
	m := parser.Message{Data: benchPayload(b, "redis_set_req")}
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Data)))
	for b.Loop() {
		if p.Request.FastFail(&m) {
			b.Fatal("fast-failed a request")
		}
	}
}

// BenchmarkParseRequest: SET key value through the request tree, message reused.
func BenchmarkParseRequest(b *testing.B) {
	p := Protocol()
	req := benchPayload(b, "redis_set_req")
	var m parser.Message
	st := p.NewState()
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if !p.ParseRequest(&m, req, st) {
			b.Fatal(m.Err)
		}
	}
}

// BenchmarkParseResponse: +OK through the response tree.
func BenchmarkParseResponse(b *testing.B) {
	p := Protocol()
	resp := benchPayload(b, "redis_set_resp")
	var m parser.Message
	st := p.NewState()
	b.ReportAllocs()
	b.SetBytes(int64(len(resp)))
	for b.Loop() {
		if !p.ParseResponse(&m, resp, nil, st) {
			b.Fatal(m.Err)
		}
	}
}

// BenchmarkSetPair: frame and parse SET key value and its +OK with each
// direction's Decoder, the response parsed against the request's
// attributes, as parser.Conn does (Kindling: 665 ns, 10 allocs for the
// pair).
func BenchmarkSetPair(b *testing.B) {
	p := Protocol()
	req, resp := benchPayload(b, "redis_set_req"), benchPayload(b, "redis_set_resp")
	st := p.NewState()
	decReq, decResp := p.Decoder(st, parser.Request), p.Decoder(st, parser.Response)
	var mreq, mresp parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		if _, framed, ok, err := decReq(&mreq, req, false); err != nil || !framed || !ok {
			b.Fatal(err, mreq.Err)
		}
		mresp.Request = &mreq.Attrs
		if _, framed, ok, err := decResp(&mresp, resp, false); err != nil || !framed || !ok {
			b.Fatal(err, mresp.Err)
		}
	}
}

// BenchmarkSetPairSplitParse: the same through Split, then ParseRequest
// and ParseResponse.
func BenchmarkSetPairSplitParse(b *testing.B) {
	p := Protocol()
	req, resp := benchPayload(b, "redis_set_req"), benchPayload(b, "redis_set_resp")
	st := p.NewState()
	splitReq, splitResp := p.Split(st, parser.Request), p.Split(st, parser.Response)
	var mreq, mresp parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		_, tok, err := splitReq(req, false)
		if err != nil || !p.ParseRequest(&mreq, tok, st) {
			b.Fatal(err, mreq.Err)
		}
		_, tok, err = splitResp(resp, false)
		if err != nil || !p.ParseResponse(&mresp, tok, &mreq.Attrs, st) {
			b.Fatal(err, mresp.Err)
		}
	}
}

// BenchmarkPipeline100: frame and parse each of 100 pipelined SET commands
// with the single-pass Decoder, as parser.Conn does (redcon's
// ReadNextCommand loop on these bytes: see bench/).
func BenchmarkPipeline100(b *testing.B) {
	p := Protocol()
	buf := benchPayload(b, "resp_set_pipeline100")
	decode := p.Decoder(p.NewState(), parser.Request)
	var m parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		n := 0
		for rest := buf; len(rest) > 0; n++ {
			adv, framed, ok, err := decode(&m, rest, false)
			if err != nil || !framed || !ok {
				b.Fatal(err, m.Err)
			}
			rest = rest[adv:]
		}
		if n != 100 {
			b.Fatal(n)
		}
	}
}

// BenchmarkPipeline100SplitParse: the same through Split, then
// ParseRequest on each token.
func BenchmarkPipeline100SplitParse(b *testing.B) {
	p := Protocol()
	buf := benchPayload(b, "resp_set_pipeline100")
	st := p.NewState()
	split := p.Split(st, parser.Request)
	var m parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		n := 0
		for rest := buf; len(rest) > 0; n++ {
			adv, tok, err := split(rest, false)
			if err != nil || adv == 0 || !p.ParseRequest(&m, tok, st) {
				b.Fatal(err, m.Err)
			}
			rest = rest[adv:]
		}
		if n != 100 {
			b.Fatal(n)
		}
	}
}

// BenchmarkSplitLargeReply frames a 100 KiB bulk reply.
func BenchmarkSplitLargeReply(b *testing.B) {
	p := Protocol()
	data := []byte("$102400\r\n" + strings.Repeat("v", 102400) + "\r\n")
	split := p.Split(nil, parser.Response)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if n, _, err := split(data, false); err != nil || n != len(data) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkConnPipeline16 runs the redis-benchmark capture (834 exchanges
// over 9 connections, 16 commands per segment) through parser.Conn:
// framing, parsing and pairing as a user of the library gets them.
func BenchmarkConnPipeline16(b *testing.B) {
	streams, err := pcaptest.ReadFile(pcaptest.Corpus("redis_benchmark_pipeline16.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	p := Protocol()
	total := 0
	for _, s := range streams {
		total += len(s.Data[0]) + len(s.Data[1])
	}
	exchanges := 0
	emit := func(e *parser.Exchange) { exchanges++ }
	b.ReportAllocs()
	b.SetBytes(int64(total))
	for b.Loop() {
		exchanges = 0
		for _, s := range streams {
			c := parser.NewConn(p, parser.ConnOptions{}, emit)
			pcaptest.Replay(s, c)
		}
		if exchanges != 834 {
			b.Fatal(exchanges)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*exchanges), "ns/exchange")
}
