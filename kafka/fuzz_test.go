package kafka

import (
	"encoding/binary"
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
		pcaptest.Seed(f, pcaptest.Corpus(n+".pcap"), Protocol(), dir)
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
	for _, c := range corpusBodies(f) {
		if c.resp {
			f.Add(c.key, c.version, c.frame)
		}
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

// fuzzBodies is the body fuzz target of one decoder file: it frames the
// input as the body of a request or a response of one of keys, at a
// version taken from the input, so that every version of every decoder is
// reached without the fuzzer having to find a valid header first. Seeds are
// the generated bodies of those keys in every version.
func fuzzBodies(f *testing.F, keys ...int16) {
	for _, c := range genCases(f) {
		for i, k := range keys {
			if k == c.key {
				f.Add(uint8(i), uint8(c.version), false, c.req.AppendTo(nil))
				f.Add(uint8(i), uint8(c.version), true, c.resp.AppendTo(nil))
			}
		}
	}
	for _, c := range corpusBodies(f) {
		for i, k := range keys {
			if k == c.key {
				f.Add(uint8(i), uint8(c.version), c.resp, c.body)
			}
		}
	}
	p := Protocol()
	state := p.NewState()
	f.Fuzz(func(t *testing.T, k, v uint8, resp bool, body []byte) {
		key := keys[int(k)%len(keys)]
		ver := int16(v) % (apis[key].maxVersion + 1)
		var req, m parser.Message
		if !p.ParseRequest(&req, frameRequest(key, ver, 1, "f", body), state) {
			t.Fatalf("request with a whole header did not parse: %v", req.Err)
		}
		if req.Offset > len(req.Data) {
			t.Fatalf("request offset %d past %d", req.Offset, len(req.Data))
		}
		if !resp {
			return
		}
		req.Attrs.Reset()
		req.Attrs.SetInt(AttrAPIKey, int64(key))
		req.Attrs.SetInt(AttrAPIVersion, int64(ver))
		b := frameResponse(key, ver, 1, body)
		if !p.ParseResponse(&m, b, &req.Attrs, state) {
			t.Fatalf("response with a whole header did not parse: %v", m.Err)
		}
		if m.Offset > len(b) {
			t.Fatalf("response offset %d past %d", m.Offset, len(b))
		}
	})
}

func FuzzProduceBody(f *testing.F)  { fuzzBodies(f, 0) }
func FuzzFetchBody(f *testing.F)    { fuzzBodies(f, 1) }
func FuzzMetadataBody(f *testing.F) { fuzzBodies(f, 3) }
func FuzzOffsetsBody(f *testing.F)  { fuzzBodies(f, 2, 8, 9) }
func FuzzGroupBody(f *testing.F)    { fuzzBodies(f, 10, 11, 12, 13, 14, 15, 16) }
func FuzzMiscBody(f *testing.F)     { fuzzBodies(f, 17, 18, 36) }
func FuzzTopicsBody(f *testing.F)   { fuzzBodies(f, 19, 20) }
func FuzzTxnBody(f *testing.F)      { fuzzBodies(f, 22, 24, 26) }

// FuzzGeneratedBody covers the decoders generated from kmsg (zdecode.go),
// every key of the table without a hand-written one.
func FuzzGeneratedBody(f *testing.F) {
	var keys []int16
	for _, k := range DecodedAPIs() {
		if apis[k].generated {
			keys = append(keys, k)
		}
	}
	fuzzBodies(f, keys...)
}

// corpusBody is one message of the corpus captures with its API key and
// version (a response's are its request's) and its body.
type corpusBody struct {
	key, version int16
	resp         bool
	frame, body  []byte
}

// corpusBodies frames every connection of the corpus captures and returns
// each message with its body (header stripped).
func corpusBodies(tb testing.TB) []corpusBody {
	tb.Helper()
	p := Protocol()
	var out []corpusBody
	for _, n := range []string{"kafka_kgo_v2_4", "kafka_sarama_v0_11"} {
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(n + ".pcap"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, s := range streams {
			reqs, err1 := pcaptest.Messages(p, s, parser.Request)
			resps, err2 := pcaptest.Messages(p, s, parser.Response)
			if err1 != nil || err2 != nil {
				tb.Fatal(err1, err2)
			}
			kv := map[uint32][2]int16{}
			for _, b := range reqs {
				key := int16(binary.BigEndian.Uint16(b[4:]))
				ver := int16(binary.BigEndian.Uint16(b[6:]))
				kv[binary.BigEndian.Uint32(b[8:])] = [2]int16{key, ver}
				h := 12
				if RequestHeaderVersion(key, ver) >= 1 {
					h += 2 + int(binary.BigEndian.Uint16(b[12:]))
				}
				if RequestHeaderVersion(key, ver) == 2 {
					h += headerTags(b[h:])
				}
				out = append(out, corpusBody{key: key, version: ver, frame: b, body: b[h:]})
			}
			for _, b := range resps {
				r, ok := kv[binary.BigEndian.Uint32(b[4:])]
				if !ok {
					tb.Fatal("response without request")
				}
				h := 8
				if ResponseHeaderVersion(r[0], r[1]) == 1 {
					h += headerTags(b[h:])
				}
				out = append(out, corpusBody{key: r[0], version: r[1], resp: true, frame: b, body: b[h:]})
			}
		}
	}
	return out
}
