package dump

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// pcapng output: flow items become synthesized Ethernet/IPv4-or-IPv6/TCP
// packets on interface 0 (link type Ethernet), so Wireshark and tshark
// track the conversation, reassemble the stream and run their protocol
// dissectors on it. Sequence numbers are a pure function of the connection,
// the direction and the stream offset (seq = ISN + 1 + offset, with a
// per-connection ISN), so they stay consistent across windows, files and
// gaps: bytes that were not recorded show up as "previous segment not
// captured", never as bytes of another position. A connection first seen at
// offset 0 gets a synthesized three-way handshake, and Conn.Close a FIN
// exchange. Every packet carries a pcapng comment with the window id,
// connection id, direction and offset; the first packet of a connection in
// a file also carries its addresses.
//
// Records and snapshots are packets on interface 1 (link type USER0, 147)
// whose bytes are the payload and whose comment names them; payloads over
// pcapngRecordPart bytes are split into parts (Wireshark's packet size
// limit is 256 KiB).

const (
	linkTypeEthernet = 1
	linkTypeUser0    = 147
	pcapngRecordPart = 64 << 10

	ethLen  = 14
	ip4Len  = 20
	ip6Len  = 40
	tcpLen  = 20
	tcpFIN  = 0x01
	tcpSYN  = 0x02
	tcpPSH  = 0x08
	tcpACK  = 0x10
	tcpWin  = 65535
	maxSeg  = 65535 - ip4Len - tcpLen // IPv4 total length limit
	appName = "wirekit dump"
)

// pcapngEncoder holds the per-file state: the connections seen in the
// current file.
type pcapngEncoder struct {
	conns map[uint64]*pconn
	ipID  uint16
	cbuf  []byte // comment scratch
}

type pconn struct {
	v6       bool
	ip       [2][16]byte // [0] client, [1] server
	port     [2]uint16
	isn      [2]uint32
	end      [2]uint64 // highest end offset written per direction
	announce bool      // metadata comment still to be written
}

func newPcapngEncoder() *pcapngEncoder {
	return &pcapngEncoder{conns: make(map[uint64]*pconn)}
}

func (e *pcapngEncoder) ext() string { return "pcapng" }

// begin writes the Section Header Block and the two Interface Description
// Blocks, and forgets the connections of the previous file so each file is
// self-contained.
func (e *pcapngEncoder) begin(dst []byte) []byte {
	clear(e.conns)
	// SHB
	opts := appendOpt(nil, 4, []byte(appName)) // shb_userappl
	opts = appendOpt(opts, 0, nil)
	n := 28 + len(opts)
	dst = le32(dst, 0x0A0D0D0A)
	dst = le32(dst, uint32(n))
	dst = le32(dst, 0x1A2B3C4D)
	dst = le16(dst, 1)
	dst = le16(dst, 0)
	dst = le64(dst, ^uint64(0)) // section length unknown
	dst = append(dst, opts...)
	dst = le32(dst, uint32(n))
	dst = appendIDB(dst, linkTypeEthernet, "wirekit-flows")
	dst = appendIDB(dst, linkTypeUser0, "wirekit-records")
	return dst
}

func appendIDB(dst []byte, linkType uint16, name string) []byte {
	opts := appendOpt(nil, 2, []byte(name)) // if_name
	opts = appendOpt(opts, 9, []byte{9})    // if_tsresol: nanoseconds
	opts = appendOpt(opts, 0, nil)
	n := 20 + len(opts)
	dst = le32(dst, 1)
	dst = le32(dst, uint32(n))
	dst = le16(dst, linkType)
	dst = le16(dst, 0)
	dst = le32(dst, 0) // snaplen: no limit
	dst = append(dst, opts...)
	return le32(dst, uint32(n))
}

func appendOpt(dst []byte, code uint16, v []byte) []byte {
	dst = le16(dst, code)
	dst = le16(dst, uint16(len(v)))
	dst = append(dst, v...)
	for i := len(v); i%4 != 0; i++ {
		dst = append(dst, 0)
	}
	return dst
}

func (e *pcapngEncoder) encode(dst []byte, it *Item) []byte {
	switch it.Kind {
	case KindFlow:
		return e.flow(dst, it)
	case KindClose:
		return e.close(dst, it)
	case KindRecord, KindSnapshot:
		return e.record(dst, it)
	}
	return dst // window openings: the id is in every packet's comment
}

