package kafka

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// Fuzz targets. Properties: no panic; Split never consumes more than it is
// given and its token is a prefix of the input; a parse never reads past
// the message and yields the header attributes whenever the header is
// whole. Seeds: every generated request/response of every decoded API and
// version, the benchmark payloads and every message of the corpus captures.

func seedMessages(f *testing.F, dir parser.Direction) {
	for _, c := range genCases(f) {
		if dir == parser.Request {
			f.Add(c.reqFrame)
		} else {
			f.Add(c.respFrame)
		}
	}
	suffix := "_req"
	if dir == parser.Response {
		suffix = "_resp"
	}
	for _, n := range []string{"produce_v7", "produce_v9", "fetch_v11", "fetch_v12"} {
		f.Add(payload(f, "kafka_"+n+suffix))
	}
	for _, n := range []string{"kafka_kgo_v2_4", "kafka_sarama_v0_11"} {
		pcaptest.Seed(f, filepath.Join("testdata", n+".pcap"), Protocol(), dir)
	}
}

func FuzzSplit(f *testing.F) {
	seedMessages(f, parser.Request)
	split := NewProtocol(Options{MaxMessageSize: 1 << 20}).Split(nil, parser.Request)
	f.Fuzz(func(t *testing.T, b []byte) {
		for rest := b; len(rest) > 0; {
			n, tok, err := split(rest, true)
			if err != nil {
				return
			}
			if n <= 0 || n > len(rest) || len(tok) != n {
				t.Fatalf("split consumed %d of %d, token %d", n, len(rest), len(tok))
			}
			rest = rest[n:]
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	seedMessages(f, parser.Request)
	p := Protocol()
	state := p.NewState()
	f.Fuzz(func(t *testing.T, b []byte) {
		var m parser.Message
		ok := p.ParseRequest(&m, b, state)
		if m.Offset > len(b) {
			t.Fatalf("offset %d past %d", m.Offset, len(b))
		}
		if len(b) >= 12 && !p.Request.FastFail(&m) {
			if !m.Attrs.Has(AttrCorrelationID) {
				t.Fatalf("no header attributes (ok=%v, err=%v)", ok, m.Err)
			}
		}
		// The same bytes as a message cut short by a gap.
		m.Reset(b, parser.Request)
		m.State = state
		m.Flags = parser.Truncated
		p.Request.Parse(&m)
		if m.Offset > len(b) {
			t.Fatalf("truncated: offset %d past %d", m.Offset, len(b))
		}
	})
}

// FuzzParseResponse parses the input as a response to a request of the API
// key and version in its first 4 bytes (so every decoder is reached).
func FuzzParseResponse(f *testing.F) {
	for _, c := range genCases(f) {
		f.Add(c.key, c.version, c.respFrame)
	}
	for _, n := range []string{"produce_v7", "produce_v9", "fetch_v11", "fetch_v12"} {
		req := payload(f, "kafka_"+n+"_req")
		f.Add(int16(binary.BigEndian.Uint16(req[4:])), int16(binary.BigEndian.Uint16(req[6:])), payload(f, "kafka_"+n+"_resp"))
	}
	p := Protocol()
	state := p.NewState()
	f.Fuzz(func(t *testing.T, key, version int16, b []byte) {
		var req parser.Attributes
		req.SetInt(AttrAPIKey, int64(key))
		req.SetInt(AttrAPIVersion, int64(version))
		var m parser.Message
		ok := p.ParseResponse(&m, b, &req, state)
		if m.Offset > len(b) {
			t.Fatalf("offset %d past %d", m.Offset, len(b))
		}
		if ok && !m.Attrs.Has(AttrCorrelationID) {
			t.Fatal("parsed without a correlation id")
		}
	})
}

// FuzzDecodeBody frames the input as the body of a request or response of
// any decoded API key and version (from the fuzz input), reaching every
// body decoder in every version without the fuzzer having to find a valid
// header first.
func FuzzDecodeBody(f *testing.F) {
	for _, c := range genCases(f) {
		f.Add(uint8(c.key), uint8(c.version), false, c.reqFrame[len(c.reqFrame)-len(c.req.AppendTo(nil)):])
		f.Add(uint8(c.key), uint8(c.version), true, c.resp.AppendTo(nil))
	}
	p := Protocol()
	state := p.NewState()
	f.Fuzz(func(t *testing.T, k, v uint8, resp bool, body []byte) {
		key := decodedAPIs[int(k)%len(decodedAPIs)]
		ver := int16(v) % (apis[key].maxVersion + 1)
		var req, m parser.Message
		if !p.ParseRequest(&req, frameRequest(key, ver, 1, "f", body), state) && !resp {
			t.Fatalf("request with a whole header did not parse: %v", req.Err)
		}
		if !resp {
			return
		}
		req.Attrs.Reset()
		req.Attrs.SetInt(AttrAPIKey, int64(key))
		req.Attrs.SetInt(AttrAPIVersion, int64(ver))
		b := frameResponse(key, ver, 1, body)
		p.ParseResponse(&m, b, &req.Attrs, state)
		if m.Offset > len(b) {
			t.Fatalf("offset %d past %d", m.Offset, len(b))
		}
	})
}
