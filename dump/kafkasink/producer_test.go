package kafkasink_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/internal/kafkatest"
)

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return "<none>"
}

// TestProduceFunc: ProduceFunc's records carry the value appendValue
// wrote into the pooled buffer (short values, and values that outgrow the
// buffer), the copied key (a nil key stays null, an empty one empty), the
// window header of each record's own window as windows change and come
// back, and the timestamp; Produce's records the same, and the byte
// counts are key plus value.
func TestProduceFunc(t *testing.T) {
	c := cluster(t)
	defer c.Close()
	p, err := kafkasink.NewProducer(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic, Agent: "a1",
		KgoOptions: []kgo.Opt{kgo.RecordPartitioner(kgo.ManualPartitioner())}}, "test/1")
	require.NoError(t, err)
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	type want struct {
		key    []byte
		value  string
		window uint64
	}
	var wants []want
	var size uint64
	for i := range 40 {
		w := want{key: fmt.Appendf(nil, "key-%d", i), window: []uint64{7, 7, 8, 7, 0xfedcba9876543210}[i%5]}
		switch i % 7 {
		case 3:
			w.key = nil
		case 4:
			w.key = []byte{}
		}
		w.value = fmt.Sprintf("value %d %s", i, bytes.Repeat([]byte{'x'}, i*i*20)) // up to 31 kB: outgrows the buffer
		wants = append(wants, w)
		size += uint64(len(w.key) + len(w.value))
		ts := t0.Add(time.Duration(i) * time.Millisecond)
		var res kafkasink.Result
		if i%3 == 2 {
			res = p.Produce(w.key, []byte(w.value), w.window, ts)
		} else {
			res = p.ProduceFunc(w.key, w.window, ts, func(dst []byte) []byte {
				require.Empty(t, dst)
				return append(dst, w.value...)
			})
		}
		require.Equal(t, kafkasink.Buffered, res)
	}
	require.NoError(t, p.Close())
	st := p.Stats()
	require.EqualValues(t, len(wants), st.Offered)
	require.EqualValues(t, len(wants), st.Acked)
	require.Equal(t, size, st.OfferedBytes)
	require.Equal(t, size, st.AckedBytes)
	got := consume(t, kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic}, len(wants))
	require.Len(t, got, len(wants))
	for i, r := range got { // one partition: in order
		w := wants[i]
		require.Equal(t, w.value, string(r.Value), "record %d", i)
		require.Equal(t, w.key == nil, r.Key == nil, "record %d: null key", i)
		require.Equal(t, string(w.key), string(r.Key), "record %d", i)
		require.Equal(t, fmt.Sprintf("%016x", w.window), header(r, kafkasink.HeaderWindow), "record %d", i)
		require.Equal(t, "test/1", header(r, kafkasink.HeaderFormat))
		require.Equal(t, "a1", header(r, kafkasink.HeaderAgent))
		require.Len(t, r.Headers, 3)
		require.Equal(t, t0.Add(time.Duration(i)*time.Millisecond).UnixMilli(), r.Timestamp.UnixMilli())
	}
}

// TestProduceFuncRefused: with the broker holding every produce request,
// ProduceFunc fills the bound and is refused past it, then refused while
// closing; every record is counted once with its encoded size.
func TestProduceFuncRefused(t *testing.T) {
	c := cluster(t)
	release := kafkatest.HoldProduce(c)
	defer func() { release(); c.Close() }()
	p, err := kafkasink.NewProducer(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic, MaxBufferedRecords: 64,
		MaxAge: time.Minute, CloseTimeout: 200 * time.Millisecond}, "test/1")
	require.NoError(t, err)
	var buffered, full int
	var offeredB uint64
	for i := range 200 {
		v := fmt.Sprintf("value-%03d", i)
		offeredB += uint64(len(v) + 1)
		switch p.ProduceFunc([]byte{'k'}, 1, time.Now(), func(dst []byte) []byte { return append(dst, v...) }) {
		case kafkasink.Buffered:
			buffered++
		case kafkasink.RefusedBufferFull:
			full++
		default:
			t.Fatal("unexpected result")
		}
	}
	require.Equal(t, 64, buffered, "the bound holds")
	require.Equal(t, 136, full)
	st := p.Stats()
	require.EqualValues(t, 64, st.Pending)
	require.EqualValues(t, 136, st.DroppedBufferFull)
	require.EqualValues(t, 136*10, st.DroppedBufferFullBytes) // "k" and "value-NNN"
	closed := make(chan error)
	go func() { closed <- p.Close() }()
	late := 0 // refused at Close (and before it began: full)
	require.Eventually(t, func() bool {
		res := p.ProduceFunc(nil, 1, time.Now(), func(dst []byte) []byte { return append(dst, "late"...) })
		if res == kafkasink.RefusedBufferFull {
			full++
		} else {
			late++
		}
		return res == kafkasink.RefusedClosed
	}, 5*time.Second, time.Millisecond)
	err = <-closed
	require.ErrorIs(t, err, kafkasink.ErrUndelivered)
	st = p.Stats()
	require.Zero(t, st.Pending)
	require.Zero(t, st.Acked, "held until after Close")
	require.Equal(t, st.Offered, st.Acked+st.Dropped())
	require.Equal(t, st.OfferedBytes, st.AckedBytes+st.DroppedBufferFullBytes+st.DroppedStaleBytes+st.DroppedProduceErrorBytes+st.DroppedClosedBytes)
	require.Equal(t, offeredB+4*(st.Offered-200), st.OfferedBytes)
	require.EqualValues(t, 64+late, st.DroppedClosed, "the held records and the late ones")
	require.EqualValues(t, full, st.DroppedBufferFull)
}

// TestProduceConcurrent: Produce and ProduceFunc from 4 goroutines at
// once (run it with -race); every record acknowledged, each once, and the
// counters add up.
func TestProduceConcurrent(t *testing.T) {
	c := cluster(t)
	defer c.Close()
	p, err := kafkasink.NewProducer(kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic}, "test/1")
	require.NoError(t, err)
	const per = 500
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				v := fmt.Appendf(nil, "g%d-%04d", g, i)
				if i%2 == 0 {
					require.Equal(t, kafkasink.Buffered, p.Produce(nil, v, uint64(g), time.Now()))
				} else {
					require.Equal(t, kafkasink.Buffered, p.ProduceFunc(nil, uint64(g), time.Now(), func(dst []byte) []byte { return append(dst, v...) }))
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, p.Close())
	st := p.Stats()
	require.EqualValues(t, 4*per, st.Acked)
	require.EqualValues(t, 4*per*7, st.AckedBytes) // "gG-NNNN"
	seen := map[string]bool{}
	got := consume(t, kafkasink.Options{Brokers: c.ListenAddrs(), Topic: topic}, 4*per)
	require.Len(t, got, 4*per)
	for _, r := range got {
		require.False(t, seen[string(r.Value)], "once")
		seen[string(r.Value)] = true
		require.Equal(t, fmt.Sprintf("%016x", r.Value[1]-'0'), header(r, kafkasink.HeaderWindow), "its own window")
	}
	require.Len(t, seen, 4*per)
}
