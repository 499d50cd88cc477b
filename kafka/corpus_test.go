package kafka

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// TestCorpusTruth runs both Kafka captures through parser.Conn in several
// ways of cutting the streams and checks every exchange against the truth
// file: the same exchanges, and every truth field equal (and fields the
// truth leaves out, such as kafka.topic for topic-less requests, absent).
func TestCorpusTruth(t *testing.T) {
	for _, name := range []string{"kafka_kgo_v2_4", "kafka_sarama_v0_11"} {
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		require.NoError(t, err)
		truth, err := pcaptest.ReadTruth(pcaptest.Corpus(name + ".truth.jsonl"))
		require.NoError(t, err)
		for _, feed := range pcaptest.Feeds() {
			t.Run(name+"/"+feed.Name, func(t *testing.T) {
				p := NewProtocol(Options{})
				rng := rand.New(rand.NewPCG(1, 2))
				got := map[string]*parser.Exchange{}
				var order []string
				for _, s := range streams {
					require.Zero(t, s.Gaps[0]+s.Gaps[1])
					c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
						var corr int64
						if e.Request != nil {
							corr, _ = e.Request.Int(AttrCorrelationID)
						} else {
							corr, _ = e.Response.Int(AttrCorrelationID)
						}
						k := fmt.Sprintf("%s/%d", s.Client, corr)
						assert.NotContains(t, got, k, "duplicate exchange")
						got[k] = e.Clone()
						order = append(order, k)
					})
					feed.Replay(s, c, rng)
					st := c.Stats()
					assert.Zero(t, st.FramingErrors[0]+st.FramingErrors[1], "framing errors")
					assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1], "parse errors")
				}
				require.Len(t, got, len(truth))
				for _, row := range truth {
					k := fmt.Sprintf("%s/%d", row.Client, int64(row.Request[AttrCorrelationID].(float64)))
					e := got[k]
					require.NotNil(t, e, k)
					require.NotNil(t, e.Request, k)
					assert.False(t, e.Request.Has(AttrBodyNotDecoded), "%s: request body not decoded: %v", k, e.Request.Map())
					for _, key := range []string{AttrAPIKey, AttrAPIVersion, AttrCorrelationID, AttrClientID, AttrTopic} {
						want, inTruth := row.Request[key]
						have, inGot := pcaptest.TruthValue(e.Request, key)
						assert.Equal(t, inTruth, inGot, "%s %s presence (got %v)", k, key, have)
						assert.Equal(t, want, have, "%s %s", k, key)
					}
					if row.Response == nil {
						assert.Nil(t, e.Response, "%s: truth has no response", k)
						assert.Contains(t, []parser.ExchangeKind{parser.OneWayRequest, parser.Unanswered}, e.Kind, k)
						continue
					}
					require.NotNil(t, e.Response, k)
					assert.Equal(t, parser.Complete, e.Kind, k)
					assert.False(t, e.Response.Has(AttrBodyNotDecoded), "%s: response body not decoded: %v", k, e.Response.Map())
					for key, want := range row.Response {
						have, _ := pcaptest.TruthValue(e.Response, key)
						assert.Equal(t, want, have, "%s response %s", k, key)
					}
				}
			})
		}
	}
}
