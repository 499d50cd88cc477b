package filterexpr_test

import (
	"fmt"
	"testing"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

// diffExprs is the differential table: every expression is compiled by
// this package and by tcpdump (libpcap), and both programs must accept
// exactly the same packets. cooked/raw say whether the expression is also
// compared on Linux cooked (SLL) and raw IP framings (not for link-layer
// primitives, which do not exist there, nor for len, which counts the
// link header).
var diffExprs = []struct {
	expr       string
	cooked     bool
	raw        bool
	mustAccept bool // over the whole packet set, at least one match and one miss
}{
	{"tcp port 6379", true, true, true},
	{"host 10.0.0.1 and (port 80 or port 8080)", true, true, true},
	{"net 10.0.0.0/8", true, true, true},
	{"not port 22", true, true, true},
	{"udp", true, true, true},
	{"ip6", true, true, true},
	{"ip", true, true, true},
	{"arp", true, false, true},
	{"rarp", true, false, true},
	{"icmp", true, true, true},
	{"icmp6", true, true, true},
	{"src host 10.0.0.1", true, true, true},
	{"dst host 10.0.0.2", true, true, true},
	{"src port 6379", true, true, true},
	{"dst port 80", true, true, true},
	{"src net 192.168.0.0/16", true, true, true},
	{"dst net 10.0.0.0/24 or dst net 8.8.8.0/24", true, true, true},
	{"portrange 6000-6010", true, true, true},
	{"tcp dst portrange 7000-8080", true, true, true},
	{"udp src portrange 50-60", true, true, true},
	{"vlan", false, false, true},
	{"vlan 10", false, false, true},
	{"vlan and tcp port 6379", false, false, true},
	{"vlan 200 and vlan 5 and udp port 53", false, false, true},
	{"vlan 100 and ip6", false, false, true},
	{"tcp port 6379 or (vlan and tcp port 6379)", false, false, true},
	{"tcp[13] & 2 != 0", true, true, true},
	{"ip[8] < 64", true, true, true},
	{"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", true, true, true},
	{"tcp[tcpflags] == tcp-rst", true, true, true},
	{"tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0", true, true, true},
	{"greater 100", false, false, true},
	{"less 60", false, false, true},
	{"len <= 64", false, false, true},
	{"len - 14 > 60", false, false, true},
	{"ether host 02:00:00:00:00:01", false, false, true},
	{"ether src 02:00:00:00:00:02", false, false, true},
	{"ether dst ff:ff:ff:ff:ff:ff", false, false, true},
	{"ether broadcast", false, false, true},
	{"ether multicast", false, false, true},
	{"ip multicast", true, true, true},
	{"ip6 multicast", true, true, true},
	{"ip proto 6", true, true, true},
	{"ip6 proto 17", true, true, true},
	{"proto \\tcp", true, true, true},
	{"ip proto \\udp", true, true, true},
	{"ether proto \\ip6", true, true, true},
	{"ether proto 0x0806", true, false, true},
	{"host 2001:db8::1", true, true, true},
	{"ip6 src host ::1", true, true, true},
	{"net fe80::/10", true, true, true},
	{"ip6 dst net ff00::/8", true, true, true},
	{"port 80 or 443", true, true, true},
	{"tcp port 80 or 443 or 6379", true, true, true},
	{"host 10.0.0.1 or 192.168.1.1 and not 10.0.0.2", true, true, true},
	{"src port 80 or dst 10.0.0.2", true, true, true},
	{"src or dst port 53", true, true, true},
	{"src and dst host ::1", true, true, true},
	{"host 10.1", true, true, true},
	{"net 172.16", true, true, true},
	{"net 10.0.0.0 mask 255.0.0.0", true, true, true},
	{"arp host 10.0.0.1", true, false, true},
	{"! tcp && ! udp", true, true, true},
	{"not (tcp or udp) || icmp", true, true, true},
	{"less 100 or greater 200 and tcp", false, false, true},
	{"udp and port 53", true, true, true},
	{"ip[6:2] & 0x1fff != 0", true, true, true},
	{"ip[0] & 0xf != 5", true, true, true},
	{"ip[2:2] > 40", true, true, true},
	{"tcp[0:2] = 6379 or tcp[2:2] = 6379", true, true, true},
	{"udp[0:2] = 53", true, true, true},
	{"icmp[icmptype] = icmp-echo", true, true, true},
	{"icmp6[0] = 128", true, true, true},
	{"ip6[6] = 17", true, true, true},
	{"arp[7] = 2", true, false, true},
	{"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x77697265", true, true, true},
	{"ip[0] & 0xf0 >> 4 = 5", true, true, true},
	{"(tcp[13] & 2) != 0", true, true, true},
	{"ip[8] * 2 - 1 > 100", true, true, true},
	{"ip[8] / 2 = 32", true, true, true},
	{"ip[8] % 7 = 1", true, true, true},
	{"ip[8] ^ 0x40 = 0", true, true, true},
	{"tcp[13] | 0x10 = 0x12", true, true, true},
	{"ip[2:2] - ip[0] & 0xf * 4 = 32", true, true, false},
	{"ip[8] = ip[9] + 58", true, true, true},
	{"ip[ip[0] & 0xf] = 0", true, true, false},
	{"sctp", true, true, true},
	{"sctp port 80", true, true, true},
	{"igmp", true, true, true},
	{"ip and not tcp and not udp", true, true, true},
	{"ip6 and (tcp or udp) and port 80", true, true, true},
	{"ether[0] & 1 = 1", false, false, true},
	{"ether[12:2] = 0x8100", false, false, true},
	{"link[12:2] = 0x88a8", false, false, true},
	{"ip[0] + ip[1] + ip[8] > 100", true, true, true},
	{"ip[8] - (ip[9] - 6) = 64", true, true, true},
	{"tcp[13] & (tcp[12] >> 4) != 0", true, true, true},
	{"udp port 53 and not (src host 10.0.0.1 or dst host 10.0.0.1)", true, true, true},
	{"not (host 10.0.0.1 or host 10.0.0.2) and tcp", true, true, true},
	{"ether proto \\arp or ether proto \\rarp", true, false, true},
	{"tcp port (80 or 8080)", true, true, true},
	{"host (10.0.0.1 or 192.168.1.1) and tcp", true, true, true},
	{"ip and ip[6] & 0x20 != 0", true, true, true},
	{"tcp[tcpflags] & tcp-push != 0 and tcp[tcpflags] & tcp-ack != 0", true, true, true},
	{"ip[9] = 17 || ip6[6] = 17", true, true, true},
	{"icmp6 and ip6[40] = 128", true, true, true},
	{"udp[4:2] > 14", true, true, true},
	{"len >= 60 and len <= 100", false, false, true},
	{"arp and arp[6:2] = 1", true, false, true},
	{"src net 10 and dst net 10", true, true, true},
	{"dst host 10.0.0.2 or dst host 8.8.8.8 or dst host 255.255.255.255", true, true, true},
	{"tcp[tcpflags] & (tcp-ece|tcp-cwr|tcp-urg) != 0", true, true, true},
	{"(tcp or udp) and (port 53 or port 80) and not ip6", true, true, true},
	{"inbound", true, false, true},
	{"outbound and tcp port 6379", true, false, true},
	{"inbound and not (port 22 or arp)", true, false, true},
	{"", true, true, false},
}

func TestDifferentialTcpdump(t *testing.T) {
	tcpdump := needTcpdump(t)
	pkts := append(corpusPackets(t), syntheticPackets(t)...)
	for _, opt := range []bool{true, false} {
		t.Run(fmt.Sprintf("optimize=%v", opt), func(t *testing.T) {
			defer filterexpr.SetOptimize(filterexpr.SetOptimize(opt))
			differential(t, tcpdump, pkts)
		})
	}
}

func differential(t *testing.T, tcpdump string, pkts []packet) {
	mineLen, refLen := 0, 0
	compared, agreed, optimizerDiffers := 0, 0, 0
	for _, tc := range diffExprs {
		links := []struct {
			link filterexpr.Link
			dlt  string
			on   bool
		}{
			{filterexpr.LinkEthernet, "EN10MB", true},
			{filterexpr.LinkCooked, "LINUX_SLL", tc.cooked},
			{filterexpr.LinkRaw, "RAW", tc.raw},
		}
		for _, l := range links {
			if !l.on {
				continue
			}
			mine := compile(t, tc.expr, l.link)
			mineLen += len(mine)
			ref, err := tcpdumpProgram(t, tcpdump, tc.expr, l.dlt, true)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			// libpcap's optimizer may reorder loads, which changes the
			// outcome only for a packet that ends inside a header (a load
			// past the end rejects the packet). Such packets are compared
			// with libpcap's unoptimized program, whose loads come in the
			// expression's order, as this package's do.
			refLen += len(ref)
			refO, err := tcpdumpProgram(t, tcpdump, tc.expr, l.dlt, false)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			rm, rr, rro := newRunner(t, mine), newRunner(t, ref), newRunner(t, refO)
			yes, no, bad := 0, 0, 0
			for i, pk := range pkts {
				// Every other packet is an outgoing copy (skb->pkt_type
				// PACKET_OUTGOING, 4), for inbound/outbound.
				pkttype := uint16(4 * (i % 2))
				var m, r, ro bool
				switch l.link {
				case filterexpr.LinkEthernet:
					m, r, ro = rm.run(pk.eth, 0, pkttype), rr.run(pk.eth, 0, pkttype), rro.run(pk.eth, 0, pkttype)
				case filterexpr.LinkCooked:
					sll, proto, ok := sllFrame(pk.eth, pkttype)
					if !ok {
						continue
					}
					m, r, ro = rm.run(sll[16:], proto, pkttype), rr.run(sll, 0, 0), rro.run(sll, 0, 0)
				case filterexpr.LinkRaw:
					if len(pk.eth) < 14 || !(pk.eth[12] == 0x08 && pk.eth[13] == 0x00 || pk.eth[12] == 0x86 && pk.eth[13] == 0xdd) {
						continue
					}
					m, r, ro = rm.run(pk.eth[14:], 0, 0), rr.run(pk.eth[14:], 0, 0), rro.run(pk.eth[14:], 0, 0)
				}
				compared++
				if m != ro {
					t.Errorf("%q on %v: packet %s: wirekit accepts=%v, unoptimized libpcap accepts=%v", tc.expr, l.link, pk.desc, m, ro)
				}
				if pk.truncated {
					if m != r {
						optimizerDiffers++
					}
					r = ro
				}
				if m != r {
					bad++
					if bad <= 3 {
						t.Errorf("%q on %v: packet %s: wirekit accepts=%v, tcpdump accepts=%v\nwirekit: %v", tc.expr, l.link, pk.desc, m, r, mine)
					}
					continue
				}
				agreed++
				if m {
					yes++
				} else {
					no++
				}
			}
			if bad > 0 {
				t.Errorf("%q on %v: %d packets disagree", tc.expr, l.link, bad)
			}
			if tc.mustAccept && l.link == filterexpr.LinkEthernet && (yes == 0 || no == 0) {
				t.Errorf("%q: the packet set does not exercise it (%d accepted, %d rejected)", tc.expr, yes, no)
			}
		}
	}
	t.Logf("%d expressions, %d packets, %d packet decisions compared, %d agree; on truncated packets optimized libpcap decided differently %d times; %d instructions in all programs (libpcap's: %d)",
		len(diffExprs), len(pkts), compared, agreed, optimizerDiffers, mineLen, refLen)
}
