//go:build !race

package metrics

import (
	"testing"
	"time"
)

func TestRecordAllocs(t *testing.T) {
	var h, o Histogram
	d := time.Microsecond
	if n := testing.AllocsPerRun(1000, func() {
		h.Record(d)
		d += 7
		_ = h.Quantile(0.99)
		o.Merge(&h)
	}); n != 0 {
		t.Fatalf("%v allocs per Record+Quantile+Merge, want 0", n)
	}
}
