package main

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
)

// TestItemFeeder: items become a connection per ConnInfo; a jump in an
// offset (items the producer dropped) is a gap of exactly the missing
// bytes, never other bytes; a connection first seen past offset 0 is
// picked up mid-stream; unknown endpoints get dump's synthesized
// addresses; items without a connection are skipped.
func TestItemFeeder(t *testing.T) {
	var recs []Record
	d := NewDecoder(builtinProtocols(), nil, func(r *Record) {
		c := *r
		c.Exchange = r.Exchange.Clone()
		recs = append(recs, c)
	})
	f := newItemFeeder(d)
	t0 := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	ping, pong := []byte("*1\r\n$4\r\nPING\r\n"), []byte("+PONG\r\n")
	known := &dump.ConnInfo{ID: 1, Client: netip.MustParseAddrPort("10.9.0.1:50000"), Server: netip.MustParseAddrPort("10.9.0.2:6379")}
	unknown := &dump.ConnInfo{ID: 2}
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	items := []dump.Item{
		{Kind: dump.KindWindow, Window: 1, Time: at(0)},
		{Kind: dump.KindFlow, Conn: known, Dir: parser.Request, Offset: 0, Data: ping, Time: at(1)},
		{Kind: dump.KindFlow, Conn: known, Dir: parser.Response, Offset: 0, Data: pong, Time: at(2)},
		// 100 request bytes and 50 response bytes never reached the topic
		{Kind: dump.KindFlow, Conn: known, Dir: parser.Request, Offset: 14 + 100, Data: ping, Time: at(3)},
		{Kind: dump.KindFlow, Conn: known, Dir: parser.Response, Offset: 7 + 50, Data: pong, Time: at(4)},
		{Kind: dump.KindFlow, Conn: unknown, Dir: parser.Request, Offset: 500, Data: ping, Time: at(5)},
		{Kind: dump.KindFlow, Dir: parser.Request, Data: ping, Time: at(6)}, // no connection
		{Kind: dump.KindRecord, Type: "portrait", Data: []byte("x"), Time: at(7)},
		{Kind: dump.KindClose, Conn: known, Time: at(8)},
		{Kind: dump.KindClose, Conn: &dump.ConnInfo{ID: 3}, Time: at(9)}, // never fed
	}
	for i := range items {
		require.NoError(t, f.item(&items[i]))
	}
	d.Finish()
	ss := d.Streams()
	require.Len(t, ss, 2)
	require.Equal(t, known.Client, ss[0].Client)
	require.Equal(t, known.Server, ss[0].Server)
	require.Equal(t, "redis", ss[0].Protocol)
	require.Equal(t, [2]uint64{100, 50}, ss[0].GapBytes)
	require.Equal(t, [2]uint64{28, 14}, ss[0].Bytes)
	require.Equal(t, netip.MustParseAddrPort("10.0.0.2:1026"), ss[1].Client)
	require.Equal(t, netip.MustParseAddrPort("10.255.255.254:1"), ss[1].Server)
	require.Equal(t, [2]uint64{14, 0}, ss[1].Bytes)
	require.NotEmpty(t, recs)
	first := recs[0]
	require.Equal(t, parser.Complete, first.Kind)
	cmd, _ := first.Request.String("redis.command")
	require.Equal(t, "PING", cmd)
	require.Equal(t, at(1), first.RequestTime)
	require.Equal(t, at(2), first.ResponseTime)
	// 3 handshake + 4 flows + 3 FIN segments for the known connection, 1
	// for the one picked up mid-stream
	require.Equal(t, uint64(11), d.PcapStats().Packets)
}
