package sqltest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wirekit/wirekit/internal/sqlop"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// Exchanges feeds byte strings through one Conn of p in order, requests
// and responses alternating (the first a request; a nil one feeds
// nothing), closes it and returns the exchanges.
func Exchanges(t testing.TB, p *parser.Protocol, pairs ...[]byte) ([]*parser.Exchange, *parser.Conn) {
	t.Helper()
	var out []*parser.Exchange
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) { out = append(out, e.Clone()) })
	ts := time.Unix(0, 0)
	for i, b := range pairs {
		c.Feed(parser.Direction(i%2), b, ts)
	}
	c.Close(ts)
	return out, c
}

// Str is a string attribute, "" when a has none.
func Str(a *parser.Attributes, k string) string { s, _ := a.String(k); return s }

// Num is an integer attribute, 0 when a has none.
func Num(a *parser.Attributes, k string) int64 { n, _ := a.Int(k); return n }

// PickUp feeds the first connection of a corpus capture to a new Conn of
// p from its first chunk for which start is true on (index, bytes) on, as
// a capture begun there would, and returns the exchanges and the closed
// Conn. The capture must have such a chunk after its first one.
func PickUp(t *testing.T, p *parser.Protocol, capture string, start func(i int, dir parser.Direction, b []byte) bool) ([]*parser.Exchange, *parser.Conn) {
	t.Helper()
	streams, err := pcaptest.ReadFile(pcaptest.Corpus(capture))
	if err != nil {
		t.Fatal(err)
	}
	s := streams[0]
	from := -1
	for i, ch := range s.Chunks {
		if start(i, ch.Dir, ch.Bytes(s)) {
			from = i
			break
		}
	}
	if from <= 0 {
		t.Fatalf("%s: no chunk to start from after the first (%d)", capture, from)
	}
	var ex []*parser.Exchange
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) { ex = append(ex, e.Clone()) })
	for _, ch := range s.Chunks[from:] {
		c.Feed(ch.Dir, ch.Bytes(s), ch.Time)
	}
	c.Close(time.Time{})
	return ex, c
}

// ZeroAllocs checks that run, a parse reporting whether its message
// parsed, parses and allocates nothing.
func ZeroAllocs(t *testing.T, name string, run func() bool) {
	t.Helper()
	assert.True(t, run(), name)
	assert.Zero(t, testing.AllocsPerRun(200, func() { run() }), name)
}

// SteadyConnAllocs feeds round (request, response, request, response,
// ...) to a Conn of p once after setup (fed the same way) and then 200
// times more: the 200 allocate nothing, and the Conn emits setup's and
// each round's exchanges, one per request and response.
func SteadyConnAllocs(t *testing.T, p *parser.Protocol, setup, round [][]byte) {
	t.Helper()
	n := 0
	c := parser.NewConn(p, parser.ConnOptions{}, func(*parser.Exchange) { n++ })
	ts := time.Unix(0, 0)
	feed := func(bs [][]byte) {
		for i, b := range bs {
			c.Feed(parser.Direction(i%2), b, ts)
		}
	}
	feed(setup)
	feed(round)
	assert.Zero(t, testing.AllocsPerRun(200, func() { feed(round) }), "Conn steady state")
	assert.Equal(t, len(setup)/2+len(round)/2*202, n)
}

// Cases are statements and what a scan should make of them.
type Cases = []struct{ In, Want string }

// Operations checks a dialect's keyword listing (appendOps) on cases,
// then its bounds: 40 statements list sqlop.MaxOperations keywords, and
// a word longer than sqlop.MaxKeyword is no keyword.
func Operations(t *testing.T, appendOps func([]byte, string) []byte, cases Cases) {
	t.Helper()
	for _, tt := range cases {
		assert.Equal(t, tt.Want, string(appendOps(nil, tt.In)), tt.In)
	}
	var many strings.Builder
	for i := range 40 {
		many.WriteString(strings.Repeat("k", i%20+1) + "; ")
	}
	assert.Len(t, strings.Fields(string(appendOps(nil, many.String()))), sqlop.MaxOperations, "bounded")
	long := strings.Repeat("x", sqlop.MaxKeyword+1)
	assert.Equal(t, "DROP", string(appendOps(nil, long+"; DROP")), "an over-long word is no keyword")
}

// Masking checks a dialect's password masking on cases: the cheap test
// (may) is true of every statement that changes, and mask gives Want.
func Masking(t *testing.T, may func(string) bool, mask func([]byte, string) []byte, cases Cases) {
	t.Helper()
	for _, tt := range cases {
		if tt.In != tt.Want {
			assert.True(t, may(tt.In), "the cheap test never misses a statement to mask: %s", tt.In)
		}
		assert.Equal(t, tt.Want, string(mask(nil, tt.In)), tt.In)
	}
}

// FindsWords checks the cheap password test (may) finds each of words at
// every offset up to 16 and with text after it, not the word without its
// last byte, and none of misses.
func FindsWords(t *testing.T, may func(string) bool, words, misses []string) {
	t.Helper()
	for _, w := range words {
		for pad := 0; pad < 17; pad++ {
			s := strings.Repeat("x", pad) + w + strings.Repeat("y", pad%5)
			assert.True(t, may(s), s)
			assert.False(t, may(strings.Repeat("x", pad)+w[:len(w)-1]+strings.Repeat("y", pad%5)), s)
		}
	}
	for _, s := range misses {
		assert.False(t, may(s), s)
	}
}

