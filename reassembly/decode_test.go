package reassembly

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(corpus("*.pcap"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

type rawPacket struct {
	data []byte
	ci   gopacket.CaptureInfo
}

func readPackets(t testing.TB, path string) (LinkType, []rawPacket) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	var out []rawPacket
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, rawPacket{data, ci})
	}
	return LinkType(r.LinkType()), out
}

// serialize builds a frame from gopacket layers.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...))
	return append([]byte(nil), buf.Bytes()...)
}

// TestDecodePacketLinkTypes covers link types and headers the corpus does not
// have, against gopacket's decoding of the same frames.
func TestDecodePacketLinkTypes(t *testing.T) {
	mac1, mac2 := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	ip4 := func() *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IP{192, 168, 1, 1}, DstIP: net.IP{192, 168, 1, 2}}
	}
	ip6 := func(next layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, NextHeader: next, HopLimit: 64,
			SrcIP: net.ParseIP("fe80::1"), DstIP: net.ParseIP("2001:db8::2")}
	}
	tcp := func() *layers.TCP {
		return &layers.TCP{SrcPort: 5555, DstPort: 6379, Seq: 0xdeadbeef, Ack: 42, PSH: true, ACK: true, Window: 512, DataOffset: 5}
	}
	payload := gopacket.Payload("*1\r\n$4\r\nPING\r\n")
	family := func(v uint32, be bool) []byte {
		b := make([]byte, 4)
		if be {
			b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		} else {
			b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		return b
	}
	ip4frame := serialize(t, ip4(), tcp(), payload)
	ip6frame := serialize(t, ip6(layers.IPProtocolTCP), tcp(), payload)
	sll2 := func(proto uint16, ip []byte) []byte {
		h := make([]byte, 20)
		h[0], h[1] = byte(proto>>8), byte(proto)
		return append(h, ip...)
	}
	tests := []struct {
		name  string
		lt    LinkType
		frame []byte
		err   error
	}{
		{"ethernet ipv4", LinkEthernet, serialize(t, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeIPv4}, ip4(), tcp(), payload), nil},
		{"ethernet qinq ipv6", LinkEthernet, serialize(t,
			&layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 20, Type: layers.EthernetTypeIPv6},
			ip6(layers.IPProtocolTCP), tcp(), payload), nil},
		{"linux sll", LinkLinuxSLL, append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}, ip4frame...), nil},
		{"linux sll2 ipv4", LinkLinuxSLL2, sll2(0x0800, ip4frame), nil},
		{"linux sll2 ipv6", LinkLinuxSLL2, sll2(0x86dd, ip6frame), nil},
		{"null little-endian ipv4", LinkNull, append(family(2, false), ip4frame...), nil},
		{"null big-endian ipv6", LinkNull, append(family(30, true), ip6frame...), nil},
		{"loop ipv6", LinkLoop, append(family(24, true), ip6frame...), nil},
		{"raw ipv4", LinkRaw, ip4frame, nil},
		{"raw ipv6", LinkIPv6, ip6frame, nil},
		{"ethernet arp", LinkEthernet, serialize(t, &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				SourceHwAddress: mac1, SourceProtAddress: []byte{1, 2, 3, 4}, DstHwAddress: mac2, DstProtAddress: []byte{1, 2, 3, 5}}), ErrNotTCP},
		{"udp", LinkRaw, serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}}, &layers.UDP{SrcPort: 1, DstPort: 2}, payload), ErrNotTCP},
		{"ipv4 fragment", LinkRaw, serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
			Flags: layers.IPv4MoreFragments, SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}}, tcp(), payload), ErrFragment},
		{"short ethernet", LinkEthernet, []byte{1, 2, 3}, ErrShort},
		{"tcp header cut", LinkRaw, ip4frame[:30], ErrShort},
		{"unknown link type", LinkType(9999), ip4frame, ErrLinkType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seg Segment
			err := DecodePacket(tt.lt, tt.frame, &seg)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, uint32(0xdeadbeef), seg.Seq)
			assert.Equal(t, uint32(42), seg.Ack)
			assert.Equal(t, FlagPSH|FlagACK, seg.Flags)
			assert.Equal(t, uint16(512), seg.Window)
			assert.Equal(t, uint16(5555), seg.Src.Port())
			assert.Equal(t, uint16(6379), seg.Dst.Port())
			assert.Equal(t, []byte(payload), seg.Payload)
			assert.Zero(t, seg.Truncated)
		})
	}
}

func TestDecodePacketTruncatedAndPadded(t *testing.T) {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}}
	tcp := &layers.TCP{SrcPort: 1, DstPort: 2, Seq: 7, DataOffset: 5, ACK: true}
	frame := serialize(t, ip, tcp, gopacket.Payload(bytes.Repeat([]byte("a"), 100)))

	var seg Segment
	require.NoError(t, DecodePacket(LinkRaw, frame[:60], &seg)) // snaplen 60: 20 of 100 payload bytes kept
	assert.Len(t, seg.Payload, 20)
	assert.Equal(t, 80, seg.Truncated)

	padded := append(append([]byte(nil), frame...), 0, 0, 0, 0) // link-layer padding after the IP packet
	require.NoError(t, DecodePacket(LinkRaw, padded, &seg))
	assert.Len(t, seg.Payload, 100)
	assert.Zero(t, seg.Truncated)
}

func TestDecodeIPv6ExtensionHeaders(t *testing.T) {
	tcp := serialize(t, &layers.TCP{SrcPort: 9, DstPort: 10, Seq: 1, DataOffset: 5, ACK: true}, gopacket.Payload("xyz"))
	hdr := make([]byte, 40)
	hdr[0] = 0x60
	hdr[6] = 0 // hop-by-hop
	hdr[8], hdr[24] = 0xfe, 0xfe
	hbh := []byte{60, 0, 1, 4, 0, 0, 0, 0} // -> destination options
	dst := []byte{44, 0, 1, 4, 0, 0, 0, 0} // -> fragment
	frag := []byte{6, 0, 0, 0, 0, 0, 0, 1} // atomic fragment -> TCP
	body := append(append(append(append([]byte{}, hbh...), dst...), frag...), tcp...)
	hdr[4], hdr[5] = byte(len(body)>>8), byte(len(body))
	var seg Segment
	require.NoError(t, DecodePacket(LinkIPv6, append(hdr, body...), &seg))
	assert.Equal(t, "xyz", string(seg.Payload))
	assert.Equal(t, uint16(10), seg.Dst.Port())

	frag[3] = 1 // more fragments: a real fragment
	body = append(append(append(append([]byte{}, hbh...), dst...), frag...), tcp...)
	require.ErrorIs(t, DecodePacket(LinkIPv6, append(hdr, body...), &seg), ErrFragment)
}
