package capture

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/wirekit/wirekit/reassembly"
)

// Layout of a TPACKET_V3 block and of the frames in it (linux/if_packet.h).
// The offsets are read with encoding/binary in host (little-endian on every
// architecture Go's AF_PACKET users run) order; every offset and length
// read from the ring is checked against the block before it is used.
const (
	blockDescLen     = 48 // struct tpacket_block_desc with tpacket_hdr_v1
	blkStatusOff     = 8
	blkNumPktsOff    = 12
	blkFirstPktOff   = 16
	blkLenOff        = 20
	frameHdrLen      = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
	sllLen           = 20 // struct sockaddr_ll
	cookedHdrLen     = 16 // the Linux cooked (SLL v1) header written in front of SOCK_DGRAM frames
	statusUser       = 1  // TP_STATUS_USER: the block belongs to user space
	statusVLANValid  = 0x10
	pktTypeOutgoing  = 4 // PACKET_OUTGOING
	minFrameStride   = frameHdrLen + sllLen
	maxFramesInBlock = 1 << 20
)

var le = binary.LittleEndian

// Packet is one captured frame as a Consumer sees it. Data points into the
// kernel's ring and is valid only until the Consumer's Packet method returns;
// the block holding it is given back to the kernel after all its frames were
// handed over. Copy what must outlive the call.
type Packet struct {
	// Data is the captured frame, starting at the link-layer header of
	// Link: Ethernet for Ethernet and loopback devices, a Linux cooked
	// (SLL) header written by this package for the "any" device and for
	// devices without Ethernet framing.
	Data []byte
	// Length is the frame's length on the wire; Length > len(Data) when
	// the snaplen (or the ring's block size) cut it.
	Length int
	// Timestamp is the kernel's receive time, in nanoseconds.
	Timestamp time.Time
	// Link is the link-layer type of Data.
	Link reassembly.LinkType
	// Ifindex is the index of the interface the frame was seen on.
	Ifindex int
	// PacketType is the sll_pkttype of the frame: 0 to us, 1 broadcast, 2
	// multicast, 3 to another host, 4 sent by us.
	PacketType uint8
	// VLAN is the 802.1Q tag control (priority and VLAN ID) when the device
	// stripped the tag in hardware, or 0. The tag is not in Data then.
	VLAN uint16
	// Worker is the index of the fan-out worker that captured the frame.
	Worker int
}

// blockIter walks the frames of one retired block. Any frame whose header,
// link-layer address or data would reach outside the block ends the walk
// with bad set: a kernel never writes such a block, so it is counted, not
// trusted.
type blockIter struct {
	b      []byte
	off    int
	left   int
	cooked bool
	bad    bool
}

// reset starts a walk over block b and reports whether it holds frames.
func (it *blockIter) reset(b []byte, cooked bool) bool {
	*it = blockIter{b: b, cooked: cooked}
	if len(b) < blockDescLen {
		it.bad = true
		return false
	}
	n := int(le.Uint32(b[blkNumPktsOff:]))
	first := int(le.Uint32(b[blkFirstPktOff:]))
	if n == 0 {
		return false
	}
	// Each frame takes at least minFrameStride bytes, so a count the block
	// cannot hold is corrupt before any frame is read.
	if n > maxFramesInBlock || n > len(b)/minFrameStride || first < blockDescLen || first > len(b) {
		it.bad = true
		return false
	}
	it.off, it.left = first, n
	return true
}

// next fills p (Data, Length, Timestamp, Ifindex, PacketType, VLAN and, for
// cooked frames, Link-independent SLL header) with the next frame.
func (it *blockIter) next(p *Packet) bool {
	if it.left == 0 || it.bad {
		return false
	}
	b, off := it.b, it.off
	if off < 0 || off > len(b)-minFrameStride {
		it.bad = true
		return false
	}
	h := b[off:]
	next := int(le.Uint32(h[0:]))
	sec, nsec := le.Uint32(h[4:]), le.Uint32(h[8:])
	snap, wire := int(le.Uint32(h[12:])), int(le.Uint32(h[16:]))
	status := le.Uint32(h[20:])
	mac, net := int(le.Uint16(h[24:])), int(le.Uint16(h[26:]))
	sll := h[frameHdrLen:]
	proto := binary.BigEndian.Uint16(sll[2:])
	p.Ifindex = int(int32(le.Uint32(sll[4:])))
	hatype := le.Uint16(sll[8:])
	p.PacketType = sll[10]
	p.VLAN = 0
	if status&statusVLANValid != 0 {
		p.VLAN = uint16(le.Uint32(h[32:]))
	}
	// The captured bytes start at tp_mac on a SOCK_RAW socket and at
	// tp_net on a SOCK_DGRAM (cooked) one: tp_snaplen counts from there.
	start, data := mac, mac
	if it.cooked {
		start, data = net-cookedHdrLen, net
	}
	if start < minFrameStride || snap < 0 || net < mac || data > len(h) || snap > len(h)-data || wire < snap {
		it.bad = true
		return false
	}
	if it.cooked {
		// Build the 16-byte Linux cooked header in the room the kernel
		// leaves in front of a SOCK_DGRAM frame, as libpcap does:
		// packet type, ARPHRD type, address length, address, protocol.
		c := h[start:net]
		binary.BigEndian.PutUint16(c[0:], uint16(p.PacketType))
		binary.BigEndian.PutUint16(c[2:], hatype)
		alen := int(sll[11])
		if alen > 8 {
			alen = 8
		}
		binary.BigEndian.PutUint16(c[4:], uint16(alen))
		copy(c[6:14], sll[12:20])
		clear(c[6+alen : 14])
		binary.BigEndian.PutUint16(c[14:], proto)
		p.Data = h[start : net+snap : net+snap]
		p.Length = wire + cookedHdrLen
	} else {
		p.Data = h[mac : mac+snap : mac+snap]
		p.Length = wire
	}
	p.Timestamp = time.Unix(int64(sec), int64(nsec))
	it.left--
	if it.left > 0 {
		if next < minFrameStride || next > len(b)-off {
			it.bad = true
		}
		it.off = off + next
	}
	return true
}

// describeBadBlock says where the walk of block b stopped (for
// Stats.LastBadBlock): the descriptor's frame count, first offset and
// length, and the frame header at the walk's offset with the frames left.
// Bad blocks are rare, so it may allocate.
func describeBadBlock(b []byte, it *blockIter) string {
	if len(b) < blockDescLen {
		return fmt.Sprintf("block of %d bytes, shorter than its descriptor", len(b))
	}
	d := fmt.Sprintf("block: %d frames, first at %d, length %d; walk at offset %d with %d frames left",
		le.Uint32(b[blkNumPktsOff:]), le.Uint32(b[blkFirstPktOff:]), le.Uint32(b[blkLenOff:]), it.off, it.left)
	if it.off < 0 || it.off > len(b)-minFrameStride {
		return d
	}
	h := b[it.off:]
	return d + fmt.Sprintf(": next %d, snaplen %d, len %d, status %#x, mac %d, net %d, sll family %d ifindex %d pkttype %d",
		le.Uint32(h[0:]), le.Uint32(h[12:]), le.Uint32(h[16:]), le.Uint32(h[20:]), le.Uint16(h[24:]), le.Uint16(h[26:]),
		le.Uint16(h[frameHdrLen:]), int32(le.Uint32(h[frameHdrLen+4:])), h[frameHdrLen+10])
}
