package kafkasink_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/internal/kafkatest"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/playback"
)

const topic = "dump"

type quietProbe struct{}

func (quietProbe) Sample() (dump.Load, error) { return dump.Load{CPU: 1, Mem: 1}, nil }

// ackLog records the value of every record kgo reports acknowledged.
type ackLog struct {
	mu    sync.Mutex
	acked map[string]int
}

func (a *ackLog) OnProduceRecordUnbuffered(r *kgo.Record, err error) {
	if err != nil {
		return
	}
	a.mu.Lock()
	a.acked[string(r.Value)]++
	a.mu.Unlock()
}

// harness drives a Dumper with a Kafka sink from one submitter, the way a
// proxy would, measuring the slowest Conn.Flow call.
type harness struct {
	t      *testing.T
	d      *dump.Dumper
	sink   *kafkasink.Sink
	acks   *ackLog
	conns  []*dump.Conn
	off    []uint64
	maxLat time.Duration
	flows  int
	seq    int
}

func newHarness(t *testing.T, o kafkasink.Options) *harness {
	t.Helper()
	h := &harness{t: t, acks: &ackLog{acked: map[string]int{}}}
	o.Topic = topic
	o.Agent = "fault-test"
	if o.MaxAge == 0 {
		o.MaxAge = 5 * time.Second
	}
	o.WatchdogPeriod = 20 * time.Millisecond
	if o.CloseTimeout == 0 {
		o.CloseTimeout = 3 * time.Second
	}
	o.KgoOptions = append(o.KgoOptions, kgo.WithHooks(h.acks), kgo.RetryBackoffFn(func(int) time.Duration { return 20 * time.Millisecond }))
	var err error
	h.sink, err = kafkasink.New(o)
	require.NoError(t, err)
	h.d, err = dump.New(dump.Config{
		Strategy: dump.Strategy{Switch: dump.SwitchOn, Interval: 3600, Duration: 3600, CPUMaxRate: 99, MemMaxRate: 99},
		Sinks:    []dump.Sink{h.sink}, Probe: quietProbe{}, MonitorPeriod: time.Hour,
	})
	require.NoError(t, err)
	require.NoError(t, h.d.Start())
	for i := range 8 {
		h.conns = append(h.conns, h.d.Open(dump.ConnInfo{ID: uint64(100 + i)}))
		h.off = append(h.off, 0)
	}
	return h
}

// submit offers n 100-byte flow chunks round robin over the connections,
// pausing every 50 to spread them over time.
func (h *harness) submit(n int) {
	var payload [100]byte
	for range n {
		i := h.seq % len(h.conns)
		h.seq++
		binary.BigEndian.PutUint64(payload[:], uint64(h.seq))
		t0 := time.Now()
		v := h.conns[i].Flow(parser.Request, h.off[i], payload[:])
		if lat := time.Since(t0); lat > h.maxLat {
			h.maxLat = lat
		}
		if v == dump.Accepted || v == dump.DroppedQueueFull {
			h.off[i] += uint64(len(payload))
		}
		h.flows++
		if h.seq%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// submitFor keeps submitting for d.
func (h *harness) submitFor(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		h.submit(50)
	}
}

// finish closes the Dumper and checks the accounting: every item the
// Dumper accepted was offered to Kafka, every offered record is either
// acknowledged or dropped with a reason, and every acknowledged record is
// in the topic (read back with playback), exactly once.
func (h *harness) finish(brokers []string) kafkasink.Stats {
	t := h.t
	t.Helper()
	closeErr := h.d.Close()
	ds := h.d.Stats()
	ks := h.sink.Stats()
	t.Logf("flows %d, max Flow latency %v; dumper accepted %d written %d queue-full %d; kafka %+v (close: %v)",
		h.flows, h.maxLat, ds.Accepted, ds.Written, ds.DroppedQueueFull, ks, closeErr)
	require.Equal(t, ds.Accepted, ds.Written+ds.DroppedWriteError)
	require.Zero(t, ds.DroppedWriteError, "the sink never fails a batch")
	require.Equal(t, ds.Written, ks.Offered, "one record per item")
	require.Zero(t, ks.Pending)
	require.Equal(t, ks.Offered, ks.Acked+ks.Dropped(), "every record acknowledged or dropped with a reason")
	require.Equal(t, ks.OfferedBytes, ks.AckedBytes+ks.DroppedBufferFullBytes+ks.DroppedStaleBytes+ks.DroppedProduceErrorBytes+ks.DroppedClosedBytes)
	if ks.DroppedClosed > 0 {
		require.ErrorIs(t, closeErr, kafkasink.ErrUndelivered)
	}
	h.acks.mu.Lock()
	acked := h.acks.acked
	h.acks.mu.Unlock()
	n := 0
	for _, c := range acked {
		n += c
	}
	require.Equal(t, int(ks.Acked), n, "hook and counters agree")
	inTopic := map[string]int{}
	_, err := playback.Read(context.Background(), playback.Options{Brokers: brokers, Topic: topic}, func(it *dump.Item) error {
		inTopic[string(kafkasink.AppendItem(nil, it))]++
		return nil
	})
	require.NoError(t, err)
	for v, c := range acked {
		require.Equal(t, 1, c, "acknowledged once")
		require.Equal(t, 1, inTopic[v], "acknowledged record in the topic exactly once")
	}
	// Records the topic holds beyond the acknowledged ones were sent but
	// their acknowledgement was lost with a broker; they were counted as
	// dropped.
	require.LessOrEqual(t, len(inTopic)-len(acked), int(ks.Dropped()))
	// Never blocks: a blocking producer would wait out the faults
	// (seconds); Flow only copies and queues.
	require.Less(t, h.maxLat, 250*time.Millisecond, "Flow never waits for Kafka")
	return ks
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func cluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.SeedTopics(3, topic)}, opts...)...)
	require.NoError(t, err)
	return c
}

