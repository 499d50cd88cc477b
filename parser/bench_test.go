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
