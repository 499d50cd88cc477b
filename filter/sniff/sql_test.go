package sniff

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/postgres"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/redact"
)

// sqlCaptures are the corpus' MySQL/MariaDB and PostgreSQL captures.
var sqlCaptures = []string{"mysql_cli_session", "mysql_godriver_mixed", "postgres_psql_session", "postgres_pgx_mixed"}

// replaySQL runs a capture through sniff (every built-in protocol a
// candidate, as a proxy configured without a list) at policy and returns
// the exchanges per client, pushes (the MySQL greeting, PostgreSQL
// notifications) apart.
func replaySQL(t *testing.T, name string, policy *redact.Policy) (map[string][]got, map[string]string, int, *Factory) {
	t.Helper()
	all := map[string][]got{}
	f, err := NewWithOptions(protocols.All(), Options{Redact: policy}, collect(all))
	require.NoError(t, err)
	seen := map[string]string{}
	replay(t, pcaptest.Corpus(name+".pcap"), f, all, seen)
	out, pushes := map[string][]got{}, 0
	for client, gs := range all {
		for _, g := range gs {
			if g.kind == parser.Push {
				pushes++
				continue
			}
			out[client] = append(out[client], g)
		}
	}
	return out, seen, pushes, f
}

// Every exchange of the four SQL captures reaches the Handler with the
// attributes of the truth file (tshark's mysql and pgsql dissectors, the
// clients' and servers' logs): detection among all built-in protocols,
// framing, pairing, one-way commands (QUIT, STMT_CLOSE, Terminate,
// CancelRequest) and the TLS requests, with redaction off.
func TestSQLCorpusThroughSniff(t *testing.T) {
	for _, name := range sqlCaptures {
		t.Run(name, func(t *testing.T) {
			out, seen, pushes, f := replaySQL(t, name, redact.New(redact.Off))
			truth := readTruth(t, pcaptest.Corpus(name+".truth.jsonl"))
			total, agree := 0, 0
			for client, rows := range truth {
				gs := out[client]
				require.Len(t, gs, len(rows), "exchanges of %s", client)
				assert.Equal(t, rows[0].Protocol, seen[client], "detected protocol of %s", client)
				for i, r := range rows {
					total++
					g := gs[i]
					want := parser.Complete
					if r.Response == nil {
						want = parser.OneWayRequest
					}
					ok := assert.Equal(t, r.Protocol, g.protocol) && assert.Equal(t, want, g.kind, "%s #%d %v", client, i, r.Request)
					for k, v := range r.Request {
						ok = assert.Equal(t, v, g.req[k], "%s #%d request %s", client, i, k) && ok
					}
					for k, v := range r.Response {
						ok = assert.Equal(t, v, g.rsp[k], "%s #%d response %s", client, i, k) && ok
					}
					if ok {
						agree++
					}
				}
			}
			assert.Equal(t, total, agree)
			st := f.Stats()
			assert.Equal(t, int64(total+pushes), st.Exchanges)
			assert.Zero(t, st.Undetected)
			assert.Equal(t, int64(len(truth)), st.Detected[truth[firstKey(truth)][0].Protocol])
			assert.Zero(t, st.Parse.ParseErrors)
			assert.Zero(t, st.Parse.FramingErrors)
			assert.Zero(t, st.Parse.Unmatched)
			t.Logf("%s: %d/%d exchanges agree with the truth file, %d pushes, %d bytes skipped (TLS, compressed)",
				name, agree, total, pushes, st.Parse.SkippedBytes)
		})
	}
}

// With sniff's default policy (strict) the statements' literals are
// masked by the dialect's masker ('?'), everything else is as the truth
// says: commands, statement structure, tags, rows, error codes.
func TestSQLCorpusRedactedStrict(t *testing.T) {
	for _, name := range sqlCaptures {
		t.Run(name, func(t *testing.T) {
			out, _, _, _ := replaySQL(t, name, nil)
			truth := readTruth(t, pcaptest.Corpus(name+".truth.jsonl"))
			masked := 0
			for client, rows := range truth {
				gs := out[client]
				require.Len(t, gs, len(rows), client)
				for i, r := range rows {
					for k, v := range r.Request {
						if k == mysql.AttrStatement || k == postgres.AttrStatement {
							sql := v.(string)
							var redacted []byte
							if k == mysql.AttrStatement {
								redacted = mysql.Redact(nil, sql)
							} else {
								redacted = postgres.Redact(nil, sql)
							}
							assert.Equal(t, string(redacted), g(gs[i].req, k), "%s #%d", client, i)
							if string(redacted) != sql {
								masked++
							}
							continue
						}
						assert.Equal(t, v, gs[i].req[k], "%s #%d request %s", client, i, k)
					}
					for k, v := range r.Response {
						if k == mysql.AttrErrorMessage || k == postgres.AttrErrorMessage {
							// Error messages echo values in quotes: masked at strict.
							want := string(redact.New(redact.Strict).AppendString(nil, k, v.(string)))
							assert.Equal(t, want, g(gs[i].rsp, k), "%s #%d response %s", client, i, k)
							continue
						}
						assert.Equal(t, v, gs[i].rsp[k], "%s #%d response %s", client, i, k)
					}
				}
			}
			assert.NotZero(t, masked, "statements with literals were masked")
			t.Logf("%s: %d statements with literals masked", name, masked)
		})
	}
}

