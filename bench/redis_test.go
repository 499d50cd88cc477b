package bench

import (
	"bytes"
	"testing"

	"github.com/tidwall/redcon"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/redis"
)

// Redis side by side: wirekit's redis package against tidwall/redcon's
// command reader on the shared bench payloads (SET key value, +OK, 100
// pipelined SETs). wirekit's figures include framing, the command-table
// lookup, first-key extraction and the attributes; redcon's only split the
// arguments.

// The wirekit cases run the bodies the redis package's own benchmarks run
// (pcaptest.Bench*), with the CPU time reported.

func BenchmarkRedisFastFail_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchFastFail(b, redis.Protocol().Request, payload(b, "redis", "redis_set_req"), false)
}

// The request framed and parsed by the Decoder, as parser.Conn reads it.
func BenchmarkRedisSetRequest_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchDecode(b, redis.Protocol(), payload(b, "redis", "redis_set_req"), nil)
}

// The same through Split, then ParseRequest.
func BenchmarkRedisSetRequest_wirekitSplitParse(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchSplitParse(b, redis.Protocol(), payload(b, "redis", "redis_set_req"), nil)
}

func BenchmarkRedisSetRequest_redcon(b *testing.B) {
	req := payload(b, "redis", "redis_set_req")
	args := make([][]byte, 0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	defer cpuPerOp(b)()
	for b.Loop() {
		complete, a, _, _, err := redcon.ReadNextCommand(req, args)
		if err != nil || !complete || len(a) != 3 {
			b.Fatal(err)
		}
	}
}

// Request and reply each framed and parsed by their Decoder, the reply
// seeing the request's attributes, as parser.Conn pairs them.
func BenchmarkRedisSetPair_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchDecode(b, redis.Protocol(), payload(b, "redis", "redis_set_req"), payload(b, "redis", "redis_set_resp"))
}

// The same through Split, then ParseRequest and ParseResponse.
func BenchmarkRedisSetPair_wirekitSplitParse(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchSplitParse(b, redis.Protocol(), payload(b, "redis", "redis_set_req"), payload(b, "redis", "redis_set_resp"))
}

// wirekit's single-pass Decoder over the pipeline, as parser.Conn reads it:
// each call frames one command and parses it (command, argument count,
// first key) into a reused Message, like one ReadNextCommand call.
func BenchmarkRedisPipeline100_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchPipeline(b, redis.Protocol(), payload(b, "redis", "resp_set_pipeline100"), 100)
}

// The same through the two calls Decoder stands for: Split, then
// ParseRequest on the token.
func BenchmarkRedisPipeline100_wirekitSplitParse(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchPipelineSplitParse(b, redis.Protocol(), payload(b, "redis", "resp_set_pipeline100"), 100)
}

// wirekit's framing alone over the pipeline: it finds each command's end
// and records its argument positions, which is all redcon's
// ReadNextCommand does. BenchmarkRedisPipeline100_wirekit adds to it what
// redcon does not do: the command-table lookup, the first key and the
// attributes.
func BenchmarkRedisPipeline100_wirekitSplitOnly(b *testing.B) {
	p := redis.Protocol()
	buf := payload(b, "redis", "resp_set_pipeline100")
	split := p.Split(p.NewState(), parser.Request)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	defer cpuPerOp(b)()
	for b.Loop() {
		n := 0
		for rest := buf; len(rest) > 0; n++ {
			adv, tok, err := split(rest, false)
			if err != nil || adv == 0 || len(tok) != adv {
				b.Fatal(err)
			}
			rest = rest[adv:]
		}
		if n != 100 {
			b.Fatal(n)
		}
	}
}

// redcon's ReadNextCommand loop, as its server reads a pipeline.
func BenchmarkRedisPipeline100_redcon(b *testing.B) {
	buf := payload(b, "redis", "resp_set_pipeline100")
	args := make([][]byte, 0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	defer cpuPerOp(b)()
	for b.Loop() {
		n := 0
		for rest := buf; len(rest) > 0; n++ {
			complete, a, _, left, err := redcon.ReadNextCommand(rest, args)
			if err != nil || !complete {
				b.Fatal(err)
			}
			args, rest = a, left
		}
		if n != 100 {
			b.Fatal(n)
		}
	}
}

// redcon's buffered Reader (allocates its commands).
func BenchmarkRedisPipeline100_redconReader(b *testing.B) {
	buf := payload(b, "redis", "resp_set_pipeline100")
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	defer cpuPerOp(b)()
	for b.Loop() {
		cmds, err := redcon.NewReader(bytes.NewReader(buf)).ReadCommands()
		if err != nil || len(cmds) != 100 {
			b.Fatal(err, len(cmds))
		}
	}
}