// FuzzParse fuzzes ParseRequest and ParseResponse of each of protos (in
// input's first byte the direction), seeded with every message the first
// of them frames in the corpus captures named prefix*: with and without
// connection state, a response also without and with a request whose
// attribute key is value; no panic, and the offset stays within the
// message.
func FuzzParse(f *testing.F, prefix, key, value string, protos ...*parser.Protocol) {
	var req parser.Attributes
	req.SetString(key, value)
	for _, name := range pcaptest.CorpusCaptures(prefix) {
		reqs, resps, err := pcaptest.FileMessages(pcaptest.Corpus(name+".pcap"), protos[0])
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range reqs {
			f.Add(append([]byte{0}, m...))
		}
		for _, m := range resps {
			f.Add(append([]byte{1}, m...))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		dir, data := parser.Direction(in[0]&1), in[1:]
		for _, proto := range protos {
			var m parser.Message
			for _, state := range []any{nil, proto.NewState()} {
				if dir == parser.Request {
					proto.ParseRequest(&m, data, state)
				} else {
					proto.ParseResponse(&m, data, nil, state)
					proto.ParseResponse(&m, data, &req, state)
				}
				if m.Offset > len(data) {
					t.Fatalf("offset %d past %d bytes", m.Offset, len(data))
				}
			}
		}
	})
}

// FuzzOperations splits arbitrary text into statements with a dialect's
// appendOps: no panic, at most sqlop.MaxOperations distinct upper-case
// keywords of at most sqlop.MaxKeyword letters, and a statement put
// first is always listed.
func FuzzOperations(f *testing.F, appendOps func([]byte, string) []byte) {
	for _, s := range []string{"SELECT 1; DROP TABLE t", "/* c */ (select 1)", "SELECT 'a\\'; b'; c", "$$;$$; x", "/*!1 DROP */", "-- x\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		ops := string(appendOps(nil, sql))
		words := strings.Fields(ops)
		if len(words) > sqlop.MaxOperations || strings.Join(words, " ") != ops {
			t.Fatalf("%q: %q", sql, ops)
		}
		seen := map[string]bool{}
		for _, w := range words {
			if len(w) > sqlop.MaxKeyword || strings.Trim(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" || seen[w] {
				t.Fatalf("%q: bad or repeated keyword %q in %q", sql, w, ops)
			}
			seen[w] = true
		}
		if first := strings.Fields(string(appendOps(nil, "TRUNCATE t; "+sql))); len(first) == 0 || first[0] != "TRUNCATE" {
			t.Fatalf("%q: the first statement not listed first: %v", sql, first)
		}
	})
}

// Corpus checks every exchange of the corpus captures named prefix*
// against their truth files, field by field, through p in the first
// three pcaptest feeds (as captured, one byte at a time, random cuts):
// every row agrees, no parse or framing error, no unmatched response
// and, with answered, no unanswered request. counts gives a Conn's
// unexpected responses and unknown statements (its State's Stats); their
// sums over a run must be zero. The fourth feed (each direction whole,
// requests first) is not run: no capture hands every request before any
// response, and both dialects have turns (a response that decides how
// the next request reads) it would break.
func Corpus(t *testing.T, prefix string, p *parser.Protocol, answered bool, counts func(*parser.Conn) (unexpected, unknown uint64)) {
	names := pcaptest.CorpusCaptures(prefix)
	if len(names) == 0 {
		t.Fatalf("no %s* captures in the corpus", prefix)
	}
	for _, name := range names {
		want, err := pcaptest.ReadTruth(pcaptest.Corpus(name + ".truth.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, feed := range pcaptest.Feeds()[:3] {
			t.Run(name+"/"+feed.Name, func(t *testing.T) {
				var unexpected, unknown uint64
				got := pcaptest.RunTruth(t, p, pcaptest.Corpus(name+".pcap"), feed, func(c *parser.Conn) {
					u, k := counts(c)
					unexpected += u
					unknown += k
				})
				agree := pcaptest.CompareTruth(t, name, want, got.Rows)
				assert.Equal(t, len(want), agree)
				t.Logf("%s: %d/%d exchanges agree, %d pushes, %d unexpected responses, %d unknown statements", name, agree, len(want), got.Pushes, unexpected, unknown)
				assert.Zero(t, got.Stats.ParseErrors[0]+got.Stats.ParseErrors[1], "parse errors")
				assert.Zero(t, got.Stats.FramingErrors[0]+got.Stats.FramingErrors[1], "framing errors")
				assert.Zero(t, got.Stats.Unmatched, "unmatched responses")
				if answered {
					assert.Zero(t, got.Stats.Unanswered, "unanswered requests")
				}
				assert.Zero(t, unexpected, "unexpected responses")
				assert.Zero(t, unknown, "unknown statements")
			})
		}
	}
}

// StopsOversized feeds req, a request over p's MaxMessageSize, to a Conn:
// no exchange, the request direction stopped by parser.ErrTooLarge and
// all its len(req) bytes counted skipped.
func StopsOversized(t *testing.T, p *parser.Protocol, req []byte) {
	t.Helper()
	ex, c := Exchanges(t, p, req)
	assert.Empty(t, ex)
	st := c.Stats()
	assert.ErrorIs(t, st.StoppedByError[parser.Request], parser.ErrTooLarge)
	assert.Equal(t, uint64(len(req)), st.SkippedBytes[parser.Request])
}
