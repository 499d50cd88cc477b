package export_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/internal/kafkatest"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/redact"
)

func httpExchange() *parser.Exchange {
	req, resp := new(parser.Attributes), new(parser.Attributes)
	req.SetString("http.method", "GET")
	req.SetString("http.path", "/login?user=bob&access_token=abc123&page=2#frag")
	req.SetString("http.header.authorization", "Bearer eyJhbGciOi")
	req.SetString("http.header.x-api-key", "k-42")
	req.SetString("http.header.user-agent", "curl/8.5")
	req.SetString("redis.key", "user:1")
	resp.SetInt("http.status", 200)
	t0 := time.Date(2026, 12, 2, 23, 59, 1, 0, time.UTC)
	return &parser.Exchange{Protocol: "http", Kind: parser.Complete, Request: req, Response: resp,
		RequestTime: t0, ResponseTime: t0.Add(1500 * time.Microsecond), RequestSize: 120, ResponseSize: 40, RequestSeq: 1}
}

var meta = export.Meta{ConnID: 7, Client: netip.MustParseAddrPort("127.0.0.1:50000"), Server: netip.MustParseAddrPort("127.0.0.1:8080")}

func decode(t *testing.T, line []byte) map[string]any {
	t.Helper()
	require.True(t, strings.HasSuffix(string(line), "}\n"))
	var m map[string]any
	require.NoError(t, json.Unmarshal(line, &m), string(line))
	return m
}

func TestRedactionStrictByDefault(t *testing.T) {
	m := decode(t, export.NewEncoder(export.Options{Agent: "a1"}).AppendJSON(nil, meta, httpExchange()))
	req := m["request"].(map[string]any)
	require.Equal(t, "/login?user=***&access_token=***&page=***#***", req["http.path"], "every query value at strict")
	require.Equal(t, "***", req["http.header.authorization"])
	require.Equal(t, "***", req["http.header.x-api-key"])
	require.Equal(t, "curl/8.5", req["http.header.user-agent"])
	require.Equal(t, "user:1", req["redis.key"], "protocol fields are not names")
	require.Equal(t, "GET", req["http.method"])
	require.EqualValues(t, 200, m["response"].(map[string]any)["http.status"])
	require.EqualValues(t, 1, m["v"])
	require.Equal(t, "a1", m["agent"])
	require.Equal(t, "http", m["protocol"])
	require.Equal(t, "complete", m["kind"])
	require.EqualValues(t, 7, m["conn"])
	require.Equal(t, "127.0.0.1:50000", m["client"])
	require.Equal(t, "127.0.0.1:8080", m["server"])
	require.EqualValues(t, 1500000, m["latency_ns"])
	require.EqualValues(t, 120, m["request_size"])
	require.Equal(t, "2026-12-02T23:59:01Z", m["request_time"])
}

func TestRedactionLevels(t *testing.T) {
	names := export.NewEncoder(export.Options{Redactor: redact.New(redact.Default)})
	req := decode(t, names.AppendJSON(nil, meta, httpExchange()))["request"].(map[string]any)
	require.Equal(t, "/login?user=bob&access_token=***&page=2#frag", req["http.path"], "sensitive names only")
	require.Equal(t, "***", req["http.header.authorization"])
	off := export.NewEncoder(export.Options{NoRedaction: true})
	req = decode(t, off.AppendJSON(nil, meta, httpExchange()))["request"].(map[string]any)
	require.Equal(t, "Bearer eyJhbGciOi", req["http.header.authorization"])
	require.Equal(t, "/login?user=bob&access_token=abc123&page=2#frag", req["http.path"])
}

func TestHalfExchanges(t *testing.T) {
	x := httpExchange()
	x.Kind, x.Response, x.ResponseTime, x.Reason = parser.Unanswered, nil, time.Time{}, parser.ErrClosed
	m := decode(t, export.NewEncoder(export.Options{}).AppendJSON(nil, export.Meta{ConnID: 1}, x))
	require.Equal(t, "unanswered", m["kind"])
	require.NotContains(t, m, "response")
	require.NotContains(t, m, "latency_ns")
	require.NotContains(t, m, "client")
	require.Equal(t, parser.ErrClosed.Error(), m["reason"])
}

