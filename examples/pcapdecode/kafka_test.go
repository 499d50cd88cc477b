package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/playback"
	"github.com/wirekit/wirekit/redact"
)

// newCluster starts an in-process Kafka (kfake) on loopback with the
// topics given, three partitions each.
func newCluster(t *testing.T, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// topicValues reads every record of topic (all partitions, from the
// start to the end as it is now).
func topicValues(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	quiet := 0
	for quiet < 3 { // three empty polls in a row: the topic is drained
		pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		if ctx.Err() != nil {
			break
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return out
}

// exportKey is what tells one exported exchange from another, from either
// a printed -json line or an exported record.
func exportKey(t *testing.T, line []byte) string {
	var r struct {
		Protocol, Client, Server, Kind, RequestTime, ResponseTime string
		Seq                                                       uint64
	}
	var raw map[string]any
	require.NoError(t, json.Unmarshal(line, &raw), string(line))
	require.NoError(t, json.Unmarshal(line, &r))
	r.RequestTime, _ = raw["request_time"].(string)
	r.ResponseTime, _ = raw["response_time"].(string)
	return fmt.Sprintf("%s %s>%s %s seq=%d %s %s", r.Protocol, r.Client, r.Server, r.Kind, r.Seq, r.RequestTime, r.ResponseTime)
}

func corpusFiles(t *testing.T) []string {
	names := pcaptest.CorpusCaptures("")
	require.NotEmpty(t, names)
	files := make([]string, len(names))
	for i, n := range names {
		files[i] = pcaptest.Corpus(n + ".pcap")
	}
	return files
}

// TestExportToKafka: with -kafka, every exchange -json prints is in the
// topic exactly once, as package export encodes it (strictly redacted, the
// connection id as key), the counters are printed and the status is 0.
func TestExportToKafka(t *testing.T) {
	c := newCluster(t, "exchanges")
	files := corpusFiles(t)
	var out, errb bytes.Buffer
	args := append([]string{"-json", "-kafka", strings.Join(c.ListenAddrs(), ","), "-topic", "exchanges", "-kafka-agent", "hb1"}, files...)
	require.Equal(t, 0, run(args, nil, &out, &errb), errb.String())
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	require.Greater(t, len(lines), 100)

	// What export encodes for the same exchanges: the decoder over the
	// same files, one connection id per stream.
	enc := export.NewEncoder(export.Options{Agent: "hb1", Redactor: redact.New(redact.Strict)})
	var want []string
	d := NewDecoder(builtinProtocols(), nil, func(r *Record) {
		if r.Kind != parser.Push {
			want = append(want, string(enc.AppendJSON(nil, export.Meta{ConnID: r.StreamID, Client: r.Client, Server: r.Server}, r.Exchange)))
		}
	})
	for _, f := range files {
		require.NoError(t, readFile(d, f))
	}
	d.Finish()

	recs := topicValues(t, c.ListenAddrs(), "exchanges")
	got := make([]string, len(recs))
	printed, exported := map[string]int{}, map[string]int{}
	for i, r := range recs {
		got[i] = string(r.Value)
		exported[exportKey(t, r.Value)]++
		var v struct{ Conn uint64 }
		require.NoError(t, json.Unmarshal(r.Value, &v))
		require.Equal(t, fmt.Sprint(v.Conn), string(r.Key), "the key is the connection id")
	}
	for _, l := range lines {
		printed[exportKey(t, l)]++
	}
	require.Len(t, recs, len(lines), "one record per printed exchange")
	require.Equal(t, printed, exported, "every printed exchange exported once")
	sort.Strings(got)
	sort.Strings(want)
	require.Equal(t, want, got, "records as export encodes them")
	require.Contains(t, errb.String(), fmt.Sprintf("kafka export to exchanges: %d exchanges offered, %d acknowledged, 0 dropped", len(lines), len(lines)))
}

// TestExportRedaction: exports are strict unless -redact is given, while
// the printed rows use -redact's level (default: default).
func TestExportRedaction(t *testing.T) {
	c := newCluster(t, "strict", "off")
	path := secretsCapture(t)
	brokers := strings.Join(c.ListenAddrs(), ",")
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"-json", "-header", "authorization", "-kafka", brokers, "-topic", "strict", path}, nil, &out, &errb), errb.String())
	require.Contains(t, out.String(), `"http.path":"/search?token=***&page=2"`)
	recs := topicValues(t, c.ListenAddrs(), "strict")
	require.Len(t, recs, 3)
	all := ""
	for _, r := range recs {
		all += string(r.Value)
	}
	require.Contains(t, all, `"http.path":"/search?token=***&page=***"`)
	require.Contains(t, all, `"http.header.authorization":"***"`)
	require.Contains(t, all, `"redis.error":"ERR unknown command '***', with args beginning with: '***' "`)

	out.Reset()
	require.Equal(t, 0, run([]string{"-summary", "-redact", "off", "-header", "authorization", "-kafka", brokers, "-topic", "off", path}, nil, &out, &errb), errb.String())
	require.Contains(t, out.String(), "http: 1 complete")
	all = ""
	for _, r := range topicValues(t, c.ListenAddrs(), "off") {
		all += string(r.Value)
	}
	require.Contains(t, all, `"http.path":"/search?token=abc&page=2"`)
	require.Contains(t, all, `"http.header.authorization":"Bearer s3cr3t"`)
}

