package main

import (
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// The fast latency equals time.Time.Sub for capture times, near and far
// from 1970, and falls back to it outside the fast range.
func TestRecordLatency(t *testing.T) {
	base := []time.Time{time.Unix(0, 0), time.Unix(1764720000, 999_999_999), time.Unix(-1<<31, 5), time.Unix(1<<33, 7), time.Unix(-1<<40, 0)}
	for _, q := range base {
		for _, d := range []time.Duration{0, 1, 999, time.Microsecond + 1, time.Second - 1, 3*time.Second + 7, -5 * time.Millisecond, 90 * 24 * time.Hour} {
			r := Record{Exchange: new(parser.Exchange)}
			r.Kind, r.RequestTime, r.ResponseTime = parser.Complete, q, q.Add(d)
			if got, want := r.latency(), r.Latency(); got != want {
				t.Errorf("%v + %v: %v, want %v", q, d, got, want)
			}
		}
	}
	r := Record{Exchange: new(parser.Exchange)}
	r.Kind, r.RequestTime = parser.Unanswered, time.Unix(5, 0)
	if r.latency() != 0 {
		t.Error("latency of an unanswered request")
	}
}
