package pcaptest

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/wirekit/wirekit/parser"
)

// TruthRun is what a capture gave through parser.Conn, in the form of its
// truth file: see RunTruth.
type TruthRun struct {
	// Rows are the exchanges, pushes left out, in the order each
	// connection reported them.
	Rows []TruthRow
	// Pushes counts the unsolicited responses.
	Pushes int
	// Stats sums the connections' error and loss counters (ParseErrors,
	// FramingErrors, SkippedBytes, Unmatched, Unanswered).
	Stats parser.ConnStats
}

// RunTruth feeds every connection of the capture at path through a
// parser.Conn of p, cut as feed cuts it, and returns its exchanges as truth
// rows. An exchange that carries a request or response error is a test
// error. each, when not nil, is called with every Conn once it is closed
// (to sum a protocol's own state counters).
func RunTruth(t testing.TB, p *parser.Protocol, path string, feed Feed, each func(*parser.Conn)) TruthRun {
	t.Helper()
	streams, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out TruthRun
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range streams {
		conn := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
			if e.Kind == parser.Push {
				out.Pushes++
				return
			}
			if e.RequestErr != nil || e.ResponseErr != nil {
				t.Errorf("%s: %s exchange: request error %v, response error %v", s.Client, e.Kind, e.RequestErr, e.ResponseErr)
			}
			row := TruthRow{Protocol: e.Protocol, Client: s.Client.String(), Server: s.Server.String()}
			if e.Request != nil {
				row.Request = TruthMap(e.Request)
			}
			if e.Response != nil {
				row.Response = TruthMap(e.Response)
			}
			out.Rows = append(out.Rows, row)
		})
		feed.Replay(s, conn, rng)
		st := conn.Stats()
		for d := range 2 {
			out.Stats.ParseErrors[d] += st.ParseErrors[d]
			out.Stats.FramingErrors[d] += st.FramingErrors[d]
			out.Stats.SkippedBytes[d] += st.SkippedBytes[d]
		}
		out.Stats.Unmatched += st.Unmatched
		out.Stats.Unanswered += st.Unanswered
		if each != nil {
			each(conn)
		}
	}
	return out
}

// TruthMap returns the attributes as a truth file holds them (ints as
// float64, see TruthValue).
func TruthMap(a *parser.Attributes) map[string]any {
	m := map[string]any{}
	for k := range a.All() {
		m[k], _ = TruthValue(a, k)
	}
	return m
}

// CompareTruth checks got against the truth rows want, connection by
// connection and in order, on every attribute the truth file uses for
// that side anywhere: present with the same value, or absent where the
// truth leaves it out. Each difference is a test error naming the
// connection, the exchange and the attribute; it returns the number of
// rows that agree.
func CompareTruth(t testing.TB, name string, want, got []TruthRow) int {
	t.Helper()
	var fields [2][]string
	for side := range fields {
		seen := map[string]bool{}
		for _, w := range want {
			m := w.Request
			if side == 1 {
				m = w.Response
			}
			for k := range m {
				if !seen[k] {
					seen[k] = true
					fields[side] = append(fields[side], k)
				}
			}
		}
		sort.Strings(fields[side])
	}
	byConn := func(rows []TruthRow) map[string][]TruthRow {
		m := map[string][]TruthRow{}
		for _, r := range rows {
			m[r.Client] = append(m[r.Client], r)
		}
		return m
	}
	wc, gc := byConn(want), byConn(got)
	if len(gc) != len(wc) {
		t.Errorf("%s: %d connections, want %d", name, len(gc), len(wc))
	}
	agree := 0
	for conn, ws := range wc {
		gs := gc[conn]
		if len(gs) != len(ws) {
			t.Errorf("%s %s: %d exchanges, want %d", name, conn, len(gs), len(ws))
			continue
		}
		for i, w := range ws {
			g := gs[i]
			ok := true
			if g.Server != w.Server {
				ok = false
				t.Errorf("%s %s #%d: server %s, want %s", name, conn, i+1, g.Server, w.Server)
			}
			for side, pair := range [2][2]map[string]any{{w.Request, g.Request}, {w.Response, g.Response}} {
				if pair[0] == nil || pair[1] == nil {
					if (pair[0] == nil) != (pair[1] == nil) {
						ok = false
						t.Errorf("%s %s #%d side %d: present %v, want %v", name, conn, i+1, side, pair[1] != nil, pair[0] != nil)
					}
					continue
				}
				for _, k := range fields[side] {
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
