package parser

import "testing"

func BenchmarkTreeWalk(b *testing.B) {
	tree := testTree()
	in := []byte("ax") // child a fails (rolled back), child b matches
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		m.Reset(in, Request)
		tree.Parse(&m)
	}
}

func BenchmarkConnPipeline(b *testing.B) {
	c := NewConn(lineProto(PairInOrder), ConnOptions{}, func(*Exchange) {})
	req := []byte("Q 1 a\nQ 2 b\nQ 3 c\nQ 4 d\n")
	resp := []byte("A 1 w\nA 2 x\nA 3 y\nA 4 z\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		c.Feed(Request, req, t0)
		c.Feed(Response, resp, t0)
	}
}

func BenchmarkDetect(b *testing.B) {
	d := NewDetector(lineProto(PairInOrder), lineProto(PairByKey))
	in := []byte("Q 1 a\n")
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(Request, in, 0)
	}
}

// BenchmarkAttributes is a header node's worth of attribute work: reset,
// eight keys set, three read back.
func BenchmarkAttributes(b *testing.B) {
	var a Attributes
	val := []byte("orders")
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		a.SetInt("kafka.api_key", 0)
		a.SetString("kafka.api_name", "Produce")
		a.SetInt("kafka.api_version", 7)
		a.SetInt("kafka.correlation_id", 42)
		a.SetBytesString("kafka.client_id", val)
		a.SetInt("kafka.message_size", 190)
		a.SetBytesString("kafka.topic", val)
		a.SetInt("kafka.acks", -1)
		a.Int("kafka.api_key")
		a.UnsafeString("kafka.topic")
		a.Has("kafka.error_code")
	}
}

// BenchmarkParseOverhead is what the core costs a message before any
// protocol work: Protocol.ParseRequest's reset and the walk of a one-node
// tree whose fastFail and parse do nothing but accept, plus three attributes.
func BenchmarkParseOverhead(b *testing.B) {
	p := &Protocol{Request: NewPkgParser("x",
		func(m *Message) bool { return len(m.Data) == 0 },
		func(m *Message) (bool, bool) {
			m.Attrs.Add("x.a", IntValue(1))
			m.Attrs.Add("x.b", IntValue(2))
			m.Attrs.Add("x.c", IntValue(3))
			m.Advance(len(m.Data))
			return true, true
		})}
	var m Message
	in := []byte("hello")
	var st any = &m
	b.ReportAllocs()
	for b.Loop() {
		if !p.ParseRequest(&m, in, st) {
			b.Fatal(m.Err)
		}
	}
}