func g(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// A login from the corpus, then statements that set and check passwords,
// through sniff at every level: the password never reaches the Handler.
// The parser masks password literals itself ('***', even with redaction
// off); at default and strict the policy then masks the statement's
// literals ('?').
func TestSQLPasswordsNeverReported(t *testing.T) {
	streams, err := pcaptest.ReadFile(pcaptest.Corpus("mysql_cli_session.pcap"))
	require.NoError(t, err)
	p := mysql.Protocol()
	reqs, err := pcaptest.Messages(p, streams[0], parser.Request)
	require.NoError(t, err)
	resps, err := pcaptest.Messages(p, streams[0], parser.Response)
	require.NoError(t, err)
	packet := func(seq byte, payload string) []byte {
		n := len(payload)
		return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
	}
	ok := packet(1, "\x00\x00\x00\x02\x00\x00\x00")
	statements := []string{
		"ALTER USER 'corpus'@'%' IDENTIFIED BY 'hunter2'",
		"SET PASSWORD FOR 'corpus'@'%' = PASSWORD('hunter2')",
		"SELECT id FROM users WHERE password_hash = SHA2('hunter2', 256)",
	}
	for _, level := range []redact.Level{redact.Off, redact.Default, redact.Strict} {
		t.Run(level.String(), func(t *testing.T) {
			var got []string
			f, err := NewWithOptions([]*parser.Protocol{mysql.Protocol()}, Options{Redact: redact.New(level)},
				func(_ *filter.Conn, ex *parser.Exchange) {
					for k, v := range ex.Request.All() {
						assert.NotContains(t, v.Str(), "hunter2", k)
						if k == mysql.AttrStatement {
							got = append(got, strings.Clone(v.Str()))
						}
					}
					for k, v := range ex.Response.All() {
						assert.NotContains(t, v.Str(), "hunter2", k)
					}
				})
			require.NoError(t, err)
			var up bytes.Buffer
			c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: &up, Downstream: io.Discard})
			require.NoError(t, err)
			require.NoError(t, c.Start())
			require.NoError(t, c.Feed(1, resps[0])) // greeting
			require.NoError(t, c.Feed(0, reqs[0]))  // login
			require.NoError(t, c.Feed(1, resps[1])) // OK
			for _, s := range statements {
				require.NoError(t, c.Feed(0, packet(0, "\x03"+s)))
				require.NoError(t, c.Feed(1, ok))
			}
			c.Release()
			assert.Contains(t, up.String(), "hunter2", "the proxy forwards the bytes as sent")
			want := []string{
				"ALTER USER 'corpus'@'%' IDENTIFIED BY '***'",
				"SET PASSWORD FOR '***'@'***' = PASSWORD('***')",
				"SELECT id FROM users WHERE password_hash = SHA2('***', 256)",
			}
			if level != redact.Off {
				want = []string{
					"ALTER USER ?@? IDENTIFIED BY ?",
					"SET PASSWORD FOR ?@? = PASSWORD(?)",
					"SELECT id FROM users WHERE password_hash = SHA2(?, ?)",
				}
			}
			assert.Equal(t, want, got)
		})
	}
}

// The SQL captures with every captured read cut again at random points
// (down to single bytes: the greeting and the startup packet arrive in
// pieces while the protocol is still being detected) give the same
// exchanges as the reads as captured.
func TestSQLChunkingInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 4))
	for _, name := range sqlCaptures {
		want, _, _, _ := replaySQL(t, name, redact.New(redact.Off))
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		require.NoError(t, err)
		for trial := range 5 {
			all := map[string][]got{}
			f, err := NewWithOptions(protocols.All(), Options{Redact: redact.New(redact.Off)}, collect(all))
			require.NoError(t, err)
			ch := filter.NewChain(f)
			for _, s := range streams {
				c, err := ch.NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
				require.NoError(t, err)
				require.NoError(t, c.Start())
				c.SetValue(clientKey{}, s.Client.String())
				maxCut := 1 + trial*trial*40 // 1, 41, 161, 361, 641 bytes
				for _, k := range s.Chunks {
					for b := k.Bytes(s); len(b) > 0; {
						n := min(len(b), 1+rng.IntN(maxCut))
						require.NoError(t, c.Feed(int(k.Dir), b[:n]))
						b = b[n:]
					}
				}
				c.Release()
			}
			got := map[string][]got{}
			for client, gs := range all {
				for _, g := range gs {
					if g.kind != parser.Push {
						got[client] = append(got[client], g)
					}
				}
			}
			require.Equal(t, want, got, "%s trial %d (cuts up to %d bytes)", name, trial, 1+trial*trial*40)
		}
	}
}
