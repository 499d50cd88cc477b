package pcaptest_test

import (
	"bytes"
	"fmt"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// Reassemble a capture into per-connection byte streams.
func ExampleReadFile() {
	streams, err := pcaptest.ReadFile(pcaptest.Corpus("http_gonet_pipelined.pcap"))
	if err != nil {
		panic(err)
	}
	for _, s := range streams {
		req, resp := s.Data[parser.Request], s.Data[parser.Response]
		firstLine := func(b []byte) string { return string(b[:bytes.IndexByte(b, '\r')]) }
		fmt.Printf("%v -> %v (%s): %d bytes up, %d down, lost %d/%d, closed by %s\n",
			s.Client, s.Server, s.SideRule, len(req), len(resp), s.Gaps[0], s.Gaps[1], s.Closed)
		fmt.Println(" ", firstLine(req))
		fmt.Println(" ", firstLine(resp))
		fmt.Println("  requests in one write:", bytes.Count(req, []byte("HTTP/1.1\r\n")))
	}
	// Output:
	// 127.0.0.1:54990 -> 127.0.0.1:18080 (syn): 169 bytes up, 70238 down, lost 0/0, closed by fin
	//   GET /hello?lang=pipelined HTTP/1.1
	//   HTTP/1.1 200 OK
	//   requests in one write: 2
}
