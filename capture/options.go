package capture

import (
	"errors"
	"io"
	"runtime"
	"time"

	"github.com/wirekit/wirekit/reassembly"
	"golang.org/x/net/bpf"
)

// Options configures a capture [Handle]. The zero value of each field
// selects its documented default.
type Options struct {
	// Interface is the device to capture on: a name such as "eth0" or
	// "lo", or "any" for every device of the network namespace. Required.
	Interface string
	// Filter is a pcap-filter expression ("tcp port 6379", "host 10.0.0.1
	// and (port 80 or port 8080)") compiled by package
	// capture/filterexpr into a classic BPF program that runs in the
	// kernel, so rejected packets never reach the ring. An expression the
	// compiler cannot translate exactly is an error from Open. Empty: every
	// packet.
	Filter string
	// BPF is a raw classic BPF program used instead of Filter. It sees the
	// frame as it is captured (Ethernet for Ethernet and loopback devices;
	// from the network header for "any"). It accepts a packet by returning
	// a non-zero length (the bytes kept) and rejects it by returning 0.
	BPF []bpf.Instruction
	// Snaplen is the most bytes kept of each frame. Longer frames are cut
	// and counted in Stats.Truncated. Default 262144 (DefaultSnaplen); a
	// frame is also cut to fit one ring block.
	Snaplen int
	// Promiscuous puts the device in promiscuous mode while the handle is
	// open, to see frames addressed to other hosts.
	Promiscuous bool
	// BlockSize is the size of one TPACKET_V3 ring block, a multiple of the
	// page size. The kernel fills a block with frames and hands it over
	// whole when it is full or FrameTimeout has passed. Default 1 MiB.
	BlockSize int
	// BlockCount is the number of blocks in each worker's ring. A ring with
	// no free block drops frames (counted in Stats.KernelDrops). Default 16.
	BlockCount int
	// FrameTimeout is how long the kernel waits before handing over a block
	// that is not full (TPACKET_V3 retire timeout), which bounds the delay
	// of a frame at low rates. Default 10ms; at least 1ms.
	FrameTimeout time.Duration
	// Workers is the number of fan-out sockets, each with its own ring and
	// goroutine. The kernel spreads frames over them by a hash of the
	// connection (PACKET_FANOUT_HASH, symmetric, with IP defragmentation),
	// so both directions of a TCP connection reach the same worker.
	// Default runtime.GOMAXPROCS(0), which since Go 1.25 follows the
	// cgroup CPU quota.
	Workers int
	// Record, when set, receives every captured frame in pcapng format
	// (one section, one interface, nanosecond timestamps), written as each
	// block is processed. Frames from different workers interleave in
	// block order, so timestamps are not globally sorted. A write error
	// stops the recording; it is counted in Stats.RecordErrors and
	// returned by Run.
	Record io.Writer
}

// Defaults for Options.
const (
	DefaultSnaplen      = 262144
	DefaultBlockSize    = 1 << 20
	DefaultBlockCount   = 16
	DefaultFrameTimeout = 10 * time.Millisecond
)

// Errors returned by Open and Run.
var (
	// ErrUnsupported: live capture needs Linux (AF_PACKET).
	ErrUnsupported = errors.New("capture: live capture needs Linux AF_PACKET")
	// ErrOptions: an Options field is out of range.
	ErrOptions = errors.New("capture: invalid options")
	// ErrClosed: Run was called on a closed Handle, or twice.
	ErrClosed = errors.New("capture: handle closed or already running")
)

func (o Options) withDefaults() (Options, error) {
	if o.Interface == "" {
		return o, errors.Join(ErrOptions, errors.New("capture: Interface is empty"))
	}
	if o.Snaplen == 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.BlockCount == 0 {
		o.BlockCount = DefaultBlockCount
	}
	if o.FrameTimeout == 0 {
		o.FrameTimeout = DefaultFrameTimeout
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.Snaplen < 64 || o.Snaplen > 1<<24:
		return o, errors.Join(ErrOptions, errors.New("capture: Snaplen must be in [64, 16 MiB]"))
	case o.BlockSize < 4096 || o.BlockSize%4096 != 0 || o.BlockSize > 1<<28:
		return o, errors.Join(ErrOptions, errors.New("capture: BlockSize must be a multiple of 4096 up to 256 MiB"))
	case o.BlockCount < 1 || o.BlockCount > 1<<16:
		return o, errors.Join(ErrOptions, errors.New("capture: BlockCount must be in [1, 65536]"))
	case o.FrameTimeout < time.Millisecond:
		return o, errors.Join(ErrOptions, errors.New("capture: FrameTimeout must be at least 1ms"))
	case o.Workers < 1 || o.Workers > 1024:
		return o, errors.Join(ErrOptions, errors.New("capture: Workers must be in [1, 1024]"))
	}
	return o, nil
}

// Stats are a Handle's counters, summed over its workers. Counters only
// grow. A frame the kernel accepted is either in Packets or in KernelDrops;
// a frame in Packets that did not reach a stream is in DecodeErrors,
// NotTCP or Fragments; a byte not delivered to a parser is in
// Assembler.BytesLost or counted by Truncated.
type Stats struct {
	// Packets and Bytes are the frames handed to the consumers and their
	// captured bytes.
	Packets, Bytes uint64
	// Outgoing are loopback frames dropped because they are the sending
	// copy (PACKET_OUTGOING) of a frame also seen incoming, so that each
	// packet on lo is seen once. Normally 0: the kernel filter drops them
	// before the ring.
	Outgoing uint64
	// Truncated are frames cut by the snaplen or the block size
	// (tp_snaplen < tp_len).
	Truncated uint64
	// KernelPackets are the frames the kernel filter accepted for the
	// rings, dropped ones included (PACKET_STATISTICS tp_packets).
	KernelPackets uint64
	// KernelDrops are frames the kernel accepted but could not store
	// because the ring had no free block (tp_drops).
	KernelDrops uint64
	// KernelFreezes counts the times a ring was found full and frozen
	// (tp_freeze_q_cnt).
	KernelFreezes uint64
	// Blocks are the ring blocks processed; BadBlocks those whose frame
	// headers did not fit in the block (their remaining frames are lost
	// and the block is counted here).
	Blocks, BadBlocks uint64
	// LastBadBlock describes the last bad block, for diagnosis: the
	// block's descriptor (frames, first offset, length) and the header of
	// the frame the walk stopped at ("" when there was none).
	LastBadBlock string
	// DecodeErrors are frames handed to the pipeline that
	// reassembly.DecodePacket rejected as short or malformed; NotTCP are
	// frames that are not TCP over IPv4/IPv6 (ARP, UDP, ...); Fragments
	// are IP fragments, which are not reassembled. Only the Exchanges
	// pipeline counts these.
	DecodeErrors, NotTCP, Fragments uint64
	// RecordErrors is 1 when writing Options.Record failed (recording
	// then stops); RecordedPackets are the frames written.
	RecordErrors, RecordedPackets uint64
	// Assembler are the reassemblers' counters summed over the workers
	// (gaps, bytes lost, out-of-order...). Only the Exchanges pipeline
	// fills them.
	Assembler reassembly.Stats
}
