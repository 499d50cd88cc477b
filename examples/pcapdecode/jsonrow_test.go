package main

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// refJSONRow is the JSON row written the plain way (time.Format,
// strconv, the policy asked for every value), for checking jsonFormat.row.
func refJSONRow(r *Record, p *redact.Policy) []byte {
	b := []byte(`{"protocol":`)
	b = parser.AppendJSONString(b, r.Protocol)
	b = append(b, `,"client":"`+r.Client.String()+`","server":"`+r.Server.String()+`","kind":"`+r.Kind.String()+`","request":`...)
	attrs := func(a *parser.Attributes) {
		if a == nil {
			b = append(b, "null"...)
			return
		}
		var members []string
		for k, v := range a.All() {
			if p != nil {
				var scratch []byte
				v = p.Value(k, v, &scratch)
			}
			members = append(members, string(parser.AppendJSONString(nil, k))+":"+string(v.AppendJSON(nil)))
		}
		b = append(b, "{"+strings.Join(members, ",")+"}"...)
	}
	attrs(r.Request)
	b = append(b, `,"response":`...)
	attrs(r.Response)
	if !r.RequestTime.IsZero() {
		b = append(b, `,"request_time":"`+r.RequestTime.UTC().Format(time.RFC3339Nano)+`"`...)
	}
	if !r.ResponseTime.IsZero() {
		b = append(b, `,"response_time":"`+r.ResponseTime.UTC().Format(time.RFC3339Nano)+`"`...)
	}
	if r.Kind == parser.Complete {
		b = strconv.AppendFloat(append(b, `,"latency_us":`...), float64(r.ResponseTime.Sub(r.RequestTime))/1e3, 'f', -1, 64)
	}
	if r.RequestSeq > 0 {
		b = strconv.AppendUint(append(b, `,"seq":`...), r.RequestSeq, 10)
	}
	if r.Request != nil {
		b = strconv.AppendInt(append(b, `,"request_size":`...), int64(max(r.RequestSize, 0)), 10)
	}
	if r.Response != nil {
		b = strconv.AppendInt(append(b, `,"response_size":`...), int64(max(r.ResponseSize, 0)), 10)
	}
	for _, e := range []struct {
		k   string
		err error
	}{{"request_error", r.RequestErr}, {"response_error", r.ResponseErr}, {"reason", r.Reason}} {
		if e.err != nil {
			b = parser.AppendJSONString(append(b, `,"`+e.k+`":`...), e.err.Error())
		}
	}
	return append(b, "}\n"...)
}

// TestJSONRowMatchesReference: every exchange of the sample (HTTP, Redis,
// Kafka, Dubbo2), at each redaction level, with times, sizes, sequence
// numbers, kinds and errors varied, is written byte for byte as the plain
// writer writes it, with one jsonFormat reused throughout (its caches
// warm) and a fresh one.
func TestJSONRowMatchesReference(t *testing.T) {
	recs := sampleRecords(t)
	rnd := rand.New(rand.NewPCG(5, 5))
	base := time.Date(2026, 12, 3, 23, 59, 59, 0, time.UTC)
	for _, l := range []redact.Level{redact.Off, redact.Default, redact.Strict} {
		var p *redact.Policy
		if l != redact.Off {
			p = redact.New(l)
		}
		warm := &jsonFormat{red: newRedactor(l)}
		for i := range 20000 {
			r := *recs[i%len(recs)]
			e := *r.Exchange
			r.Exchange = &e
			if i >= len(recs) {
				q := base.Add(time.Duration(rnd.Int64N(int64(3 * time.Second))))
				switch i % 5 {
				case 1:
					q = q.Truncate(time.Microsecond)
				case 2:
					q = q.Truncate(time.Millisecond)
				case 3:
					q = q.Truncate(time.Second)
				}
				e.RequestTime, e.ResponseTime = q, q.Add(time.Duration(rnd.Int64N(int64(2*time.Second))))
				if i%7 == 0 {
					e.RequestTime = time.Time{}
				}
				e.Kind = parser.ExchangeKind(rnd.IntN(6)) // 5: not a kind
				e.RequestSeq = rnd.Uint64() >> uint(rnd.IntN(64))
				e.RequestSize, e.ResponseSize = rnd.IntN(1<<uint(rnd.IntN(31)))-5, rnd.IntN(100000)
				if i%11 == 0 {
					e.RequestErr, e.Reason = errors.New(`bad "quote"`), parser.ErrGap
				}
				if e.Kind == parser.Complete && e.RequestTime.IsZero() {
					e.Kind = parser.UnmatchedResponse
				}
			}
			want := refJSONRow(&r, p)
			if got := warm.row(nil, &r); !bytes.Equal(got, want) {
				t.Fatalf("level %v, row %d:\n got %s\nwant %s", l, i, got, want)
			}
			if i%97 == 0 {
				if got := (&jsonFormat{red: newRedactor(l)}).row(nil, &r); !bytes.Equal(got, want) {
					t.Fatalf("level %v, row %d, fresh writer:\n got %s\nwant %s", l, i, got, want)
				}
			}
		}
	}
}