// TestKafkaCorpus: every exchange of every corpus capture with a built-in
// protocol, exported through kfake, comes back as exactly the line the
// encoder writes, keyed by its connection id, and each is acknowledged.
func TestKafkaCorpus(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "exchanges"))
	require.NoError(t, err)
	defer c.Close()
	eo := export.Options{Agent: "corpus"}
	k, err := export.NewKafka(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: "exchanges", Agent: "corpus"}, eo)
	require.NoError(t, err)
	enc := export.NewEncoder(eo)
	var want []string
	keys := map[string]string{} // value -> key
	for _, name := range pcaptest.CorpusCaptures("") {
		p := protocols.ByName(strings.SplitN(name, "_", 2)[0])
		if p == nil {
			continue
		}
		exs, _, err := pcaptest.Exchanges(pcaptest.Corpus(name+".pcap"), p)
		require.NoError(t, err)
		for _, e := range exs {
			m := export.Meta{ConnID: e.Stream.ID, Client: e.Stream.Client, Server: e.Stream.Server}
			require.Equal(t, kafkasink.Buffered, k.Export(m, e.Exchange))
			want = append(want, string(enc.AppendJSON(nil, m, e.Exchange)))
			keys[want[len(want)-1]] = strconv.FormatUint(m.ConnID, 10)
		}
	}
	require.NoError(t, k.Close())
	st := k.Stats()
	require.EqualValues(t, len(want), st.Offered)
	require.Equal(t, st.Offered, st.Acked, "%+v", st)

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("exchanges"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(got) < len(want) {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err())
		fs.EachRecord(func(r *kgo.Record) {
			got = append(got, string(r.Value))
			require.Equal(t, keys[string(r.Value)], string(r.Key), "the connection id")
			var format string
			for _, h := range r.Headers {
				if h.Key == kafkasink.HeaderFormat {
					format = string(h.Value)
				}
			}
			require.Equal(t, export.Format, format)
			decode(t, r.Value)
		})
	}
	sort.Strings(want)
	sort.Strings(got)
	require.Equal(t, want, got)
	t.Logf("%d exchanges exported and read back", len(got))
}

// TestKafkaDropsCounted: with the broker holding every produce request,
// exchanges past MaxBufferedRecords are refused at once and counted with
// their encoded size; Close drops the held ones, and every exchange is
// counted once.
func TestKafkaDropsCounted(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "exchanges"))
	require.NoError(t, err)
	release := kafkatest.HoldProduce(c)
	defer func() { release(); c.Close() }()
	k, err := export.NewKafka(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: "exchanges", MaxBufferedRecords: 8,
		MaxAge: time.Minute, CloseTimeout: 100 * time.Millisecond}, export.Options{})
	require.NoError(t, err)
	x := httpExchange()
	size := uint64(len(export.NewEncoder(export.Options{}).AppendJSON(nil, meta, x)) + len("7"))
	var res []kafkasink.Result
	for range 20 {
		res = append(res, k.Export(meta, x))
	}
	for i, r := range res {
		if i < 8 {
			require.Equal(t, kafkasink.Buffered, r)
		} else {
			require.Equal(t, kafkasink.RefusedBufferFull, r)
		}
	}
	st := k.Stats()
	require.EqualValues(t, 20, st.Offered)
	require.EqualValues(t, 20*size, st.OfferedBytes)
	require.EqualValues(t, 12, st.DroppedBufferFull)
	require.EqualValues(t, 12*size, st.DroppedBufferFullBytes)
	require.EqualValues(t, 8, st.Pending)
	require.ErrorIs(t, k.Close(), kafkasink.ErrUndelivered)
	st = k.Stats()
	require.EqualValues(t, 8, st.DroppedClosed)
	require.EqualValues(t, 8*size, st.DroppedClosedBytes)
	require.Zero(t, st.Acked)
	require.Zero(t, st.Pending)
}

func ExampleEncoder_AppendJSON() {
	req, resp := new(parser.Attributes), new(parser.Attributes)
	req.SetString("redis.command", "AUTH")
	req.SetString("redis.args.password", "hunter2")
	resp.SetString("redis.type", "simple")
	t0 := time.Date(2026, 12, 2, 23, 59, 1, 0, time.UTC)
	x := &parser.Exchange{Protocol: "redis", Kind: parser.Complete, Request: req, Response: resp,
		RequestTime: t0, ResponseTime: t0.Add(48 * time.Microsecond), RequestSize: 31, ResponseSize: 5, RequestSeq: 1}
	enc := export.NewEncoder(export.Options{Agent: "edge-1"})
	fmt.Print(string(enc.AppendJSON(nil, export.Meta{ConnID: 7, Server: netip.MustParseAddrPort("127.0.0.1:6379")}, x)))
	// Output:
	// {"v":1,"agent":"edge-1","protocol":"redis","kind":"complete","conn":7,"server":"127.0.0.1:6379","seq":1,"request_time":"2026-12-02T23:59:01Z","response_time":"2026-12-02T23:59:01.000048Z","latency_ns":48000,"request_size":31,"response_size":5,"request":{"redis.command":"AUTH","redis.args.password":"***"},"response":{"redis.type":"simple"}}
}