func (e *pcapngEncoder) conn(it *Item) (*pconn, bool) {
	if pc, ok := e.conns[it.Conn.ID]; ok {
		return pc, false
	}
	pc := &pconn{announce: true}
	ci := it.Conn
	cl, sv := ci.Client, ci.Server
	if !cl.IsValid() {
		id := ci.ID
		cl = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(id >> 16), byte(id >> 8), byte(id)}), uint16(1024+id%64000))
	}
	if !sv.IsValid() {
		sv = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 255, 255, 254}), 1)
	}
	ca, sa := cl.Addr().Unmap(), sv.Addr().Unmap()
	pc.v6 = !(ca.Is4() && sa.Is4())
	pc.ip[0], pc.ip[1] = ca.As16(), sa.As16()
	pc.port[0], pc.port[1] = cl.Port(), sv.Port()
	h := connHash(ci.ID, 0x7769726b6974) // fixed salt: same ISNs in every file
	pc.isn[0], pc.isn[1] = uint32(h), uint32(h>>32)
	e.conns[ci.ID] = pc
	return pc, true
}

func (e *pcapngEncoder) flow(dst []byte, it *Item) []byte {
	pc, fresh := e.conn(it)
	dir := it.Dir & 1
	if fresh && it.Offset == 0 {
		// Synthesized handshake: lets Wireshark tell client from server and
		// show relative sequence numbers starting at 1.
		c := e.comment(it.Window, it.Conn, 0, 0, pc, "syn")
		dst = e.packet(dst, pc, 0, tcpSYN, pc.isn[0], 0, nil, it.Time, c)
		dst = e.packet(dst, pc, 1, tcpSYN|tcpACK, pc.isn[1], pc.isn[0]+1, nil, it.Time, nil)
		dst = e.packet(dst, pc, 0, tcpACK, pc.isn[0]+1, pc.isn[1]+1, nil, it.Time, nil)
	}
	off := it.Offset
	data := it.Data
	for len(data) > 0 {
		n := min(len(data), maxSeg)
		c := e.comment(it.Window, it.Conn, dir, off, pc, "")
		seq := pc.isn[dir] + 1 + uint32(off)
		ack := pc.isn[1-dir] + 1 + uint32(pc.end[1-dir])
		dst = e.packet(dst, pc, dir, tcpPSH|tcpACK, seq, ack, data[:n], it.Time, c)
		data, off = data[n:], off+uint64(n)
	}
	pc.end[dir] = max(pc.end[dir], off)
	return dst
}

func (e *pcapngEncoder) close(dst []byte, it *Item) []byte {
	pc, ok := e.conns[it.Conn.ID]
	if !ok {
		return dst // nothing of it in this file
	}
	delete(e.conns, it.Conn.ID)
	cs := pc.isn[0] + 1 + uint32(pc.end[0])
	ss := pc.isn[1] + 1 + uint32(pc.end[1])
	c := e.comment(it.Window, it.Conn, 0, 0, pc, "close")
	dst = e.packet(dst, pc, 0, tcpFIN|tcpACK, cs, ss, nil, it.Time, c)
	dst = e.packet(dst, pc, 1, tcpFIN|tcpACK, ss, cs+1, nil, it.Time, nil)
	return e.packet(dst, pc, 0, tcpACK, cs+1, ss+1, nil, it.Time, nil)
}

// comment builds the packet comment into the encoder's scratch buffer.
func (e *pcapngEncoder) comment(window uint64, ci *ConnInfo, dir parser.Direction, offset uint64, pc *pconn, event string) []byte {
	b := append(e.cbuf[:0], "wirekit"...)
	if event != "" {
		b = append(b, ' ')
		b = append(b, event...)
	}
	b = append(b, " window="...)
	b = appendHex16(b, window)
	b = append(b, " conn="...)
	b = strconv.AppendUint(b, ci.ID, 10)
	if event == "" {
		b = append(b, " dir="...)
		b = append(b, dirName(dir)...)
		b = append(b, " offset="...)
		b = strconv.AppendUint(b, offset, 10)
	}
	if pc.announce {
		pc.announce = false
		b = append(b, " client="...)
		b = ci.Client.AppendTo(b)
		b = append(b, " server="...)
		b = ci.Server.AppendTo(b)
	}
	e.cbuf = b
	return b
}

func (e *pcapngEncoder) record(dst []byte, it *Item) []byte {
	data := it.Data
	parts := max(1, (len(data)+pcapngRecordPart-1)/pcapngRecordPart)
	for i := 0; i < parts; i++ {
		n := min(len(data), pcapngRecordPart)
		b := append(e.cbuf[:0], "wirekit "...)
		b = append(b, it.Kind.String()...)
		if it.Kind == KindRecord {
			b = append(b, " type="...)
		} else {
			b = append(b, " name="...)
		}
		b = append(b, it.Type...)
		b = append(b, " window="...)
		b = appendHex16(b, it.Window)
		if it.Kind == KindSnapshot {
			b = append(b, " hash="...)
			b = appendHex16(b, it.Hash)
		}
		if parts > 1 {
			b = append(b, " part="...)
			b = strconv.AppendInt(b, int64(i+1), 10)
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(parts), 10)
		}
		e.cbuf = b
		dst = appendEPB(dst, 1, it.Time, len(data[:n]), b, func(d []byte) []byte { return append(d, data[:n]...) })
		data = data[n:]
	}
	return dst
}

