package bench

import (
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/parser"
)

// Kafka on the shared Produce and Fetch payloads (../shared/bench-payloads,
// copied to kafka/testdata): wirekit's parser tree against franz-go's kmsg
// decoding the same bytes. Pairs: <Case>_wirekit / <Case>_kmsg.
//
//	ProduceV7Request: wirekit: header + body + record-batch headers
//	                  (record count, bytes, codec); kmsg: the request header
//	                  read in the loop (api key, version, correlation id,
//	                  client id, tagged fields: kmsg has no header reader, so
//	                  it is read by hand, as a kmsg user does) and
//	                  ProduceRequest.UnsafeReadFrom of the body (strings alias
//	                  the input, as wirekit's do; records left as bytes)
//	ProduceV7RequestRecords: not the same work: wirekit is as above and only
//	                  counts the records from the batch header; kmsg also
//	                  decodes the record batch and every record in it
//	                  (RecordBatch and Record UnsafeReadFrom)
//	ProduceV7Pair:    request + response, both headers and bodies on both sides
//	ProduceV9Pair, FetchV11Pair, FetchV12Pair: likewise
//
// wirekit allocates nothing; kmsg allocates its decoded structs.

// kafkaBodies returns the request and response bodies (headers removed)
// and the api key and version, for kmsg.
func kafkaBodies(b *testing.B, name string) (key, version int16, reqBody, respBody []byte) {
	req := payload(b, "kafka", name+"_req")
	resp := payload(b, "kafka", name+"_resp")
	key = int16(binary.BigEndian.Uint16(req[4:]))
	version = int16(binary.BigEndian.Uint16(req[6:]))
	h := 14 + int(binary.BigEndian.Uint16(req[12:]))
	if kafka.RequestHeaderVersion(key, version) == 2 {
		h++ // empty tagged fields
	}
	rh := 8
	if kafka.ResponseHeaderVersion(key, version) == 1 {
		rh++
	}
	return key, version, req[h:], resp[rh:]
}

func benchKafkaWirekit(b *testing.B, name string, pair bool) {
	reqB := payload(b, "kafka", name+"_req")
	respB := payload(b, "kafka", name+"_resp")
	p := kafka.Protocol()
	state := p.NewState()
	var req, resp parser.Message
	if !p.ParseRequest(&req, reqB, state) || !p.ParseResponse(&resp, respB, &req.Attrs, state) {
		b.Fatal(req.Err, resp.Err)
	}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	if !pair {
		b.SetBytes(int64(len(reqB)))
		for b.Loop() {
			p.ParseRequest(&req, reqB, state)
		}
		return
	}
	b.SetBytes(int64(len(reqB) + len(respB)))
	for b.Loop() {
		p.ParseRequest(&req, reqB, state)
		p.ParseResponse(&resp, respB, &req.Attrs, state)
	}
}

// kmsgRequestHeader reads a request's header as a kmsg user must (kmsg
// decodes bodies only): size, api key, version, correlation id, nullable
// client id and, for flexible versions, the tagged fields. It returns the
// request, ready for its body, and the body.
func kmsgRequestHeader(msg []byte) (kmsg.Request, int32, []byte, bool) {
	if len(msg) < 14 {
		return nil, 0, nil, false
	}
	key := int16(binary.BigEndian.Uint16(msg[4:]))
	version := int16(binary.BigEndian.Uint16(msg[6:]))
	corr := int32(binary.BigEndian.Uint32(msg[8:]))
	r := kmsg.RequestForKey(key)
	if r == nil {
		return nil, 0, nil, false
	}
	r.SetVersion(version)
	off := 14
	if n := int16(binary.BigEndian.Uint16(msg[12:])); n > 0 {
		off += int(n)
	}
	if off > len(msg) {
		return nil, 0, nil, false
	}
	if r.IsFlexible() {
		body, ok := skipTags(msg[off:])
		return r, corr, body, ok
	}
	return r, corr, msg[off:], true
}

// kmsgResponseHeader reads a response's header (correlation id, and
// tagged fields when flexible; ApiVersions responses never have them) and
// returns the body.
func kmsgResponseHeader(msg []byte, req kmsg.Request) ([]byte, bool) {
	if len(msg) < 8 {
		return nil, false
	}
	if req.IsFlexible() && req.Key() != 18 {
		return skipTags(msg[8:])
	}
	return msg[8:], true
}

