//go:build !race

package kafkasink_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/internal/kafkatest"
)

// bareKgoAllocs is kafkatest.AllocsPerRecord of a bare kgo client producing n
// prebuilt records (reused each round, so the loop itself allocates
// nothing): what kgo and the broker allocate per record by themselves.
func bareKgoAllocs(t *testing.T, c *kfake.Cluster, n int) float64 {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	require.NoError(t, err)
	defer cl.Close()
	items := benchItems(n)
	hdrs := []kgo.RecordHeader{{Key: kafkasink.HeaderAgent, Value: []byte("a")}, {Key: kafkasink.HeaderFormat, Value: []byte(kafkasink.FormatItem)},
		{Key: kafkasink.HeaderWindow, Value: []byte("1122334455667788")}}
	keys, values := make([][]byte, n), make([][]byte, n)
	for i := range items {
		keys[i] = binary.BigEndian.AppendUint64(nil, items[i].Conn.ID)
		values[i] = kafkasink.AppendItem(nil, &items[i])
	}
	recs := make([]kgo.Record, n)
	promise := func(*kgo.Record, error) {}
	return kafkatest.AllocsPerRecord(c, n, func(i int) {
		recs[i] = kgo.Record{Key: keys[i], Value: values[i], Headers: hdrs, Timestamp: items[i].Time}
		cl.TryProduce(context.Background(), &recs[i], promise)
	}, func() { require.NoError(t, cl.Flush(context.Background())) })
}

// sinkFlush flushes p's client and waits for the last promises.
func sinkFlush(t *testing.T, p *kafkasink.Producer) func() {
	return func() {
		require.NoError(t, p.Client().Flush(context.Background()))
		for p.Stats().Pending > 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// TestWriteAllocs: in steady state Sink.Write and Producer.ProduceFunc
// allocate nothing of their own: per record, the process allocates no
// more than with a bare kgo loop producing prebuilt records (which is
// kgo's and the broker's share).
func TestWriteAllocs(t *testing.T) {
	c := cluster(t)
	defer c.Close()
	const n = 2000
	base := bareKgoAllocs(t, c, n)

	s, err := kafkasink.New(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic, Compression: "lz4", Agent: "a"})
	require.NoError(t, err)
	defer s.Close()
	items := benchItems(n)
	sink := kafkatest.AllocsPerRecord(c, n, func(i int) { _ = s.Write(&items[i]) }, sinkFlush(t, s.Producer()))

	p, err := kafkasink.NewProducer(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic, Compression: "lz4"}, "test/1")
	require.NoError(t, err)
	defer p.Close()
	var key [8]byte
	fn := kafkatest.AllocsPerRecord(c, n, func(i int) {
		binary.BigEndian.PutUint64(key[:], items[i].Conn.ID)
		p.ProduceFunc(key[:], items[i].Window, items[i].Time, func(dst []byte) []byte { return kafkasink.AppendItem(dst, &items[i]) })
	}, sinkFlush(t, p))
	t.Logf("allocations per record: bare kgo %.3f, Sink.Write %.3f, ProduceFunc %.3f", base, sink, fn)
	require.Less(t, sink, base+0.05, "Sink.Write allocates per record")
	require.Less(t, fn, base+0.05, "ProduceFunc allocates per record")
}
