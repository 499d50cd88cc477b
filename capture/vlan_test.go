//go:build linux

package capture

import (
	"context"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"
)

// TestNetnsVLAN: 802.1Q on a live socket. A tagged frame arriving on a
// device has its outer tag taken out of the frame by the kernel (into the
// ring's metadata) before any packet socket sees it, so a filter "vlan
// 100" must test that metadata, as libpcap does on Linux, not the frame's
// bytes. From one end of a veth pair, 20 UDP datagrams tagged VLAN 100
// and 10 untagged are written as raw frames; captured on the other end:
// "vlan 100 and udp dst port P" keeps the 20 (each reporting VLAN ID 100),
// "vlan 200 ..." none, "not vlan and ..." the 10, plain "udp dst port P"
// all 30 (the frame data of a tagged frame is untagged).
func TestNetnsVLAN(t *testing.T) {
	needRoot(t)
	nsA, nsB, devA, ipA, ipB := netnsPair(t)
	devB := devA[:len(devA)-1] + "b"

	const port, tagged, plain = 40100, 20, 10
	p := strconv.Itoa(port)
	type capt struct {
		filter       string
		want         int64
		frames, v100 atomic.Int64
		h            *Handle
	}
	cases := []*capt{
		{filter: "vlan 100 and udp dst port " + p, want: tagged},
		{filter: "vlan 200 and udp dst port " + p, want: 0},
		{filter: "not vlan and udp dst port " + p, want: plain},
		{filter: "udp dst port " + p, want: tagged + plain},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, len(cases))
	for _, c := range cases {
		c.h = openIn(t, nsA, Options{Interface: devA, Filter: c.filter, Workers: 1, BlockSize: testBlock, BlockCount: 8, FrameTimeout: testTimeout})
		defer c.h.Close()
		go func() {
			done <- c.h.Run(ctx, func(int) Consumer {
				return PacketFunc(func(pk *Packet) {
					c.frames.Add(1)
					if pk.VLAN&0xfff == 100 {
						c.v100.Add(1)
					}
				})
			})
		}()
	}
	sendRawUDP(t, nsB, devB, net.ParseIP(ipB), net.ParseIP(ipA), port, tagged, plain)
	deadline := time.Now().Add(5 * time.Second)
	for cases[3].frames.Load() < tagged+plain && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(3 * testTimeout) // anything more would have arrived by now
	cancel()
	for range cases {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cases {
		st := c.h.Stats()
		t.Logf("%-36q frames %d (VLAN 100 in metadata: %d), kernel drops %d", c.filter, c.frames.Load(), c.v100.Load(), st.KernelDrops)
		if c.frames.Load() != c.want {
			t.Errorf("%q kept %d frames, want %d", c.filter, c.frames.Load(), c.want)
		}
		wantTagged := min(c.want, tagged)
		if i == 2 {
			wantTagged = 0
		}
		if c.v100.Load() != wantTagged {
			t.Errorf("%q: %d frames carry VLAN 100 in the ring's metadata, want %d", c.filter, c.v100.Load(), wantTagged)
		}
	}
}

// sendRawUDP writes tagged frames with an 802.1Q tag of VLAN 100, then
// plain ones untagged, each an IPv4/UDP datagram from src to dst:port, as
// raw Ethernet frames on dev in namespace ns (an AF_PACKET socket there:
// no VLAN device is needed, the receiving kernel untags the frame itself).
func sendRawUDP(t *testing.T, ns, dev string, src, dst net.IP, port, tagged, plain int) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine, namespace and all
		target, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			errc <- err
			return
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		to := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
		for i := range tagged + plain {
			eth := &layers.Ethernet{SrcMAC: ifi.HardwareAddr, DstMAC: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, EthernetType: layers.EthernetTypeIPv4}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src.To4(), DstIP: dst.To4(), Id: uint16(i)}
			udp := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(port)}
			if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
				errc <- err
				return
			}
			ls := []gopacket.SerializableLayer{eth, ip, udp, gopacket.Payload("wirekit vlan test")}
			if i < tagged {
				eth.EthernetType = layers.EthernetTypeDot1Q
				ls = append([]gopacket.SerializableLayer{eth, &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}}, ls[1:]...)
			}
			buf := gopacket.NewSerializeBuffer()
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
				errc <- err
				return
			}
			if err := unix.Sendto(fd, buf.Bytes(), 0, to); err != nil {
				errc <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
