package tcpcopy

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/playback"
)

// A configuration naming only a Kafka sink records every byte of every
// connection into the topic: played back, each connection's two
// directions are the capture's streams, and the sink's account is whole.
func TestKafkaOnly(t *testing.T) {
	c, err := kfake.NewCluster(kfake.SeedTopics(2, "tcpcopy"))
	require.NoError(t, err)
	defer c.Close()
	broker := c.ListenAddrs()[0]
	raw := fmt.Sprintf(`{"strategy":%s,"kafka":{"brokers":[%q],"topic":"tcpcopy","agent":"tc-test","linger":"1ms"}}`, onStrategy, broker)
	ff, err := NewCreator(nil)([]byte(raw))
	require.NoError(t, err)
	f := ff.(*Factory)
	orig := replay(t, f, pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, f.Close())
	ks, ok := f.KafkaStats()
	require.True(t, ok)
	assert.Equal(t, ks.Offered, ks.Acked, "%+v", ks)
	assert.Zero(t, ks.Dropped())
	ds := f.Dumper().Stats()
	assert.Zero(t, ds.DroppedQueueFull+ds.DroppedGate+ds.DroppedWriteError, "%+v", ds)

	type stream struct {
		client, server netip.AddrPort
		data           [2][]byte
	}
	got := map[uint64]*stream{}
	pst, err := playback.Read(context.Background(), playback.Options{Brokers: []string{broker}, Topic: "tcpcopy", Agent: "tc-test"},
		func(it *dump.Item) error {
			if it.Kind != dump.KindFlow {
				return nil
			}
			s := got[it.Conn.ID]
			if s == nil {
				s = &stream{client: it.Conn.Client, server: it.Conn.Server}
				got[it.Conn.ID] = s
			}
			d := 0
			if it.Dir == parser.Response {
				d = 1
			}
			require.Equal(t, uint64(len(s.data[d])), it.Offset, "chunks in order, no gap")
			s.data[d] = append(s.data[d], it.Data...)
			return nil
		})
	require.NoError(t, err)
	assert.Equal(t, ks.Acked, pst.Records)
	require.Len(t, got, len(orig))
	matched := 0
	for _, o := range orig {
		for _, s := range got {
			if s.client == o.Client && s.server == o.Server {
				matched++
				assert.True(t, bytes.Equal(o.Data[0], s.data[0]), "%v requests", o.Client)
				assert.True(t, bytes.Equal(o.Data[1], s.data[1]), "%v responses", o.Client)
			}
		}
	}
	assert.Equal(t, len(orig), matched)

	_, ok = New(f.Dumper()).KafkaStats()
	assert.False(t, ok, "a Factory over a Dumper of the caller's has no sink of its own")
	_, err = NewCreator(nil)([]byte(`{"kafka":{"brokers":["127.0.0.1:1"]}}`))
	assert.ErrorIs(t, err, dump.ErrInvalidConfig)
	assert.ErrorContains(t, err, "no Topic")
}