// TestExportDropsExitOne: with no broker listening, the exchanges are
// dropped at close (after kafkasink's 10 s CloseTimeout), counted, and the
// status is 1.
func TestExportDropsExitOne(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s close timeout")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	var out, errb bytes.Buffer
	require.Equal(t, 1, run([]string{"-summary", "-kafka", addr, "-topic", "t", pcaptest.Corpus("redis_cli_session.pcap")}, nil, &out, &errb))
	require.Contains(t, errb.String(), "kafka export to t: 25 exchanges offered, 0 acknowledged, 25 dropped (")
	require.Contains(t, errb.String(), "pcapdecode: kafka export: 25 of 25 exchanges dropped")
}

func TestKafkaFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-kafka", "127.0.0.1:1"}, "-kafka needs -topic"},
		{[]string{"-from-kafka", "127.0.0.1:1"}, "-from-kafka needs -topic"},
		{[]string{"-kafka", "127.0.0.1:1", "-from-kafka", "127.0.0.1:1", "-topic", "t"}, "cannot be used together"},
		{[]string{"-since", "2026-12-03T00:00:00Z"}, "need -from-kafka"},
		{[]string{"-from-kafka", "127.0.0.1:1", "-topic", "t", "-since", "yesterday"}, "-since"},
		{[]string{"-from-kafka", "127.0.0.1:1", "-topic", "t", "-offsets", "0:5"}, "want P:START-END"},
		{[]string{"-from-kafka", "127.0.0.1:1", "-topic", "t", "-offsets", "0:5-3"}, "end offset"},
		{[]string{"-from-kafka", "127.0.0.1:1", "-topic", "t", "-offsets", "0:1-2,0:3-4"}, "given twice"},
		{[]string{"-kafka-agent", "a"}, "need -kafka"},
		{[]string{"-kafka", "127.0.0.1:1", "-topic", "t", "-kafka-compression", "brotli"}, "unknown Compression"},
	} {
		var out, errb bytes.Buffer
		require.Equal(t, 2, run(c.args, nil, &out, &errb), "%v", c.args)
		require.Contains(t, errb.String(), c.want, "%v", c.args)
	}
	o, err := parseOffsets("0:10-20, 2:5-")
	require.NoError(t, err)
	require.Equal(t, map[int32]struct{ Start, End int64 }{0: {10, 20}, 2: {5, -1}},
		map[int32]struct{ Start, End int64 }{0: {o[0].Start, o[0].End}, 2: {o[2].Start, o[2].End}})
}

// captureClock is a dump.Clock reading the capture time of the chunk
// being replayed, so items carry the original timestamps.
type captureClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *captureClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *captureClock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
}

func (*captureClock) NewTimer(d time.Duration) dump.Timer { return dump.SystemClock{}.NewTimer(d) }

type quietProbe struct{}

func (quietProbe) Sample() (dump.Load, error) { return dump.Load{CPU: 1, Mem: 1}, nil }

// dumpCapture replays every connection of a capture through a Dumper with
// a Kafka sink (chunks in capture order across connections, as an agent
// would see them) and returns the sink's stats after Close.
func dumpCapture(t testing.TB, brokers []string, topic, path string) kafkasink.Stats {
	t.Helper()
	streams, err := pcaptest.ReadFile(path)
	require.NoError(t, err)
	sink, err := kafkasink.New(kafkasink.Options{Brokers: brokers, Topic: topic, Agent: "test-agent"})
	require.NoError(t, err)
	clk := &captureClock{}
	d, err := dump.New(dump.Config{
		Strategy: dump.Strategy{Switch: dump.SwitchOn, Interval: 604800, Duration: 604800, CPUMaxRate: 90, MemMaxRate: 90},
		Sinks:    []dump.Sink{sink}, Clock: clk, Probe: quietProbe{}, MonitorPeriod: time.Hour,
		QueueSize: 1 << 20, MaxQueuedBytes: 1 << 30,
	})
	require.NoError(t, err)
	type step struct {
		conn  int
		chunk pcaptest.Chunk
	}
	var steps []step
	for i, s := range streams {
		for _, c := range s.Chunks {
			steps = append(steps, step{i, c})
		}
	}
	sort.SliceStable(steps, func(a, b int) bool { return steps[a].chunk.Time.Before(steps[b].chunk.Time) })
	if len(steps) > 0 {
		clk.set(steps[0].chunk.Time)
	}
	require.NoError(t, d.Start())
	conns := make([]*dump.Conn, len(streams))
	for i, s := range streams {
		conns[i] = d.Open(dump.ConnInfo{ID: uint64(i + 1), Client: s.Client, Server: s.Server})
	}
	for _, st := range steps {
		clk.set(st.chunk.Time)
		if st.chunk.Gap > 0 {
			continue
		}
		s := streams[st.conn]
		require.Equal(t, dump.Accepted, conns[st.conn].Flow(parser.Direction(st.chunk.Dir), uint64(st.chunk.Off), st.chunk.Bytes(s)))
	}
	for _, c := range conns {
		c.Close()
	}
	require.NoError(t, d.Close())
	ks := sink.Stats()
	require.Equal(t, ks.Offered, ks.Acked, "every item acknowledged: %+v", ks)
	return ks
}

