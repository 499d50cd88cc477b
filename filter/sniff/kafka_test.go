package sniff

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/redis"
)

// readTopic returns the values of every record of topic, by key, until n
// arrived or 10 s passed.
func readTopic(t *testing.T, broker, topic string, n int) (map[string][]string, []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := map[string][]string{}
	var recs []*kgo.Record
	for len(recs) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			out[string(r.Key)] = append(out[string(r.Key)], string(r.Value))
			recs = append(recs, r)
		})
	}
	return out, recs
}

// The exchanges in the topic are the ones the Handler saw: replaying
// corpus captures through a sniff filter configured with "kafka", the
// handler encodes each exchange it is handed (export's encoding, same
// agent, same connection metadata) and the topic holds exactly those
// records, byte for byte, in order per connection, redacted (strict by
// default) before both.
func TestKafkaExportEqualsHandler(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "exchanges"))
	require.NoError(t, err)
	defer c.Close()
	broker := c.ListenAddrs()[0]

	enc := export.NewEncoder(export.Options{Agent: "sniff-test", NoRedaction: true})
	seen := map[string][]string{}
	n := 0
	h := func(c *filter.Conn, ex *parser.Exchange) {
		info := c.Info()
		key := strconv.FormatUint(c.ID(), 10)
		seen[key] = append(seen[key], string(enc.AppendJSON(nil, export.MetaFromAddrs(info.ID, info.RemoteAddr, info.LocalAddr), ex)))
		n++
	}
	cfg := fmt.Sprintf(`{"protocols": ["http", "redis"], "kafka": {"brokers": [%q], "topic": "exchanges",
		"agent": "sniff-test", "compression": "lz4", "linger": "1ms"}}`, broker)
	f := fromConfig(t, cfg, h, httpx.Protocol(), redis.Protocol())
	out := map[string][]got{}
	for _, name := range []string{"redis_cli_session", "http_gonet_goclient"} {
		replay(t, pcaptest.Corpus(name+".pcap"), f, out, map[string]string{})
	}
	require.NoError(t, f.Close())
	st := f.Stats()
	require.NotNil(t, st.Export)
	assert.Equal(t, int64(n), st.Exchanges)
	assert.Equal(t, uint64(n), st.Export.Offered)
	assert.Equal(t, uint64(n), st.Export.Acked, "%+v", *st.Export)
	assert.Zero(t, st.Export.Dropped())

	topic, recs := readTopic(t, broker, "exchanges", n)
	require.Len(t, recs, n)
	assert.Equal(t, seen, topic)
	masked := 0
	for _, r := range recs {
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Value, &m))
		assert.Equal(t, "sniff-test", m["agent"])
		if req, _ := m["request"].(map[string]any); req != nil {
			if p, _ := req[httpx.AttrPath].(string); p == "/hello?lang=***" {
				masked++
			}
		}
		assert.Contains(t, string(r.Headers[1].Value), export.Format)
	}
	assert.Positive(t, masked, "the query value the capture sends is masked in the topic")
	t.Logf("%d exchanges exported, %d with a masked query", n, masked)

	// Exchanges after Close are refused and counted, not blocked on.
	c2, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: nilWriter{}, Downstream: nilWriter{}})
	require.NoError(t, err)
	require.NoError(t, c2.Start())
	require.NoError(t, c2.Feed(0, []byte("*1\r\n$4\r\nPING\r\n")))
	require.NoError(t, c2.Feed(1, []byte("+PONG\r\n")))
	c2.Release()
	st = f.Stats()
	assert.Equal(t, uint64(1), st.Export.DroppedClosed)
	assert.Equal(t, st.Export.Offered, st.Export.Acked+st.Export.Dropped())
}

type nilWriter struct{}

