// Package capture reads live traffic from a network interface on Linux,
// without cgo or libpcap, and feeds it into wirekit's pipeline: kernel
// filter, fan-out over cores, TCP reassembly, protocol detection, parsing
// and request/response pairing, with every lost frame counted. Use it to
// build an agent that watches a host's traffic; use package reassembly's
// ReadFile for recorded captures.
//
// An agent in a few lines:
//
//	h, err := capture.Open(capture.Options{Interface: "eth0", BPF: prog})
//	if err != nil { ... }
//	defer h.Close()
//	err = h.Exchanges(ctx, capture.ExchangeOptions{Protocols: protocols.All()},
//		func(worker int) capture.ExchangeFunc {
//			// state here belongs to one worker: no lock needed
//			return func(s *reassembly.Stream, e *parser.Exchange) {
//				fmt.Println(s.Client(), "->", s.Server(), e.Protocol, e.Latency())
//			}
//		})
//
// Exchanges returns when ctx is cancelled or Close is called, after every
// worker has processed what was in its ring and flushed its assembler.
// [Handle.Run] with a [Consumer] is the lower level: raw frames per worker.
//
// # How frames are captured
//
// Each worker is one AF_PACKET socket with its own memory-mapped
// TPACKET_V3 ring (Options.BlockSize × Options.BlockCount bytes) and one
// goroutine. The kernel fills a block with frames and hands the whole block
// over when it is full or after Options.FrameTimeout; the worker walks the
// frames in place, hands each one (a slice of the ring, no copy) to its
// consumer, and gives the block back only after its last frame was
// processed. So there is no system call, lock or allocation per frame: one
// poll when the ring is empty, one atomic store per block.
//
// Sockets are opened the way libpcap opens them: a filter rejecting
// everything is attached before the socket is bound, the ring is drained,
// and the real filter is attached last, so no frame the filter would
// reject is ever seen. With two or more workers the sockets join one
// PACKET_FANOUT group (hash mode, symmetric, with IP defragmentation, and a
// group ID the kernel guarantees unique), so both directions of a TCP
// connection always land on the same worker and each worker's
// reassembly.Assembler, which is single-threaded, sees whole connections.
// Options.Workers defaults to runtime.GOMAXPROCS(0), which follows the
// cgroup CPU quota.
//
// On the loopback device the kernel hands every packet up twice, once
// outgoing and once incoming. A prefix of the kernel filter drops the
// outgoing copy (on "any", only lo's), so each packet is seen once and the
// ring holds twice as many; a copy that gets through anyway is dropped and
// counted in Stats.Outgoing.
//
// Devices with Ethernet framing (Ethernet, veth, bridges, lo) are captured
// with their link header (reassembly.LinkEthernet); "any" and devices
// without Ethernet framing are captured from the network header
// (SOCK_DGRAM) and given a Linux cooked (SLL) header written in the room
// the kernel leaves in front of each frame (reassembly.LinkLinuxSLL), as
// libpcap does.
//
// # Why an own ring, not gopacket's afpacket
//
// The maintained gopacket fork's afpacket package is cgo-free and measured
// 0.4-0.5 µs CPU per frame with no drops on this kind of host, but it takes
// a mutex per packet, copies or hands out frames through its own
// ZeroCopyReadPacketData contract that releases a block when the next one
// is read (not when the consumer is done), and delivers every lo packet
// twice. A plain recvfrom socket (mdlayher/packet) dropped 38-66% of
// frames at 110-170k frames/s. golang.org/x/sys/unix has every type a
// TPACKET_V3 ring needs (TpacketReq3, TpacketHdrV1, GetsockoptTpacketStatsV3),
// the ring is about 300 lines, and owning it gives what the pipeline needs:
// no lock per frame, zero-copy hand-off to reassembly.DecodePacket, block
// release after processing, the loopback de-duplication in the kernel
// filter, and the kernel's counters in Stats. So this package has its own.
//
// # Nothing lost silently
//
// [Stats] counts, summed over the workers: frames the kernel accepted
// (KernelPackets) and could not store because the ring was full
// (KernelDrops) and the times a ring froze (KernelFreezes), all from
// PACKET_STATISTICS; frames handed up (Packets), cut by the snaplen or
// the block size (Truncated), dropped as loopback duplicates (Outgoing);
// blocks whose frame headers did not fit (BadBlocks); in the Exchanges
// pipeline, frames that did not decode (DecodeErrors), were not TCP
// (NotTCP) or were IP fragments (Fragments), and the assemblers' own
// counters (gaps, bytes lost, out of order) in Stats.Assembler. Stats can
// be read at any time from any goroutine, and after Close.
//
// # Recording
//
// Options.Record writes every captured frame to a pcapng stream (one
// interface block, nanosecond timestamps), so "record now, analyse later"
// is one option; read it back with reassembly.ReadFile or any pcapng tool.
// Each worker writes its frames once per ring block.
//
// # Limits
//
//   - Linux only; Open returns ErrUnsupported elsewhere. It needs
//     CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode).
//   - Memory: Workers × BlockSize × BlockCount bytes of ring, locked in the
//     kernel (default 16 MiB per worker). A frame is cut to fit one block.
//   - Latency: a frame waits at most FrameTimeout in a partly filled block.
//   - When a capture stops, each worker attaches a reject-all filter and
//     processes its ring until it has seen every frame the kernel counts as
//     stored in it (the last, partly filled block is handed over within
//     FrameTimeout), so Close normally takes about FrameTimeout; a worker
//     gives up after 2×FrameTimeout+1s (frames in a block whose headers
//     did not fit, counted in BadBlocks, are never seen).
//   - VLAN tags stripped by the device (hardware offload) are reported in
//     Packet.VLAN, not re-inserted into Data, so a filter or decoder sees
//     the untagged frame.
//   - IP fragments are counted, not reassembled (the fan-out defragments
//     only for choosing the worker).
//   - Frames from different workers are written to a recording in block
//     order, so its timestamps are not globally sorted.
//   - A Consumer or ExchangeFunc that blocks stalls its worker; its ring
//     then fills and the kernel drops (counted) rather than the process
//     buffering without bound.
package capture
