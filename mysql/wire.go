package mysql

import (
	"encoding/binary"

	"github.com/wirekit/wirekit/parser"
)

// The little-endian reads MySQL needs, on parser.Reader (which reads
// big-endian): each takes its bytes with Bytes, so a short read sets the
// reader's sticky error and returns 0.

func le16(r *parser.Reader) uint16 {
	b := r.Bytes(2)
	if len(b) < 2 {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func le24(r *parser.Reader) uint32 {
	b := r.Bytes(3)
	if len(b) < 3 {
		return 0
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

func le32(r *parser.Reader) uint32 {
	b := r.Bytes(4)
	if len(b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// lenenc reads a length-encoded integer; null reports the 0xFB NULL
// marker.
func lenenc(r *parser.Reader) (v uint64, null bool) {
	switch c := r.Uint8(); c {
	case 0xfb:
		return 0, true
	case 0xfc:
		return uint64(le16(r)), false
	case 0xfd:
		return uint64(le24(r)), false
	case 0xfe:
		b := r.Bytes(8)
		if len(b) < 8 {
			return 0, false
		}
		return binary.LittleEndian.Uint64(b), false
	case 0xff:
		r.Fail(ErrMalformedPacket)
		return 0, false
	default:
		return uint64(c), false
	}
}

// nulString reads a NUL-terminated string (without the NUL); without a
// NUL it takes the rest.
func nulString(r *parser.Reader) []byte {
	rest := r.Rest()
	for i := range rest {
		if rest[i] == 0 {
			b := r.Bytes(i)
			r.Skip(1)
			return b
		}
	}
	return r.Bytes(len(rest))
}

// packet is one physical packet: its sequence id, payload and total size.
type packet struct {
	seq     uint8
	payload []byte
	size    int  // header included
	full    bool // payload length 0xFFFFFF: a continuation packet follows
}

// maxPayload is the payload length of a packet that is continued.
const maxPayload = 0xffffff

// readPacket reads the packet at the start of b: ok false when b does not
// hold all of it (need reports the bytes it needs, 0 if unknown yet).
func readPacket(b []byte) (p packet, ok bool, need int) {
	r := parser.NewReader(b)
	n := le24(&r)
	seq := r.Uint8()
	if !r.Ok() {
		return p, false, 0
	}
	payload := r.Bytes(int(n))
	if !r.Ok() {
		return p, false, 4 + int(n)
	}
	return packet{seq: seq, payload: payload, size: 4 + int(n), full: n == maxPayload}, true, 0
}
