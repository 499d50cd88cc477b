package redis

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// The captures in testdata/corpus (pcaptest.Corpus) are real redis-cli,
// redis-benchmark and go-redis traffic against redis-server 7.0.15, with
// their truth files (tshark's RESP dissector, the server's COMMAND GETKEYS,
// the client logs).
var corpusFiles = []string{"redis_cli_session", "redis_benchmark_pipeline16", "redis_goredis_mixed"}

// pushedMessages reads "pushed_messages_excluded=N" from the .xcheck.txt:
// how many pub/sub messages the truth leaves out because they answer no
// request.
func pushedMessages(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	m := regexp.MustCompile(`pushed_messages_excluded=(\d+)`).FindSubmatch(b)
	require.NotNil(t, m)
	n, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return n
}

// TestCorpusTruth runs the three Redis captures through parser.Conn, cut in
// several ways, and checks every exchange against the truth file, per
// connection and in request order: the same exchanges, every truth field
// equal, and fields the truth leaves out (redis.key of PING, of an unknown
// command, of GET with no argument; redis.error of a non-error) absent.
// Pub/sub messages pushed to the subscriber must be reported as pushes,
// as many as the cross-check file counts, and never paired.
func TestCorpusTruth(t *testing.T) {
	for _, name := range corpusFiles {
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		require.NoError(t, err)
		truth, err := pcaptest.ReadTruth(pcaptest.Corpus(name + ".truth.jsonl"))
		require.NoError(t, err)
		wantPushes := pushedMessages(t, pcaptest.Corpus(name+".xcheck.txt"))
		for _, feed := range pcaptest.Feeds() {
			t.Run(name+"/"+feed.Name, func(t *testing.T) {
				if raceEnabled && feed.Name == "one byte at a time" && name != "redis_benchmark_pipeline16" {
					// parser.Conn re-copies its buffer on every Feed that
					// frames nothing; under the race detector each copy of
					// a 100-170 KB partial reply is checked, which takes
					// minutes. The other feeds cover these files.
					t.Skip("slow under the race detector")
				}
				p := Protocol()
				rng := rand.New(rand.NewPCG(1, 2))
				got := map[string][]*parser.Exchange{}
				pushes := 0
				for _, s := range streams {
					require.Zero(t, s.Gaps[0]+s.Gaps[1])
					client := s.Client.String()
					c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
						switch e.Kind {
						case parser.Push:
							pushes++
							v, _ := e.Response.String(AttrPush)
							assert.Equal(t, "message", v)
						case parser.Complete:
							got[client] = append(got[client], e.Clone())
						default:
							t.Errorf("%s: unexpected %s exchange: %v / %v", client, e.Kind, e.Request, e.Response)
						}
					})
					feed.Replay(s, c, rng)
					st := c.Stats()
					assert.Zero(t, st.FramingErrors[0]+st.FramingErrors[1], "framing errors: %v", st.StoppedByError)
					assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1], "parse errors")
					assert.Zero(t, st.Truncated[0]+st.Truncated[1], "truncated")
					assert.Zero(t, st.SkippedBytes[0]+st.SkippedBytes[1], "skipped bytes")
					assert.Zero(t, c.State().(*State).Skipped)
				}
				assert.Equal(t, wantPushes, pushes, "pushed messages")
				seen := map[string]int{}
				simples := map[string]int{}
				inMulti := map[string]bool{}
				matched := 0
				for _, row := range truth {
					i := seen[row.Client]
					seen[row.Client]++
					require.Less(t, i, len(got[row.Client]), "%s: exchange %d missing", row.Client, i)
					e := got[row.Client][i]
					at := row.Client + "#" + strconv.Itoa(i)
					for _, key := range []string{AttrCommand, AttrKey} {
						want, inTruth := row.Request[key]
						have, inGot := pcaptest.TruthValue(e.Request, key)
						assert.Equal(t, inTruth, inGot, "%s %s presence (got %v, want %v)", at, key, have, want)
						assert.Equal(t, want, have, "%s %s", at, key)
					}
					require.NotNil(t, row.Response)
					for _, key := range []string{AttrType, AttrError} {
						want, inTruth := row.Response[key]
						have, inGot := pcaptest.TruthValue(e.Response, key)
						assert.Equal(t, inTruth, inGot, "%s %s presence (got %v, want %v)", at, key, have, want)
						assert.Equal(t, want, have, "%s %s", at, key)
					}
					// redis.simple is not in the truth: every simple reply
					// has it; a command between MULTI and EXEC is QUEUED,
					// else SET is OK and PING is PONG.
					cmd := row.Request[AttrCommand]
					if row.Response[AttrType] == "simple" {
						v, ok := e.Response.String(AttrSimple)
						assert.True(t, ok, "%s: simple reply without redis.simple", at)
						simples[v]++
						switch {
						case inMulti[row.Client] && cmd != "EXEC" && cmd != "DISCARD":
							assert.Equal(t, "QUEUED", v, at)
						case cmd == "SET":
							assert.Equal(t, "OK", v, at)
						case cmd == "PING":
							assert.Equal(t, "PONG", v, at)
						}
					} else {
						assert.False(t, e.Response.Has(AttrSimple), "%s: redis.simple on a %v reply", at, row.Response[AttrType])
					}
					switch cmd {
					case "MULTI":
						inMulti[row.Client] = true
					case "EXEC", "DISCARD":
						inMulti[row.Client] = false
					}
					matched++
				}
				for client, es := range got {
					assert.Equal(t, seen[client], len(es), "%s: exchanges beyond the truth", client)
				}
				t.Logf("%d/%d exchanges agree with the truth, %d pushes, simple replies %v", matched, len(truth), pushes, simples)
			})
		}
	}
}
