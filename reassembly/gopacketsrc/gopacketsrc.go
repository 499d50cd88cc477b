package gopacketsrc

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/wirekit/wirekit/reassembly"
)

const (
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd
)

// SegmentFromLayers fills seg from layers decoded by gopacket: exactly one of
// ip4 and ip6 is non-nil. seg.Payload aliases tcp.Payload, and
// seg.Truncated is set when the IP length says the capture cut the packet.
func SegmentFromLayers(seg *reassembly.Segment, ip4 *layers.IPv4, ip6 *layers.IPv6, tcp *layers.TCP, ci gopacket.CaptureInfo) {
	var src, dst netip.Addr
	missing := 0
	if ip4 != nil {
		src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		if m := int(ip4.Length) - int(ip4.IHL)*4 - len(ip4.Payload); ip4.Length != 0 && m > 0 {
			missing = m
		}
	} else {
		src, _ = netip.AddrFromSlice(ip6.SrcIP.To16())
		dst, _ = netip.AddrFromSlice(ip6.DstIP.To16())
		if m := int(ip6.Length) - len(ip6.Payload); ip6.Length != 0 && m > 0 {
			missing = m
		}
	}
	seg.Src = netip.AddrPortFrom(src, uint16(tcp.SrcPort))
	seg.Dst = netip.AddrPortFrom(dst, uint16(tcp.DstPort))
	seg.Seq, seg.Ack = tcp.Seq, tcp.Ack
	var f reassembly.Flags
	for _, b := range [...]struct {
		on bool
		f  reassembly.Flags
	}{{tcp.FIN, reassembly.FlagFIN}, {tcp.SYN, reassembly.FlagSYN}, {tcp.RST, reassembly.FlagRST}, {tcp.PSH, reassembly.FlagPSH},
		{tcp.ACK, reassembly.FlagACK}, {tcp.URG, reassembly.FlagURG}, {tcp.ECE, reassembly.FlagECE}, {tcp.CWR, reassembly.FlagCWR}} {
		if b.on {
			f |= b.f
		}
	}
	seg.Flags = f
	seg.Window = tcp.Window
	seg.Payload = tcp.Payload
	seg.Truncated = missing
	seg.Timestamp = ci.Timestamp
}

// LayerDecoder decodes frames with gopacket's DecodingLayerParser and fills
// a reassembly.Segment. It is the slower, reference path for callers that already use
// gopacket (and what the tests check reassembly.DecodePacket against). It handles the
// same link types as reassembly.DecodePacket; gopacket v1.1.19 has no Linux SLL2
// layer, so that 20-byte header is stripped here before the IP layer.
type LayerDecoder struct {
	link    reassembly.LinkType
	parser  *gopacket.DecodingLayerParser // from the link layer
	ip4p    *gopacket.DecodingLayerParser // from IPv4 (SLL2, raw)
	ip6p    *gopacket.DecodingLayerParser // from IPv6 (SLL2, raw)
	eth     layers.Ethernet
	sll     layers.LinuxSLL
	lo      layers.Loopback
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	decoded []gopacket.LayerType
}

// NewLayerDecoder returns a LayerDecoder for frames of link type lt.
func NewLayerDecoder(lt reassembly.LinkType) *LayerDecoder {
	d := &LayerDecoder{link: lt, decoded: make([]gopacket.LayerType, 0, 8)}
	all := []gopacket.DecodingLayer{&d.eth, &d.sll, &d.lo, &d.dot1q, &d.ip4, &d.ip6, &d.tcp}
	first := gopacket.LayerType(0)
	switch lt {
	case reassembly.LinkEthernet:
		first = layers.LayerTypeEthernet
	case reassembly.LinkLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case reassembly.LinkNull, reassembly.LinkLoop:
		first = layers.LayerTypeLoopback
	}
	if first != 0 {
		d.parser = gopacket.NewDecodingLayerParser(first, all...)
		d.parser.IgnoreUnsupported = true
	}
	d.ip4p = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv4, all...)
	d.ip4p.IgnoreUnsupported = true
	d.ip6p = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv6, all...)
	d.ip6p.IgnoreUnsupported = true
	return d
}

// Decode decodes one frame into seg. It returns reassembly.ErrNotTCP when the frame is
// not TCP over IP, reassembly.ErrFragment for IP fragments, reassembly.ErrLinkType for an
// unsupported link type, and gopacket's error for a malformed frame.
func (d *LayerDecoder) Decode(data []byte, ci gopacket.CaptureInfo, seg *reassembly.Segment) error {
	p := d.parser
	switch d.link {
	case reassembly.LinkEthernet, reassembly.LinkLinuxSLL, reassembly.LinkNull, reassembly.LinkLoop:
	case reassembly.LinkLinuxSLL2:
		if len(data) < 20 {
			return reassembly.ErrShort
		}
		switch binary.BigEndian.Uint16(data) {
		case etherTypeIPv4:
			p = d.ip4p
		case etherTypeIPv6:
			p = d.ip6p
		default:
			return reassembly.ErrNotTCP
		}
		data = data[20:]
	case reassembly.LinkRaw, reassembly.LinkIPv4, reassembly.LinkIPv6, 12, 14:
		if len(data) < 1 {
			return reassembly.ErrShort
		}
		switch data[0] >> 4 {
		case 4:
			p = d.ip4p
		case 6:
			p = d.ip6p
		default:
			return reassembly.ErrMalformed
		}
	default:
		return reassembly.ErrLinkType
	}
	if err := p.DecodeLayers(data, &d.decoded); err != nil {
		return err
	}
	var ip4 *layers.IPv4
	var ip6 *layers.IPv6
	tcp := false
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			ip4 = &d.ip4
		case layers.LayerTypeIPv6:
			ip6 = &d.ip6
		case layers.LayerTypeTCP:
			tcp = true
		}
	}
	if ip4 != nil && (ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0) {
		return reassembly.ErrFragment
	}
	if !tcp || (ip4 == nil && ip6 == nil) {
		return reassembly.ErrNotTCP
	}
	SegmentFromLayers(seg, ip4, ip6, &d.tcp, ci)
	return nil
}
