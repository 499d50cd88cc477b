package main

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/reassembly"
)

// builtinProtocols returns the protocols the decoder detects, in detection
// order: the shared list of package protocols.
func builtinProtocols() []*parser.Protocol { return protocols.All() }

// decoderProtocols returns the built-in protocols, with HTTP capturing the
// header fields named (-header) and Dubbo2 decoding arguments and
// attachments (-dubbo-decode). Dubbo2's own masking of sensitive
// attachments is turned off then: -redact decides what is printed.
func decoderProtocols(headers []string, dubboDecode bool) ([]*parser.Protocol, error) {
	protos := builtinProtocols()
	for i, p := range protos {
		switch {
		case p.Name == httpx.Name && len(headers) > 0:
			hp, err := httpx.NewProtocol(httpx.Options{ExtraHeaders: headers})
			if err != nil {
				return nil, fmt.Errorf("-header: %w", err)
			}
			protos[i] = hp
		case p.Name == dubbo2.Name && dubboDecode:
			protos[i] = dubbo2.NewProtocol(dubbo2.Options{DecodeArguments: true, DecodeAttachments: true,
				SensitiveAttachments: []string{}})
		}
	}
	return protos, nil
}

// protocolNamed returns the protocol of protos named name, or nil.
func protocolNamed(protos []*parser.Protocol, name string) *parser.Protocol {
	for _, p := range protos {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Record is one exchange with the connection it belongs to. The Decoder
// passes the same Record (one per connection) to every call of its emit
// function, and the Exchange in it is reused too: both are valid only
// during the call. Clone the Exchange to keep it.
type Record struct {
	Client, Server netip.AddrPort
	StreamID       uint64
	Stream         *StreamInfo
	*parser.Exchange
}

// Time is the time a row is sorted by: the request's, or the response's
// when there is no request.
func (r *Record) Time() time.Time {
	if r.RequestTime.IsZero() {
		return r.ResponseTime
	}
	return r.RequestTime
}

// latency is r.Latency() for the capture times the decoder sets: they come
// from packet records (time.Unix, no monotonic reading), so the difference
// of their Unix seconds and nanoseconds is exact while both lie within
// 2^32 s of 1970, and is what time.Time.Sub computes, without its
// overflow check (6% of -summary's CPU in a profile).
func (r *Record) latency() time.Duration {
	if r.Kind != parser.Complete {
		return 0
	}
	rs, qs := r.ResponseTime.Unix(), r.RequestTime.Unix()
	if uint64(rs+1<<32) >= 1<<33 || uint64(qs+1<<32) >= 1<<33 {
		return r.ResponseTime.Sub(r.RequestTime)
	}
	return time.Duration((rs-qs)*1e9 + int64(r.ResponseTime.Nanosecond()-r.RequestTime.Nanosecond()))
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

	// The endpoints as text, formatted once per connection for the
	// output writers.
	ClientText, ServerText string

	rows      rowQueue // the connection's rows held back for time ordering
	json      []byte   // the start of its JSON rows (jsonHead)
	jsonProto string   // the protocol json was built for
	sum       *protoSummary
}

// Decoder turns captured packets into exchanges: it reassembles TCP, detects
// each connection's protocol, frames, parses and pairs, and reports every
// exchange to the emit function given to NewDecoder, on the goroutine that
// feeds it. Feed it whole captures with Read, or packets one at a time
// (live capture) with Packet or Assemble; call Finish at the end.
//
// It also tracks, for the output's time ordering, how far back in capture
// time an exchange still to come can start (Watermark).
type Decoder struct {
	det       *parser.Detector
	overrides map[uint16]*parser.Protocol
	emit      func(*Record)
	asm       *reassembly.Assembler
	streams   []*StreamInfo
	closed    int // streams closed so far (the summary keeps them all)

	// busy holds the open connections with requests waiting for their
	// responses; latest is the newest capture time seen.
	busy   map[*streamHandler]struct{}
	latest time.Time
	// Order turns on the tracking Watermark needs (the output's time
	// ordering); -summary leaves it off.
	Order bool
	seg   reassembly.Segment

	pcap reassembly.PcapStats // summed over the captures read and packets given
}

// NewDecoder returns a Decoder reporting every exchange to emit. overrides
// forces a protocol for connections to a server port.
func NewDecoder(protos []*parser.Protocol, overrides map[uint16]*parser.Protocol, emit func(*Record)) *Decoder {
	d := &Decoder{det: parser.NewDetector(protos...), overrides: overrides, emit: emit,
		busy: map[*streamHandler]struct{}{}}
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
	rec  Record
	last time.Time
	// idleAt is the capture time at which the connection last had no
	// request waiting: every exchange still to come from it started after.
	idleAt time.Time
}

func (d *Decoder) newStream(s *reassembly.Stream) reassembly.Handler {
	info := &StreamInfo{ID: s.ID(), Client: s.Client(), Server: s.Server(), SideRule: s.SideRule(),
		ClientText: s.Client().String(), ServerText: s.Server().String(), rows: rowQueue{slot: -1}}
	d.streams = append(d.streams, info)
	h := &streamHandler{d: d, info: info, idleAt: s.Start()}
	h.rec = Record{Client: info.Client, Server: info.Server, StreamID: info.ID, Stream: info}
	h.sn = parser.NewSniffer(d.det, s.Server().Port(), parser.SnifferOptions{}, h.exchange)
	if p := d.overrides[s.Server().Port()]; p != nil {
		h.sn.Force(p)
	}
	return h
}

func (h *streamHandler) exchange(e *parser.Exchange) {
	h.rec.Exchange = e
	h.d.emit(&h.rec)
}

func (h *streamHandler) Data(_ *reassembly.Stream, dir reassembly.Dir, data []byte, ts time.Time) {
	h.info.Bytes[dir] += uint64(len(data))
	h.last = ts
	if !h.d.Order {
		h.sn.Feed(parser.Direction(dir), data, ts)
		return
	}
	if ts.After(h.d.latest) {
		h.d.latest = ts
	}
	h.sn.Feed(parser.Direction(dir), data, ts)
	h.track(ts)
}

// track records whether requests are waiting after bytes at ts.
func (h *streamHandler) track(ts time.Time) {
	if c := h.sn.Conn(); c != nil && c.Pending() > 0 {
		if _, ok := h.d.busy[h]; !ok {
			h.d.busy[h] = struct{}{}
		}
		return
	}
	h.idleAt = ts
	if len(h.d.busy) > 0 {
		delete(h.d.busy, h)
	}
}

func (h *streamHandler) Gap(_ *reassembly.Stream, dir reassembly.Dir, _ uint64, n int) {
	h.info.GapBytes[dir] += uint64(n)
	h.sn.Gap(parser.Direction(dir), n)
	if h.d.Order {
		h.track(h.last)
	}
}

func (h *streamHandler) Close(_ *reassembly.Stream, reason reassembly.CloseReason) {
	h.sn.Close(h.last)
	delete(h.d.busy, h)
	h.d.closed++
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
	d.addPcap(st)
	return err
}

func (d *Decoder) addPcap(st reassembly.PcapStats) {
	d.pcap.Packets += st.Packets
	d.pcap.TCP += st.TCP
	d.pcap.NotTCP += st.NotTCP
	d.pcap.Fragments += st.Fragments
	d.pcap.Malformed += st.Malformed
}

// Packet decodes one captured frame of link type lt, captured at ts, and
// assembles it: the entry point for a live capture. Frames that are not
// TCP, or malformed, are counted in the capture statistics.
func (d *Decoder) Packet(lt reassembly.LinkType, frame []byte, ts time.Time) {
	d.pcap.Packets++
	if err := reassembly.DecodePacket(lt, frame, &d.seg); err != nil {
		d.pcap.NotTCP++ // DecodePacket does not tell not-TCP from malformed apart here
		return
	}
	d.pcap.TCP++
	d.seg.Timestamp = ts
	d.Assemble(&d.seg)
}

// Assemble gives one TCP segment to the reassembler (for sources that
// decode their own packets).
func (d *Decoder) Assemble(seg *reassembly.Segment) {
	if seg.Timestamp.After(d.latest) {
		d.latest = seg.Timestamp
	}
	d.asm.Assemble(seg)
}

// Finish closes every connection still open, so their exchanges and
// pending requests are reported.
func (d *Decoder) Finish() { d.asm.FlushAll() }

// Streams returns the connections seen, in order of opening.
func (d *Decoder) Streams() []*StreamInfo { return d.streams }

// AssemblerStats returns the reassembler's counters.
func (d *Decoder) AssemblerStats() reassembly.Stats { return d.asm.Stats() }

// PcapStats returns the capture counters summed over what was read.
func (d *Decoder) PcapStats() reassembly.PcapStats { return d.pcap }

// Watermark returns a capture time no exchange still to be reported starts
// before, as far as the decoder can tell: the newest capture time seen, or,
// when connections have requests waiting for their responses, the earliest
// time one of those connections last had none. An exchange can still start
// earlier (a request whose first bytes were buffered before its connection
// went idle); the output counts those as late.
func (d *Decoder) Watermark() time.Time {
	w := d.latest
	for h := range d.busy {
		if h.idleAt.Before(w) {
			w = h.idleAt
		}
	}
	return w
}

func (s *StreamInfo) String() string { return fmt.Sprintf("%s -> %s", s.ClientText, s.ServerText) }
