package httpx_test

import (
	"bufio"
	"bytes"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// maxSeed caps seeds taken from the captures (their 200 KiB bodies would
// only slow the fuzzer down).
const maxSeed = 4096

// fuzzSeeds returns the captured messages of one direction (framed with
// net/http so the seeds do not depend on the code under test), the bench
// payloads and hand-written edge cases.
func fuzzSeeds(f *testing.F, dir parser.Direction) [][]byte {
	var seeds [][]byte
	add := func(b []byte) { seeds = append(seeds, b[:min(len(b), maxSeed)]) }
	for _, cf := range corpusFiles {
		for _, tc := range readConns(f, pcaptest.Corpus(cf.name+".pcap")) {
			add(tc.stream(dir)) // the whole (pipelined) stream
			s := tc.stream(dir)
			for len(s) > 0 {
				var end int
				if dir == parser.Request {
					end = nethttpRequest(s).end
				} else {
					end = nethttpResponse(s, "GET").end
				}
				if end == 0 {
					break
				}
				add(s[:end])
				s = s[end:]
			}
		}
	}
	if dir == parser.Request {
		add(payload(f, "http_get_req"))
		for _, s := range []string{
			"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
			"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n\x16\x03\x01",
			"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
			"\r\n\r\nGET / HTTP/1.0\nContent-Length: 2\n\nab",
		} {
			add([]byte(s))
		}
	} else {
		add(payload(f, "http_200_1k_resp"))
		add(payload(f, "http_200_response_header"))
		add(chunkedResponse(f))
		for _, s := range []string{
			"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
			"HTTP/1.0 200 OK\r\n\r\nuntil close",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
		} {
			add([]byte(s))
		}
	}
	return seeds
}

// fuzzParser has small limits so the fuzzer reaches them.
func fuzzParser(tb testing.TB) *httpx.Parser {
	p, err := httpx.NewParser(httpx.Options{MaxHeaderBytes: 2048, MaxHeaders: 20, MaxBodyBytes: 8192,
		MaxChunkLineBytes: 64, MaxPipelined: 8, ExtraHeaders: []string{"x-a", "traceparent"}})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// scanTokens frames r with split through bufio.Scanner.
func scanTokens(split bufio.SplitFunc, r *bufio.Reader) ([]string, bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 16), 1<<20)
	sc.Split(split)
	var toks []string
	for sc.Scan() {
		toks = append(toks, sc.Text())
	}
	return toks, sc.Err() != nil
}

// FuzzSplit frames the input as a request stream and as a response
// stream. Properties: no panic; every token is a prefix of the remaining
// input and advance never exceeds it; the tree parsing a token with the
// State that framed it (reusing the head Split decoded) gives the same
// result, attributes and flags as the tree decoding a copy on its own;
// framing the input fed all at once and fed one byte at a time gives the
// same messages and the same success or failure.
func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds(f, parser.Request) {
		f.Add(s, false)
	}
	for _, s := range fuzzSeeds(f, parser.Response) {
		f.Add(s, true)
	}
	p := fuzzParser(f)
	proto := p.Protocol()
	f.Fuzz(func(t *testing.T, data []byte, response bool) {
		split := func() bufio.SplitFunc {
			s := p.NewState()
			if response {
				return s.SplitResponse
			}
			return s.SplitRequest
		}
		st := p.NewState()
		sp := st.SplitRequest
		parse := func(m *parser.Message, msg []byte, state any) bool { return proto.ParseRequest(m, msg, state) }
		if response {
			sp = st.SplitResponse
			parse = func(m *parser.Message, msg []byte, state any) bool { return proto.ParseResponse(m, msg, nil, state) }
		}
		for b, steps := data, 0; len(b) > 0; steps++ {
			adv, tok, err := sp(b, true)
			if err != nil {
				break
			}
			if adv < 0 || adv > len(b) || (adv == 0 && tok != nil) {
				t.Fatalf("advance %d, token %d bytes, %d left", adv, len(tok), len(b))
			}
			if tok != nil && !bytes.HasPrefix(b, tok) {
				t.Fatalf("token is not a prefix of the input")
			}
			if tok != nil {
				var fused, plain parser.Message
				okF, okP := parse(&fused, tok, st), parse(&plain, bytes.Clone(tok), nil)
				if okF != okP || fused.Flags != plain.Flags || fused.Offset != plain.Offset ||
					!slices.Equal(attrList(&fused.Attrs), attrList(&plain.Attrs)) {
					t.Fatalf("token %q: with the framing State %v %v %v %v, alone %v %v %v %v", tok,
						okF, fused.Flags, fused.Offset, attrList(&fused.Attrs), okP, plain.Flags, plain.Offset, attrList(&plain.Attrs))
				}
			}
			if adv == 0 {
				break
			}
			b = b[adv:]
			if steps > len(data) {
				t.Fatalf("no progress")
			}
		}
		whole, errWhole := scanTokens(split(), bufio.NewReader(bytes.NewReader(data)))
		bytewise, errBytes := scanTokens(split(), bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(data)), 16))
		if errWhole != errBytes || len(whole) != len(bytewise) {
			t.Fatalf("whole: %d messages (error %v), byte-wise: %d (error %v)", len(whole), errWhole, len(bytewise), errBytes)
		}
		for i := range whole {
			if whole[i] != bytewise[i] {
				t.Fatalf("message %d differs: %q vs %q", i, whole[i], bytewise[i])
			}
		}
	})
}

