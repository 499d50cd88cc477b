//go:build !race

package export_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/export"
)

// allocsPerRecord is the process's heap allocations per record over
// rounds of n records (produce, then flush), after one unmeasured round
// that the broker holds until all n are pending (so that the producer's
// pool has all it will need).
func allocsPerRecord(c *kfake.Cluster, n int, produce func(), flush func()) float64 {
	release := holdProduce(c)
	for range n {
		produce()
	}
	release()
	flush()
	const rounds = 5
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range rounds {
		for range n {
			produce()
		}
		flush()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(rounds*n)
}

// holdProduce makes c hold produce requests until release is called.
func holdProduce(c *kfake.Cluster) (release func()) {
	ch := make(chan struct{})
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		select {
		case <-ch:
		default:
			c.SleepControl(func() { <-ch })
		}
		return nil, nil, false
	})
	return func() { close(ch) }
}

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
	base := allocsPerRecord(c, n, func() {
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
	exp := allocsPerRecord(c, n, func() { k.Export(meta, x) }, func() {
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
