package export_test

import (
	"testing"

	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/redact"
)

func BenchmarkAppendJSON(b *testing.B) {
	x := httpExchange()
	for _, bc := range []struct {
		name string
		o    export.Options
	}{{"strict", export.Options{Agent: "a1"}}, {"names", export.Options{Redactor: redact.New(redact.Default)}}, {"none", export.Options{NoRedaction: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			enc := export.NewEncoder(bc.o)
			buf := enc.AppendJSON(nil, meta, x)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = enc.AppendJSON(buf[:0], meta, x)
			}
		})
	}
}
