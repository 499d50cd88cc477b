package pcaptest

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/parser"
)

// HexFile reads a file of hex digits (white space and line breaks
// ignored: the benchmark payloads of ../shared/bench-payloads and their
// copies in each package's testdata) and returns the bytes. It fails tb
// if the file cannot be read or is not hex.
func HexFile(tb testing.TB, path string) []byte {
	tb.Helper()
	h, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(h)), ""))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return b
}

// The Bench functions below are the benchmark bodies the protocol
// packages and the bench module share: each reports allocations and bytes
// (SetBytes: the payloads' length), runs b.Loop, and fails the benchmark
// as soon as an iteration does not give the expected result, so a figure
// is never the cost of failing.

// BenchFastFail measures root.FastFail on data; it must return reject.
func BenchFastFail(b *testing.B, root *parser.PkgParser, data []byte, reject bool) {
	m := parser.Message{Data: data}
	begin(b, len(data))
	for b.Loop() {
		if root.FastFail(&m) != reject {
			b.Fatalf("FastFail = %v", !reject)
		}
	}
}

// BenchParse measures p's parser trees alone (no framing) on req and
// then resp, either of which may be nil, each into its reused Message,
// with state as the connection's State (nil for none); the response sees
// the request's attributes (nil without a request) as parser.Conn
// arranges. Each must match.
func BenchParse(b *testing.B, p *parser.Protocol, state any, req, resp []byte) {
	var mreq, mresp parser.Message
	reqAttrs := requestAttrs(&mreq, req)
	begin(b, len(req)+len(resp))
	for b.Loop() {
		if req != nil && !p.ParseRequest(&mreq, req, state) {
			b.Fatal(mreq.Err)
		}
		if resp != nil && !p.ParseResponse(&mresp, resp, reqAttrs, state) {
			b.Fatal(mresp.Err)
		}
	}
}

// BenchDecode measures what parser.Conn runs per message: req and then
// resp (either may be nil) framed and parsed in one call each by the
// Protocol's Decoder of one connection's State, into reused Messages, the
// response against the request's attributes (empty ones without a
// request). Each must be framed whole
// and matched. With requests alone, a State with a Reset method (one that
// keeps requests awaiting their responses, as httpx's does up to
// Options.MaxPipelined) is reset every 64 requests.
func BenchDecode(b *testing.B, p *parser.Protocol, req, resp []byte) {
	st := newState(p)
	decReq, decResp := p.Decoder(st, parser.Request), p.Decoder(st, parser.Response)
	reset, _ := st.(interface{ Reset() })
	var mreq, mresp parser.Message
	begin(b, len(req)+len(resp))
	for i := 0; b.Loop(); i++ {
		if resp == nil && reset != nil && i%64 == 63 {
			reset.Reset()
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

// BenchSplitParse measures the two calls a Decoder stands for: req and
// then resp (either may be nil) framed by the connection's Split, then
// parsed by the trees with the same State, the response against the
// request's attributes (nil without a request). Each must be framed whole
// and matched.
func BenchSplitParse(b *testing.B, p *parser.Protocol, req, resp []byte) {
	st := newState(p)
	splitReq, splitResp := p.Split(st, parser.Request), p.Split(st, parser.Response)
	var mreq, mresp parser.Message
	reqAttrs := requestAttrs(&mreq, req)
	begin(b, len(req)+len(resp))
	for b.Loop() {
		if req != nil {
			n, tok, err := splitReq(req, false)
			if err != nil || n != len(req) || !p.ParseRequest(&mreq, tok, st) {
				b.Fatal(n, err, mreq.Err)
			}
		}
		if resp != nil {
			n, tok, err := splitResp(resp, false)
			if err != nil || n != len(resp) || !p.ParseResponse(&mresp, tok, reqAttrs, st) {
				b.Fatal(n, err, mresp.Err)
			}
		}
	}
}

// BenchSplit measures framing alone: req and then resp (either may be
// nil) framed by the Split of one connection's State. Each must be framed
// whole.
func BenchSplit(b *testing.B, p *parser.Protocol, req, resp []byte) {
	st := newState(p)
	splitReq, splitResp := p.Split(st, parser.Request), p.Split(st, parser.Response)
	begin(b, len(req)+len(resp))
	for b.Loop() {
		if req != nil {
			if n, tok, err := splitReq(req, false); err != nil || n != len(req) || tok == nil {
				b.Fatal(n, err)
			}
		}
		if resp != nil {
			if n, tok, err := splitResp(resp, false); err != nil || n != len(resp) || tok == nil {
				b.Fatal(n, err)
			}
		}
	}
}

// BenchPipeline measures the request Decoder over buf, a pipeline of
// want requests: each call frames and parses one into a reused Message,
// as parser.Conn reads a pipelined segment.
func BenchPipeline(b *testing.B, p *parser.Protocol, buf []byte, want int) {
	decode := p.Decoder(newState(p), parser.Request)
	var m parser.Message
	begin(b, len(buf))
	for b.Loop() {
		n := 0
		for rest := buf; len(rest) > 0; n++ {
			adv, framed, ok, err := decode(&m, rest, false)
			if err != nil || !framed || !ok {
				b.Fatal(err, m.Err)
			}
			rest = rest[adv:]
		}
		if n != want {
			b.Fatal(n)
		}
	}
}

// BenchPipelineSplitParse is BenchPipeline through Split, then
// ParseRequest on each token.
func BenchPipelineSplitParse(b *testing.B, p *parser.Protocol, buf []byte, want int) {
	st := newState(p)
	split := p.Split(st, parser.Request)
	var m parser.Message
	begin(b, len(buf))
	for b.Loop() {
		n := 0
		for rest := buf; len(rest) > 0; n++ {
			adv, tok, err := split(rest, false)
			if err != nil || adv == 0 || !p.ParseRequest(&m, tok, st) {
				b.Fatal(err, m.Err)
			}
			rest = rest[adv:]
		}
		if n != want {
			b.Fatal(n)
		}
	}
}

// BenchReplay runs every connection of the capture at path through its
// own new parser.Conn per iteration, in the chunks it was captured in
// (Replay), as a user of the library gets it: buffering, framing,
// parsing, pairing. The capture must give want exchanges (pushes not
// counted); it reports ns/exchange besides ns/op.
func BenchReplay(b *testing.B, p *parser.Protocol, path string, want int) {
	streams, err := ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, s := range streams {
		total += len(s.Data[0]) + len(s.Data[1])
	}
	exchanges := 0
	emit := func(e *parser.Exchange) {
		if e.Kind != parser.Push {
			exchanges++
		}
	}
	begin(b, total)
	for b.Loop() {
		exchanges = 0
		for _, s := range streams {
			Replay(s, parser.NewConn(p, parser.ConnOptions{}, emit))
		}
		if exchanges != want {
			b.Fatal(exchanges)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*want), "ns/exchange")
}

// requestAttrs is what a response is parsed against: the attributes of
// the request parsed into m, nil when there is no request.
func requestAttrs(m *parser.Message, req []byte) *parser.Attributes {
	if req == nil {
		return nil
	}
	return &m.Attrs
}

// begin reports allocations and sets the bytes one iteration handles.
func begin(b *testing.B, bytes int) {
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
}

// newState is p's per-connection value (nil for a stateless protocol).
func newState(p *parser.Protocol) any {
	if p.NewState == nil {
		return nil
	}
	return p.NewState()
}
