package dump

import (
	"net/netip"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// Kind tells what an Item carries.
type Kind uint8

// Item kinds.
const (
	// KindFlow: bytes of one direction of a connection (Conn, Dir, Offset, Data).
	KindFlow Kind = iota + 1
	// KindRecord: a user-defined record (Type = business type, Data = payload);
	// Layotto calls these "portrait data".
	KindRecord
	// KindSnapshot: a configuration snapshot (Type = name, Data = content,
	// Hash = its FNV-64a hash), written only when the content changes.
	KindSnapshot
	// KindClose: the connection Conn was closed by the caller; Offset is
	// unused, Data is empty. Sinks use it to end the conversation (pcapng
	// writes FIN segments) and to free per-connection state.
	KindClose
	// KindWindow: a sampling window opened (Window, Time = its start).
	KindWindow
)

var kindNames = [...]string{"", "flow", "record", "snapshot", "close", "window"}

// String returns the lower-case name used in JSON Lines output.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Direction is parser.Direction, the library's one direction type: flow
// bytes are parser.Request (client to server) or parser.Response (server
// to client).
//
// Deprecated: use parser.Direction; the alias keeps older callers building.
type Direction = parser.Direction

// The former names of the two directions.
//
// Deprecated: use parser.Request and parser.Response.
const (
	ClientToServer = parser.Request
	ServerToClient = parser.Response
)

// dirName is a direction's short name in dumps: "c2s" for parser.Request
// (from the connection's initiator, ConnInfo.Client, to its acceptor,
// ConnInfo.Server), "s2c" for parser.Response.
func dirName(d parser.Direction) string {
	if d&1 == parser.Request {
		return "c2s"
	}
	return "s2c"
}

// ConnInfo describes a connection. It is immutable once given to
// Dumper.Open.
type ConnInfo struct {
	// ID identifies the connection within the Dumper; the per-connection
	// sampling decision is a hash of it, and sinks key their state by it.
	ID uint64
	// Client is the initiator's address, Server the acceptor's. Either may
	// be the zero AddrPort when unknown; the pcapng sink then synthesizes a
	// private 10.0.0.0/8 address from ID so conversations stay distinct.
	Client, Server netip.AddrPort
}

// Item is one recorded unit handed to a Sink. Its Data aliases a pooled
// buffer that is reused after Sink.Flush returns: a sink that keeps bytes
// past Flush must copy them.
type Item struct {
	Kind Kind
	// Window is the id of the sampling window the item was captured in
	// (unique per Dumper; see Dumper.Window). 0 for KindClose items logged
	// after the window ended.
	Window uint64
	// Time is the capture time (the Dumper's clock when the item was
	// submitted).
	Time time.Time
	// Conn is set for KindFlow and KindClose.
	Conn *ConnInfo
	// Dir and Offset place Data in the connection's byte stream: Offset is
	// the stream offset of Data[0] in direction Dir, counted from the first
	// byte the caller ever showed for that direction.
	Dir    parser.Direction
	Offset uint64
	// Type is the business type of a KindRecord or the name of a
	// KindSnapshot.
	Type string
	// Hash is the FNV-64a hash of a KindSnapshot's Data.
	Hash uint64
	// Data is the payload; see the lifetime note on Item.
	Data []byte
}

// Flow data is cut into chunks of at most MaxChunk bytes so every chunk fits
// one synthesized IP packet.
const (
	// MaxChunk is the largest flow item; larger submissions are split. It
	// is the largest TCP payload an IPv4 packet can carry, so a segment of a
	// loopback capture (MTU 65536) is recorded as one item and one packet.
	MaxChunk = 65535 - 20 - 20
)
