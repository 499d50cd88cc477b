package reassembly

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// LinkType is a pcap link-layer header type (the LINKTYPE_ values of
// tcpdump.org) understood by [DecodePacket].
type LinkType uint32

// Link types understood by DecodePacket.
const (
	LinkNull      LinkType = 0   // BSD loopback, 4-byte host-order family
	LinkEthernet  LinkType = 1   // Ethernet II, with any 802.1Q/802.1ad tags
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6
	LinkLoop      LinkType = 108 // OpenBSD loopback, 4-byte network-order family
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2
)

// Errors returned by DecodePacket. A caller skips the packet and counts it.
var (
	// ErrShort: the frame ends inside a link, IP or TCP header.
	ErrShort = errors.New("reassembly: packet too short")
	// ErrMalformed: a header field is impossible (bad version, header length).
	ErrMalformed = errors.New("reassembly: malformed header")
	// ErrNotTCP: not IPv4/IPv6, or not TCP.
	ErrNotTCP = errors.New("reassembly: not a TCP/IP packet")
	// ErrFragment: an IP fragment; fragments are not reassembled.
	ErrFragment = errors.New("reassembly: IP fragment")
	// ErrLinkType: the link type is not one of the Link* constants.
	ErrLinkType = errors.New("reassembly: unsupported link type")
)

const (
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd
	maxVLANTags   = 8
)

// DecodePacket decodes one captured frame of link type lt into seg: the
// addresses, ports, sequence numbers, flags, window and payload of a TCP
// segment over IPv4 or IPv6. seg.Payload aliases data. seg.Truncated is set
// from the IP length when the capture kept fewer bytes than the packet had.
// seg.Timestamp is left to the caller. It handles Ethernet (with 802.1Q and
// 802.1ad VLAN tags), Linux cooked capture v1 and v2, BSD null and OpenBSD
// loop loopback, and raw IP; IPv6 extension headers are walked. It does not
// allocate, and is cross-checked against gopacket's layers in the tests.
func DecodePacket(lt LinkType, data []byte, seg *Segment) error {
	var et uint16
	switch lt {
	case LinkEthernet:
		if len(data) < 14 {
			return ErrShort
		}
		et = binary.BigEndian.Uint16(data[12:])
		data = data[14:]
		for i := 0; i < maxVLANTags && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++ {
			if len(data) < 4 {
				return ErrShort
			}
			et = binary.BigEndian.Uint16(data[2:])
			data = data[4:]
		}
	case LinkLinuxSLL:
		if len(data) < 16 {
			return ErrShort
		}
		et = binary.BigEndian.Uint16(data[14:])
		data = data[16:]
	case LinkLinuxSLL2:
		if len(data) < 20 {
			return ErrShort
		}
		et = binary.BigEndian.Uint16(data[0:])
		data = data[20:]
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return ErrShort
		}
		fam := binary.BigEndian.Uint32(data)
		if lt == LinkNull {
			fam = binary.LittleEndian.Uint32(data)
			if fam > 0xffff { // written by a big-endian host
				fam = binary.BigEndian.Uint32(data)
			}
		}
		data = data[4:]
		switch fam {
		case 2:
			et = etherTypeIPv4
		case 10, 24, 28, 30:
			et = etherTypeIPv6
		default:
			return ErrNotTCP
		}
	case LinkRaw, LinkIPv4, LinkIPv6, 12, 14:
		if len(data) < 1 {
			return ErrShort
		}
		switch data[0] >> 4 {
		case 4:
			et = etherTypeIPv4
		case 6:
			et = etherTypeIPv6
		default:
			return ErrMalformed
		}
	default:
		return ErrLinkType
	}
	switch et {
	case etherTypeIPv4:
		return decodeIPv4(data, seg)
	case etherTypeIPv6:
		return decodeIPv6(data, seg)
	}
	return ErrNotTCP
}

func decodeIPv4(b []byte, seg *Segment) error {
	if len(b) < 20 {
		return ErrShort
	}
	if b[0]>>4 != 4 {
		return ErrMalformed
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return ErrMalformed
	}
	if len(b) < ihl {
		return ErrShort
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		total = len(b) // segmentation offload: the length was never filled in
	}
	if total < ihl {
		return ErrMalformed
	}
	if frag := binary.BigEndian.Uint16(b[6:]); frag&0x3fff != 0 {
		return ErrFragment
	}
	if b[9] != 6 {
		return ErrNotTCP
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	missing := 0
	if total > len(b) {
		missing = total - len(b)
	} else {
		b = b[:total] // drop link-layer padding
	}
	return decodeTCP(b[ihl:], missing, src, dst, seg)
}

func decodeIPv6(b []byte, seg *Segment) error {
	if len(b) < 40 {
		return ErrShort
	}
	if b[0]>>4 != 6 {
		return ErrMalformed
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	next := b[6]
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	b = b[40:]
	missing := 0
	if plen == 0 {
		plen = len(b) // jumbogram or offload: trust the capture
	}
	if plen > len(b) {
		missing = plen - len(b)
	} else {
		b = b[:plen]
	}
	// Each extension header is at least 8 bytes, so the walk ends.
	for {
		switch next {
		case 6:
			return decodeTCP(b, missing, src, dst, seg)
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < 8 {
				return ErrShort
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return ErrShort
			}
			next, b = b[0], b[n:]
		case 51: // authentication header
			if len(b) < 8 {
				return ErrShort
			}
			n := (int(b[1]) + 2) * 4
			if len(b) < n {
				return ErrShort
			}
			next, b = b[0], b[n:]
		case 44:
			if len(b) < 8 {
				return ErrShort
			}
			if binary.BigEndian.Uint16(b[2:])&0xfff9 != 0 { // offset or M flag: a real fragment
				return ErrFragment
			}
			next, b = b[0], b[8:] // atomic fragment: the whole packet
		default:
			return ErrNotTCP
		}
	}
}

func decodeTCP(b []byte, missing int, src, dst netip.Addr, seg *Segment) error {
	if len(b) < 20 {
		return ErrShort
	}
	off := int(b[12]>>4) * 4
	if off < 20 {
		return ErrMalformed
	}
	if len(b) < off {
		return ErrShort
	}
	seg.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(b[0:]))
	seg.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:]))
	seg.Seq = binary.BigEndian.Uint32(b[4:])
	seg.Ack = binary.BigEndian.Uint32(b[8:])
	seg.Flags = Flags(b[13])
	seg.Window = binary.BigEndian.Uint16(b[14:])
	seg.Payload = b[off:]
	seg.Truncated = missing
	return nil
}
