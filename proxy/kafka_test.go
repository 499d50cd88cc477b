package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/playback"
)

// topicValues reads every record value of topic from the start, until n
// arrived or 10 s passed.
func topicValues(t *testing.T, broker, topic string, n int) []map[string]any {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []map[string]any
	for len(out) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(r.Value, &m))
			out = append(out, m)
		})
	}
	return out
}

// flowKey names one recorded chunk: connection, direction, offset, bytes.
func flowKey(conn uint64, dir string, off uint64, data []byte) string {
	return fmt.Sprintf("%d/%s/%d/%x", conn, dir, off, data)
}

// A real redis-cli through the proxy with sniff exporting to Kafka and
// tcpcopy recording to a Kafka topic and to JSON Lines files at once
// (kfake on loopback): the exchanges in the topic are the ones the access
// log (the sniff handler) wrote, attribute for attribute, redacted alike;
// the tcpcopy topic, read back with playback, holds the same chunks as
// the files, and each connection's request bytes add up to what sniff
// counted in its exchanges.
func TestKafkaExportThroughProxy(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "exchanges", "tcpcopy"))
	require.NoError(t, err)
	defer c.Close()
	broker := c.ListenAddrs()[0]
	redisAddr := startRedis(t)
	dumpDir := t.TempDir()
	kafka := func(topic string) string {
		return fmt.Sprintf(`{"brokers": [%q], "topic": %q, "agent": "proxy-test", "linger": "1ms", "close_timeout": "5s"}`, broker, topic)
	}
	tp := startTestProxy(t, proxyConfig(redisAddr, "30s",
		`{"type":"sniff","config":{"protocols":["redis"],"kafka":`+kafka("exchanges")+`}}`,
		fmt.Sprintf(`{"type":"tcpcopy","config":{
			"strategy":{"switch":"ON","interval":1,"duration":1,"cpu_max_rate":100,"mem_max_rate":100},
			"output":{"dir":%q,"format":"jsonl"}, "kafka": %s}}`, dumpDir, kafka("tcpcopy"))))

	var in strings.Builder
	for i := range 50 {
		fmt.Fprintf(&in, "SET key:%d value-%d\nGET key:%d\n", i, i, i)
	}
	in.WriteString("AUTHX admin hunter2\nDEL key:1\n")
	out := redisCLI(t, tp.addr, []byte(in.String()))
	assert.Contains(t, string(out), "value-49")
	redisCLI(t, tp.addr, nil, "PING")
	require.Eventually(t, func() bool { return len(tp.log.records("closed")) >= 2 }, 5*time.Second, 10*time.Millisecond)
	tp.stop() // flushes the export and the sink

	logged := exchanges(tp.log, "redis")
	require.GreaterOrEqual(t, len(logged), 103)
	exported := topicValues(t, broker, "exchanges", len(logged))
	require.Len(t, exported, len(logged))
	// One partition: the topic is in the order the exchanges completed,
	// which per connection is the log's order.
	byConn := func(recs []map[string]any) map[float64][]map[string]any {
		m := map[float64][]map[string]any{}
		for _, r := range recs {
			id, _ := r["conn"].(float64)
			m[id] = append(m[id], r)
		}
		return m
	}
	lc, ec := byConn(logged), byConn(exported)
	require.Len(t, ec, len(lc))
	reqBytes := map[uint64]float64{}
	for id, ls := range lc {
		es := ec[id]
		require.Len(t, es, len(ls), "conn %v", id)
		for i, l := range ls {
			e := es[i]
			assert.Equal(t, "proxy-test", e["agent"])
			assert.Equal(t, l["protocol"], e["protocol"])
			assert.Equal(t, l["kind"], e["kind"])
			assert.Equal(t, l["request"], e["request"], "conn %v #%d", id, i)
			assert.Equal(t, l["response"], e["response"], "conn %v #%d", id, i)
			assert.Equal(t, l["request_bytes"], e["request_size"])
			assert.Equal(t, l["response_bytes"], e["response_size"])
			assert.Equal(t, l["latency"], e["latency_ns"])
			n, _ := e["request_size"].(float64)
			reqBytes[uint64(id)] += n
		}
	}
	var masked bool
	for _, e := range exported {
		if field(e, "request", "redis.command") == "AUTHX" {
			masked = true
			assert.Equal(t, "ERR unknown command '***', with args beginning with: '***' '***' ", field(e, "response", "redis.error"))
		}
	}
	assert.True(t, masked, "the AUTHX exchange is exported")
	for _, rec := range tp.log.records("sniff kafka export") {
		assert.Equal(t, float64(len(logged)), rec["offered"])
		assert.Equal(t, float64(len(logged)), rec["acked"], "%v", rec)
		assert.Equal(t, float64(0), rec["dropped_closed"])
	}
	require.Len(t, tp.log.records("sniff kafka export"), 1)

	// The tcpcopy topic against the JSON Lines files written next to it.
	fileFlows := map[string]int{}
	files, err := filepath.Glob(filepath.Join(dumpDir, "*.jsonl"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var it struct {
				Kind, Dir, Data string
				Conn, Offset    uint64
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &it))
			if it.Kind != "flow" {
				continue
			}
			data, err := base64.StdEncoding.DecodeString(it.Data)
			require.NoError(t, err)
			fileFlows[flowKey(it.Conn, it.Dir, it.Offset, data)]++
		}
	}
	kafkaFlows := map[string]int{}
	c2s := map[uint64]int{}
	closes := 0
	st, err := playback.Read(context.Background(), playback.Options{Brokers: []string{broker}, Topic: "tcpcopy"}, func(it *dump.Item) error {
		switch it.Kind {
		case dump.KindFlow:
			dir := "c2s"
			if it.Dir != parser.Request {
				dir = "s2c"
			} else {
				c2s[it.Conn.ID] += len(it.Data)
			}
			kafkaFlows[flowKey(it.Conn.ID, dir, it.Offset, it.Data)]++
		case dump.KindClose:
			closes++
		}
		return nil
	})
	require.NoError(t, err)
	assert.NotEmpty(t, kafkaFlows)
	assert.Equal(t, fileFlows, kafkaFlows, "the topic holds the chunks the files hold")
	assert.Equal(t, 2, closes, "both connections' ends are recorded")
	keys := func(m map[uint64]float64) []uint64 {
		var ks []uint64
		for k := range m {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
		return ks
	}
	for _, id := range keys(reqBytes) {
		assert.Equal(t, int(reqBytes[id]), c2s[id], "conn %d: request bytes recorded = request bytes sniff parsed", id)
	}
	recs := tp.log.records("tcpcopy kafka sink")
	require.Len(t, recs, 1)
	assert.Equal(t, recs[0]["offered"], recs[0]["acked"], "%v", recs[0])
	assert.Equal(t, float64(st.Records), recs[0]["acked"], "every acknowledged record was read back")
	t.Logf("%d exchanges exported and logged alike; %d tcpcopy records (%d flow chunks) in the topic and the files", len(logged), st.Records, len(kafkaFlows))
}
