package metrics

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactQuantile is the nearest-rank quantile of sorted samples, the
// definition Quantile approximates.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	if q <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(1, min(rank, len(sorted)))-1]
}

var quantiles = []float64{0, 0.001, 0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1}

// checkBound records samples and checks every quantile against the exact
// one, and the exact fields.
func checkBound(t *testing.T, samples []time.Duration) {
	t.Helper()
	var h Histogram
	var sum time.Duration
	for _, d := range samples {
		h.Record(d)
		if sum += max(d, 0); sum < 0 {
			sum = math.MaxInt64 // saturates
		}
	}
	sorted := slices.Clone(samples)
	for i, d := range sorted {
		sorted[i] = max(d, 0)
	}
	slices.Sort(sorted)
	if h.Count() != uint64(len(samples)) || h.Min() != sorted[0] || h.Max() != sorted[len(sorted)-1] ||
		(h.Sum() != sum && sum != math.MaxInt64) {
		t.Fatalf("count %d min %v max %v sum %v, want %d %v %v %v", h.Count(), h.Min(), h.Max(), h.Sum(),
			len(samples), sorted[0], sorted[len(sorted)-1], sum)
	}
	for _, q := range quantiles {
		got, want := h.Quantile(q), exactQuantile(sorted, q)
		if want >= Overflow && q > 0 { // the last bucket reports Max (q=0 is Min, exact)
			if got != h.Max() {
				t.Fatalf("q=%v: got %v, want Max %v for a quantile past Overflow", q, got, h.Max())
			}
			continue
		}
		if diff := math.Abs(float64(got - want)); diff > float64(want)*RelativeError {
			t.Fatalf("q=%v: got %v, exact %v: error %.4f%% > %.4f%%", q, got, want,
				100*diff/float64(want), 100*RelativeError)
		}
	}
}

func TestQuantileErrorBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() time.Duration{
		"uniform 0-10ms":     func() time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) },
		"lognormal ~100us":   func() time.Duration { return time.Duration(math.Exp(r.NormFloat64()*1.5 + math.Log(1e5))) },
		"exponential 1ms":    func() time.Duration { return time.Duration(r.ExpFloat64() * 1e6) },
		"small exact 0-40ns": func() time.Duration { return time.Duration(r.IntN(40)) },
		"wide 1ns-18min":     func() time.Duration { return time.Duration(math.Exp(r.Float64() * math.Log(float64(Overflow-1)))) },
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 2, 7, 100, 10000, 200000} {
				s := make([]time.Duration, n)
				for i := range s {
					s[i] = gen()
				}
				checkBound(t, s)
			}
		})
	}
}

// TestBuckets checks the bucketing the bound rests on: every value lies in
// its bucket's range, the buckets tile [0, Overflow) without holes, and no
// bucket above the exact range is wider than 1/32 of its lower bound.
func TestBuckets(t *testing.T) {
	var next uint64
	for i := 0; i < Buckets; i++ {
		lo, hi := bounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, next)
		}
		if i < Buckets-1 && lo >= sub && float64(hi-lo) > float64(lo)/sub {
			t.Fatalf("bucket %d [%d,%d) wider than 1/%d of its lower bound", i, lo, hi, sub)
		}
		for _, v := range []uint64{lo, hi - 1, lo + (hi-lo)/2} {
			if b := bucket(v); b != i {
				t.Fatalf("value %d in bucket %d, want %d [%d,%d)", v, b, i, lo, hi)
			}
		}
		next = hi
	}
	if next != math.MaxInt64 || bucket(math.MaxInt64) != Buckets-1 || bucket(uint64(Overflow)-1) != Buckets-2 {
		t.Fatal("overflow bucket misplaced")
	}
}

func TestOverflowAndNegative(t *testing.T) {
	var h Histogram
	h.Record(-5 * time.Second)
	h.Record(time.Millisecond)
	h.Record(2 * time.Hour) // past Overflow
	h.Record(math.MaxInt64)
	if h.Negative() != 1 || h.Min() != 0 || h.Max() != math.MaxInt64 || h.Count() != 4 {
		t.Fatalf("negative %d min %v max %v count %d", h.Negative(), h.Min(), h.Max(), h.Count())
	}
	if q := h.Quantile(0.75); q != math.MaxInt64 {
		t.Fatalf("p75 in the overflow bucket = %v, want Max", q)
	}
	if s := h.Sum(); s != math.MaxInt64 {
		t.Fatalf("sum %v, want saturated", s)
	}
	var e Histogram
	if e.Quantile(0.5) != 0 || e.Mean() != 0 || e.Max() != 0 {
		t.Fatal("empty histogram not zero")
	}
}

// TestMerge: merging per-worker histograms gives the histogram of all the
// values, bucket for bucket.
func TestMerge(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var all Histogram
	workers := make([]Histogram, 4)
	for i := range 100000 {
		d := time.Duration(r.ExpFloat64() * 5e5)
		if i%1000 == 0 {
			d = -d
		}
		all.Record(d)
		workers[i%len(workers)].Record(d)
	}
	var merged Histogram
	merged.Merge(&Histogram{}) // empty: no effect
	for i := range workers {
		merged.Merge(&workers[i])
	}
	if merged != all {
		t.Fatalf("merged histogram differs: count %d/%d min %v/%v max %v/%v", merged.Count(), all.Count(),
			merged.Min(), all.Min(), merged.Max(), all.Max())
	}
	var n uint64
	prevHi := time.Duration(-1)
	for b := range merged.All() {
		if b.Lo < prevHi || b.Count == 0 {
			t.Fatalf("bucket %+v out of order or empty", b)
		}
		prevHi, n = b.Hi, n+b.Count
	}
	if n != merged.Count() {
		t.Fatalf("buckets hold %d, count %d", n, merged.Count())
	}
	merged.Reset()
	if merged.Count() != 0 || merged.Max() != 0 {
		t.Fatal("Reset left values")
	}
}

// FuzzQuantile checks the error bound on arbitrary sets of values.
func FuzzQuantile(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Add(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 31), 1<<41))
	f.Add(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1e6), 1e6+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s []time.Duration
		for len(b) >= 8 && len(s) < 4096 {
			s = append(s, time.Duration(binary.LittleEndian.Uint64(b)>>1))
			b = b[8:]
		}
		if len(s) == 0 {
			return
		}
		checkBound(t, s)
	})
}

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	r := rand.New(rand.NewPCG(5, 6))
	vals := make([]time.Duration, 1024)
	for i := range vals {
		vals[i] = time.Duration(r.ExpFloat64() * 1e6)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Record(vals[i&1023])
		i++
	}
}

func BenchmarkQuantile(b *testing.B) {
	var h Histogram
	for i := range 100000 {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Quantile(0.99)
	}
}
