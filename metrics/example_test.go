package metrics_test

import (
	"fmt"
	"time"

	"github.com/wirekit/wirekit/metrics"
)

// Each worker records into its own Histogram; a reporter merges them and
// reads percentiles, within metrics.RelativeError of the exact ones.
func Example() {
	var workers [2]metrics.Histogram
	for i := 1; i <= 1000; i++ {
		workers[i%2].Record(time.Duration(i) * time.Microsecond)
	}
	var total metrics.Histogram
	for i := range workers {
		total.Merge(&workers[i])
	}
	fmt.Println("count", total.Count(), "max", total.Max())
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		fmt.Printf("p%g %v\n", q*100, total.Quantile(q).Round(time.Microsecond))
	}
	fmt.Printf("size %d bytes, error <= %.2f%%\n", metrics.Size, 100*metrics.RelativeError)
	// Output:
	// count 1000 max 1ms
	// p50 504µs
	// p90 893µs
	// p99 991µs
	// p99.9 991µs
	// size 9264 bytes, error <= 1.56%
}
