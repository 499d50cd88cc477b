//go:build !race

package main

import (
	"bufio"
	"io"
	"testing"
	"time"
)

// TestEmitAllocs: once warm, an exchange costs no allocation on its way to
// the summary, the JSON or table formatter and the orderer.
func TestEmitAllocs(t *testing.T) {
	for _, format := range []rowFormat{nil, &jsonFormat{}, &tableFormat{}} {
		s := &session{sum: newSummary(), out: bufio.NewWriter(io.Discard), format: format, hold: defaultHold}
		s.dec = &Decoder{busy: map[*streamHandler]struct{}{}, Order: true}
		s.start(false)
		recs := []*Record{testRecord(time.Unix(1700000000, 0)), testRecord(time.Unix(1700000000, 0))}
		recs[1].Request.SetString("redis.command", "GET")
		i := 0
		step := func() {
			r := recs[i%2]
			ts := time.Unix(1700000000, 0).Add(time.Duration(i) * 37 * time.Microsecond)
			r.RequestTime, r.ResponseTime = ts, ts.Add(time.Duration(i%500)*time.Microsecond)
			s.dec.latest = r.ResponseTime
			s.emit(r)
			i++
		}
		for range 10000 {
			step()
		}
		if n := testing.AllocsPerRun(5000, step); n != 0 {
			t.Errorf("format %T: %v allocs per exchange, want 0", format, n)
		}
	}
}
