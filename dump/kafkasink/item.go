package kafkasink

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"time"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
)

// FormatItem is the HeaderFormat value of records carrying dump items in
// the encoding of AppendItem.
const FormatItem = "dump-item/1"

// itemVersion is the first byte of every item value.
const itemVersion = 1

// MaxTypeLen bounds Item.Type in an encoded item (a uint16 length).
const MaxTypeLen = 1<<16 - 1

// ErrBadItem is returned by DecodeItem for a value that is not a valid
// version-1 item.
var ErrBadItem = errors.New("kafkasink: malformed item record")

// AppendItem appends the version-1 encoding of it, big-endian:
//
//	u8  version (1)
//	u8  kind (dump.Kind)
//	u8  dir (dump.Direction)
//	u8  flags: bit 0 = a connection follows
//	u64 window id
//	i64 capture time, Unix nanoseconds
//	connection (flag bit 0): u64 id, client, server; an address is
//	    u8 length (0, 4 or 16), the address bytes, u16 port
//	u64 stream offset
//	u64 snapshot hash
//	u16 type length, type bytes (record business type or snapshot name)
//	data: the rest of the value
//
// A Type longer than MaxTypeLen is cut to it.
func AppendItem(dst []byte, it *dump.Item) []byte {
	var flags byte
	if it.Conn != nil {
		flags |= 1
	}
	dst = append(dst, itemVersion, byte(it.Kind), byte(it.Dir), flags)
	dst = binary.BigEndian.AppendUint64(dst, it.Window)
	dst = binary.BigEndian.AppendUint64(dst, uint64(it.Time.UnixNano()))
	if it.Conn != nil {
		dst = binary.BigEndian.AppendUint64(dst, it.Conn.ID)
		dst = appendAddrPort(dst, it.Conn.Client)
		dst = appendAddrPort(dst, it.Conn.Server)
	}
	dst = binary.BigEndian.AppendUint64(dst, it.Offset)
	dst = binary.BigEndian.AppendUint64(dst, it.Hash)
	typ := it.Type
	if len(typ) > MaxTypeLen {
		typ = typ[:MaxTypeLen]
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(typ)))
	dst = append(dst, typ...)
	return append(dst, it.Data...)
}

// itemSize is the length of AppendItem's output.
func itemSize(it *dump.Item) int {
	n := 4 + 8 + 8 + 8 + 8 + 2 + min(len(it.Type), MaxTypeLen) + len(it.Data)
	if it.Conn != nil {
		n += 8 + addrSize(it.Conn.Client) + addrSize(it.Conn.Server)
	}
	return n
}

func addrSize(ap netip.AddrPort) int {
	if !ap.IsValid() {
		return 1 + 2
	}
	return 1 + ap.Addr().BitLen()/8 + 2
}

func appendAddrPort(dst []byte, ap netip.AddrPort) []byte {
	if !ap.IsValid() {
		return append(dst, 0, 0, 0)
	}
	a := ap.Addr()
	if a.Is4() {
		b := a.As4()
		dst = append(dst, 4)
		dst = append(dst, b[:]...)
	} else {
		b := a.As16()
		dst = append(dst, 16)
		dst = append(dst, b[:]...)
	}
	return binary.BigEndian.AppendUint16(dst, ap.Port())
}

// itemReader is a bounds-checked big-endian reader with a sticky failure.
type itemReader struct {
	b   []byte
	bad bool
}

func (r *itemReader) take(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *itemReader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *itemReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *itemReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *itemReader) addrPort() netip.AddrPort {
	n := int(r.u8())
	if n != 0 && n != 4 && n != 16 {
		r.bad = true
		return netip.AddrPort{}
	}
	b := r.take(n)
	port := r.u16()
	if r.bad || n == 0 {
		return netip.AddrPort{}
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a, port)
}

// DecodeItem decodes a value written by AppendItem into it (reset first).
// When the item has a connection, ci is filled in and it.Conn points at
// it. it.Data and it.Type alias value's bytes only for Data; Type is a
// copy. Every length is checked against the bytes left.
func DecodeItem(value []byte, it *dump.Item, ci *dump.ConnInfo) error {
	*it = dump.Item{}
	r := itemReader{b: value}
	if r.u8() != itemVersion {
		return ErrBadItem
	}
	kind, dir, flags := dump.Kind(r.u8()), parser.Direction(r.u8()), r.u8()
	it.Window = r.u64()
	ns := int64(r.u64())
	if flags&1 != 0 {
		*ci = dump.ConnInfo{ID: r.u64()}
		ci.Client = r.addrPort()
		ci.Server = r.addrPort()
		it.Conn = ci
	}
	it.Offset = r.u64()
	it.Hash = r.u64()
	typ := r.take(int(r.u16()))
	if r.bad || kind < dump.KindFlow || kind > dump.KindWindow || dir > parser.Response || flags > 1 {
		*it = dump.Item{}
		return ErrBadItem
	}
	if (kind == dump.KindFlow || kind == dump.KindClose) != (it.Conn != nil) {
		*it = dump.Item{}
		return ErrBadItem
	}
	it.Kind, it.Dir = kind, dir
	it.Time = time.Unix(0, ns)
	if len(typ) > 0 {
		it.Type = string(typ)
	}
	if len(r.b) > 0 {
		it.Data = r.b
	}
	return nil
}
