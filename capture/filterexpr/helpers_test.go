package filterexpr_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
	"github.com/wirekit/wirekit/pcaptest"
)

// needTcpdump returns the path of tcpdump, skipping the test outside CI
// when it is missing and failing it in CI (where .ci/run installs it).
func needTcpdump(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tcpdump not found in CI (.ci/run installs it): %v", err)
		}
		t.Skipf("tcpdump not installed (apt-get install tcpdump); the differential test needs it: %v", err)
	}
	return path
}

var ddLine = regexp.MustCompile(`^\{ 0x([0-9a-f]+), (\d+), (\d+), 0x([0-9a-f]+) \},?$`)

// tcpdumpProgram returns the program tcpdump (libpcap) compiles expr to
// for the data link type dlt ("EN10MB", "LINUX_SLL", "RAW").
func tcpdumpProgram(t testing.TB, tcpdump, expr, dlt string, optimize bool) ([]bpf.Instruction, error) {
	t.Helper()
	key := fmt.Sprintf("%s\x00%s\x00%v", expr, dlt, optimize)
	if prog, ok := tcpdumpCache[key]; ok {
		return prog, nil
	}
	prog, err := runTcpdumpDD(tcpdump, expr, dlt, optimize)
	if err == nil {
		tcpdumpCache[key] = prog
	}
	return prog, err
}

// tcpdumpCache keeps tcpdump's programs for the test binary's lifetime
// (tests using it do not run in parallel).
var tcpdumpCache = map[string][]bpf.Instruction{}

func runTcpdumpDD(tcpdump, expr, dlt string, optimize bool) ([]bpf.Instruction, error) {
	args := []string{"-dd", "-y", dlt}
	if !optimize {
		args = append(args, "-O")
	}
	cmd := exec.Command(tcpdump, append(args, expr)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tcpdump -dd -y %s %q: %v: %s", dlt, expr, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var raw []bpf.RawInstruction
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		m := ddLine.FindSubmatch(bytes.TrimSpace(line))
		if m == nil {
			return nil, fmt.Errorf("tcpdump -dd: unexpected line %q", line)
		}
		op, _ := strconv.ParseUint(string(m[1]), 16, 16)
		jt, _ := strconv.ParseUint(string(m[2]), 10, 8)
		jf, _ := strconv.ParseUint(string(m[3]), 10, 8)
		k, _ := strconv.ParseUint(string(m[4]), 16, 32)
		raw = append(raw, bpf.RawInstruction{Op: uint16(op), Jt: uint8(jt), Jf: uint8(jf), K: uint32(k)})
	}
	prog, ok := bpf.Disassemble(raw)
	if !ok {
		return nil, fmt.Errorf("tcpdump -dd %q: x/net/bpf cannot decode every instruction", expr)
	}
	return prog, nil
}

// withMeta replaces the loads of the kernel's packet metadata by the
// packet's values: x/net/bpf's VM implements only the length extension.
// proto is the cooked-socket protocol (ExtProto), pkttype skb->pkt_type
// (ExtType, what inbound/outbound test).
func withMeta(prog []bpf.Instruction, proto, pkttype uint16) []bpf.Instruction {
	out := make([]bpf.Instruction, len(prog))
	for i, in := range prog {
		if le, ok := in.(bpf.LoadExtension); ok {
			switch le.Num {
			case bpf.ExtProto:
				in = bpf.LoadConstant{Dst: bpf.RegA, Val: uint32(proto)}
			case bpf.ExtType:
				in = bpf.LoadConstant{Dst: bpf.RegA, Val: uint32(pkttype)}
			}
		}
		out[i] = in
	}
	return out
}

// runner runs one program on many packets, keeping one VM per metadata
// value (see withMeta).
type runner struct {
	t    testing.TB
	prog []bpf.Instruction
	vms  map[[2]uint16]*bpf.VM
}

func newRunner(t testing.TB, prog []bpf.Instruction) *runner {
	return &runner{t: t, prog: prog, vms: map[[2]uint16]*bpf.VM{}}
}

// run runs the program on pkt with the given metadata.
func (r *runner) run(pkt []byte, proto, pkttype uint16) bool {
	key := [2]uint16{proto, pkttype}
	vm := r.vms[key]
	if vm == nil {
		var err error
		if vm, err = bpf.NewVM(withMeta(r.prog, proto, pkttype)); err != nil {
			r.t.Fatalf("NewVM: %v", err)
		}
		r.vms[key] = vm
	}
	n, err := vm.Run(pkt)
	if err != nil {
		r.t.Fatalf("VM run: %v", err)
	}
	return n != 0
}

// packet is one test frame: its Ethernet bytes and what it is.
type packet struct {
	desc      string
	eth       []byte
	truncated bool // cut inside its headers
}