// TestFromKafka: each corpus capture, dumped into a topic of its own
// through a Dumper and a kafkasink.Sink, read back with -from-kafka
// prints the same -json exchanges (protocol, endpoints, kind, attributes,
// times, sizes) as the capture file itself.
func TestFromKafka(t *testing.T) {
	names := pcaptest.CorpusCaptures("")
	topics := make([]string, len(names))
	for i := range names {
		topics[i] = fmt.Sprintf("dump-%d", i)
	}
	c := newCluster(t, topics...)
	brokers := strings.Join(c.ListenAddrs(), ",")
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			file := pcaptest.Corpus(name + ".pcap")
			ks := dumpCapture(t, c.ListenAddrs(), topics[i], file)
			var want, got, errb bytes.Buffer
			require.Equal(t, 0, run([]string{"-json", file}, nil, &want, &errb), errb.String())
			errb.Reset()
			require.Equal(t, 0, run([]string{"-json", "-from-kafka", brokers, "-topic", topics[i]}, nil, &got, &errb), errb.String())
			require.NotEmpty(t, want.String())
			require.Equal(t, want.String(), got.String())
			require.Contains(t, errb.String(), fmt.Sprintf("kafka topic %s: %d records", topics[i], ks.Acked))
			require.Contains(t, errb.String(), fmt.Sprintf("%d items, 0 malformed, 0 of another format, 0 filtered out", ks.Acked))
			t.Logf("%d records, %d exchanges equal", ks.Acked, bytes.Count(want.Bytes(), []byte("\n")))
		})
	}
}

func readFile(d *Decoder, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return d.Read(f)
}

// BenchmarkFromKafka splits -from-kafka's cost on the embedded sample
// dumped into kfake: read (playback.Read alone: fetching and decoding the
// records), decode (the whole -from-kafka path: plus the items fed to the
// Decoder as segments) and, for comparison, pcapng (playback.WritePcapng
// to io.Discard: what building packets for the pcap reader would add
// before any decoding).
func BenchmarkFromKafka(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	path := b.TempDir() + "/sample.pcap"
	if err := os.WriteFile(path, sample, 0o644); err != nil {
		b.Fatal(err)
	}
	if ks := dumpCapture(b, c.ListenAddrs(), "bench", path); ks.Acked == 0 {
		b.Fatalf("nothing dumped: %+v", ks)
	}
	o := playback.Options{Brokers: c.ListenAddrs(), Topic: "bench"}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := playback.Read(context.Background(), o, func(*dump.Item) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pcapng", func(b *testing.B) {
		for b.Loop() {
			if _, err := playback.WritePcapng(context.Background(), o, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		n := 0
		for b.Loop() {
			s := &session{sum: newSummary(), out: bufio.NewWriter(io.Discard), stderr: io.Discard}
			s.dec = NewDecoder(builtinProtocols(), nil, func(*Record) { n++ })
			if err := s.readKafka(&kafkaFlags{play: o}); err != nil {
				b.Fatal(err)
			}
			s.dec.Finish()
		}
		b.ReportMetric(float64(n)/float64(b.N), "exchanges/op")
	})
}

// TestFromKafkaRanges: -offsets over every partition reads what no range
// reads; a range that holds nothing (-until before the first item, -since
// after the last, empty offset ranges) prints no exchange and says it
// read 0 records.
func TestFromKafkaRanges(t *testing.T) {
	c := newCluster(t, "ranges")
	brokers := strings.Join(c.ListenAddrs(), ",")
	file := pcaptest.Corpus("redis_cli_session.pcap")
	ks := dumpCapture(t, c.ListenAddrs(), "ranges", file)
	streams, err := pcaptest.ReadFile(file)
	require.NoError(t, err)
	first := streams[0].Chunks[0].Time
	base := []string{"-json", "-from-kafka", brokers, "-topic", "ranges"}
	read := func(extra ...string) (string, string) {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run(append(append([]string{}, base...), extra...), nil, &out, &errb), errb.String())
		return out.String(), errb.String()
	}
	all, _ := read()
	require.Equal(t, 25, strings.Count(all, "\n"))
	got, msg := read("-offsets", "0:0-,1:0-,2:0-")
	require.Equal(t, all, got)
	require.Contains(t, msg, fmt.Sprintf("%d records", ks.Acked))
	for _, extra := range [][]string{
		{"-until", first.UTC().Format(time.RFC3339Nano)},
		{"-since", first.Add(24 * time.Hour).UTC().Format(time.RFC3339Nano)},
		{"-offsets", "0:0-0,1:0-0,2:0-0"},
	} {
		got, msg := read(extra...)
		require.Empty(t, got, "%v", extra)
		require.Contains(t, msg, "kafka topic ranges: 0 records (0 bytes) from 3 partitions, 0 items", "%v", extra)
	}
}
