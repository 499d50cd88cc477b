package dump

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/reassembly"
)

// epbIfaces counts the Enhanced Packet Blocks of a pcapng file per
// interface id, walking the blocks by their lengths.
func epbIfaces(t *testing.T, b []byte) map[uint32]int {
	t.Helper()
	n := map[uint32]int{}
	for len(b) > 0 {
		require.GreaterOrEqual(t, len(b), 12)
		typ, l := binary.LittleEndian.Uint32(b), int(binary.LittleEndian.Uint32(b[4:]))
		require.True(t, l >= 12 && l <= len(b), "block length %d", l)
		if typ == 6 {
			n[binary.LittleEndian.Uint32(b[8:])]++
		}
		b = b[l:]
	}
	return n
}

// TestPcapngReadsBackWithoutMalformed is issue 19.6 at the encoder: a
// pcapng file as the tcpcopy filter writes it (traffic on an Ethernet
// interface, the strategy snapshot and records on a USER0 interface, a
// record over 64 KiB in parts) reads back with wirekit's own reader with
// nothing counted malformed: every USER0 packet is OtherLink, every
// traffic packet TCP, and the streams reassemble to the bytes recorded.
// A packet on an interface the file never described is still malformed.
// (The tcpcopy filter's own TestPcapngStrategyRecordNotMalformed checks
// the same through a Dumper.)
func TestPcapngReadsBackWithoutMalformed(t *testing.T) {
	conn := &ConnInfo{ID: 7, Client: netip.MustParseAddrPort("127.0.0.1:50000"), Server: netip.MustParseAddrPort("127.0.0.1:6379")}
	strategy, err := DefaultStrategy().MarshalJSON()
	require.NoError(t, err)
	ts := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	req, resp := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), []byte("+OK\r\n")
	big := bytes.Repeat([]byte("record "), 150<<10/7) // three parts
	items := []Item{
		{Kind: KindSnapshot, Type: "strategy", Data: strategy, Time: ts},
		{Kind: KindFlow, Conn: conn, Dir: parser.Request, Offset: 0, Data: req, Time: ts.Add(1)},
		{Kind: KindFlow, Conn: conn, Dir: parser.Response, Offset: 0, Data: resp, Time: ts.Add(2)},
		{Kind: KindRecord, Type: "audit", Data: big, Time: ts.Add(3)},
		{Kind: KindFlow, Conn: conn, Dir: parser.Request, Offset: uint64(len(req)), Data: req, Time: ts.Add(4)},
		{Kind: KindClose, Conn: conn, Time: ts.Add(5)},
	}
	enc := newPcapngEncoder()
	out := enc.begin(nil)
	for i := range items {
		out = enc.encode(out, &items[i])
	}
	per := epbIfaces(t, out)
	require.Equal(t, 4, per[1], "USER0 packets: the snapshot and the record's 3 parts")
	require.Greater(t, per[0], 3, "traffic packets (handshake, data, FIN)")

	read := func(file []byte) (reassembly.PcapStats, [2][]byte) {
		var got [2][]byte
		gaps, streams := 0, 0
		a := reassembly.NewAssembler(reassembly.FactoryFunc(func(*reassembly.Stream) reassembly.Handler {
			streams++
			return &fuzzCollector{b: &got, gaps: &gaps}
		}), reassembly.Options{})
		ps, err := reassembly.ReadPcapBytes(file, a)
		require.NoError(t, err)
		a.FlushAll()
		assert.Zero(t, gaps)
		assert.Equal(t, 1, streams)
		return ps, got
	}
	ps, got := read(out)
	assert.Zero(t, ps.Malformed, "%+v", ps)
	assert.Equal(t, uint64(per[1]), ps.OtherLink, "%+v", ps)
	assert.Equal(t, uint64(per[0]), ps.TCP, "%+v", ps)
	assert.Equal(t, ps.Packets, ps.TCP+ps.OtherLink)
	assert.Equal(t, string(req)+string(req), string(got[parser.Request]))
	assert.Equal(t, string(resp), string(got[parser.Response]))

	// An Enhanced Packet Block on interface 2, which no block describes.
	bad := appendEPB(bytes.Clone(out), 2, ts.Add(6), 4, nil, func(d []byte) []byte { return append(d, "junk"...) })
	ps2, _ := read(bad)
	assert.Equal(t, uint64(1), ps2.Malformed, "%+v", ps2)
	assert.Equal(t, ps.OtherLink, ps2.OtherLink)
	assert.Equal(t, ps.Packets+1, ps2.Packets)
}
