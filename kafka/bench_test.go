package kafka

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// payload reads a hex file from testdata (copied from shared/bench-payloads).
func payload(tb testing.TB, name string) []byte {
	return pcaptest.HexFile(tb, filepath.Join("testdata", name+".hex"))
}

// fetchV13Response is a Fetch v13 response (topics by id) with one topic,
// two partitions and a v2 record batch each, built with kmsg.
func fetchV13Response(tb testing.TB) (req, resp []byte) {
	rs := buildRecordSet(2)
	id := [16]byte{0x6b, 0x61, 0x66, 0x6b, 0x61, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	r := kmsg.NewPtrFetchRequest()
	r.Version = 13
	r.MaxWaitMillis = 500
	r.MinBytes = 1
	t := kmsg.NewFetchRequestTopic()
	t.TopicID = id
	for p := int32(0); p < 2; p++ {
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = p
		t.Partitions = append(t.Partitions, fp)
	}
	r.Topics = append(r.Topics, t)
	s := kmsg.NewPtrFetchResponse()
	s.Version = 13
	st := kmsg.NewFetchResponseTopic()
	st.TopicID = id
	for p := int32(0); p < 2; p++ {
		sp := kmsg.NewFetchResponseTopicPartition()
		sp.Partition = p
		sp.HighWatermark = 1000
		sp.RecordBatches = rs.b
		st.Partitions = append(st.Partitions, sp)
	}
	s.Topics = append(s.Topics, st)
	return frameRequest(1, 13, 77, "bench", r.AppendTo(nil)), frameResponse(1, 13, 77, s.AppendTo(nil))
}

// metadataV12Response is a Metadata v12 response with 3 brokers and 100
// topics of 3 partitions each, built with kmsg.
func metadataV12Response(tb testing.TB) (req, resp []byte) {
	r := kmsg.NewPtrMetadataRequest()
	r.Version = 12
	s := kmsg.NewPtrMetadataResponse()
	s.Version = 12
	for b := int32(0); b < 3; b++ {
		br := kmsg.NewMetadataResponseBroker()
		br.NodeID = b
		br.Host = "broker-" + string(rune('a'+b)) + ".example.com"
		br.Port = 9092
		s.Brokers = append(s.Brokers, br)
	}
	for i := 0; i < 100; i++ {
		t := kmsg.NewMetadataResponseTopic()
		name := "topic-" + strings.Repeat("x", i%7) + string(rune('A'+i%26)) + string(rune('a'+i/26))
		t.Topic = &name
		t.TopicID = [16]byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, byte(i)}
		for p := int32(0); p < 3; p++ {
			tp := kmsg.NewMetadataResponseTopicPartition()
			tp.Partition = p
			tp.Leader = p
			tp.Replicas = []int32{0, 1, 2}
			tp.ISR = []int32{0, 1, 2}
			t.Partitions = append(t.Partitions, tp)
		}
		s.Topics = append(s.Topics, t)
	}
	return frameRequest(3, 12, 78, "bench", r.AppendTo(nil)), frameResponse(3, 12, 78, s.AppendTo(nil))
}

// benchPair parses a request and its response per iteration.
func benchPair(b *testing.B, reqB, respB []byte) {
	p := NewProtocol(Options{})
	state := p.NewState()
	var req, resp parser.Message
	if !p.ParseRequest(&req, reqB, state) || !p.ParseResponse(&resp, respB, &req.Attrs, state) {
		b.Fatalf("parse failed: %v %v", req.Err, resp.Err)
	}
	if req.Attrs.Has(AttrBodyNotDecoded) || resp.Attrs.Has(AttrBodyNotDecoded) {
		b.Fatalf("not decoded: %v %v", req.Attrs.Map(), resp.Attrs.Map())
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(reqB) + len(respB)))
	b.ResetTimer()
	cpu := procCPU()
	for b.Loop() {
		p.ParseRequest(&req, reqB, state)
		p.ParseResponse(&resp, respB, &req.Attrs, state)
	}
	reportCPU(b, cpu)
}

// benchOne parses one message per iteration (a response is parsed with
// its request's attributes, parsed once up front).
func benchOne(b *testing.B, reqB, respB []byte, dir parser.Direction) {
	p := NewProtocol(Options{})
	state := p.NewState()
	var req, resp parser.Message
	if !p.ParseRequest(&req, reqB, state) || !p.ParseResponse(&resp, respB, &req.Attrs, state) {
		b.Fatalf("parse failed: %v %v", req.Err, resp.Err)
	}
	b.ReportAllocs()
	if dir == parser.Request {
		b.SetBytes(int64(len(reqB)))
		var m parser.Message
		cpu := procCPU()
		for b.Loop() {
			p.ParseRequest(&m, reqB, state)
		}
		reportCPU(b, cpu)
		return
	}
	b.SetBytes(int64(len(respB)))
	cpu := procCPU()
	for b.Loop() {
		p.ParseResponse(&resp, respB, &req.Attrs, state)
	}
	reportCPU(b, cpu)
}

func BenchmarkFastFail(b *testing.B) {
	p := Protocol()
	var m parser.Message
	m.Data = []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if !p.Request.FastFail(&m) {
			b.Fatal("http accepted as kafka")
		}
	}
}

func BenchmarkFastFailKafka(b *testing.B) {
	p := Protocol()
	var m parser.Message
	m.Data = payload(b, "kafka_produce_v7_req")
	b.ReportAllocs()
	for b.Loop() {
		if p.Request.FastFail(&m) {
			b.Fatal("kafka rejected")
		}
	}
}

func BenchmarkProduceV7Pair(b *testing.B) {
	benchPair(b, payload(b, "kafka_produce_v7_req"), payload(b, "kafka_produce_v7_resp"))
}

func BenchmarkProduceV7Request(b *testing.B) {
	benchOne(b, payload(b, "kafka_produce_v7_req"), payload(b, "kafka_produce_v7_resp"), parser.Request)
}

func BenchmarkProduceV7Response(b *testing.B) {
	benchOne(b, payload(b, "kafka_produce_v7_req"), payload(b, "kafka_produce_v7_resp"), parser.Response)
}

func BenchmarkProduceV9Pair(b *testing.B) {
	benchPair(b, payload(b, "kafka_produce_v9_req"), payload(b, "kafka_produce_v9_resp"))
}

func BenchmarkFetchV11Pair(b *testing.B) {
	benchPair(b, payload(b, "kafka_fetch_v11_req"), payload(b, "kafka_fetch_v11_resp"))
}

func BenchmarkFetchV12Pair(b *testing.B) {
	benchPair(b, payload(b, "kafka_fetch_v12_req"), payload(b, "kafka_fetch_v12_resp"))
}

func BenchmarkFetchV13Response(b *testing.B) {
	req, resp := fetchV13Response(b)
	benchOne(b, req, resp, parser.Response)
}

func BenchmarkMetadataV12Response100Topics(b *testing.B) {
	req, resp := metadataV12Response(b)
	benchOne(b, req, resp, parser.Response)
}

func BenchmarkSplit(b *testing.B) {
	msg := payload(b, "kafka_produce_v7_req")
	stream := []byte{}
	for i := 0; i < 100; i++ {
		stream = append(stream, msg...)
	}
	split := Split(parser.Request)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		for rest := stream; len(rest) > 0; {
			n, _, err := split(rest, false)
			if err != nil || n == 0 {
				b.Fatal(err)
			}
			rest = rest[n:]
		}
	}
}
