package sqltest

import (
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// BenchPair measures a request and its response framed and parsed by the
// Decoders of one connection (decReq, decResp), the response seeing the
// request's attributes as parser.Conn arranges; each must be framed whole
// and parse. check verifies the first parsed pair.
func BenchPair(b *testing.B, decReq, decResp parser.DecodeFunc, req, resp []byte, check func(req, resp *parser.Attributes) bool) {
	var mreq, mresp parser.Message
	run := func() {
		if n, framed, ok, err := decReq(&mreq, req, false); err != nil || !framed || !ok || n != len(req) {
			b.Fatal("request", n, err, mreq.Err)
		}
		mresp.Request = &mreq.Attrs
		if n, framed, ok, err := decResp(&mresp, resp, false); err != nil || !framed || !ok || n != len(resp) {
			b.Fatal("response", n, err, mresp.Err)
		}
	}
	run()
	if !check(&mreq.Attrs, &mresp.Attrs) {
		b.Fatalf("request %v response %v", &mreq.Attrs, &mresp.Attrs)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		run()
	}
}

// BenchConn measures one parser.Conn of p in steady state fed a request
// and its response per iteration (buffering, framing, parsing, pairing,
// the exchange emitted) after setup (fed first in the order given,
// responses and requests by turns, a response first: a login); every
// exchange after setup must pass check.
func BenchConn(b *testing.B, p *parser.Protocol, setup [][]byte, req, resp []byte, check func(*parser.Exchange) bool) {
	n := 0
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
		if check(e) {
			n++
		}
	})
	ts := time.Unix(0, 0)
	for i, m := range setup {
		c.Feed(parser.Direction(1-i%2), m, ts)
	}
	n = 0
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		c.Feed(parser.Request, req, ts)
		c.Feed(parser.Response, resp, ts)
	}
	if n != b.N {
		b.Fatal(n, b.N)
	}
}

// ResponseInt is a BenchConn check: the exchange's response has the
// integer attribute key equal to want.
func ResponseInt(key string, want int64) func(*parser.Exchange) bool {
	return func(e *parser.Exchange) bool {
		v, _ := e.Response.Int(key)
		return v == want
	}
}

// FirstMessages returns the framed requests and responses of the first
// connection of the corpus capture named capture.
func FirstMessages(tb testing.TB, p *parser.Protocol, capture string) (reqs, resps [][]byte) {
	tb.Helper()
	streams, err := pcaptest.ReadFile(pcaptest.Corpus(capture))
	if err != nil {
		tb.Fatal(err)
	}
	if reqs, err = pcaptest.Messages(p, streams[0], parser.Request); err != nil {
		tb.Fatal(err)
	}
	if resps, err = pcaptest.Messages(p, streams[0], parser.Response); err != nil {
		tb.Fatal(err)
	}
	return reqs, resps
}

// MySQLPacket builds one MySQL packet: 3-byte length, sequence id,
// payload.
func MySQLPacket(seq byte, payload string) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// MySQLPackets builds consecutive packets from sequence id seq on.
func MySQLPackets(seq byte, payloads ...string) []byte {
	var b []byte
	for i, p := range payloads {
		b = append(b, MySQLPacket(seq+byte(i), p)...)
	}
	return b
}