// skipTags skips a tagged-field section: a uvarint count, then per field
// a uvarint tag and a uvarint length and that many bytes.
func skipTags(b []byte) ([]byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 {
		return nil, false
	}
	b = b[w:]
	for range n {
		_, w1 := binary.Uvarint(b)
		if w1 <= 0 {
			return nil, false
		}
		l, w2 := binary.Uvarint(b[w1:])
		if w2 <= 0 || uint64(len(b)-w1-w2) < l {
			return nil, false
		}
		b = b[w1+w2+int(l):]
	}
	return b, true
}

func benchKafkaKmsg(b *testing.B, name string, pair, records bool) {
	reqB := payload(b, "kafka", name+"_req")
	respB := payload(b, "kafka", name+"_resp")
	_, _, reqBody, respBody := kafkaBodies(b, name)
	if r, _, body, ok := kmsgRequestHeader(reqB); !ok || len(body) != len(reqBody) {
		b.Fatal("request header")
	} else if rb, ok := kmsgResponseHeader(respB, r); !ok || len(rb) != len(respBody) {
		b.Fatal("response header")
	}
	b.ReportAllocs()
	size := len(reqB)
	if pair {
		size += len(respB)
	}
	b.SetBytes(int64(size))
	defer cpuPerOp(b)()
	for b.Loop() {
		r, _, body, ok := kmsgRequestHeader(reqB)
		if !ok {
			b.Fatal("request header")
		}
		if err := r.(kmsg.UnsafeReadFrom).UnsafeReadFrom(body); err != nil {
			b.Fatal(err)
		}
		if records {
			for _, t := range r.(*kmsg.ProduceRequest).Topics {
				for _, p := range t.Partitions {
					var rb kmsg.RecordBatch
					if err := rb.UnsafeReadFrom(p.Records); err != nil {
						b.Fatal(err)
					}
					recs := rb.Records
					for i := int32(0); i < rb.NumRecords; i++ {
						var rec kmsg.Record
						if err := rec.UnsafeReadFrom(recs); err != nil {
							b.Fatal(err)
						}
						recs = recs[rec.Length+int32(varintLen(rec.Length)):]
					}
				}
			}
		}
		if pair {
			s := r.ResponseKind()
			rb, ok := kmsgResponseHeader(respB, r)
			if !ok {
				b.Fatal("response header")
			}
			if err := s.(kmsg.UnsafeReadFrom).UnsafeReadFrom(rb); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// varintLen is the length of a zig-zag varint.
func varintLen(v int32) int {
	u := uint32(v<<1) ^ uint32(v>>31)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

func BenchmarkKafkaProduceV7Request_wirekit(b *testing.B) {
	benchKafkaWirekit(b, "kafka_produce_v7", false)
}
func BenchmarkKafkaProduceV7Request_kmsg(b *testing.B) {
	benchKafkaKmsg(b, "kafka_produce_v7", false, false)
}
func BenchmarkKafkaProduceV7RequestRecords_wirekit(b *testing.B) {
	benchKafkaWirekit(b, "kafka_produce_v7", false)
}
func BenchmarkKafkaProduceV7RequestRecords_kmsg(b *testing.B) {
	benchKafkaKmsg(b, "kafka_produce_v7", false, true)
}
func BenchmarkKafkaProduceV7Pair_wirekit(b *testing.B) {
	benchKafkaWirekit(b, "kafka_produce_v7", true)
}
func BenchmarkKafkaProduceV7Pair_kmsg(b *testing.B) {
	benchKafkaKmsg(b, "kafka_produce_v7", true, false)
}
func BenchmarkKafkaProduceV9Pair_wirekit(b *testing.B) {
	benchKafkaWirekit(b, "kafka_produce_v9", true)
}
func BenchmarkKafkaProduceV9Pair_kmsg(b *testing.B) {
	benchKafkaKmsg(b, "kafka_produce_v9", true, false)
}
func BenchmarkKafkaFetchV11Pair_wirekit(b *testing.B) { benchKafkaWirekit(b, "kafka_fetch_v11", true) }
func BenchmarkKafkaFetchV11Pair_kmsg(b *testing.B)    { benchKafkaKmsg(b, "kafka_fetch_v11", true, false) }
func BenchmarkKafkaFetchV12Pair_wirekit(b *testing.B) { benchKafkaWirekit(b, "kafka_fetch_v12", true) }
func BenchmarkKafkaFetchV12Pair_kmsg(b *testing.B)    { benchKafkaKmsg(b, "kafka_fetch_v12", true, false) }
