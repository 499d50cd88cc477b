//go:build !race

package main

import (
	"bufio"
	"io"
	"testing"
	"time"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// TestEmitAllocs: once warm, an exchange costs no allocation on its way to
// the summary, the JSON or table formatter (at every redaction level, with
// values the policy rewrites) and the orderer.
func TestEmitAllocs(t *testing.T) {
	var formats []rowFormat
	for _, l := range []redact.Level{redact.Off, redact.Default, redact.Strict} {
		formats = append(formats, &jsonFormat{red: newRedactor(l)}, &tableFormat{red: newRedactor(l)})
	}
	for _, format := range append(formats, nil) {
		s := &session{sum: newSummary(), out: bufio.NewWriter(io.Discard), format: format, hold: defaultHold}
		s.dec = &Decoder{busy: map[*streamHandler]struct{}{}, Order: true}
		s.start(false)
		recs := []*Record{testRecord(time.Unix(1700000000, 0)), testRecord(time.Unix(1700000000, 0))}
		recs[1].Request.SetString("redis.command", "GET")
		h := testRecord(time.Unix(1700000000, 0))
		h.Protocol = "http"
		h.Request.Reset()
		h.Request.SetString(httpx.AttrMethod, "GET")
		h.Request.SetString(httpx.AttrPath, "/search?token=abc&page=2")
		h.Request.SetString(httpx.AttrHeaderPrefix+"authorization", "Bearer s3cr3t")
		h.Response.Reset()
		h.Response.SetInt(httpx.AttrStatusCode, 200)
		e := testRecord(time.Unix(1700000000, 0))
		e.Response.Reset()
		e.Response.SetString("redis.type", "error")
		e.Response.Set("redis.error", parser.UnsafeStringValue([]byte("ERR unknown command 'AUTHX', with args beginning with: 'x' ")))
		recs = append(recs, h, e)
		i := 0
		step := func() {
			r := recs[i%len(recs)]
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
