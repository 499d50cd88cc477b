package capture

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/reassembly"
)

// ExchangeOptions configures the [Handle.Exchanges] pipeline.
type ExchangeOptions struct {
	// Protocols are detected on each connection from its first bytes, in
	// this order. Default protocols.All().
	Protocols []*parser.Protocol
	// Ports forces a protocol for connections to a server port, skipping
	// detection.
	Ports map[uint16]*parser.Protocol
	// Assembler are each worker's reassembler limits. When IsServer is
	// nil, the protocols' and Ports' server ports name the server of a
	// connection picked up without its SYN.
	Assembler reassembly.Options
	// Conn are the limits of each connection's parser.
	Conn parser.ConnOptions
	// OnClose, when set, is called on the worker's goroutine after a
	// connection's parser was closed (see reassembly.ExchangeOptions).
	OnClose func(worker int, s *reassembly.Stream, reason reassembly.CloseReason, conn *parser.Conn)
}

// ExchangeFunc receives the exchanges of one worker, on that worker's
// goroutine: s gives the connection's endpoints (s.Client(), s.Server()),
// e the paired request and response. e is reused after the call; Clone it
// to keep it.
type ExchangeFunc func(s *reassembly.Stream, e *parser.Exchange)

// Exchanges runs the full live pipeline on the Handle until ctx is
// cancelled or Close is called: on each worker, frames are decoded in place
// with reassembly.DecodePacket, reassembled by the worker's own
// reassembly.Assembler (the kernel's fan-out hash keeps each connection on
// one worker), each connection's protocol detected and its exchanges
// reported to the ExchangeFunc that perWorker returned for that worker, so
// the callback needs no lock for per-worker state. Idle connections are
// closed by wall clock through Assembler.FlushOlderThan. When capture
// stops, every assembler is flushed (FlushAll), so requests still waiting
// for a response are reported, before Exchanges returns.
//
// Frames that are not TCP, IP fragments and undecodable frames are counted
// in Stats.NotTCP, Stats.Fragments and Stats.DecodeErrors; the assemblers'
// counters are summed in Stats.Assembler.
func (h *Handle) Exchanges(ctx context.Context, opts ExchangeOptions, perWorker func(worker int) ExchangeFunc) error {
	opts = opts.withDefaults()
	return h.Run(ctx, func(w int) Consumer { return h.newPipeline(w, opts, perWorker(w)) })
}

// withDefaults fills in the default protocols and the server-port rule.
func (opts ExchangeOptions) withDefaults() ExchangeOptions {
	if opts.Protocols == nil {
		opts.Protocols = protocols.All()
	}
	if opts.Assembler.IsServer == nil {
		ports := map[uint16]bool{}
		for _, p := range opts.Protocols {
			for _, port := range p.Ports {
				ports[port] = true
			}
		}
		for port := range opts.Ports {
			ports[port] = true
		}
		opts.Assembler.IsServer = func(ep netip.AddrPort) bool { return ports[ep.Port()] }
	}
	return opts
}

// newPipeline makes worker w's Consumer.
func (h *Handle) newPipeline(w int, opts ExchangeOptions, emit ExchangeFunc) *pipeline {
	idle := opts.Assembler.IdleTimeout
	if idle == 0 {
		idle = reassembly.DefaultIdleTimeout
	}
	xo := reassembly.ExchangeOptions{
		Detector: parser.NewDetector(opts.Protocols...), // a Detector is not safe for concurrent use
		Conn:     opts.Conn,
	}
	if len(opts.Ports) > 0 {
		ports := opts.Ports
		xo.Choose = func(s *reassembly.Stream) *parser.Protocol { return ports[s.Server().Port()] }
	}
	if opts.OnClose != nil {
		onClose := opts.OnClose
		xo.OnClose = func(s *reassembly.Stream, r reassembly.CloseReason, c *parser.Conn) { onClose(w, s, r, c) }
	}
	x := reassembly.NewExchanges(xo, func(s *reassembly.Stream, e *parser.Exchange) { emit(s, e) })
	return &pipeline{h: h, w: w, asm: reassembly.NewAssembler(x, opts.Assembler), idle: idle}
}

// pipeline is one worker's Consumer: decode, reassemble, parse.
type pipeline struct {
	h    *Handle
	w    int
	asm  *reassembly.Assembler
	seg  reassembly.Segment
	idle time.Duration

	decodeErrors, notTCP, fragments uint64
	sincePublish                    int
}

func (c *pipeline) Packet(p *Packet) {
	if err := reassembly.DecodePacket(p.Link, p.Data, &c.seg); err != nil {
		switch {
		case errors.Is(err, reassembly.ErrNotTCP):
			c.notTCP++
		case errors.Is(err, reassembly.ErrFragment):
			c.fragments++
		default:
			c.decodeErrors++
		}
		return
	}
	c.seg.Timestamp = p.Timestamp
	c.asm.Assemble(&c.seg)
	c.seg.Payload = nil
	if c.sincePublish++; c.sincePublish >= 4096 {
		c.publish()
	}
}

func (c *pipeline) Idle(now time.Time) {
	if c.idle > 0 {
		c.asm.FlushOlderThan(now.Add(-c.idle))
	}
	c.publish()
}

func (c *pipeline) Close() {
	c.asm.FlushAll()
	c.publish()
}

func (c *pipeline) publish() {
	c.sincePublish = 0
	as := c.asm.Stats()
	c.h.publish(c.w, func(st *Stats) {
		st.DecodeErrors, st.NotTCP, st.Fragments = c.decodeErrors, c.notTCP, c.fragments
		st.Assembler = as
	})
}
