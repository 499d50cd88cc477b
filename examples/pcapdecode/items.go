package main

import (
	"net/netip"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/reassembly"
)

// itemFeeder turns dumped items (playback.Read) into TCP segments for the
// Decoder's reassembler, the way dump's pcapng writer turns them into
// packets, without the packets: sequence numbers are ISN + 1 + the
// item's stream offset, so bytes the dump does not hold are a gap, never
// bytes of another position; a connection first seen at offset 0 gets a
// handshake (so the client is known by its SYN) and a close item a FIN
// exchange. Each segment counts as one TCP packet in the capture
// counters. Items that are not flow or close items (records, snapshots,
// window openings) carry no connection bytes and are skipped.
//
// Offsets become sequence numbers modulo 2^32, as in TCP (and in a pcapng
// of the dump): a direction that jumps by 2 GiB or more between two items
// (that many bytes dropped) reads as old data, which the reassembler counts
// as retransmitted (Stats.Retransmitted, DuplicateBytes) rather than as a
// gap.
type itemFeeder struct {
	d     *Decoder
	conns map[uint64]*feedConn
	seg   reassembly.Segment
}

type feedConn struct {
	ends [2]netip.AddrPort // client, server
	end  [2]uint64         // highest end offset fed, per direction
}

// isn is every direction's initial sequence number: the reassembler
// tracks each connection's own, so one constant serves.
const isn = 1 << 20

func newItemFeeder(d *Decoder) *itemFeeder {
	return &itemFeeder{d: d, conns: map[uint64]*feedConn{}}
}

func (f *itemFeeder) item(it *dump.Item) error {
	if it.Conn == nil {
		return nil // kafkasink.DecodeItem gives flow and close items one
	}
	switch it.Kind {
	case dump.KindFlow:
		f.flow(it)
	case dump.KindClose:
		f.close(it)
	}
	return nil
}

func (f *itemFeeder) conn(it *dump.Item) (*feedConn, bool) {
	if c := f.conns[it.Conn.ID]; c != nil {
		return c, false
	}
	ci := it.Conn
	cl, sv := ci.Client, ci.Server
	// Unknown endpoints get the addresses dump's pcapng writer gives them,
	// so that connections stay apart and read as they would from a file.
	if !cl.IsValid() {
		id := ci.ID
		cl = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(id >> 16), byte(id >> 8), byte(id)}), uint16(1024+id%64000))
	}
	if !sv.IsValid() {
		sv = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 255, 255, 254}), 1)
	}
	c := &feedConn{ends: [2]netip.AddrPort{cl, sv}}
	f.conns[ci.ID] = c
	return c, true
}

func (f *itemFeeder) send(c *feedConn, dir parser.Direction, flags reassembly.Flags, off uint64, payload []byte, it *dump.Item) {
	s := &f.seg
	s.Src, s.Dst = c.ends[dir], c.ends[1-dir]
	s.Seq = isn + 1 + uint32(off)
	s.Ack = isn + 1 + uint32(c.end[1-dir])
	s.Flags, s.Window, s.Payload, s.Truncated, s.Timestamp = flags, 65535, payload, 0, it.Time
	f.d.pcap.Packets++
	f.d.pcap.TCP++
	f.d.Assemble(s)
}

func (f *itemFeeder) flow(it *dump.Item) {
	c, fresh := f.conn(it)
	dir := it.Dir & 1
	if fresh && it.Offset == 0 {
		f.send(c, parser.Request, reassembly.FlagSYN, ^uint64(0), nil, it) // seq = isn
		f.send(c, parser.Response, reassembly.FlagSYN|reassembly.FlagACK, ^uint64(0), nil, it)
		f.send(c, parser.Request, reassembly.FlagACK, 0, nil, it)
	}
	f.send(c, dir, reassembly.FlagPSH|reassembly.FlagACK, it.Offset, it.Data, it)
	c.end[dir] = max(c.end[dir], it.Offset+uint64(len(it.Data)))
}

func (f *itemFeeder) close(it *dump.Item) {
	c := f.conns[it.Conn.ID]
	if c == nil {
		return // nothing of it was fed
	}
	delete(f.conns, it.Conn.ID)
	f.send(c, parser.Request, reassembly.FlagFIN|reassembly.FlagACK, c.end[0], nil, it)
	f.send(c, parser.Response, reassembly.FlagFIN|reassembly.FlagACK, c.end[1], nil, it)
	f.send(c, parser.Request, reassembly.FlagACK, c.end[0]+1, nil, it)
}
