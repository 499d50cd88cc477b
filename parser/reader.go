package parser

import "encoding/binary"

// Reader reads big-endian integers, varints and byte runs from a byte
// slice, with bounds checks and a sticky error: the first short read sets
// Err to ErrShort, and every later read returns zero values. Protocol code
// reads straight down its spec and checks Err once at the end, after
// kbin.Reader (franz-go) and miekg/dns's unpack functions.
//
// Byte slices it returns alias the input. The zero Reader reads nothing.
type Reader struct {
	b   []byte
	off int
	err error
}

// NewReader returns a Reader over b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Reset makes r read b from the start, clearing the error.
func (r *Reader) Reset(b []byte) { *r = Reader{b: b} }

// Err is the sticky error: nil, ErrShort, or whatever Fail set.
func (r *Reader) Err() error { return r.err }

// Ok reports whether no error has occurred.
func (r *Reader) Ok() bool { return r.err == nil }

// Fail sets the sticky error (if none is set yet); later reads return zero.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Offset is how many bytes have been consumed.
func (r *Reader) Offset() int { return r.off }

// Len is how many bytes remain (0 after an error).
func (r *Reader) Len() int {
	if r.err != nil {
		return 0
	}
	return len(r.b) - r.off
}

// Rest returns the unread bytes without consuming them.
func (r *Reader) Rest() []byte {
	if r.err != nil {
		return nil
	}
	return r.b[r.off:]
}

// need reports whether n more bytes are available, failing otherwise.
func (r *Reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = ErrShort
		return false
	}
	return true
}

// Uint8 reads one byte.
func (r *Reader) Uint8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

// Int8 reads a signed byte.
func (r *Reader) Int8() int8 { return int8(r.Uint8()) }

// Bool reads a byte, true when non-zero.
func (r *Reader) Bool() bool { return r.Uint8() != 0 }

// Uint16 reads a big-endian uint16.
func (r *Reader) Uint16() uint16 {
	if !r.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

// Int16 reads a big-endian int16.
func (r *Reader) Int16() int16 { return int16(r.Uint16()) }

// Uint32 reads a big-endian uint32.
func (r *Reader) Uint32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

// Int32 reads a big-endian int32.
func (r *Reader) Int32() int32 { return int32(r.Uint32()) }

// Uint64 reads a big-endian uint64.
func (r *Reader) Uint64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

// Int64 reads a big-endian int64.
func (r *Reader) Int64() int64 { return int64(r.Uint64()) }

// Uvarint reads an unsigned LEB128 varint (at most 10 bytes; longer or
// overflowing encodings fail with ErrMalformed).
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.err = ErrShort
		return 0
	case n < 0:
		r.err = ErrMalformed
		return 0
	}
	r.off += n
	return v
}

// Varint reads a zig-zag signed varint.
func (r *Reader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	switch {
	case n == 0:
		r.err = ErrShort
		return 0
	case n < 0:
		r.err = ErrMalformed
		return 0
	}
	r.off += n
	return v
}

// Bytes consumes n bytes and returns them, aliasing the input. A negative
// or too large n fails with ErrShort; nothing is allocated for it.
func (r *Reader) Bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

// Skip consumes n bytes.
func (r *Reader) Skip(n int) {
	if r.need(n) {
		r.off += n
	}
}

// Peek returns the next n bytes without consuming them (nil if fewer remain;
// does not set the error).
func (r *Reader) Peek(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		return nil
	}
	return r.b[r.off : r.off+n]
}