// FuzzParseRequest runs the request tree on the input. Properties: no
// panic; the offset stays inside the input; a match has a method and a
// target; and when both httpx (framing and parsing) and net/http accept
// the first request, they agree on method, target, host, Content-Length
// and where it ends.
func FuzzParseRequest(f *testing.F) {
	for _, s := range fuzzSeeds(f, parser.Request) {
		f.Add(s)
	}
	proto := fuzzParser(f).Protocol()
	m := &parser.Message{}
	f.Fuzz(func(t *testing.T, data []byte) {
		ok := proto.ParseRequest(m, data, nil)
		if m.Offset < 0 || m.Offset > len(data) {
			t.Fatalf("offset %d outside %d bytes", m.Offset, len(data))
		}
		if ok {
			if v, _ := m.Attrs.String(httpx.AttrMethod); v == "" {
				t.Fatalf("matched without a method")
			}
			if v, _ := m.Attrs.String(httpx.AttrPath); v == "" {
				t.Fatalf("matched without a target")
			}
		} else if m.Err == nil {
			t.Fatalf("no match and no reason")
		}
		got := wirekitRequest(data)
		if !got.ok {
			return
		}
		want := nethttpRequest(data)
		if !want.ok {
			return
		}
		if want, got = normalize(want, got); want != got {
			t.Fatalf("net/http %+v\n   httpx %+v", want, got)
		}
	})
}

// FuzzParseResponse runs the response tree on the input, as the answer
// to a GET and to a HEAD. Properties: no panic; the offset stays inside
// the input; a match has a status code of three digits; 1xx other than
// 101 is Interim; and when httpx and net/http both accept the first
// response, they agree on status, Content-Length and where it ends.
func FuzzParseResponse(f *testing.F) {
	for _, s := range fuzzSeeds(f, parser.Response) {
		f.Add(s, false)
	}
	proto := fuzzParser(f).Protocol()
	m := &parser.Message{}
	head := &parser.Attributes{}
	head.SetString(httpx.AttrMethod, "HEAD")
	f.Fuzz(func(t *testing.T, data []byte, isHead bool) {
		var req *parser.Attributes
		method := "GET"
		if isHead {
			req, method = head, "HEAD"
		}
		ok := proto.ParseResponse(m, data, req, nil)
		if m.Offset < 0 || m.Offset > len(data) {
			t.Fatalf("offset %d outside %d bytes", m.Offset, len(data))
		}
		if ok {
			code, _ := m.Attrs.Int(httpx.AttrStatusCode)
			if code < 100 || code > 999 {
				t.Fatalf("status %d", code)
			}
			if interim := code < 200 && code != 101; interim != (m.Flags&parser.Interim != 0) {
				t.Fatalf("status %d with flags %b", code, m.Flags)
			}
		} else if m.Err == nil {
			t.Fatalf("no match and no reason")
		}
		got := wirekitResponse(data, method)
		if !got.ok {
			return
		}
		want := nethttpResponse(data, method)
		if !want.ok {
			return
		}
		if want, got = normalize(want, got); want != got {
			t.Fatalf("net/http %+v\n   httpx %+v", want, got)
		}
	})
}
