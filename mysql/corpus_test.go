package mysql

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// corpusRun is what one capture gave through parser.Conn.
type corpusRun struct {
	rows   []pcaptest.TruthRow
	pushes int
	stats  parser.ConnStats
	state  Stats
}

// runCapture feeds every connection of a capture through parser.Conn with
// feed, and returns its exchanges as truth rows (pushes counted apart).
func runCapture(t *testing.T, proto *parser.Protocol, path string, feed pcaptest.Feed) corpusRun {
	streams, err := pcaptest.ReadFile(path)
	require.NoError(t, err)
	var out corpusRun
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range streams {
		conn := parser.NewConn(proto, parser.ConnOptions{}, func(e *parser.Exchange) {
			if e.Kind == parser.Push {
				out.pushes++
				return
			}
			assert.NoError(t, e.RequestErr, "%s", s.Client)
			assert.NoError(t, e.ResponseErr, "%s", s.Client)
			row := pcaptest.TruthRow{Protocol: e.Protocol, Client: s.Client.String(), Server: s.Server.String()}
			if e.Request != nil {
				row.Request = truthMap(e.Request)
			}
			if e.Response != nil {
				row.Response = truthMap(e.Response)
			}
			out.rows = append(out.rows, row)
		})
		feed.Replay(s, conn, rng)
		st := conn.Stats()
		for d := range 2 {
			out.stats.ParseErrors[d] += st.ParseErrors[d]
			out.stats.FramingErrors[d] += st.FramingErrors[d]
			out.stats.SkippedBytes[d] += st.SkippedBytes[d]
		}
		out.stats.Unmatched += st.Unmatched
		out.stats.Unanswered += st.Unanswered
		ps := conn.State().(*State).Stats()
		out.state.TLS += ps.TLS
		out.state.Compressed += ps.Compressed
		out.state.UnknownStatements += ps.UnknownStatements
		out.state.Unexpected += ps.Unexpected
	}
	return out
}

// truthMap is the attributes as a truth file holds them (ints as float64).
func truthMap(a *parser.Attributes) map[string]any {
	m := map[string]any{}
	for k := range a.All() {
		m[k], _ = pcaptest.TruthValue(a, k)
	}
	return m
}

// compareTruth checks got against the truth rows connection by connection
// and in order, on every field the truth file uses: present with the same
// value, or absent where the truth leaves it out. It returns the number of
// rows that agree.
func compareTruth(t *testing.T, name string, want, got []pcaptest.TruthRow) int {
	t.Helper()
	fields := [2]map[string]bool{{}, {}}
	for _, w := range want {
		for k := range w.Request {
			fields[0][k] = true
		}
		for k := range w.Response {
			fields[1][k] = true
		}
	}
	byConn := func(rows []pcaptest.TruthRow) map[string][]pcaptest.TruthRow {
		m := map[string][]pcaptest.TruthRow{}
		for _, r := range rows {
			m[r.Client] = append(m[r.Client], r)
		}
		return m
	}
	wc, gc := byConn(want), byConn(got)
	assert.Len(t, gc, len(wc), "%s: connections", name)
	agree := 0
	for conn, ws := range wc {
		gs := gc[conn]
		if !assert.Len(t, gs, len(ws), "%s %s: exchanges", name, conn) {
			continue
		}
		for i, w := range ws {
			g := gs[i]
			ok := assert.Equal(t, w.Server, g.Server)
			for side, pair := range [2][2]map[string]any{{w.Request, g.Request}, {w.Response, g.Response}} {
				if pair[0] == nil || pair[1] == nil {
					ok = assert.Equal(t, pair[0] == nil, pair[1] == nil, "%s %s #%d side %d presence", name, conn, i+1, side) && ok
					continue
				}
				keys := make([]string, 0, len(fields[side]))
				for k := range fields[side] {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					wv, wok := pair[0][k]
					gv, gok := pair[1][k]
					if wok != gok || !reflect.DeepEqual(wv, gv) {
						ok = false
						t.Errorf("%s %s #%d side %d %s: got %#v (%v), want %#v (%v)", name, conn, i+1, side, k, gv, gok, wv, wok)
					}
				}
			}
			if ok {
				agree++
			}
		}
	}
	return agree
}

// TestCorpus checks every exchange of the MySQL captures against
// their truth (tshark's mysql dissector), field by field, for the
// segments as captured, one byte at a time and random cuts.
//
// The fourth pcaptest feed (each direction whole, requests first) is not
// run: it hands every request before any response, which no capture
// does, so a STMT_EXECUTE would be read before the STMT_PREPARE response
// that gave its statement id, and LOAD DATA LOCAL's file before the
// server asked for it.
func TestCorpus(t *testing.T) {
	names := pcaptest.CorpusCaptures("mysql_")
	require.NotEmpty(t, names)
	for _, name := range names {
		want, err := pcaptest.ReadTruth(pcaptest.Corpus(name + ".truth.jsonl"))
		require.NoError(t, err)
		for _, feed := range pcaptest.Feeds()[:3] {
			t.Run(fmt.Sprintf("%s/%s", name, feed.Name), func(t *testing.T) {
				got := runCapture(t, Protocol(), pcaptest.Corpus(name+".pcap"), feed)
				agree := compareTruth(t, name, want, got.rows)
				assert.Equal(t, len(want), agree)
				t.Logf("%s: %d/%d exchanges agree, %d pushes, state %+v", name, agree, len(want), got.pushes, got.state)
				assert.Zero(t, got.stats.ParseErrors[0]+got.stats.ParseErrors[1], "parse errors")
				assert.Zero(t, got.stats.FramingErrors[0]+got.stats.FramingErrors[1], "framing errors")
				assert.Zero(t, got.stats.Unmatched, "unmatched responses")
				assert.Zero(t, got.stats.Unanswered, "unanswered requests")
				assert.Zero(t, got.state.Unexpected, "unexpected responses")
				assert.Zero(t, got.state.UnknownStatements, "unknown statements")
			})
		}
	}
}
