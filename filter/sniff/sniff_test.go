package sniff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/redact"
	"github.com/wirekit/wirekit/redis"
)

type truthRow struct {
	Protocol string         `json:"protocol"`
	Client   string         `json:"client"`
	Request  map[string]any `json:"request"`
	Response map[string]any `json:"response"`
}

func readTruth(t *testing.T, path string) map[string][]truthRow {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string][]truthRow{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r truthRow
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out[r.Client] = append(out[r.Client], r)
	}
	require.NoError(t, sc.Err())
	return out
}

// got is one exchange as the handler saw it.
type got struct {
	protocol string
	kind     parser.ExchangeKind
	req, rsp map[string]any
	latency  bool
}

// jsonish converts attribute values to what encoding/json decodes.
func jsonish(a *parser.Attributes) map[string]any {
	if a == nil {
		return nil
	}
	m := map[string]any{}
	for k, v := range a.All() {
		switch v.Kind() {
		case parser.KindInt:
			m[k] = float64(v.Int())
		case parser.KindString:
			m[k] = strings.Clone(v.Str()) // values alias the parser's buffers
		default:
			m[k] = v.Any()
		}
	}
	return m
}

// replay feeds every connection of a capture through a filter chain made
// of the sniff filter, chunk by chunk as captured, and returns the
// exchanges per client address.
func replay(t *testing.T, path string, f *Factory, out map[string][]got, protoSeen map[string]string) {
	t.Helper()
	streams, err := pcaptest.ReadFile(path)
	require.NoError(t, err)
	require.NotEmpty(t, streams)
	ch := filter.NewChain(f)
	for _, s := range streams {
		var up, down bytes.Buffer
		client := s.Client.String()
		c, err := ch.NewConn(filter.ConnInfo{RemoteAddr: net.TCPAddrFromAddrPort(s.Client)},
			filter.ConnOptions{Upstream: &up, Downstream: &down})
		require.NoError(t, err)
		require.NoError(t, c.SetUpstream(&up, net.TCPAddrFromAddrPort(s.Server)))
		require.NoError(t, c.Start())
		c.SetValue(clientKey{}, client)
		for _, k := range s.Chunks {
			require.Zero(t, k.Gap, "corpus captures have no gaps")
			require.NoError(t, c.Feed(int(k.Dir), k.Bytes(s)))
		}
		// The filter observes only: every byte is forwarded, in order.
		require.True(t, bytes.Equal(s.Data[parser.Request], up.Bytes()), client)
		require.True(t, bytes.Equal(s.Data[parser.Response], down.Bytes()), client)
		if p := Protocol(c); p != nil {
			protoSeen[client] = p.Name
		}
		c.Release()
	}
}

type clientKey struct{}

func collect(out map[string][]got) Handler {
	return func(c *filter.Conn, ex *parser.Exchange) {
		client, _ := c.Value(clientKey{}).(string)
		out[client] = append(out[client], got{protocol: ex.Protocol, kind: ex.Kind,
			req: jsonish(ex.Request), rsp: jsonish(ex.Response), latency: ex.Latency() >= 0})
	}
}

