package kafkasink_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
)

func TestItemRoundTrip(t *testing.T) {
	for _, it := range sampleItems() {
		b := kafkasink.AppendItem(nil, &it)
		var got dump.Item
		var ci dump.ConnInfo
		require.NoError(t, kafkasink.DecodeItem(b, &got, &ci), it.Kind)
		require.Equal(t, it.Kind, got.Kind)
		require.Equal(t, it.Window, got.Window)
		require.True(t, it.Time.Equal(got.Time), "time %v != %v", got.Time, it.Time)
		require.Equal(t, it.Dir, got.Dir)
		require.Equal(t, it.Offset, got.Offset)
		require.Equal(t, it.Hash, got.Hash)
		require.Equal(t, it.Type, got.Type)
		require.Equal(t, string(it.Data), string(got.Data))
		if it.Conn == nil {
			require.Nil(t, got.Conn)
		} else {
			require.Equal(t, *it.Conn, *got.Conn)
		}
	}
}

func TestDecodeItemRejects(t *testing.T) {
	good := sampleItems()[0]
	b := kafkasink.AppendItem(nil, &good)
	var it dump.Item
	var ci dump.ConnInfo
	for n := range 4 + 8 + 8 + 8 + 1 + 4 + 2 + 1 + 4 + 2 + 8 + 8 + 2 { // every cut inside the fixed part
		require.ErrorIs(t, kafkasink.DecodeItem(b[:n], &it, &ci), kafkasink.ErrBadItem, "cut at %d", n)
	}
	bad := append([]byte(nil), b...)
	bad[0] = 2 // unknown version
	require.ErrorIs(t, kafkasink.DecodeItem(bad, &it, &ci), kafkasink.ErrBadItem)
	bad = append(bad[:0], b...)
	bad[1] = 99 // unknown kind
	require.ErrorIs(t, kafkasink.DecodeItem(bad, &it, &ci), kafkasink.ErrBadItem)
	bad = append(bad[:0], b...)
	bad[28] = 5 // address length neither 0, 4 nor 16
	require.ErrorIs(t, kafkasink.DecodeItem(bad, &it, &ci), kafkasink.ErrBadItem)
	win := sampleItems()[5]
	b = kafkasink.AppendItem(nil, &win)
	b[3] = 1 // a window item claiming a connection it does not carry
	require.ErrorIs(t, kafkasink.DecodeItem(b, &it, &ci), kafkasink.ErrBadItem)
}