// corpusPackets reads every frame of the module's real captures.
func corpusPackets(t testing.TB) []packet {
	t.Helper()
	var pkts []packet
	for _, name := range pcaptest.CorpusCaptures("") {
		f, err := os.Open(pcaptest.Corpus(name + ".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewReader(f)
		if err != nil {
			f.Close()
			t.Fatalf("%s: %v", name, err)
		}
		if r.LinkType() != layers.LinkTypeEthernet {
			f.Close()
			continue
		}
		for i := 0; ; i++ {
			data, _, err := r.ReadPacketData()
			if err != nil {
				break
			}
			pkts = append(pkts, packet{desc: fmt.Sprintf("%s#%d", name, i+1), eth: data})
		}
		f.Close()
	}
	if len(pkts) == 0 {
		t.Fatal("no corpus packets")
	}
	return pkts
}

var (
	macA = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	macB = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// syntheticPackets builds what the corpus lacks: UDP, ICMP, IPv6, ARP,
// VLAN tags (single and double), fragments, every TCP flag, IP options,
// link broadcast and multicast, SCTP, IGMP, and truncated frames.
func syntheticPackets(t testing.TB) []packet {
	t.Helper()
	var pkts []packet
	add := func(desc string, ls ...gopacket.SerializableLayer) {
		pkts = append(pkts, packet{desc: desc, eth: serialize(t, ls...)})
	}
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}
	}
	v4 := func(src, dst string, proto layers.IPProtocol, ttl uint8) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	}
	v6 := func(src, dst string, nh layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: nh, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	}
	payload := gopacket.Payload([]byte("wirekit"))
	hosts := [][2]string{{"10.0.0.1", "10.0.0.2"}, {"10.1.2.3", "192.168.1.1"}, {"172.16.0.5", "10.0.0.1"}, {"192.168.1.1", "8.8.8.8"}}
	ports := [][2]layers.TCPPort{{43210, 80}, {8080, 51000}, {6379, 40000}, {22, 60000}, {6005, 6010}, {443, 7000}, {53, 53}}
	for hi, h := range hosts {
		for pi, pp := range ports {
			ip := v4(h[0], h[1], layers.IPProtocolTCP, uint8(1+hi*40))
			tcp := &layers.TCP{SrcPort: pp[0], DstPort: pp[1], Seq: 1, Window: 1000}
			switch pi % 5 {
			case 0:
				tcp.SYN = true
			case 1:
				tcp.SYN, tcp.ACK = true, true
			case 2:
				tcp.PSH, tcp.ACK = true, true
			case 3:
				tcp.FIN, tcp.ACK = true, true
			case 4:
				tcp.RST = true
			}
			_ = tcp.SetNetworkLayerForChecksum(ip)
			add(fmt.Sprintf("tcp4 %s:%d>%s:%d", h[0], pp[0], h[1], pp[1]), eth(layers.EthernetTypeIPv4), ip, tcp, payload)
			uip := v4(h[1], h[0], layers.IPProtocolUDP, 64)
			udp := &layers.UDP{SrcPort: layers.UDPPort(pp[1]), DstPort: layers.UDPPort(pp[0])}
			_ = udp.SetNetworkLayerForChecksum(uip)
			add(fmt.Sprintf("udp4 %s:%d>%s:%d", h[1], pp[1], h[0], pp[0]), eth(layers.EthernetTypeIPv4), uip, udp, payload)
		}
	}
	// TCP with URG/ECE/CWR and with all flags.
	for i, f := range []func(*layers.TCP){
		func(c *layers.TCP) { c.URG = true },
		func(c *layers.TCP) { c.ECE, c.CWR = true, true },
		func(c *layers.TCP) {
			c.FIN, c.SYN, c.RST, c.PSH, c.ACK, c.URG, c.ECE, c.CWR = true, true, true, true, true, true, true, true
		},
	} {
		ip := v4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP, 64)
		tcp := &layers.TCP{SrcPort: 1000, DstPort: 80, Window: 1}
		f(tcp)
		_ = tcp.SetNetworkLayerForChecksum(ip)
		add(fmt.Sprintf("tcp4 flags %d", i), eth(layers.EthernetTypeIPv4), ip, tcp)
	}
	// IPv4 with options (IHL 6 and 8): the transport header moves.
	for _, n := range []int{1, 3} {
		ip := v4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP, 64)
		for j := 0; j < n; j++ {
			ip.Options = append(ip.Options, layers.IPv4Option{OptionType: 1}, layers.IPv4Option{OptionType: 1},
				layers.IPv4Option{OptionType: 1}, layers.IPv4Option{OptionType: 0})
		}
		tcp := &layers.TCP{SrcPort: 6379, DstPort: 50000, SYN: true}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		add(fmt.Sprintf("tcp4 ip options x%d", n), eth(layers.EthernetTypeIPv4), ip, tcp, payload)
	}
	// Fragments: first (MF, offset 0) and a later one (offset 185*8).
	for _, frag := range []uint16{0, 185} {
		ip := v4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP, 64)
		ip.Flags = layers.IPv4MoreFragments
		ip.FragOffset = frag
		tcp := &layers.TCP{SrcPort: 80, DstPort: 50000, ACK: true}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		add(fmt.Sprintf("tcp4 fragment offset %d", frag), eth(layers.EthernetTypeIPv4), ip, tcp, payload)
		uip := v4("10.0.0.2", "10.0.0.1", layers.IPProtocolUDP, 64)
		uip.Flags, uip.FragOffset = layers.IPv4MoreFragments, frag
		udp := &layers.UDP{SrcPort: 53, DstPort: 5353}
		_ = udp.SetNetworkLayerForChecksum(uip)
		add(fmt.Sprintf("udp4 fragment offset %d", frag), eth(layers.EthernetTypeIPv4), uip, udp, payload)
	}
	// ICMP echo, reply, unreachable.
	for _, ty := range []uint8{layers.ICMPv4TypeEchoRequest, layers.ICMPv4TypeEchoReply, layers.ICMPv4TypeDestinationUnreachable} {
		add(fmt.Sprintf("icmp4 type %d", ty), eth(layers.EthernetTypeIPv4), v4("10.0.0.1", "8.8.8.8", layers.IPProtocolICMPv4, 64),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(ty, 0), Id: 1, Seq: 1}, payload)
	}
	// IGMP and SCTP as raw payloads behind an IPv4 header.
	add("igmp4", eth(layers.EthernetTypeIPv4), v4("10.0.0.1", "224.0.0.1", layers.IPProtocolIGMP, 1), gopacket.Payload([]byte{0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0}))
	add("sctp4 port 80", eth(layers.EthernetTypeIPv4), v4("10.0.0.1", "10.0.0.2", layers.IPProtocolSCTP, 64), gopacket.Payload([]byte{0x1f, 0x90, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0}))
	// IPv6: TCP, UDP, ICMPv6, multicast, fragment header.
	v6hosts := [][2]string{{"2001:db8::1", "2001:db8::2"}, {"fe80::1", "ff02::1"}, {"::1", "::1"}, {"2001:db8:1::5", "fe80::abcd"}}
	for i, h := range v6hosts {
		pp := ports[i%len(ports)]
		ip := v6(h[0], h[1], layers.IPProtocolTCP)
		tcp := &layers.TCP{SrcPort: pp[0], DstPort: pp[1], SYN: i%2 == 0, ACK: i%2 == 1}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		add(fmt.Sprintf("tcp6 %s:%d>%s:%d", h[0], pp[0], h[1], pp[1]), eth(layers.EthernetTypeIPv6), ip, tcp, payload)
		uip := v6(h[1], h[0], layers.IPProtocolUDP)
		udp := &layers.UDP{SrcPort: layers.UDPPort(pp[1]), DstPort: layers.UDPPort(pp[0])}
		_ = udp.SetNetworkLayerForChecksum(uip)
		add(fmt.Sprintf("udp6 %s:%d>%s:%d", h[1], pp[1], h[0], pp[0]), eth(layers.EthernetTypeIPv6), uip, udp, payload)
		iip := v6(h[0], h[1], layers.IPProtocolICMPv6)
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
		_ = icmp.SetNetworkLayerForChecksum(iip)
		add(fmt.Sprintf("icmp6 %s>%s", h[0], h[1]), eth(layers.EthernetTypeIPv6), iip, icmp, payload)
	}
	{
		ip := v6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6Fragment)
		fr := gopacket.Payload([]byte{byte(layers.IPProtocolTCP), 0, 0, 1, 0, 0, 0, 7})
		tcpHdr := []byte{0x00, 0x50, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0x00, 0, 0, 0, 0}
		add("tcp6 behind fragment header", eth(layers.EthernetTypeIPv6), ip, fr, gopacket.Payload(tcpHdr))
	}
	// ARP request and reply, and RARP.
	for i, op := range []uint16{layers.ARPRequest, layers.ARPReply} {
		add(fmt.Sprintf("arp op %d", op), &layers.Ethernet{SrcMAC: macA, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: op, SourceHwAddress: macA, SourceProtAddress: net.ParseIP(hosts[i][0]).To4(),
				DstHwAddress: make([]byte, 6), DstProtAddress: net.ParseIP(hosts[i][1]).To4()})
	}
	{
		b := serialize(t, &layers.Ethernet{SrcMAC: macB, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: 3, SourceHwAddress: macB, SourceProtAddress: net.ParseIP("10.0.0.1").To4(),
				DstHwAddress: macB, DstProtAddress: net.ParseIP("0.0.0.0").To4()})
		b[12], b[13] = 0x80, 0x35
		pkts = append(pkts, packet{desc: "rarp", eth: b})
	}
	// VLAN: one 802.1Q tag (ids 10 and 100), 802.1ad + 802.1Q, over IPv4 TCP and IPv6 UDP.
	for _, vid := range []uint16{10, 100} {
		ip := v4("10.0.0.1", "10.0.0.2", layers.IPProtocolTCP, 64)
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 6379, PSH: true, ACK: true}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		add(fmt.Sprintf("vlan %d tcp4", vid), eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeIPv4}, ip, tcp, payload)
		uip := v6("2001:db8::1", "2001:db8::2", layers.IPProtocolUDP)
		udp := &layers.UDP{SrcPort: 53, DstPort: 5353}
		_ = udp.SetNetworkLayerForChecksum(uip)
		add(fmt.Sprintf("vlan %d udp6", vid), eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeIPv6}, uip, udp, payload)
	}
	{
		ip := v4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP, 64)
		udp := &layers.UDP{SrcPort: 5000, DstPort: 53}
		_ = udp.SetNetworkLayerForChecksum(ip)
		add("qinq 200/5 udp4", eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}, ip, udp, payload)
	}
	// Link broadcast and multicast destinations.
	{
		ip := v4("10.0.0.1", "255.255.255.255", layers.IPProtocolUDP, 64)
		udp := &layers.UDP{SrcPort: 68, DstPort: 67}
		_ = udp.SetNetworkLayerForChecksum(ip)
		add("broadcast udp4", &layers.Ethernet{SrcMAC: macA, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeIPv4}, ip, udp, payload)
		mip := v4("10.0.0.1", "239.1.2.3", layers.IPProtocolUDP, 1)
		mudp := &layers.UDP{SrcPort: 5000, DstPort: 5001}
		_ = mudp.SetNetworkLayerForChecksum(mip)
		add("multicast udp4", &layers.Ethernet{SrcMAC: macA, DstMAC: net.HardwareAddr{0x01, 0, 0x5e, 1, 2, 3}, EthernetType: layers.EthernetTypeIPv4}, mip, mudp, payload)
	}
	// Truncated copies: every load past the end of the data must reject
	// the packet the same way in both programs.
	n := len(pkts)
	for i := 0; i < n; i += 3 {
		for _, cut := range []int{13, 20, 30, 36, 40, 54} {
			if cut < len(pkts[i].eth) {
				pkts = append(pkts, packet{desc: fmt.Sprintf("%s cut at %d", pkts[i].desc, cut), eth: pkts[i].eth[:cut], truncated: true})
			}
		}
	}
	return pkts
}