// TestBaseline: a healthy cluster acknowledges everything; its max Flow
// latency is the reference the fault tests are read against.
func TestBaseline(t *testing.T) {
	c := cluster(t)
	defer c.Close()
	h := newHarness(t, kafkasink.Options{Brokers: c.ListenAddrs()})
	h.submitFor(300 * time.Millisecond)
	ks := h.finish(c.ListenAddrs())
	require.Equal(t, ks.Offered, ks.Acked)
	require.Positive(t, ks.Acked)
}

// TestBrokersUnreachableAtStart: nothing listens at first; records age
// out (stale), then the cluster comes up on that port and the sink
// delivers by itself.
func TestBrokersUnreachableAtStart(t *testing.T) {
	port := freePort(t)
	addr := []string{fmt.Sprintf("127.0.0.1:%d", port)}
	h := newHarness(t, kafkasink.Options{Brokers: addr, MaxAge: 300 * time.Millisecond})
	h.submitFor(time.Second)
	down := h.sink.Stats()
	require.Zero(t, down.Acked)
	require.Positive(t, down.DroppedStale, "aged out while no broker answered: %+v", down)
	require.Positive(t, down.Aborts)
	c := cluster(t, kfake.Ports(port))
	defer c.Close()
	require.Eventually(t, func() bool {
		h.submit(50)
		return h.sink.Stats().Acked > 0
	}, 10*time.Second, 10*time.Millisecond, "recovers once a broker answers")
	h.submitFor(200 * time.Millisecond)
	h.finish(addr)
}

// TestBrokerKilledAndRestarted: the only broker dies mid-run and comes
// back (same port, same data directory); what it acknowledged before is
// still in the topic, and the sink resumes by itself.
func TestBrokerKilledAndRestarted(t *testing.T) {
	port, dir := freePort(t), t.TempDir()
	addr := []string{fmt.Sprintf("127.0.0.1:%d", port)}
	c := cluster(t, kfake.Ports(port), kfake.DataDir(dir))
	h := newHarness(t, kafkasink.Options{Brokers: addr, MaxAge: 300 * time.Millisecond})
	h.submitFor(300 * time.Millisecond)
	require.Eventually(t, func() bool { return h.sink.Stats().Pending == 0 }, 5*time.Second, 10*time.Millisecond)
	before := h.sink.Stats().Acked
	require.Positive(t, before, "%+v", h.sink.Stats())
	c.Close()
	h.submitFor(time.Second)
	require.Positive(t, h.sink.Stats().DroppedStale, "aged out while the broker was dead")
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.DataDir(dir))
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, func() bool {
		h.submit(50)
		return h.sink.Stats().Acked > before
	}, 10*time.Second, 10*time.Millisecond, "resumes after the restart")
	h.submitFor(200 * time.Millisecond)
	h.finish(addr)
}

