package main

import (
	"io"
	"net/netip"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/reassembly"
)

// builtinProtocols returns the protocols the decoder detects, in detection
// order: the shared list of package protocols.
func builtinProtocols() []*parser.Protocol { return protocols.All() }

// Record is one exchange with the connection it belongs to.
type Record struct {
	Client, Server netip.AddrPort
	StreamID       uint64
	*parser.Exchange
}

// StreamInfo describes a connection the decoder saw, for the summary.
type StreamInfo struct {
	ID             uint64
	Client, Server netip.AddrPort
	SideRule       reassembly.SideRule
	Protocol       string // "" when undetected
	Bytes          [2]uint64
	Skipped        [2]uint64 // not parsed (undetected, or after a framing error)
	GapBytes       [2]uint64
	Conn           parser.ConnStats
	Err            error // why parsing stopped, if it did
	Closed         reassembly.CloseReason
}

// Decoder turns capture files into exchanges: it reassembles TCP, detects
// each connection's protocol, frames, parses and pairs.
type Decoder struct {
	det       *parser.Detector
	overrides map[uint16]*parser.Protocol
	emit      func(*Record)
	asm       *reassembly.Assembler
	streams   []*StreamInfo

	pcap reassembly.PcapStats // summed over the captures read
}

// NewDecoder returns a Decoder reporting every exchange to emit. overrides
// forces a protocol for connections to a server port.
func NewDecoder(protos []*parser.Protocol, overrides map[uint16]*parser.Protocol, emit func(*Record)) *Decoder {
	d := &Decoder{det: parser.NewDetector(protos...), overrides: overrides, emit: emit}
	var ports = map[uint16]bool{}
	for _, p := range protos {
		for _, port := range p.Ports {
			ports[port] = true
		}
	}
	for port := range overrides {
		ports[port] = true
	}
	d.asm = reassembly.NewAssembler(reassembly.FactoryFunc(d.newStream), reassembly.Options{
		// Connections picked up without their SYN: the known server ports
		// decide which side is the client.
		IsServer: func(ep netip.AddrPort) bool { return ports[ep.Port()] },
	})
	return d
}

type streamHandler struct {
	d    *Decoder
	info *StreamInfo
	sn   *parser.Sniffer
	last time.Time
}

func (d *Decoder) newStream(s *reassembly.Stream) reassembly.Handler {
	info := &StreamInfo{ID: s.ID(), Client: s.Client(), Server: s.Server(), SideRule: s.SideRule()}
	d.streams = append(d.streams, info)
	h := &streamHandler{d: d, info: info}
	h.sn = parser.NewSniffer(d.det, s.Server().Port(), parser.SnifferOptions{}, func(e *parser.Exchange) {
		d.emit(&Record{Client: info.Client, Server: info.Server, StreamID: info.ID, Exchange: e})
	})
	if p := d.overrides[s.Server().Port()]; p != nil {
		h.sn.Force(p)
	}
	return h
}

func (h *streamHandler) Data(_ *reassembly.Stream, dir reassembly.Dir, data []byte, ts time.Time) {
	h.info.Bytes[dir] += uint64(len(data))
	h.last = ts
	h.sn.Feed(parser.Direction(dir), data, ts)
}

func (h *streamHandler) Gap(_ *reassembly.Stream, dir reassembly.Dir, _ uint64, n int) {
	h.info.GapBytes[dir] += uint64(n)
	h.sn.Gap(parser.Direction(dir), n)
}

func (h *streamHandler) Close(_ *reassembly.Stream, reason reassembly.CloseReason) {
	h.sn.Close(h.last)
	h.info.Closed = reason
	h.info.Skipped = h.sn.Skipped()
	h.info.Err = h.sn.Err()
	if c := h.sn.Conn(); c != nil {
		h.info.Protocol = c.Protocol().Name
		h.info.Conn = c.Stats()
		for dir := range 2 {
			h.info.Skipped[dir] += h.info.Conn.SkippedBytes[dir]
			if err := h.info.Conn.StoppedByError[dir]; err != nil && h.info.Err == nil {
				h.info.Err = err
			}
		}
	}
}

// Read decodes one pcap or pcapng capture (gzip-compressed or not). Several
// can be read in a row; call Finish after the last.
func (d *Decoder) Read(r io.Reader) error {
	st, err := reassembly.ReadPcap(r, d.asm)
	d.pcap.Packets += st.Packets
	d.pcap.TCP += st.TCP
	d.pcap.NotTCP += st.NotTCP
	d.pcap.Fragments += st.Fragments
	d.pcap.Malformed += st.Malformed
	return err
}

// Finish closes every connection still open, so their exchanges and
// pending requests are reported.
func (d *Decoder) Finish() { d.asm.FlushAll() }

// Streams returns the connections seen, in order of opening.
func (d *Decoder) Streams() []*StreamInfo { return d.streams }

// AssemblerStats returns the reassembler's counters.
func (d *Decoder) AssemblerStats() reassembly.Stats { return d.asm.Stats() }
