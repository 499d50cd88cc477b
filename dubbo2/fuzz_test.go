package dubbo2

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/apache/dubbo-go-hessian2/java_exception"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// fuzzSeeds returns whole messages of each direction: every frame of the
// corpus capture, the benchmark payloads and generated messages of every
// kind the tests build.
func fuzzSeeds(f testing.TB) (reqs, resps [][]byte) {
	split := Protocol().Split(nil, parser.Request)
	streams := map[string][]byte{}
	dirs := map[string]parser.Direction{}
	for _, s := range readSegments(f, pcaptest.Corpus("dubbo2_dubbogo_userprovider.pcap")) {
		k := s.client + s.dir.String()
		streams[k] = append(streams[k], s.data...)
		dirs[k] = s.dir
	}
	for k, b := range streams {
		for len(b) > 0 {
			n, tok, err := split(b, true)
			if err != nil || n == 0 {
				f.Fatalf("corpus framing: %v", err)
			}
			if len(tok) > 4096 {
				tok = tok[:4096] // the 80 KB calls, truncated: still a valid seed
			}
			if dirs[k] == parser.Request {
				reqs = append(reqs, tok)
			} else {
				resps = append(resps, tok)
			}
			b = b[n:]
		}
	}
	reqs = append(reqs, payload(f, "dubbo2_sayhi_req"))
	resps = append(resps, payload(f, "dubbo2_sayhi_resp"))
	for _, c := range []call{
		{"S", "1", "m", "Lorg/wirekit/test/User;[Ljava/lang/String;Ljava/util/Map;",
			[]any{&testUser{ID: "u", Tags: []string{"a"}}, []string{"x"}, map[string]any{"k": []any{int32(1), "v", nil}}},
			map[string]any{"token": "t", "group": "g", "timeout": int32(5)}},
		{"S", "", "m", "IJDZ", []any{int32(1), int64(2), 3.5, true}, map[string]any{"x": map[string]any{"nested": "y"}}},
	} {
		reqs = append(reqs, c.request(f, 1))
	}
	ok := byte(StatusOK)
	resps = append(resps,
		frame(2, ok, 1, encode(f, int32(3), java_exception.NewIllegalArgumentException("bad"), map[string]any{"a": "b"})),
		frame(2, ok, 1, encode(f, int32(4), &testUser{ID: "u"}, map[string]any{"a": int32(1)})),
		frame(2, byte(StatusServiceError), 1, encode(f, "error")),
	)
	return reqs, resps
}

// allocBound is a generous bound on what parsing one message may allocate:
// a constant plus a multiple of its size. A parser that allocated from a
// wire count instead of the bytes present would blow past it.
func allocBound(n int) uint64 { return 1<<20 + 256*uint64(n) }

func checkParse(t *testing.T, p *parser.Protocol, data []byte, dir parser.Direction) {
	var m parser.Message
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if dir == parser.Request {
		p.ParseRequest(&m, data, nil)
	} else {
		p.ParseResponse(&m, data, nil, nil)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > allocBound(len(data)) {
		t.Fatalf("parsing %d bytes allocated %d bytes", len(data), d)
	}
	if m.Offset > len(data) {
		t.Fatalf("offset %d past %d bytes", m.Offset, len(data))
	}
	// The JSON renderings are valid JSON, whatever the input.
	for _, key := range []string{AttrArguments, AttrAttachments} {
		if s, ok := m.Attrs.String(key); ok && !json.Valid([]byte(s)) {
			t.Fatalf("%s is not JSON: %q", key, s)
		}
	}
}

var fuzzProtocols = []*parser.Protocol{
	Protocol(),
	NewProtocol(Options{DecodeAttachments: true, DecodeArguments: true}),
}

func FuzzParseRequest(f *testing.F) {
	reqs, _ := fuzzSeeds(f)
	for _, r := range reqs {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range fuzzProtocols {
			checkParse(t, p, data, parser.Request)
		}
		if len(data) > HeaderLen {
			checkLeadingStrings(t, data[HeaderLen:])
		}
	})
}

// checkLeadingStrings reads the strings a body starts with twice, with
// leadingString's fast path and with readString: the strings, the offsets
// and the errors must be the same.
func checkLeadingStrings(t *testing.T, body []byte) {
	fast, slow := parser.NewReader(body), parser.NewReader(body)
	for i := 0; i < len(requestFields)+1; i++ {
		a, b := leadingString(&fast), readString(&slow)
		if string(a) != string(b) || fast.Offset() != slow.Offset() || fast.Err() != slow.Err() {
			t.Fatalf("string %d: fast path %q at %d (%v), readString %q at %d (%v)",
				i, a, fast.Offset(), fast.Err(), b, slow.Offset(), slow.Err())
		}
		if !fast.Ok() {
			return
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	_, resps := fuzzSeeds(f)
	for _, r := range resps {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range fuzzProtocols {
			checkParse(t, p, data, parser.Response)
		}
	})
}

// FuzzSplit frames arbitrary bytes: the split function must never claim
// more than it was given, never return a token that is not a prefix of its
// input, and never ask for more on a complete message.
func FuzzSplit(f *testing.F) {
	reqs, resps := fuzzSeeds(f)
	for _, r := range append(reqs, resps...) {
		f.Add(r, false)
	}
	split := NewProtocol(Options{MaxBodySize: 1 << 16}).Split(nil, parser.Request)
	f.Fuzz(func(t *testing.T, data []byte, atEOF bool) {
		for len(data) > 0 {
			n, tok, err := split(data, atEOF)
			if err != nil {
				return
			}
			if n < 0 || n > len(data) || len(tok) != n {
				t.Fatalf("advance %d token %d of %d bytes", n, len(tok), len(data))
			}
			if n == 0 {
				if atEOF {
					t.Fatal("need more at EOF")
				}
				return
			}
			if h, err := ParseHeader(tok); err != nil || h.Len() != n {
				t.Fatalf("token header %v, len %d", err, n)
			}
			data = data[n:]
		}
	})
}