func TestCorpusExchangesAgreeWithTruth(t *testing.T) {
	protos := []*parser.Protocol{httpx.Protocol(), redis.Protocol()}
	for _, name := range []string{"redis_cli_session", "redis_benchmark_pipeline16", "http_gonet_goclient"} {
		t.Run(name, func(t *testing.T) {
			out := map[string][]got{}
			// Off: the truth files hold the values as sent (redaction has
			// its own tests).
			f, err := NewWithOptions(protos, Options{Redact: redact.New(redact.Off)}, collect(out))
			require.NoError(t, err)
			seen := map[string]string{}
			replay(t, pcaptest.Corpus(name+".pcap"), f, out, seen)
			truth := readTruth(t, pcaptest.Corpus(name+".truth.jsonl"))
			total, agree := 0, 0
			for client, rows := range truth {
				gs := out[client]
				require.Len(t, gs, len(rows), "exchanges of %s", client)
				assert.Equal(t, rows[0].Protocol, seen[client], "detected protocol of %s", client)
				for i, r := range rows {
					total++
					g := gs[i]
					ok := assert.Equal(t, r.Protocol, g.protocol) &&
						assert.Equal(t, parser.Complete, g.kind, "%s #%d", client, i) &&
						assert.True(t, g.latency)
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
			t.Logf("%s: %d/%d exchanges agree with the truth file", name, agree, total)
			st := f.Stats()
			assert.Equal(t, int64(total), st.Exchanges)
			assert.Zero(t, st.Undetected)
			assert.Equal(t, ParseStats{}, st.Parse, "nothing skipped or unparsed")
			assert.Equal(t, int64(len(truth)), st.Detected[truth[firstKey(truth)][0].Protocol])
		})
	}
}

func firstKey(m map[string][]truthRow) string {
	for k := range m {
		return k
	}
	return ""
}

func TestUndetectedAndUnansweredAreReported(t *testing.T) {
	var kinds []parser.ExchangeKind
	f, err := New([]*parser.Protocol{redis.Protocol()}, parser.SnifferOptions{MaxDetectBytes: 16},
		func(_ *filter.Conn, ex *parser.Exchange) { kinds = append(kinds, ex.Kind) })
	require.NoError(t, err)
	ch := filter.NewChain(f)

	// Not Redis: counted as undetected, bytes still forwarded.
	var up bytes.Buffer
	c, err := ch.NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: &up, Downstream: io.Discard})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	tls := []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 some TLS hello bytes")
	require.NoError(t, c.Feed(0, tls))
	assert.Nil(t, Protocol(c))
	c.Release()
	assert.Equal(t, tls, up.Bytes())

	// A request without a response: reported Unanswered at close.
	c, err = ch.NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	require.NoError(t, c.Feed(0, []byte("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")))
	require.NoError(t, c.Feed(1, []byte("+PONG\r\n")))
	assert.Equal(t, "redis", Protocol(c).Name)
	c.Release()
	assert.Equal(t, []parser.ExchangeKind{parser.Complete, parser.Unanswered}, kinds)
	st := f.Stats()
	assert.Equal(t, Stats{Connections: 2, Undetected: 1, Detected: map[string]int64{"redis": 1}, Exchanges: 2,
		Parse: ParseStats{SkippedBytes: uint64(len(tls)), Unanswered: 1}}, st)
}

func TestCreatorConfig(t *testing.T) {
	known := []*parser.Protocol{redis.Protocol(), httpx.Protocol()}
	r := filter.NewRegistry()
	require.NoError(t, r.Register(Name, NewCreator(func(*filter.Conn, *parser.Exchange) {}, known...)))
	ch, err := r.NewChainJSON([]byte(`[{"type":"sniff","config":{"protocols":["http"],"max_pending":8}}]`))
	require.NoError(t, err)
	assert.Equal(t, []string{"sniff"}, ch.Names())
	_, err = r.NewChainJSON([]byte(`[{"type":"sniff"}]`))
	require.NoError(t, err, "no config: every known protocol")
	_, err = r.NewChainJSON([]byte(`[{"type":"sniff","config":{"protocols":["smtp"]}}]`))
	require.ErrorIs(t, err, filter.ErrBadConfig)
	assert.Contains(t, err.Error(), `unknown protocol "smtp" (known: http, redis)`)
	_, err = r.NewChainJSON([]byte(`[{"type":"sniff","config":{"max_buffer":-1}}]`))
	require.ErrorIs(t, err, filter.ErrBadConfig)
	_, err = New(known, parser.SnifferOptions{}, nil)
	require.Error(t, err)
	_, err = New(nil, parser.SnifferOptions{}, func(*filter.Conn, *parser.Exchange) {})
	require.Error(t, err)
}

func ExampleNewCreator() {
	r := filter.NewRegistry()
	_ = r.Register(Name, NewCreator(func(c *filter.Conn, ex *parser.Exchange) {
		cmd, _ := ex.Request.String(redis.AttrCommand)
		typ, _ := ex.Response.String(redis.AttrType)
		fmt.Printf("conn %d: %s %s -> %s\n", c.ID(), ex.Protocol, cmd, typ)
	}, redis.Protocol()))
	ch, _ := r.NewChainJSON([]byte(`{"filters": [{"type": "sniff", "config": {"protocols": ["redis"]}}]}`))
	c, _ := ch.NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	_ = c.Start()
	_ = c.Feed(0, []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"))
	_ = c.Feed(1, []byte("+OK\r\n"))
	c.Release()
	// Output: conn 1: redis SET -> simple
}
