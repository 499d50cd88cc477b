// Command libcount is the library-only path of the whole-capture
// benchmark: it reads a capture with reassembly.ReadPcap, runs a
// parser.Sniffer (detection, framing, parsing, pairing) over every
// connection and only counts the exchanges, so that what pcapdecode adds
// on top (bookkeeping, histograms, formatting) can be measured against it.
//
//	go run ./cmd/libcount capture.pcap
//
// It prints the exchanges, the capture's size and the process's CPU time
// (getrusage) and peak RSS.
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/reassembly"
)

type handler struct {
	sn   *parser.Sniffer
	last time.Time
}

func (h *handler) Data(_ *reassembly.Stream, dir reassembly.Dir, data []byte, ts time.Time) {
	h.last = ts
	h.sn.Feed(parser.Direction(dir), data, ts)
}

func (h *handler) Gap(_ *reassembly.Stream, dir reassembly.Dir, _ uint64, n int) {
	h.sn.Gap(parser.Direction(dir), n)
}

func (h *handler) Close(*reassembly.Stream, reassembly.CloseReason) { h.sn.Close(h.last) }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: libcount CAPTURE")
		os.Exit(2)
	}
	det := parser.NewDetector(protocols.All()...)
	var exchanges, pushes uint64
	emit := func(e *parser.Exchange) {
		if e.Kind == parser.Push {
			pushes++
			return
		}
		exchanges++
	}
	ports := map[uint16]bool{}
	for _, p := range protocols.All() {
		for _, port := range p.Ports {
			ports[port] = true
		}
	}
	a := reassembly.NewAssembler(reassembly.FactoryFunc(func(s *reassembly.Stream) reassembly.Handler {
		return &handler{sn: parser.NewSniffer(det, s.Server().Port(), parser.SnifferOptions{}, emit)}
	}), reassembly.Options{})
	st, err := reassembly.ReadFile(os.Args[1], a)
	a.FlushAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "libcount:", err)
		os.Exit(1)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("%d packets, %d exchanges, %d pushes, cpu %v, maxrss %d KB\n", st.Packets, exchanges, pushes,
		cpu.Round(time.Millisecond), ru.Maxrss)
}
