// Package metrics holds what a capture agent or a metrics exporter needs to
// summarise latencies without storing them: Histogram, a fixed-size
// log-bucketed histogram of durations.
//
// A Histogram records a value in a few nanoseconds without allocating, has a
// fixed size (Size bytes, about 9 KiB) whatever it records, reports any
// quantile (p50, p90, p99, p999) within a relative error of RelativeError
// (1/64, about 1.6%), the exact minimum, maximum, count and sum, and merges
// with another Histogram exactly (bucket by bucket), so that workers can each
// record into their own and a reporter adds them up. Its buckets (All) are
// what a Prometheus or OpenTelemetry exporter turns into its own buckets.
//
// How values are bucketed: values below 32 ns each have their own bucket
// (exact); above, every power of two [2^e, 2^(e+1)) is split into 32 buckets
// of equal width 2^(e-5), so a bucket is never wider than 1/32 of its lower
// bound. A quantile is reported as the middle of the bucket holding it,
// clamped to [Min, Max], which is within 1/64 of the true sample quantile.
// Values of Overflow (2^40 ns, about 18 minutes) and more share a last
// bucket: the bound holds for quantiles below Overflow, and a quantile that
// falls in the last bucket is reported as Max (exact only for the largest
// values).
// Negative durations (clocks stepping back) are recorded as 0 and counted
// in Negative.
//
// A Histogram is not safe for concurrent use: give each goroutine its own
// and Merge them (or guard one with a mutex).
package metrics