// TestLeaderMoves: partition leaders move between three brokers while
// records flow; kgo follows them and nothing is lost.
func TestLeaderMoves(t *testing.T) {
	c := cluster(t, kfake.NumBrokers(3))
	defer c.Close()
	h := newHarness(t, kafkasink.Options{Brokers: c.ListenAddrs(), MaxAge: 5 * time.Second})
	for i := range 10 {
		h.submitFor(50 * time.Millisecond)
		for p := range int32(3) {
			require.NoError(t, c.MoveTopicPartition(topic, p, int32((i+int(p)+1)%3)))
		}
	}
	h.submitFor(100 * time.Millisecond)
	ks := h.finish(c.ListenAddrs())
	require.Equal(t, ks.Offered, ks.Acked, "retried to the new leaders")
}

// TestInjectedProduceErrors: retriable errors injected on produce
// (REQUEST_TIMED_OUT, which kfake answers after storing the batch, so
// the idempotent retry is deduplicated) are retried and delivered; a non-retriable one fails its records, counted as
// produce errors with the error kept.
func TestInjectedProduceErrors(t *testing.T) {
	c := cluster(t)
	defer c.Close()
	h := newHarness(t, kafkasink.Options{Brokers: c.ListenAddrs(), MaxAge: 5 * time.Second})
	h.submitFor(100 * time.Millisecond)
	retriable := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.RequestTimedOut, Count: 20})
	require.Eventually(t, func() bool { h.submit(50); return retriable.Hits() >= 20 }, 10*time.Second, time.Millisecond)
	h.submitFor(100 * time.Millisecond)
	require.Zero(t, h.sink.Stats().DroppedProduceError, "retried")
	fatal := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.InvalidRecord, Count: 3})
	require.Eventually(t, func() bool { h.submit(50); return fatal.Hits() >= 3 }, 10*time.Second, time.Millisecond)
	h.submitFor(100 * time.Millisecond)
	// Delivery resumes by itself after the failed batches (kgo resets the
	// idempotent sequence after a non-retriable error, with backoff, which
	// under -race on a loaded host has taken over the 3 s close timeout):
	// wait for it rather than race Close against it.
	require.Eventually(t, func() bool { return h.sink.Stats().Pending == 0 }, 20*time.Second, 10*time.Millisecond,
		"delivery resumes after the produce errors")
	ks := h.finish(c.ListenAddrs())
	require.Positive(t, ks.DroppedProduceError)
	if ks.DroppedStale == 0 { // a watchdog abort on a very slow host would be the last error
		require.ErrorIs(t, ks.LastError, kerr.InvalidRecord)
	}
	require.Equal(t, ks.Offered, ks.Acked+ks.DroppedProduceError+ks.DroppedStale)
}

// TestFullBuffer: the broker holds produce requests; the sink's record
// bound fills and further items are dropped at once, never waited for;
// once the broker answers again the buffered ones are delivered.
func TestFullBuffer(t *testing.T) {
	c := cluster(t)
	defer c.Close()
	release := kafkatest.HoldProduce(c)
	h := newHarness(t, kafkasink.Options{Brokers: c.ListenAddrs(), MaxBufferedRecords: 256, MaxAge: 10 * time.Second})
	h.submitFor(500 * time.Millisecond)
	held := h.sink.Stats()
	require.Zero(t, held.Acked)
	require.EqualValues(t, 256, held.Pending, "the bound holds")
	require.Positive(t, held.DroppedBufferFull)
	release()
	require.Eventually(t, func() bool { return h.sink.Stats().Acked >= 256 }, 5*time.Second, 10*time.Millisecond)
	h.submitFor(100 * time.Millisecond)
	ks := h.finish(c.ListenAddrs())
	require.Equal(t, ks.Offered, ks.Acked+ks.DroppedBufferFull)
}

// TestCloseDeadline: with the broker holding every produce, Close waits
// CloseTimeout, aborts what is pending and says how much.
func TestCloseDeadline(t *testing.T) {
	c := cluster(t)
	release := kafkatest.HoldProduce(c)
	defer func() { release(); c.Close() }()
	h := newHarness(t, kafkasink.Options{Brokers: c.ListenAddrs(), MaxAge: time.Minute, CloseTimeout: 300 * time.Millisecond})
	h.submit(100)
	t0 := time.Now()
	err := h.d.Close()
	t.Logf("%+v", h.sink.Stats())
	require.ErrorIs(t, err, kafkasink.ErrUndelivered)
	require.Less(t, time.Since(t0), 5*time.Second)
	ks := h.sink.Stats()
	require.Zero(t, ks.Pending)
	require.Equal(t, ks.Offered, ks.DroppedClosed)
	t.Logf("close after %v: %v", time.Since(t0), err)
}