// TestJSONKeysByAddress: a key with the same text at another address, a
// key first met as a copy, and more keys than the table keeps are all
// written right, and the table stops growing at maxKnownKeys.
func TestJSONKeysByAddress(t *testing.T) {
	red := newRedactor(redact.Default)
	var kt keyTable
	check := func(k string, changes bool) {
		t.Helper()
		ki := kt.lookup(k, red)
		if want := string(parser.AppendJSONString(nil, k)) + ":"; ki.json != want || ki.changes != changes {
			t.Fatalf("%q: got %q %v, want %q %v", k, ki.json, ki.changes, want, changes)
		}
	}
	pw := "mysql.password"
	pw2 := strings.Clone(pw)
	check(pw2, red.p.Changes(pw))
	check(pw, red.p.Changes(pw))
	check(pw2, red.p.Changes(pw))
	check("redis.command", false)
	check("http.header.authorization", true)
	check("a \"quoted\"\nkey", red.p.Changes("a \"quoted\"\nkey"))
	for i := range maxKnownKeys + 100 {
		k := "x.key" + strconv.Itoa(i)
		check(k, red.p.Changes(k))
	}
	if len(kt.known) > maxKnownKeys {
		t.Fatalf("%d keys kept, want at most %d", len(kt.known), maxKnownKeys)
	}
	check("x.key"+strconv.Itoa(maxKnownKeys+50), false)
	check("redis.command", false)
}

func TestAppendNumbers(t *testing.T) {
	rnd := rand.New(rand.NewPCG(6, 6))
	vals := []uint64{0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 1e18 - 1, 1e18, 1e19 - 1, 1e19, math.MaxUint64}
	for range 20000 {
		vals = append(vals, rnd.Uint64()>>uint(rnd.IntN(64)))
	}
	for _, v := range vals {
		if got, want := string(appendUint([]byte("x"), v)), "x"+strconv.FormatUint(v, 10); got != want {
			t.Fatalf("appendUint(%d) = %s", v, got)
		}
		for _, n := range []int64{int64(v), -int64(v)} {
			if got, want := string(appendInt(nil, n)), strconv.FormatInt(n, 10); got != want {
				t.Fatalf("appendInt(%d) = %s", n, got)
			}
		}
	}
	if got := string(appendInt(nil, math.MinInt64)); got != strconv.FormatInt(math.MinInt64, 10) {
		t.Fatalf("appendInt(MinInt64) = %s", got)
	}
	for digits := 1; digits <= 9; digits++ {
		lim := uint32(math.Pow10(digits))
		for _, v := range []uint32{0, 1, lim - 1, rnd.Uint32N(lim)} {
			want := "." + strings.Repeat("0", digits-len(strconv.Itoa(int(v)))) + strconv.Itoa(int(v))
			if got := string(appendFrac(nil, v, digits)); got != want {
				t.Fatalf("appendFrac(%d, %d) = %s, want %s", v, digits, got, want)
			}
		}
	}
}
