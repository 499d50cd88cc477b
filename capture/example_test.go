package capture_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/wirekit/wirekit/capture"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/reassembly"
)

// An agent: Redis and HTTP exchanges on lo until Ctrl-C, one worker per
// CPU, each with its own state, then the loss counters. (Needs root; not
// run as a test.)
func Example() {
	h, err := capture.Open(capture.Options{Interface: "lo", Filter: "tcp port 6379 or tcp port 8080"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	counts := make([]int, h.Workers()) // one slot per worker: no lock
	err = h.Exchanges(ctx, capture.ExchangeOptions{Protocols: protocols.All()}, func(w int) capture.ExchangeFunc {
		return func(s *reassembly.Stream, e *parser.Exchange) {
			counts[w]++
			fmt.Println(s.Client(), "->", s.Server(), e.Protocol, e.Kind, e.Latency())
		}
	})
	st := h.Stats()
	fmt.Println(err, counts, "kernel drops:", st.KernelDrops, "bytes lost:", st.Assembler.BytesLost)
}

// The raw frames of one worker, with a hand-written consumer.
func ExampleHandle_Run() {
	h, err := capture.Open(capture.Options{Interface: "any", Filter: "udp port 53", Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx, func(worker int) capture.Consumer {
		return capture.PacketFunc(func(p *capture.Packet) {
			fmt.Println(p.Timestamp, p.Length, len(p.Data), p.Link)
		})
	})
	// ... later:
	h.Close()
}