// sllFrame turns an Ethernet frame into a Linux cooked (SLL) one, for
// tcpdump -y LINUX_SLL, with packet type pkttype, and returns its protocol
// (the ethertype).
func sllFrame(eth []byte, pkttype uint16) (sll []byte, proto uint16, ok bool) {
	if len(eth) < 14 {
		return nil, 0, false
	}
	proto = uint16(eth[12])<<8 | uint16(eth[13])
	sll = make([]byte, 16+len(eth)-14)
	sll[0], sll[1] = byte(pkttype>>8), byte(pkttype) // PACKET_HOST (0), PACKET_OUTGOING (4), ...
	sll[3] = 1                                       // ARPHRD_ETHER
	sll[5] = 6
	copy(sll[6:12], eth[6:12])
	sll[14], sll[15] = eth[12], eth[13]
	copy(sll[16:], eth[14:])
	return sll, proto, true
}

// compile compiles expr or fails the test.
func compile(t testing.TB, expr string, link filterexpr.Link) []bpf.Instruction {
	t.Helper()
	prog, err := filterexpr.Compile(expr, link, 262144)
	if err != nil {
		t.Fatalf("Compile(%q, %v): %v", expr, link, err)
	}
	if _, err := bpf.Assemble(prog); err != nil {
		t.Fatalf("Compile(%q, %v): program does not assemble: %v", expr, link, err)
	}
	return prog
}

func captureInfo(n int) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: n, Length: n}
}

// readFrames returns every frame of a pcap file.
func readFrames(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			return frames
		}
		frames = append(frames, data)
	}
}

func lookTcpdump() (string, error) { return exec.LookPath("tcpdump") }

// accepts runs prog on pkt in x/net/bpf's VM.
func accepts(t testing.TB, prog []bpf.Instruction, pkt []byte) bool {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("VM run: %v", err)
	}
	return n != 0
}
