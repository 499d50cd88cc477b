package main

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

func TestAppendJSONStringMatchesParser(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	check := func(s string) {
		t.Helper()
		if got, want := appendJSONString(nil, s), parser.AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
	for c := range 256 {
		for _, pos := range []int{0, 3, 7, 8, 12} {
			b := []byte("abcdefghijklmnop")
			b[pos] = byte(c)
			check(string(b))
		}
	}
	alphabet := "aZ09 \"\\\x00\x1f\x7f\xc3\xa9\xff/<>&"
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

func TestClockFormats(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	var c clock
	base := time.Date(2026, 12, 2, 23, 59, 58, 0, time.UTC)
	for i := range 20000 {
		ts := base.Add(time.Duration(r.Int64N(int64(5 * time.Second))))
		switch i % 4 {
		case 1:
			ts = ts.Truncate(time.Microsecond)
		case 2:
			ts = ts.Truncate(time.Second)
		case 3:
			ts = ts.In(time.FixedZone("x", 3600)) // the output is UTC whatever the zone
		}
		if got, want := string(c.appendRFC3339Nano(nil, ts)), ts.UTC().Format(time.RFC3339Nano); got != want {
			t.Fatalf("RFC3339Nano %v: got %s, want %s", ts, got, want)
		}
		if got, want := string(c.appendTimeOfDay(nil, ts)), ts.UTC().Format("15:04:05.000000"); got != want {
			t.Fatalf("time of day %v: got %s, want %s", ts, got, want)
		}
		if got, want := string(c.date(ts)), ts.UTC().Format("2006-01-02"); got != want {
			t.Fatalf("date %v: got %s, want %s", ts, got, want)
		}
	}
}

func TestLatencyFormats(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{0, "0µs"}, {150 * time.Microsecond, "150µs"}, {1500 * time.Nanosecond, "2µs"}, {time.Millisecond, "1ms"},
		{1234567 * time.Nanosecond, "1.235ms"}, {2500 * time.Millisecond, "2.5s"}, {-3 * time.Microsecond, "-3µs"},
		{90 * time.Second, "90s"}} {
		if got := string(appendLatency(nil, c.d)); got != c.want {
			t.Errorf("%v: got %s, want %s", c.d, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(3, 3))
	for range 10000 {
		d := time.Duration(r.Int64N(int64(10 * time.Second)))
		want := []byte(nil)
		want = appendFloatMicros(want, d)
		if got := appendMicros(nil, d); !bytes.Equal(got, want) {
			t.Fatalf("%d ns: got %s, want %s", d, got, want)
		}
	}
}

// fakeRows feeds the orderer rows with given times from given connections
// while the decoder's newest capture time advances, and returns the times
// in the order written.
func TestOrdererWritesInTimeOrder(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	d := &Decoder{busy: map[*streamHandler]struct{}{}, Order: true}
	o := newOrderer(w, d, 50*time.Millisecond, false)
	queues := make([]rowQueue, 5)
	for i := range queues {
		queues[i].slot = -1
	}
	r := rand.New(rand.NewPCG(4, 4))
	base := time.Unix(1700000000, 0)
	// The decoder's view: every connection has requests waiting, the
	// oldest at most 10ms old.
	conns := make([]streamHandler, len(queues))
	for i := range conns {
		d.busy[&conns[i]] = struct{}{}
	}
	// Each connection reports rows up to 10ms after they started, in
	// order, except connection 4 (a keyed protocol) in any order; some
	// rows come 80ms late (more than -hold): those are counted.
	var want []int64
	lateWant := 0
	for i := range 20000 {
		now := base.Add(time.Duration(i) * 100 * time.Microsecond)
		d.latest = now
		for i := range conns {
			conns[i].idleAt = now.Add(-10 * time.Millisecond)
		}
		q := &queues[r.IntN(len(queues))]
		start := now.Add(-time.Duration(r.IntN(10000)) * time.Microsecond)
		if q != &queues[4] && !q.empty() && start.UnixNano() < q.rows[len(q.rows)-1].ts {
			start = time.Unix(0, q.rows[len(q.rows)-1].ts)
		}
		if i%1000 == 999 {
			start = now.Add(-80 * time.Millisecond)
			lateWant++
		}
		ts := start.UnixNano()
		want = append(want, ts)
		o.add(q, ts, []byte(strings.Repeat("x", r.IntN(30))+" "+time.Unix(0, ts).Format(time.RFC3339Nano)+"\n"))
	}
	o.releaseAll()
	w.Flush()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d rows written, want %d", len(lines), len(want))
	}
	var prev time.Time
	outOfOrder := 0
	for _, l := range lines {
		ts, err := time.Parse(time.RFC3339Nano, l[strings.LastIndexByte(l, ' ')+1:])
		if err != nil {
			t.Fatal(err)
		}
		if ts.Before(prev) {
			outOfOrder++
		} else {
			prev = ts
		}
	}
	if outOfOrder != int(o.late) || outOfOrder > lateWant || o.late == 0 || o.forced != 0 {
		t.Fatalf("%d rows out of order, orderer counted %d late and %d forced; at most %d expected", outOfOrder, o.late, o.forced, lateWant)
	}
	if o.held != 0 || len(o.heap) != 0 {
		t.Fatalf("%d rows still held", o.held)
	}
}

// appendFloatMicros is how -json wrote latency_us before appendMicros.
func appendFloatMicros(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d.Nanoseconds())/1e3, 'f', -1, 64)
}

