package bench

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
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
//	                  (record count, bytes, codec); kmsg: ProduceRequest.ReadFrom
//	                  of the body (the header is skipped by hand, records are
//	                  left as bytes)
//	ProduceV7RequestRecords: the same for wirekit; kmsg also decodes the
//	                  record batch (RecordBatch.ReadFrom + its records)
//	ProduceV7Pair:    request + response (kmsg: both ReadFrom)
//	ProduceV9Pair, FetchV11Pair, FetchV12Pair: likewise
//
// wirekit allocates nothing; kmsg allocates its decoded structs.

func kafkaPayload(b *testing.B, name string) []byte {
	h, err := os.ReadFile("../kafka/testdata/" + name + ".hex")
	if err != nil {
		b.Fatal(err)
	}
	p, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// kafkaBodies returns the request and response bodies (headers removed)
// and the api key and version, for kmsg.
func kafkaBodies(b *testing.B, name string) (key, version int16, reqBody, respBody []byte) {
	req := kafkaPayload(b, name+"_req")
	resp := kafkaPayload(b, name+"_resp")
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
	reqB := kafkaPayload(b, name+"_req")
	respB := kafkaPayload(b, name+"_resp")
	p := kafka.Protocol()
	state := p.NewState()
	var req, resp parser.Message
	if !p.ParseRequest(&req, reqB, state) || !p.ParseResponse(&resp, respB, &req.Attrs, state) {
		b.Fatal(req.Err, resp.Err)
	}
	b.ReportAllocs()
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

func benchKafkaKmsg(b *testing.B, name string, pair, records bool) {
	key, version, reqBody, respBody := kafkaBodies(b, name)
	req := kmsg.RequestForKey(key)
	req.SetVersion(version)
	if err := req.ReadFrom(reqBody); err != nil {
		b.Fatal(err)
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(respBody); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	size := len(reqBody)
	if pair {
		size += len(respBody)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		r := kmsg.RequestForKey(key)
		r.SetVersion(version)
		if err := r.ReadFrom(reqBody); err != nil {
			b.Fatal(err)
		}
		if records {
			for _, t := range r.(*kmsg.ProduceRequest).Topics {
				for _, p := range t.Partitions {
					var rb kmsg.RecordBatch
					if err := rb.ReadFrom(p.Records); err != nil {
						b.Fatal(err)
					}
					recs := rb.Records
					for i := int32(0); i < rb.NumRecords; i++ {
						var rec kmsg.Record
						if err := rec.ReadFrom(recs); err != nil {
							b.Fatal(err)
						}
						recs = recs[rec.Length+int32(varintLen(rec.Length)):]
					}
				}
			}
		}
		if pair {
			s := r.ResponseKind()
			if err := s.ReadFrom(respBody); err != nil {
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
