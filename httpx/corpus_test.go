package httpx_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

var corpusFiles = []struct {
	name    string
	conns   int
	interim uint64
}{
	{"http_gonet_curl", 6, 1},
	{"http_gonet_goclient", 1, 1},
	{"http_gonet_pipelined", 1, 0},
}

// feedMode is how a connection's segments are handed to parser.Conn.
type feedMode struct {
	name string
	feed func(c *parser.Conn, tc *tcpConn, rng *rand.Rand)
}

var feedModes = []feedMode{
	{"captured segments", func(c *parser.Conn, tc *tcpConn, _ *rand.Rand) {
		for _, s := range tc.segs {
			c.Feed(s.dir, s.data, s.ts)
		}
	}},
	{"whole streams, requests first", func(c *parser.Conn, tc *tcpConn, _ *rand.Rand) {
		c.Feed(parser.Request, tc.stream(parser.Request), time.Time{})
		c.Feed(parser.Response, tc.stream(parser.Response), time.Time{})
	}},
	{"random splits of captured segments", func(c *parser.Conn, tc *tcpConn, rng *rand.Rand) {
		for _, s := range tc.segs {
			for b := s.data; len(b) > 0; {
				n := 1 + rng.IntN(min(len(b), 700))
				c.Feed(s.dir, b[:n], s.ts)
				b = b[n:]
			}
		}
	}},
	{"one byte at a time (the first 8 KiB of each segment)", func(c *parser.Conn, tc *tcpConn, _ *rand.Rand) {
		for _, s := range tc.segs {
			for i := 0; i < len(s.data); {
				n := 1
				if i >= 8192 {
					n = min(4096, len(s.data)-i) // keeps -race runs short
				}
				c.Feed(s.dir, s.data[i:i+n], s.ts)
				i += n
			}
		}
	}},
}

// runConn drives one captured connection through parser.Conn and returns
// its exchanges (cloned) and stats.
func runConn(t *testing.T, proto *parser.Protocol, tc *tcpConn, mode feedMode, rng *rand.Rand) ([]*parser.Exchange, parser.ConnStats) {
	t.Helper()
	var out []*parser.Exchange
	c := parser.NewConn(proto, parser.ConnOptions{}, func(e *parser.Exchange) { out = append(out, e.Clone()) })
	mode.feed(c, tc, rng)
	c.Close(time.Time{})
	return out, c.Stats()
}

// TestCorpusTruth decodes the HTTP captures and checks every exchange
// against the truth file, field by field, in every feeding mode.
func TestCorpusTruth(t *testing.T) {
	proto := httpx.Protocol()
	for _, cf := range corpusFiles {
		conns := readConns(t, pcaptest.Corpus(cf.name+".pcap"))
		truth, err := pcaptest.ReadTruth(pcaptest.Corpus(cf.name + ".truth.jsonl"))
		require.NoError(t, err)
		require.Len(t, conns, cf.conns)
		for _, mode := range feedModes {
			t.Run(cf.name+"/"+mode.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(len(mode.name))))
				agree, fields := 0, 0
				var interim uint64
				ri := 0
				for _, tc := range conns {
					exs, st := runConn(t, proto, tc, mode, rng)
					interim += st.Interim
					assert.Zero(t, st.ParseErrors, "parse errors")
					assert.Zero(t, st.Truncated, "truncated")
					assert.Zero(t, st.FramingErrors, "framing errors")
					assert.Zero(t, st.Unmatched, "unmatched responses")
					assert.Zero(t, st.SkippedBytes, "skipped bytes")
					for _, e := range exs {
						require.Less(t, ri, len(truth), "more exchanges than the truth")
						row := truth[ri]
						ri++
						require.Equal(t, row.Client, tc.client)
						require.Equal(t, parser.Complete, e.Kind, "exchange %d kind", ri)
						fields += len(row.Request) + len(row.Response)
						ok := checkAttrs(t, fmt.Sprintf("%s #%d request", cf.name, ri), row.Request, e.Request)
						ok = checkAttrs(t, fmt.Sprintf("%s #%d response", cf.name, ri), row.Response, e.Response) && ok
						if ok {
							agree++
						}
						// Keys the truth does not list hold too.
						assertNoErr(t, e)
					}
				}
				assert.Equal(t, len(truth), ri, "exchanges")
				assert.Equal(t, len(truth), agree, "exchanges agreeing with the truth")
				assert.Equal(t, cf.interim, interim, "interim responses")
				t.Logf("%s: %d/%d exchanges agree (%d fields)", cf.name, agree, len(truth), fields)
			})
		}
	}
}

func assertNoErr(t *testing.T, e *parser.Exchange) {
	t.Helper()
	assert.NoError(t, e.RequestErr)
	assert.NoError(t, e.ResponseErr)
	assert.Zero(t, e.RequestFlags&parser.Truncated)
	assert.Zero(t, e.ResponseFlags&parser.Truncated)
}

// checkAttrs compares every truth field with the attribute of that key:
// strings as strings, JSON numbers as ints.
func checkAttrs(t *testing.T, what string, want map[string]any, got *parser.Attributes) bool {
	t.Helper()
	if !assert.NotNil(t, got, what) {
		return false
	}
	ok := true
	for k, w := range want {
		v, present := got.Get(k)
		if !assert.True(t, present, "%s: %s missing", what, k) {
			ok = false
			continue
		}
		switch w := w.(type) {
		case string:
			ok = assert.Equal(t, parser.KindString, v.Kind(), "%s: %s kind", what, k) && ok
			ok = assert.Equal(t, w, v.Str(), "%s: %s", what, k) && ok
		case float64:
			ok = assert.Equal(t, parser.KindInt, v.Kind(), "%s: %s kind", what, k) && ok
			ok = assert.Equal(t, int64(w), v.Int(), "%s: %s", what, k) && ok
		default:
			t.Fatalf("%s: unexpected truth type %T for %s", what, w, k)
		}
	}
	return ok
}
