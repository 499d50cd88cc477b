package metrics

import (
	"iter"
	"math"
	"math/bits"
	"time"
	"unsafe"
)

const (
	subBits = 5
	sub     = 1 << subBits // buckets per power of two, and the exact range below it
	maxExp  = 40           // values of 2^maxExp ns and more go to the overflow bucket

	// Overflow is the smallest value that lands in the last, unbounded
	// bucket (2^40 ns, about 18 minutes).
	Overflow = time.Duration(1) << maxExp

	// RelativeError bounds how far a reported quantile is from the true
	// sample quantile, relative to it: |reported-true| <= true*RelativeError.
	RelativeError = 1.0 / (2 * sub)

	// Buckets is the number of buckets, the last being the overflow.
	Buckets = sub + (maxExp-subBits)*sub + 1
)

// Size is the size of a Histogram in bytes.
const Size = int(unsafe.Sizeof(Histogram{}))

// Histogram counts durations in log-scaled buckets. The zero value is an
// empty histogram ready to use. See the package doc for the bucketing and
// the error bound.
type Histogram struct {
	counts   [Buckets]uint64
	n        uint64
	sum      uint64 // nanoseconds, saturating
	min, max int64
	negative uint64
}

// bucket returns the bucket index of v >= 0.
func bucket(v uint64) int {
	if v < sub {
		return int(v)
	}
	e := bits.Len64(v) - 1 // 2^e <= v < 2^(e+1), e >= subBits
	if e >= maxExp {
		return Buckets - 1
	}
	m := v >> (e - subBits) // in [sub, 2*sub)
	return (e-subBits+1)*sub + int(m) - sub
}

// bounds returns the range [lo, hi) of bucket i (hi is MaxInt64 for the
// overflow bucket).
func bounds(i int) (lo, hi uint64) {
	if i < sub {
		return uint64(i), uint64(i) + 1
	}
	if i >= Buckets-1 {
		return uint64(Overflow), math.MaxInt64
	}
	e := (i-sub)/sub + subBits
	m := uint64((i-sub)%sub + sub)
	w := uint64(1) << (e - subBits)
	return m * w, (m + 1) * w
}

// Record adds one duration. It does not allocate.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		h.negative++
		d = 0
	}
	v := uint64(d)
	h.counts[bucket(v)]++
	if h.n == 0 || int64(d) < h.min {
		h.min = int64(d)
	}
	if int64(d) > h.max {
		h.max = int64(d)
	}
	h.n++
	if s := h.sum + v; s >= h.sum {
		h.sum = s
	} else {
		h.sum = math.MaxUint64
	}
}

// Count is the number of durations recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Negative is how many of them were negative (and recorded as 0).
func (h *Histogram) Negative() uint64 { return h.negative }

// Min and Max are the smallest and largest durations recorded, exactly
// (0 when empty).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max is the largest duration recorded (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Sum is the total of the durations recorded (saturating at the largest
// Duration).
func (h *Histogram) Sum() time.Duration {
	if h.sum > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(h.sum)
}

// Mean is Sum divided by Count (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}

// Quantile returns the q-quantile (0 <= q <= 1) of the recorded durations by
// the nearest-rank rule (the smallest value with at least q*Count values at
// or below it), within RelativeError of it. Quantile(0) is Min,
// Quantile(1) is Max; it is 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if !(q > 0) { // also NaN
		return time.Duration(h.min)
	}
	if q >= 1 {
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i]
		if cum < rank {
			continue
		}
		if i == Buckets-1 {
			return time.Duration(h.max)
		}
		lo, hi := bounds(i)
		v := int64(lo + (hi-lo)/2)
		return time.Duration(max(h.min, min(v, h.max)))
	}
	return time.Duration(h.max)
}

// Merge adds every duration recorded in o to h, exactly: the result is the
// histogram of both sets of durations.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.negative += o.negative
	if s := h.sum + o.sum; s >= h.sum {
		h.sum = s
	} else {
		h.sum = math.MaxUint64
	}
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Bucket is one bucket of a Histogram: Count durations d with
// Lo <= d < Hi. The last bucket's Hi is the largest Duration.
type Bucket struct {
	Lo, Hi time.Duration
	Count  uint64
}

// All yields the non-empty buckets in increasing order, for exporters:
// a cumulative ("le") histogram is the running sum of Count at each Hi.
func (h *Histogram) All() iter.Seq[Bucket] {
	return func(yield func(Bucket) bool) {
		for i, c := range h.counts {
			if c == 0 {
				continue
			}
			lo, hi := bounds(i)
			if !yield(Bucket{Lo: time.Duration(lo), Hi: time.Duration(hi), Count: c}) {
				return
			}
		}
	}
}