func (nilWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestKafkaConfigErrors(t *testing.T) {
	h := func(*filter.Conn, *parser.Exchange) {}
	for cfg, want := range map[string]string{
		`{"kafka": {"topic": "t"}}`:                                         "no Brokers",
		`{"kafka": {"brokers": ["127.0.0.1:1"], "topic": "t", "sasl": {}}}`: "exactly one of password",
		`{"kafka": {"brokers": ["127.0.0.1:1"], "topic": "t", "bogus": 1}}`: "unknown field",
	} {
		_, err := NewCreator(h, redis.Protocol())(json.RawMessage(cfg))
		require.Error(t, err, cfg)
		assert.ErrorContains(t, err, want, cfg)
	}
	_, err := NewWithOptions([]*parser.Protocol{redis.Protocol()}, Options{}, nil)
	assert.Error(t, err, "no handler and no export")
	k, err := export.NewKafka(kafkasink.Options{Brokers: []string{"127.0.0.1:1"}, Topic: "t", CloseTimeout: time.Millisecond}, export.Options{NoRedaction: true})
	require.NoError(t, err)
	f, err := NewWithOptions([]*parser.Protocol{redis.Protocol()}, Options{Kafka: k}, nil)
	require.NoError(t, err, "an export alone is enough")
	require.NoError(t, f.Close(), "a Factory does not close an exporter it was given")
	assert.NoError(t, k.Close())
}

// With the brokers unreachable the traffic path does not wait: every
// exchange is handed on at once, the bounded buffer refuses the rest, and
// Close drops what is pending; every exchange is in exactly one counter.
func TestKafkaExportBrokersDown(t *testing.T) {
	var n int
	cfg := `{"protocols": ["redis"], "kafka": {"brokers": ["127.0.0.1:1"], "topic": "t",
		"max_buffered_records": 10, "close_timeout": "100ms", "max_age": "1m"}}`
	f := fromConfig(t, cfg, func(*filter.Conn, *parser.Exchange) { n++ }, redis.Protocol())
	t0 := time.Now()
	replay(t, pcaptest.Corpus("redis_cli_session.pcap"), f, map[string][]got{}, map[string]string{})
	took := time.Since(t0)
	require.Positive(t, n)
	st := f.Stats()
	assert.Equal(t, uint64(n), st.Export.Offered)
	assert.Equal(t, int64(10), st.Export.Pending)
	assert.Equal(t, uint64(n-10), st.Export.DroppedBufferFull)
	assert.Less(t, took, 2*time.Second, "the replay does not wait for the brokers")
	require.ErrorIs(t, f.Close(), kafkasink.ErrUndelivered)
	st = f.Stats()
	assert.Equal(t, uint64(10), st.Export.DroppedClosed)
	assert.Zero(t, st.Export.Acked)
	assert.Equal(t, st.Export.Offered, st.Export.Dropped())
	t.Logf("%d exchanges replayed in %v with the brokers down: %d refused at once, %d dropped at Close", n, took,
		st.Export.DroppedBufferFull, st.Export.DroppedClosed)
}

// SASL in the sniff configuration reaches the broker: a kfake cluster
// requiring SCRAM-SHA-512 acknowledges every exchange.
func TestKafkaExportSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "exchanges"), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "sniffer", "s3cret-512"))
	require.NoError(t, err)
	defer c.Close()
	t.Setenv("SNIFF_TEST_KAFKA_PW", "s3cret-512")
	var n int
	cfg := fmt.Sprintf(`{"protocols": ["redis"], "kafka": {"brokers": [%q], "topic": "exchanges", "linger": "1ms",
		"sasl": {"mechanism": "SCRAM-SHA-512", "user": "sniffer", "password_env": "SNIFF_TEST_KAFKA_PW"}}}`, c.ListenAddrs()[0])
	f := fromConfig(t, cfg, func(*filter.Conn, *parser.Exchange) { n++ }, redis.Protocol())
	replay(t, pcaptest.Corpus("redis_cli_session.pcap"), f, map[string][]got{}, map[string]string{})
	require.NoError(t, f.Close())
	st := f.Stats()
	require.Positive(t, n)
	assert.Equal(t, uint64(n), st.Export.Acked, "%+v", *st.Export)
}
