package main

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// segment is one payload of a built connection: dir 0 from the client,
// 1 from the server.
type segment struct {
	dir  int
	data []byte
}

// conversation is one TCP connection to build into a capture.
type conversation struct {
	client, server netip.AddrPort
	segs           []segment
}

// buildPcap writes a pcap of the conversations, one after the other, each
// with its handshake, its segments (acknowledged) and a FIN exchange,
// packets 100 µs apart starting at start.
func buildPcap(t testing.TB, start time.Time, convs ...conversation) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := start
	for _, c := range convs {
		seq := [2]uint32{1000, 5000}
		ends := [2]netip.AddrPort{c.client, c.server}
		write := func(dir int, syn, fin bool, payload []byte) {
			src, dst := ends[dir], ends[1-dir]
			eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
				EthernetType: layers.EthernetTypeIPv4}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
				SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
			tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
				Seq: seq[dir], Ack: seq[1-dir], SYN: syn, FIN: fin, ACK: !(syn && dir == 0), PSH: len(payload) > 0, Window: 65535}
			if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
				t.Fatal(err)
			}
			sb := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
				eth, ip, tcp, gopacket.Payload(payload)); err != nil {
				t.Fatal(err)
			}
			data := sb.Bytes()
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}, data); err != nil {
				t.Fatal(err)
			}
			ts = ts.Add(100 * time.Microsecond)
			seq[dir] += uint32(len(payload))
			if syn || fin {
				seq[dir]++
			}
		}
		write(0, true, false, nil)
		write(1, true, false, nil)
		write(0, false, false, nil)
		for _, s := range c.segs {
			write(s.dir, false, false, s.data)
		}
		write(0, false, true, nil)
		write(1, false, true, nil)
		write(0, false, false, nil)
	}
	return buf.Bytes()
}
