package playback_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/playback"
	"github.com/wirekit/wirekit/protocols"
)

// captureClock is a dump.Clock that reads the capture time of the
// segment being replayed, so items carry the original timestamps.
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

// dumpCapture replays every connection of a corpus capture through a
// Dumper with a Kafka sink, chunks in capture order across connections,
// and returns the sink's stats after Close.
func dumpCapture(t *testing.T, brokers []string, topic, path string) kafkasink.Stats {
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
		s := streams[st.conn]
		if st.chunk.Gap > 0 {
			continue
		}
		v := conns[st.conn].Flow(parser.Direction(st.chunk.Dir), uint64(st.chunk.Off), st.chunk.Bytes(s))
		require.Equal(t, dump.Accepted, v)
	}
	for _, c := range conns {
		c.Close()
	}
	require.NoError(t, d.Close())
	ds := d.Stats()
	require.Equal(t, ds.Accepted, ds.Written)
	require.Zero(t, ds.DroppedQueueFull+ds.DroppedWriteError+ds.DroppedGate)
	ks := sink.Stats()
	require.Equal(t, ds.Written, ks.Offered, "one record per item")
	require.Equal(t, ks.Offered, ks.Acked, "every record acknowledged: %+v", ks)
	require.Zero(t, ks.Pending)
	return ks
}

// exchangeKey renders what a user relies on in an exchange, so two runs
// can be compared as text.
func exchangeKey(e pcaptest.Exchange) string {
	js := func(a *parser.Attributes) string {
		if a == nil {
			return "-"
		}
		return string(a.AppendJSON(nil))
	}
	return fmt.Sprintf("%s %s>%s %s seq=%d req=%s@%s/%d resp=%s@%s/%d rerr=%v serr=%v reason=%v",
		e.Protocol, e.Stream.Client, e.Stream.Server, e.Kind, e.RequestSeq,
		js(e.Request), e.RequestTime.UTC().Format(time.RFC3339Nano), e.RequestSize,
		js(e.Response), e.ResponseTime.UTC().Format(time.RFC3339Nano), e.ResponseSize,
		e.RequestErr, e.ResponseErr, e.Reason)
}

func exchanges(t *testing.T, path string, p *parser.Protocol) []string {
	t.Helper()
	ex, _, err := pcaptest.Exchanges(path, p)
	require.NoError(t, err)
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = exchangeKey(e)
	}
	return out
}

// TestRoundTripCorpus: every corpus capture, dumped through the Kafka
// sink into kfake (three partitions), played back to pcapng and decoded
// again, gives the same exchanges (attributes, sizes, capture times,
// endpoints) as the original capture.
func TestRoundTripCorpus(t *testing.T) {
	names := pcaptest.CorpusCaptures("")
	require.NotEmpty(t, names)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "unused"))
	require.NoError(t, err)
	defer c.Close()
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			topic := fmt.Sprintf("dump-%d", i)
			createTopic(t, c, topic, 3)
			orig := pcaptest.Corpus(name + ".pcap")
			ks := dumpCapture(t, c.ListenAddrs(), topic, orig)
			out := filepath.Join(t.TempDir(), name+".pcapng")
			f, err := os.Create(out)
			require.NoError(t, err)
			ps, err := playback.WritePcapng(context.Background(), playback.Options{Brokers: c.ListenAddrs(), Topic: topic}, f)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			require.Equal(t, ks.Acked, ps.Records, "every acknowledged record read back")
			require.Equal(t, ps.Records, ps.Items)
			require.Zero(t, ps.Malformed+ps.OtherFormat+ps.Filtered)
			origStreams, err := pcaptest.ReadFile(orig)
			require.NoError(t, err)
			gotStreams, err := pcaptest.ReadFile(out)
			require.NoError(t, err)
			require.Equal(t, streamBytes(origStreams), streamBytes(gotStreams), "every connection's bytes")
			proto := protocols.ByName(strings.SplitN(name, "_", 2)[0])
			if proto == nil {
				t.Logf("%s: %d items, bytes equal; no built-in protocol %q to compare exchanges", name, ps.Items, strings.SplitN(name, "_", 2)[0])
				return
			}
			want := exchanges(t, orig, proto)
			require.NotEmpty(t, want)
			got := exchanges(t, out, proto)
			require.Equal(t, want, got)
			t.Logf("%s: %d items, %d exchanges equal", name, ps.Items, len(want))
		})
	}
}

// streamBytes lists every connection with payload as endpoints and its two
// directions' bytes.
func streamBytes(ss []*pcaptest.Stream) map[string][2]string {
	out := map[string][2]string{}
	for _, s := range ss {
		if len(s.Data[0])+len(s.Data[1]) == 0 {
			continue // a connection without payload leaves no item
		}
		out[s.Client.String()+">"+s.Server.String()] = [2]string{string(s.Data[0]), string(s.Data[1])}
	}
	return out
}
