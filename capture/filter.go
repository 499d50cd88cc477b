package capture

import (
	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

// compileFilter compiles a pcap-filter expression for a socket delivering
// Ethernet frames, or network-layer frames when cooked.
func compileFilter(expr string, cooked bool, snaplen uint32) ([]bpf.Instruction, error) {
	link := filterexpr.LinkEthernet
	if cooked {
		link = filterexpr.LinkCooked
	}
	return filterexpr.Compile(expr, link, snaplen)
}