// testRecord is a Redis SET exchange on a connection of its own.
func testRecord(ts time.Time) *Record {
	req, resp := &parser.Attributes{}, &parser.Attributes{}
	req.SetString(redis.AttrCommand, "SET")
	req.Set(redis.AttrKey, parser.UnsafeStringValue([]byte("user:1")))
	resp.SetString(redis.AttrType, "simple")
	info := &StreamInfo{ClientText: "10.0.0.1:50000", ServerText: "10.0.0.2:6379", rows: rowQueue{slot: -1}}
	return &Record{Stream: info, Exchange: &parser.Exchange{Protocol: "redis", Kind: parser.Complete, Request: req,
		Response: resp, RequestTime: ts, ResponseTime: ts.Add(150 * time.Microsecond), RequestSeq: 1}}
}

// TestTableDateLines: the table has a date line before its first row and
// whenever the UTC date changes, so a capture spanning days is readable.
func TestTableDateLines(t *testing.T) {
	var tf tableFormat
	var b []byte
	day1 := time.Date(2026, 12, 1, 23, 59, 59, 999000000, time.UTC)
	for _, ts := range []time.Time{day1, day1.Add(500 * time.Microsecond), day1.Add(2 * time.Millisecond), day1.Add(48 * time.Hour)} {
		b = tf.row(b, testRecord(ts))
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var dates []string
	for _, l := range lines {
		if d, ok := strings.CutPrefix(l, "== "); ok {
			dates = append(dates, strings.TrimSuffix(d, " (UTC) =="))
		}
	}
	if strings.Join(dates, " ") != "2026-12-01 2026-12-02 2026-12-03" || len(lines) != 7 {
		t.Fatalf("date lines %q in\n%s", dates, b)
	}
	if !strings.HasPrefix(lines[1], "23:59:59.999000  10.0.0.1:50000         10.0.0.2:6379          redis   complete    SET user:1") ||
		!strings.HasSuffix(lines[1], "150µs") {
		t.Fatalf("row %q", lines[1])
	}
	// fixed widths: every row's columns start where the header's do
	hdr := string(appendTableHeader(nil))
	for _, col := range []string{"CLIENT", "SERVER", "PROTO", "KIND", "REQUEST", "RESPONSE", "LATENCY"} {
		i := strings.Index(hdr, col)
		if lines[1][i-2:i] != "  " || lines[1][i] == ' ' {
			t.Fatalf("column %s does not start at %d in %q", col, i, lines[1])
		}
	}
}
