package filterexpr_test

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

// Compile a filter, check it assembles, and run it on two frames in the
// x/net/bpf VM: a TCP segment to port 6379 and one to port 80.
func Example() {
	prog, err := filterexpr.Compile("tcp port 6379", filterexpr.LinkEthernet, 65535)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := bpf.Assemble(prog); err != nil {
		fmt.Println(err)
		return
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		fmt.Println(err)
		return
	}
	frame := func(dport uint16) []byte {
		b := make([]byte, 54)
		b[12], b[13] = 0x08, 0x00 // IPv4
		b[14] = 0x45              // version 4, 20-byte header
		b[23] = 6                 // TCP
		b[34], b[35] = 0xc3, 0x50 // source port 50000
		b[36], b[37] = byte(dport>>8), byte(dport)
		b[46] = 0x50 // TCP header length 20
		return b
	}
	for _, port := range []uint16{6379, 80} {
		n, _ := vm.Run(frame(port))
		fmt.Printf("dst port %d: keep %d bytes\n", port, n)
	}

	// What cannot be compiled is an error, never a filter that passes everything.
	_, err = filterexpr.Compile("host example.com", filterexpr.LinkEthernet, 65535)
	fmt.Println(errors.Is(err, filterexpr.ErrUnsupported), err)
	_, err = filterexpr.Compile("port 80 and", filterexpr.LinkEthernet, 65535)
	fmt.Println(errors.Is(err, filterexpr.ErrSyntax))
	// Output:
	// dst port 6379: keep 65535 bytes
	// dst port 80: keep 0 bytes
	// true filterexpr: unsupported: name "example.com" is not resolved; use an address (at offset 5 of "host example.com")
	// true
}
