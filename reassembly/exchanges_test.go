package reassembly_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/reassembly"
	"github.com/wirekit/wirekit/redis"
)

type gotRow struct {
	client, server string
	seq            uint64
	kind           parser.ExchangeKind
	req, resp      map[string]any
	latencyOK      bool
}

// collectExchanges runs a capture through Assembler + Exchanges.
func collectExchanges(t *testing.T, file string, opts reassembly.ExchangeOptions) []gotRow {
	var rows []gotRow
	x := reassembly.NewExchanges(opts, func(s *reassembly.Stream, e *parser.Exchange) {
		e = e.Clone() // its strings alias capture buffers that are reused
		r := gotRow{client: s.Client().String(), server: s.Server().String(), seq: e.RequestSeq, kind: e.Kind,
			latencyOK: e.Kind != parser.Complete || (e.Latency() >= 0 && !e.RequestTime.IsZero())}
		if e.Request != nil {
			r.req = e.Request.Map()
		}
		if e.Response != nil {
			r.resp = e.Response.Map()
		}
		rows = append(rows, r)
	})
	a := reassembly.NewAssembler(x, reassembly.Options{})
	_, err := reassembly.ReadFile(pcaptest.Corpus(file+".pcap"), a)
	require.NoError(t, err)
	a.FlushAll()
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].client != rows[j].client {
			return rows[i].client < rows[j].client
		}
		return rows[i].seq < rows[j].seq
	})
	return rows
}

// equalish compares a truth value with an attribute value (JSON numbers
// are float64, attributes int64).
func equalish(want, got any) bool {
	return fmt.Sprint(want) == fmt.Sprint(got)
}

func TestExchangesMatchTruth(t *testing.T) {
	// httpx first: an HTTP request line is also a valid redis inline command.
	det := parser.NewDetector(httpx.Protocol(), redis.Protocol())
	tests := []struct {
		file   string
		opts   reassembly.ExchangeOptions
		pushes int // server pushes (not in the truth files, see their .xcheck.txt)
	}{
		{"redis_cli_session", reassembly.ExchangeOptions{Protocol: redis.Protocol()}, 0},
		{"redis_benchmark_pipeline16", reassembly.ExchangeOptions{Protocol: redis.Protocol()}, 0},
		{"http_gonet_pipelined", reassembly.ExchangeOptions{Protocol: httpx.Protocol()}, 0},
		{"http_gonet_goclient", reassembly.ExchangeOptions{Choose: func(s *reassembly.Stream) *parser.Protocol {
			return httpx.Protocol()
		}}, 0},
		{"http_gonet_curl", reassembly.ExchangeOptions{Detector: det}, 0},
		{"redis_goredis_mixed", reassembly.ExchangeOptions{Detector: det}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			truth, err := pcaptest.ReadTruth(pcaptest.Corpus(tt.file + ".truth.jsonl"))
			require.NoError(t, err)
			sort.SliceStable(truth, func(i, j int) bool { return truth[i].Client < truth[j].Client })
			all := collectExchanges(t, tt.file, tt.opts)
			var got []gotRow
			pushes := 0
			for _, g := range all {
				if g.kind == parser.Push {
					pushes++
					continue
				}
				got = append(got, g)
			}
			assert.Equal(t, tt.pushes, pushes)
			require.Len(t, got, len(truth))
			checked := 0
			for i, w := range truth {
				g := got[i]
				require.Equal(t, w.Client, g.client, "row %d", i)
				require.Equal(t, w.Server, g.server, "row %d", i)
				assert.True(t, g.latencyOK, "row %d", i)
				for k, v := range w.Request {
					if assert.Contains(t, g.req, k, "row %d request", i) {
						assert.True(t, equalish(v, g.req[k]), "row %d request %s: want %v got %v", i, k, v, g.req[k])
						checked++
					}
				}
				if w.Response == nil {
					assert.Nil(t, g.resp, "row %d", i)
					continue
				}
				for k, v := range w.Response {
					if assert.Contains(t, g.resp, k, "row %d response", i) {
						assert.True(t, equalish(v, g.resp[k]), "row %d response %s: want %v got %v", i, k, v, g.resp[k])
						checked++
					}
				}
			}
			assert.Greater(t, checked, len(truth))
			t.Logf("%d exchanges, %d fields agree", len(got), checked)
		})
	}
}

