package reassembly

import (
	"net/netip"
	"time"
)

// Dir is the direction of a half of a connection.
type Dir uint8

const (
	// ClientToServer is the direction from the connection's client (initiator)
	// to its server.
	ClientToServer Dir = 0
	// ServerToClient is the direction from the server back to the client.
	ServerToClient Dir = 1
)

// Reverse returns the opposite direction.
func (d Dir) Reverse() Dir { return d ^ 1 }

// String returns "client->server" or "server->client".
func (d Dir) String() string {
	if d == ClientToServer {
		return "client->server"
	}
	return "server->client"
}

// Flags are the TCP header flags, with the same bit values as on the wire
// (byte 13 of the TCP header).
type Flags uint8

// TCP flag bits.
const (
	FlagFIN Flags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// Segment is one TCP segment as plain values, so the assembler does not tie
// its caller to a packet library. The pcap reader ([ReadPcap]) and the
// gopacket adapter (package reassembly/gopacketsrc) fill it; any other
// source can too.
type Segment struct {
	// Src and Dst are the sender's and the receiver's address and port.
	Src, Dst netip.AddrPort
	// Seq and Ack are the sequence and acknowledgement numbers.
	Seq, Ack uint32
	// Flags are the TCP flags.
	Flags Flags
	// Window is the raw (unscaled) receive window.
	Window uint16
	// Payload is the captured TCP payload. The assembler reads it only during
	// [Assembler.Assemble]: in-order bytes are handed to the Handler without
	// a copy, out-of-order bytes are copied.
	Payload []byte
	// Truncated is the number of payload bytes the capture did not keep
	// (snaplen shorter than the packet). They follow Payload on the wire; the
	// assembler reports them as a gap.
	Truncated int
	// Timestamp is the capture time.
	Timestamp time.Time
}

// SideRule tells how the assembler decided which endpoint is the client.
type SideRule uint8

const (
	// SideBySYN: a SYN (client) or SYN+ACK (server) was the first segment seen.
	SideBySYN SideRule = iota + 1
	// SideByHint: Options.IsServer named one endpoint as the server.
	SideByHint
	// SideByFirstSeen: no SYN and no hint; the sender of the first segment
	// seen was taken as the client. This is a guess for connections picked up
	// mid-flight.
	SideByFirstSeen
)

// String returns "syn", "hint" or "first-seen".
func (r SideRule) String() string {
	switch r {
	case SideBySYN:
		return "syn"
	case SideByHint:
		return "hint"
	case SideByFirstSeen:
		return "first-seen"
	}
	return "unknown"
}

// CloseReason tells why a stream was closed.
type CloseReason uint8

const (
	// CloseFIN: both directions sent FIN and all bytes before each FIN were
	// delivered (or reported as gaps).
	CloseFIN CloseReason = iota + 1
	// CloseRST: either side sent RST. Both directions end.
	CloseRST
	// CloseIdle: no segment for Options.IdleTimeout, or closed by
	// [Assembler.FlushOlderThan].
	CloseIdle
	// CloseEvicted: the connection table was full (Options.MaxConns) and this
	// was the least recently active connection.
	CloseEvicted
	// CloseFlush: [Assembler.FlushAll] closed it, typically at the end of a
	// capture file.
	CloseFlush
	// CloseReused: a SYN with a new initial sequence number arrived for the
	// same 4-tuple while the connection was still tracked (its close was not
	// captured); a new stream starts with that SYN.
	CloseReused
)

// String returns a short lower-case name.
func (r CloseReason) String() string {
	switch r {
	case CloseFIN:
		return "fin"
	case CloseRST:
		return "rst"
	case CloseIdle:
		return "idle"
	case CloseEvicted:
		return "evicted"
	case CloseFlush:
		return "flush"
	case CloseReused:
		return "reused"
	}
	return "unknown"
}

// Handler consumes one connection's reassembled streams. The assembler calls
// it synchronously from Assemble, FlushOlderThan and FlushAll; a Handler must
// not call back into the Assembler.
type Handler interface {
	// Data delivers the next bytes of direction dir, in order. data is valid
	// only during the call (it may alias the caller's packet buffer or an
	// internal buffer that is reused): copy what must be kept. ts is the
	// capture time of the segment that carried the bytes.
	Data(s *Stream, dir Dir, data []byte, ts time.Time)
	// Gap reports that n bytes of direction dir, starting at stream offset
	// offset, were lost (never captured, truncated by snaplen, or skipped
	// because a hole did not fill in time or a memory limit was hit). The
	// next Data call for dir continues at offset+n.
	Gap(s *Stream, dir Dir, offset uint64, n int)
	// Close ends the stream. No other call for s follows, and s must not be
	// used after Close returns.
	Close(s *Stream, reason CloseReason)
}

// Factory makes the Handler for each new connection. s has its endpoints and
// SideRule set when New is called.
type Factory interface {
	New(s *Stream) Handler
}

// FactoryFunc adapts a function to [Factory].
type FactoryFunc func(s *Stream) Handler

// New calls f(s).
func (f FactoryFunc) New(s *Stream) Handler { return f(s) }
