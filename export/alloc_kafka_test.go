//go:build !race

package export_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/internal/kafkatest"
)

// TestKafkaExportAllocs: in steady state Kafka.Export allocates nothing
// of its own per exchange (it encodes into the pooled record): the
// process allocates no more per record than a bare kgo client encoding
// the same exchange into buffers of its own (reused each round) and
// producing it: that is kgo's and the broker's share.
func TestKafkaExportAllocs(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "exchanges"))
	require.NoError(t, err)
	defer c.Close()
	const n = 2000
	x := httpExchange()

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("exchanges"),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()), kgo.ProducerLinger(5*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	enc := export.NewEncoder(export.Options{Agent: "a"})
	value := enc.AppendJSON(nil, meta, x)
	values := make([][]byte, n)
	key := []byte(strconv.FormatUint(meta.ConnID, 10))
	hdrs := []kgo.RecordHeader{{Key: kafkasink.HeaderAgent, Value: []byte("a")}, {Key: kafkasink.HeaderFormat, Value: []byte(export.Format)},
		{Key: kafkasink.HeaderWindow, Value: []byte("0000000000000000")}}
	recs := make([]kgo.Record, n)
	i := 0
	var done atomic.Int64
	promise := func(*kgo.Record, error) { done.Add(1) }
	base := kafkatest.AllocsPerRecord(c, n, func(int) {
		values[i%n] = enc.AppendJSON(values[i%n][:0], meta, x) // the same work, into buffers of its own
		recs[i%n] = kgo.Record{Key: key, Value: values[i%n], Headers: hdrs, Timestamp: x.RequestTime}
		cl.TryProduce(context.Background(), &recs[i%n], promise)
		i++
	}, func() { // as for Export below: no Flush, batches end at the linger
		for done.Load() < int64(i) {
			time.Sleep(50 * time.Microsecond)
		}
	})

	k, err := export.NewKafka(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: "exchanges", Agent: "a", Compression: "lz4"}, export.Options{})
	require.NoError(t, err)
	defer k.Close()
	exp := kafkatest.AllocsPerRecord(c, n, func(int) { k.Export(meta, x) }, func() {
		for k.Stats().Pending > 0 {
			time.Sleep(50 * time.Microsecond)
		}
	})
	t.Logf("allocations per record: bare kgo %.3f, Export %.3f", base, exp)
	require.Less(t, exp, base+0.05, "Export allocates per exchange")
	st := k.Stats()
	require.Equal(t, st.Offered, st.Acked)
	require.EqualValues(t, 6*n*(len(value)+len(key)), st.AckedBytes, "the records are the encoder's bytes")
}
