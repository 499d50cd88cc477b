package main

import (
	"bytes"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// sampleRecords decodes the embedded sample and keeps a copy of every
// exchange (the real mix of Redis, HTTP, Kafka and Dubbo2 attributes).
func sampleRecords(tb testing.TB) []*Record {
	var recs []*Record
	d := NewDecoder(builtinProtocols(), nil, func(r *Record) {
		c := *r
		c.Exchange = r.Exchange.Clone()
		recs = append(recs, &c)
	})
	if err := d.Read(bytes.NewReader(sample)); err != nil {
		tb.Fatal(err)
	}
	d.Finish()
	if len(recs) == 0 {
		tb.Fatal("no exchanges in the sample")
	}
	return recs
}

// BenchmarkFormat is the cost of one row of the table and of -json on the
// sample's exchanges, per exchange, at each -redact level.
func BenchmarkFormat(b *testing.B) {
	recs := sampleRecords(b)
	type format struct {
		name string
		f    func() rowFormat
	}
	var formats []format
	for _, l := range []redact.Level{redact.Off, redact.Default, redact.Strict} {
		formats = append(formats, format{"table/redact=" + l.String(), func() rowFormat { return &tableFormat{red: newRedactor(l)} }},
			format{"json/redact=" + l.String(), func() rowFormat { return &jsonFormat{red: newRedactor(l)} }})
	}
	for _, c := range formats {
		b.Run(c.name, func(b *testing.B) {
			f := c.f()
			var buf []byte
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r := recs[i%len(recs)]
				if r.Kind == parser.Push {
					r = recs[0]
				}
				buf = f.row(buf[:0], r)
				i++
			}
		})
	}
}
