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
//     cross-checked against gopacket's pcapgo and layers in the tests
//     (DecodePacket in gopacketsrc's).
//   - Package gopacketsrc (reassembly/gopacketsrc) adapts gopacket's
//     decoded layers for callers that already use gopacket; this package
//     imports no packet library.
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
//
//  1. Every byte is delivered at most once and in order; retransmitted and
//     overlapping bytes are trimmed, and the copy received first wins.
//  2. Lost bytes are never skipped silently: each skipped range is one Gap
//     call and is counted in [Stats]; bytes cut by the snaplen are gaps too.
//  3. Every payload byte given to Assemble is accounted for: once FlushAll
//     has run, Stats.Bytes equals DeliveredBytes + DuplicateBytes +
//     BeforeStartBytes + OutOfWindowBytes + AfterFINBytes + IgnoredBytes,
//     and each direction's final offset is its delivered bytes plus its gap
//     bytes. This is checked on the corpus, on a synthetic 2,000-connection
//     capture without handshakes, and in the fuzz target.
//  4. One segment cannot desync a stream: a segment, FIN or RST starting
//     more than Options.MaxAhead (16 MiB) from the receive point is dropped
//     and counted (Stats.OutOfWindow), never a hole; a segment ahead but
//     inside that bound is not given up by the hole timeout while the
//     stream keeps moving towards it. A direction that receives only
//     out-of-window segments for the hole timeout restarts at one, with a
//     gap (Stats.Resyncs), so a capture that lost more than a window
//     recovers.
//  5. Bytes at or after a direction's FIN are not stream data: they are
//     dropped and counted (Stats.AfterFINBytes), also when they were
//     buffered before the FIN arrived.
//  6. Memory is bounded: out-of-order buffering per connection
//     (MaxBufferedPerConn, 4 MiB) and in total (MaxBufferedTotal, the
//     Assembler's budget, 32 MiB), tracked connections, and the cache of
//     reusable buffers all have limits in [Options]. Buffered bytes are
//     counted with the capacity of their buffers, so the heap they take
//     stays within the budget; past it holes are skipped (gaps, counted in
//     Stats.LimitSkips), never data dropped. Each tracked connection costs
//     about 1 KiB on top (its Stream, the table entry), which MaxConns
//     bounds.
//  7. A connection picked up without its SYN delivers data as it arrives,
//     except the first data segment of each direction, which waits for the
//     connection's next segment (pure ACKs of the other direction do not
//     count): if that is the bytes just before it (the two crossed), the
//     direction starts there and nothing is lost. Bytes from before a
//     mid-stream direction's start that arrive later are counted in
//     Stats.BeforeStartBytes. The last ACK after FIN/FIN and other
//     data-less segments never open a stream; an RST ends both directions.
//  8. In-order segments are handed over without copying or allocating.
//
// The data slice passed to Handler.Data is valid only during the call.
//
// Limits and what happens at each:
//
//   - MaxConns (262,144): the least recently active connection is closed
//     with CloseEvicted (Stats.ConnsEvicted).
//   - MaxBufferedPerConn, MaxBufferedTotal: the hole in front of the
//     buffered data is skipped as a gap (Stats.LimitSkips).
//   - HoleTimeout (5s capture time): the hole is skipped as a gap
//     (Stats.HoleTimeouts).
//   - MaxAhead (16 MiB): the segment is dropped (Stats.OutOfWindow,
//     OutOfWindowBytes), or the direction resyncs (Stats.Resyncs).
//   - IdleTimeout (2m): the connection is closed with CloseIdle.
//   - BufferCacheBytes (4 MiB): released buffers beyond it go to the
//     garbage collector.
//
// Known limits: IP fragments are not reassembled (ReadPcap counts them in
// PcapStats.Fragments). Bytes before a mid-stream direction's first
// delivered byte that arrive after other traffic of the connection cannot
// be delivered (they are counted, see 7). A segment ahead inside MaxAhead
// is kept until the stream reaches it or closes; if its bytes are reached,
// first copy wins applies to it like to any other.
package reassembly