func TestExchangesSkipsUnchosenStreams(t *testing.T) {
	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Choose: func(s *reassembly.Stream) *parser.Protocol {
		if strings.HasSuffix(s.Server().String(), ":16390") {
			return redis.Protocol()
		}
		return nil
	}}, func(*reassembly.Stream, *parser.Exchange) {})
	a := reassembly.NewAssembler(x, reassembly.Options{})
	_, err := reassembly.ReadFile(pcaptest.Corpus("http_gonet_curl.pcap"), a)
	require.NoError(t, err)
	a.FlushAll()
	assert.Equal(t, a.Stats().ConnsOpened, x.Skipped())
	assert.NotZero(t, x.Skipped())
}

// OnClose hands over each stream's parser.Conn after its last exchange:
// its counters account for every exchange emitted.
func TestExchangesOnClose(t *testing.T) {
	det := parser.NewDetector(httpx.Protocol(), redis.Protocol())
	emitted := map[string]uint64{}
	var fromStats uint64
	closes := 0
	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Detector: det,
		OnClose: func(s *reassembly.Stream, reason reassembly.CloseReason, conn *parser.Conn) {
			closes++
			require.NotNil(t, conn)
			st := conn.Stats()
			fromStats += st.Exchanges + st.OneWay + st.Unanswered + st.Unmatched + st.Pushes
			assert.Equal(t, emitted[s.Client().String()], st.Exchanges+st.OneWay+st.Unanswered+st.Unmatched+st.Pushes)
			assert.Zero(t, st.ParseErrors[parser.Request]+st.ParseErrors[parser.Response])
		}},
		func(s *reassembly.Stream, e *parser.Exchange) { emitted[s.Client().String()]++ })
	a := reassembly.NewAssembler(x, reassembly.Options{})
	_, err := reassembly.ReadFile(pcaptest.Corpus("redis_goredis_mixed.pcap"), a)
	require.NoError(t, err)
	a.FlushAll()
	assert.Equal(t, 4, closes)
	assert.Equal(t, uint64(38), fromStats) // 36 exchanges + 2 pushes
}

// A capture with a lost client segment: the gap reaches the parser, which
// resynchronises; the other exchanges are still reported.
func TestExchangesAfterLoss(t *testing.T) {
	data, err := os.ReadFile(pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, err)
	// Drop the 30th data segment sent to the server (a whole command).
	var out []byte
	out = append(out, data[:24]...)
	dropped, seen := 0, 0
	for p := 24; p < len(data); {
		n := int(binary.LittleEndian.Uint32(data[p+8:]))
		rec := data[p : p+16+n]
		p += 16 + n
		var seg reassembly.Segment
		if reassembly.DecodePacket(reassembly.LinkEthernet, rec[16:], &seg) == nil && seg.Dst.Port() == 16390 && len(seg.Payload) > 0 {
			seen++
			if seen == 10 {
				dropped = len(seg.Payload)
				continue
			}
		}
		out = append(out, rec...)
	}
	require.NotZero(t, dropped)
	var exchanges int
	var gapBytes uint64
	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Protocol: redis.Protocol(),
		OnClose: func(_ *reassembly.Stream, _ reassembly.CloseReason, c *parser.Conn) {
			gapBytes = c.Stats().GapBytes[parser.Request]
		}}, func(*reassembly.Stream, *parser.Exchange) { exchanges++ })
	a := reassembly.NewAssembler(x, reassembly.Options{})
	_, err = reassembly.ReadPcapBytes(out, a)
	require.NoError(t, err)
	a.FlushAll()
	st := a.Stats()
	assert.Equal(t, uint64(1), st.Gaps)
	assert.Equal(t, uint64(dropped), st.BytesLost)
	assert.Equal(t, uint64(dropped), gapBytes, "the parser saw the gap")
	assert.GreaterOrEqual(t, exchanges, 23) // 25 in the full capture
}
