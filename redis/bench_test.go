package redis

import (
	"strings"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// benchPayload reads a hex payload from testdata (a copy of
// ../shared/bench-payloads, the bytes other libraries were measured on).
func benchPayload(tb testing.TB, name string) []byte {
	return pcaptest.HexFile(tb, "testdata/"+name+".hex")
}

// BenchmarkFastFail is detection's cost per candidate stream: the request
// tree's fastFail on SET key value.
func BenchmarkFastFail(b *testing.B) {
	pcaptest.BenchFastFail(b, Protocol().Request, benchPayload(b, "redis_set_req"), false)
}

// BenchmarkParseRequest: SET key value through the request tree, message reused.
func BenchmarkParseRequest(b *testing.B) {
	p := Protocol()
	pcaptest.BenchParse(b, p, p.NewState(), benchPayload(b, "redis_set_req"), nil)
}

// BenchmarkParseResponse: +OK through the response tree.
func BenchmarkParseResponse(b *testing.B) {
	p := Protocol()
	pcaptest.BenchParse(b, p, p.NewState(), nil, benchPayload(b, "redis_set_resp"))
}

// BenchmarkSetPair: frame and parse SET key value and its +OK with each
// direction's Decoder, the response parsed against the request's
// attributes, as parser.Conn does (Kindling: 665 ns, 10 allocs for the
// pair).
func BenchmarkSetPair(b *testing.B) {
	pcaptest.BenchDecode(b, Protocol(), benchPayload(b, "redis_set_req"), benchPayload(b, "redis_set_resp"))
}

// BenchmarkSetPairSplitParse: the same through Split, then ParseRequest
// and ParseResponse.
func BenchmarkSetPairSplitParse(b *testing.B) {
	pcaptest.BenchSplitParse(b, Protocol(), benchPayload(b, "redis_set_req"), benchPayload(b, "redis_set_resp"))
}

// BenchmarkPipeline100: frame and parse each of 100 pipelined SET commands
// with the single-pass Decoder, as parser.Conn does (redcon's
// ReadNextCommand loop on these bytes: see bench/).
func BenchmarkPipeline100(b *testing.B) {
	pcaptest.BenchPipeline(b, Protocol(), benchPayload(b, "resp_set_pipeline100"), 100)
}

// BenchmarkPipeline100SplitParse: the same through Split, then
// ParseRequest on each token.
func BenchmarkPipeline100SplitParse(b *testing.B) {
	pcaptest.BenchPipelineSplitParse(b, Protocol(), benchPayload(b, "resp_set_pipeline100"), 100)
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
	pcaptest.BenchReplay(b, Protocol(), pcaptest.Corpus("redis_benchmark_pipeline16.pcap"), 834)
}