// packet appends an Enhanced Packet Block holding one synthesized segment.
func (e *pcapngEncoder) packet(dst []byte, pc *pconn, dir parser.Direction, flags uint8, seq, ack uint32, payload []byte, ts time.Time, comment []byte) []byte {
	ipl := ip4Len
	if pc.v6 {
		ipl = ip6Len
	}
	plen := ethLen + ipl + tcpLen + len(payload)
	e.ipID++
	return appendEPB(dst, 0, ts, plen, comment, func(b []byte) []byte {
		src, dstI := int(dir), 1-int(dir)
		// Ethernet: locally administered MACs, ...:01 client, ...:02 server.
		b = append(b, 2, 0, 0, 0, 0, byte(dstI+1), 2, 0, 0, 0, 0, byte(src+1))
		var ipStart int
		if pc.v6 {
			b = append(b, 0x86, 0xDD)
			ipStart = len(b)
			b = append(b, 0x60, 0, 0, 0)
			b = be16(b, uint16(tcpLen+len(payload)))
			b = append(b, 6, 64) // next header TCP, hop limit
			b = append(b, pc.ip[src][:]...)
			b = append(b, pc.ip[dstI][:]...)
		} else {
			b = append(b, 0x08, 0x00)
			ipStart = len(b)
			b = append(b, 0x45, 0)
			b = be16(b, uint16(ip4Len+tcpLen+len(payload)))
			b = be16(b, e.ipID)
			b = append(b, 0x40, 0, 64, 6, 0, 0) // DF, TTL 64, TCP, checksum later
			b = append(b, pc.ip[src][12:]...)
			b = append(b, pc.ip[dstI][12:]...)
			binary.BigEndian.PutUint16(b[ipStart+10:], ^uint16(fold(sum(0, b[ipStart:ipStart+ip4Len]))))
		}
		tcpStart := len(b)
		b = be16(b, pc.port[src])
		b = be16(b, pc.port[dstI])
		b = be32(b, seq)
		b = be32(b, ack)
		b = append(b, 5<<4, flags)
		b = be16(b, tcpWin)
		b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
		b = append(b, payload...)
		// TCP checksum over the pseudo-header and the segment.
		var s uint32
		if pc.v6 {
			s = sum(s, b[ipStart+8:ipStart+40])
			s += uint32(tcpLen + len(payload))
			s += 6
		} else {
			s = sum(s, b[ipStart+12:ipStart+20])
			s += 6
			s += uint32(tcpLen + len(payload))
		}
		s = sum(s, b[tcpStart:])
		binary.BigEndian.PutUint16(b[tcpStart+16:], ^uint16(fold(s)))
		return b
	})
}

// appendEPB appends an Enhanced Packet Block whose packet bytes (n of them)
// are appended by body, with an optional comment.
func appendEPB(dst []byte, iface uint32, ts time.Time, n int, comment []byte, body func([]byte) []byte) []byte {
	pad := (4 - n%4) % 4
	optLen := 0
	if len(comment) > 0 {
		optLen = 4 + len(comment) + (4-len(comment)%4)%4 + 4
	}
	total := 32 + n + pad + optLen
	nanos := uint64(ts.UnixNano())
	dst = le32(dst, 6)
	dst = le32(dst, uint32(total))
	dst = le32(dst, iface)
	dst = le32(dst, uint32(nanos>>32))
	dst = le32(dst, uint32(nanos))
	dst = le32(dst, uint32(n))
	dst = le32(dst, uint32(n))
	dst = body(dst)
	dst = append(dst, make([]byte, pad)...)
	if len(comment) > 0 {
		dst = le16(dst, 1) // opt_comment
		dst = le16(dst, uint16(len(comment)))
		dst = append(dst, comment...)
		dst = append(dst, make([]byte, (4-len(comment)%4)%4)...)
		dst = le32(dst, 0) // opt_endofopt
	}
	return le32(dst, uint32(total))
}

// sum adds b as big-endian 16-bit words (RFC 1071).
func sum(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for i := 60; i >= 0; i -= 4 {
		b = append(b, digits[v>>uint(i)&15])
	}
	return b
}
