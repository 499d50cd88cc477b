package reassembly_test

import (
	"fmt"
	"time"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/reassembly"
)

// streamPrinter prints what each connection carried when it closes.
type streamPrinter struct {
	bytes [2]int
	gaps  int
}

func (p *streamPrinter) Data(_ *reassembly.Stream, dir reassembly.Dir, data []byte, _ time.Time) {
	p.bytes[dir] += len(data) // data is only valid during the call
}

func (p *streamPrinter) Gap(*reassembly.Stream, reassembly.Dir, uint64, int) { p.gaps++ }

func (p *streamPrinter) Close(s *reassembly.Stream, reason reassembly.CloseReason) {
	fmt.Printf("%v -> %v (client by %v): %d bytes up, %d bytes down, %d gaps, closed by %v\n",
		s.Client(), s.Server(), s.SideRule(), p.bytes[reassembly.ClientToServer], p.bytes[reassembly.ServerToClient], p.gaps, reason)
}

// Reassemble a pcap file into per-connection byte streams.
func Example() {
	a := reassembly.NewAssembler(reassembly.FactoryFunc(func(*reassembly.Stream) reassembly.Handler {
		return &streamPrinter{}
	}), reassembly.Options{})
	ps, err := reassembly.ReadFile(pcaptest.Corpus("http_gonet_pipelined.pcap"), a)
	if err != nil {
		fmt.Println(err)
		return
	}
	a.FlushAll()
	st := a.Stats()
	fmt.Printf("%d packets, %d TCP; %d connections, %d bytes lost\n", ps.Packets, ps.TCP, st.ConnsOpened, st.BytesLost)
	// Output:
	// 127.0.0.1:54990 -> 127.0.0.1:18080 (client by syn): 169 bytes up, 70238 bytes down, 0 gaps, closed by fin
	// 16 packets, 16 TCP; 1 connections, 0 bytes lost
}

// From a pcap file to HTTP request/response exchanges.
func ExampleExchanges() {
	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Protocol: httpx.Protocol()},
		func(s *reassembly.Stream, e *parser.Exchange) {
			path, _ := e.Request.String("http.path")
			status, _ := e.Response.Int("http.status_code")
			fmt.Printf("%v %s -> %d, %d response bytes, latency measured: %v\n",
				s.Client(), path, status, e.ResponseSize, e.Latency() > 0)
		})
	a := reassembly.NewAssembler(x, reassembly.Options{})
	if _, err := reassembly.ReadFile(pcaptest.Corpus("http_gonet_pipelined.pcap"), a); err != nil {
		fmt.Println(err)
		return
	}
	a.FlushAll()
	// Output:
	// 127.0.0.1:54990 /hello?lang=pipelined -> 200, 118 response bytes, latency measured: true
	// 127.0.0.1:54990 /big?n=70000 -> 200, 70120 response bytes, latency measured: true
}
