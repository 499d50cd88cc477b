package redact

import "testing"

// BenchmarkJSONRendering redacts a Dubbo2-style argument rendering: nested
// objects and arrays with sensitive members at several depths, written
// into a reused buffer.
func BenchmarkJSONRendering(b *testing.B) {
	p := New(Default)
	s := `[{"name":"alice","password":"hunter2","profile":{"token":"abc","tags":["a","b",1,2.5,true,null],"deep":[{"secret":"s"},{"ok":[]}]}},"hello",42,{}]`
	want := `[{"name":"alice","password":"***","profile":{"token":"***","tags":["a","b",1,2.5,true,null],"deep":[{"secret":"***"},{"ok":[]}]}},"hello",42,{}]`
	if got := string(p.appendJSONRendering(nil, s)); got != want {
		b.Fatalf("got %s", got)
	}
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = p.appendJSONRendering(buf[:0], s)
	}
}
