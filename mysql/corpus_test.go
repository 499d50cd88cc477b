package mysql

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// add sums the counters the corpus test checks.
func (out *Stats) add(ps Stats) {
	out.TLS += ps.TLS
	out.Compressed += ps.Compressed
	out.UnknownStatements += ps.UnknownStatements
	out.Unexpected += ps.Unexpected
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
				var state Stats
				got := pcaptest.RunTruth(t, Protocol(), pcaptest.Corpus(name+".pcap"), feed, func(c *parser.Conn) {
					state.add(c.State().(*State).Stats())
				})
				agree := pcaptest.CompareTruth(t, name, want, got.Rows)
				assert.Equal(t, len(want), agree)
				t.Logf("%s: %d/%d exchanges agree, %d pushes, state %+v", name, agree, len(want), got.Pushes, state)
				assert.Zero(t, got.Stats.ParseErrors[0]+got.Stats.ParseErrors[1], "parse errors")
				assert.Zero(t, got.Stats.FramingErrors[0]+got.Stats.FramingErrors[1], "framing errors")
				assert.Zero(t, got.Stats.Unmatched, "unmatched responses")
				assert.Zero(t, got.Stats.Unanswered, "unanswered requests")
				assert.Zero(t, state.Unexpected, "unexpected responses")
				assert.Zero(t, state.UnknownStatements, "unknown statements")
			})
		}
	}
}
