// Package filterexpr compiles pcap-filter expressions (the tcpdump filter
// language, pcap-filter(7)) into classic BPF programs
// (golang.org/x/net/bpf instructions) in pure Go, without libpcap or cgo.
// Package capture attaches the result to its AF_PACKET sockets, so the
// kernel drops what the user did not ask for before it is copied.
//
//	prog, err := filterexpr.Compile("tcp port 6379", filterexpr.LinkEthernet, 262144)
//	raw, err := bpf.Assemble(prog) // or filterexpr.Assemble(...) in one step
//
// A program returns snaplen for a matching packet and 0 otherwise. The
// programs are checked against libpcap itself: a differential test runs
// this package's program and tcpdump -dd's program for the same expression
// in x/net/bpf's VM over every frame of the module's capture corpus and a
// few hundred generated frames (UDP, ICMP, IPv6, ARP, VLAN tags,
// fragments, IP options, every TCP flag, truncated frames), on Ethernet,
// Linux cooked and raw IP framing, and requires the same decision for
// every packet.
//
// # Grammar
//
// The grammar and its quirks are libpcap's:
//
//	expr      = term { ("and" | "&&" | "or" | "||") (term | id) }   // and/or: equal precedence, left to right
//	term      = ("not" | "!") term | "(" expr ")" | primitive
//	primitive = [proto] [dir] [kind] id | proto | relation | other
//	proto     = ether | link | ip | ip6 | arp | rarp | tcp | udp | sctp | icmp | icmp6 | igmp
//	dir       = src | dst | src or dst | src and dst
//	kind      = host | net | port | portrange | proto
//	id        = ["not"] (number | a.b.c.d["/"len | " mask " a.b.c.d] | ipv6["/"len] | mac | \name | lo-hi
//	            | "(" id { (and|or) id } ")")
//	other     = [ether|ip|ip6] broadcast | multicast   // ip broadcast is rejected: it needs the netmask
//	          | less N | greater N | vlan [N] | inbound | outbound
//	relation  = arith (">" | ">=" | "=" | "==" | "!=" | "<" | "<=") arith
//	arith     = number | len | proto "[" arith [":" 1|2|4] "]" | arith op arith | "-" arith | "(" arith ")"
//	op        = + - * / % & | ^ << >>
//
// An id after and/or with no qualifiers of its own takes those of the id
// before it: "port 80 or 443", "host 10.0.0.1 and not 10.0.0.2",
// "tcp port (80 or 8080)". Named constants work where numbers do:
// tcpflags, tcp-fin, tcp-syn, tcp-rst, tcp-push, tcp-ack, tcp-urg,
// tcp-ece, tcp-cwr, icmptype, icmpcode, icmp-echo, icmp-echoreply, ...,
// icmp6type, icmp6-echo, .... In arithmetic, '&' binds tighter than '|',
// shifts tighter than '&', and '^' and '%' take everything to their right
// (libpcap declares no precedence for them).
//
// What the primitives mean follows libpcap 1.10 exactly:
//
//   - "host A" with an IPv4 address matches the IPv4 source or
//     destination or the ARP/RARP sender or target; with an IPv6 address,
//     the IPv6 source or destination. A short address is a prefix: "host
//     10.1" is 10.1.0.0/16, "net 10" is 10.0.0.0/8.
//   - "port N" and "portrange A-B" match TCP, UDP and SCTP (or the one
//     protocol named) over IPv4 (the header length from the IHL, only the
//     first fragment) and IPv6 (the transport header right after the fixed
//     40-byte header, no extension headers).
//   - "tcp", "udp", "sctp" and "ip6 proto N" also look behind one IPv6
//     fragment header; "icmp" and "igmp" are IPv4 only, "icmp6" IPv6 only.
//   - tcp[i], udp[i], icmp[i], igmp[i], sctp[i] address the transport
//     header of an IPv4 packet that is not a later fragment (libpcap has no
//     IPv6 form); icmp6[i] is the header after the fixed IPv6 header;
//     ip[i], ip6[i], arp[i] the network header; ether[i] the frame.
//   - "inbound" and "outbound" test the kernel's packet type
//     (skb->pkt_type, bpf.ExtType; outbound is PACKET_OUTGOING), as libpcap
//     does on Linux: they mean something on a live socket only. On lo every
//     packet is seen twice, going out and coming in; "inbound and ..."
//     keeps one copy. Rejected on LinkRaw.
//   - A load past the end of the packet rejects the packet, as in the
//     kernel, whatever the rest of the expression says. Loads run in the
//     order of the expression, as libpcap's unoptimized code does; its
//     optimizer can reorder them, so on a packet that ends inside its
//     headers the two can decide differently. Complete packets always agree.
//
// # VLAN
//
// On LinkEthernet, "vlan [N]" matches an in-band 802.1Q (0x8100), 802.1ad
// (0x88a8) or 0x9100 tag (and its ID) and, as in libpcap, moves every
// offset used by the rest of the expression 4 bytes on, so "vlan and tcp
// port 80" looks inside the tag and "tcp port 80 or vlan" does not. This
// is what pcap files hold and what tcpdump -dd -y EN10MB compiles.
//
// A live Linux packet socket sees something else: the kernel takes a
// received frame's outer tag out of the data into metadata before any
// packet socket or filter sees it, so an in-band outer "vlan" matches
// nothing there, and "tcp port 80" (with no "vlan") also matches tagged
// traffic. With Options.VLANMetadata (for a filter attached to a live
// Ethernet socket) the first "vlan [N]" tests that metadata
// (bpf.ExtVLANTagPresent, bpf.ExtVLANTag) and shifts nothing; a second
// one (an inner tag, which stays in the data) is in-band again. LinkCooked
// always works that way and rejects a second "vlan"; LinkRaw rejects
// "vlan". libpcap on a live socket accepts an outer tag either way,
// choosing offsets at run time; this package does not, so a frame whose
// outer tag is still in the data (sent by a driver without VLAN transmit
// offload) is not matched by "vlan" with VLANMetadata.
//
// # Rejected
//
// Everything this package cannot compile exactly is an error (an *Error
// wrapping ErrSyntax, ErrUnsupported or ErrTooLarge, with the byte
// offset), never a program that accepts more than asked: host, network,
// port and service names (no resolver), gateway, protochain, mpls, pppoe,
// geneve, vxlan, 802.11, LLC (ether proto below 1536), ip broadcast, and
// the protocols libpcap knows beyond the list above. On LinkCooked and
// LinkRaw, link-layer addresses, ether[...], broadcast and
// multicast are rejected (the link header is not in the data); "arp" on
// LinkRaw compiles to a test that never matches, as in libpcap.
//
// # Hand-written programs
//
// Validate checks any classic BPF program (a raw escape hatch as well as
// Compile's output) against the rules the Linux kernel applies on
// SO_ATTACH_FILTER, so a bad program fails before a socket is opened; a
// test attaches every compiled program and a set of broken ones to a real
// socket and requires the kernel to agree.
//
// # Limits
//
// The expression is at most MaxExprLen bytes and nests at most 200 deep;
// arithmetic uses at most the 16 scratch memory words; the program is at
// most MaxInstructions (4096, the kernel's limit) after optimization and
// 16384 before (checked while parsing, so a hostile 64 KiB expression
// fails in tens of milliseconds). Conditional jumps
// farther than 255 instructions go through an unconditional jump, so
// every program assembles.
//
// Compile optimizes a little: a test whose outcome is already known on
// every path to it becomes a jump, unreachable code goes, and a load goes
// when its value is unused or already in the register and the same load
// has already succeeded on every path (so a packet too short for a load
// is rejected exactly as before). Programs are still longer than libpcap's,
// whose optimizer also duplicates and moves code: over the 117 expressions of
// the differential test on three links, 5295 instructions against
// libpcap's 3834 (6205 unoptimized); "tcp port 6379" is 22 (libpcap 20), "host
// 10.0.0.1 and (port 80 or port 8080)" 68 (libpcap 21).
package filterexpr
