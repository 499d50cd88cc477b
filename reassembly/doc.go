// Package reassembly turns captured TCP segments into the ordered byte
// streams of each connection, one per direction, for protocol parsers to
// read. Use it between a capture (a pcap/pcapng file or a live source) and
// the parsers of package parser and the protocol packages.
//
// The core ([Assembler], [Segment], [Handler]) takes plain values and has no
// packet-library dependency. Around it:
//
//   - [ReadPcap], [ReadPcapBytes] and [ReadFile] read pcap and pcapng files
//     (optionally gzip-compressed) in place, checking every length, and
//     decode Ethernet, 802.1Q/802.1ad, Linux SLL/SLL2, loopback and raw IP
//     frames with the allocation-free [DecodePacket]. Both are
//     cross-checked against gopacket's pcapgo and layers in the tests.
//   - [LayerDecoder] and [SegmentFromLayers] adapt gopacket's decoded layers
//     for callers that already use gopacket.
//   - [Exchanges] is a ready [Factory] that runs a parser protocol over both
//     directions of every stream and reports request/response exchanges.
//
// A consumer implements [Handler]: Data for the next in-order bytes of a
// direction, Gap for bytes that were lost (with their stream offset and
// length, so a parser can resynchronise), and Close. A [Factory] makes one
// Handler per connection and can look at the [Stream]'s endpoints and at the
// rule that decided which side is the client.
//
//	a := reassembly.NewAssembler(reassembly.FactoryFunc(func(s *reassembly.Stream) reassembly.Handler {
//		return &myHandler{}
//	}), reassembly.Options{})
//	if _, err := reassembly.ReadFile("capture.pcapng", a); err != nil { ... }
//	a.FlushAll()
//
// Guarantees, each covered by a test:
//   - Every byte is delivered at most once and in order; retransmitted and
//     overlapping bytes are trimmed, and the copy received first wins.
//   - Lost bytes are never skipped silently: each skipped range is one Gap
//     call and is counted in [Stats]; bytes cut by the snaplen are gaps too.
//   - Memory is bounded: out-of-order buffering per connection and in total,
//     tracked connections, and the cache of reusable buffers all have limits
//     in [Options].
//   - A connection picked up without its SYN delivers data as it arrives; the
//     last ACK after FIN/FIN and other data-less segments never open a stream;
//     an RST ends both directions.
//   - In-order segments are handed over without copying or allocating.
//
// The data slice passed to Handler.Data is valid only during the call.
//
// Known limits: IP fragments are not reassembled (ReadPcap counts them in
// PcapStats.Fragments). A direction picked up mid-stream starts at the first
// segment seen; a segment from before that point arriving later is counted
// as Retransmitted, since nothing tells it apart from a retransmission. RST
// segments are honoured without checking their sequence number against the
// receive window.
package reassembly
