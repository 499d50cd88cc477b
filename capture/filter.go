package capture

import (
	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

// compileFilter compiles a pcap-filter expression for a socket delivering
// Ethernet frames, or network-layer frames when cooked. The socket is live,
// so the kernel has taken the outer 802.1Q tag out of the frame into its
// metadata: "vlan" tests that metadata (filterexpr.Options.VLANMetadata),
// as libpcap does on a live Linux socket.
func compileFilter(expr string, cooked bool, snaplen uint32) ([]bpf.Instruction, error) {
	link := filterexpr.LinkEthernet
	if cooked {
		link = filterexpr.LinkCooked
	}
	return filterexpr.CompileWith(expr, filterexpr.Options{Link: link, Snaplen: snaplen, VLANMetadata: true})
}
