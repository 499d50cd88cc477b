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

// Take consumes and returns the next n bytes (aliasing the input) when
// that many remain; otherwise it returns nil and leaves r as it was, error
// included, so that the caller can read the run field by field instead: a
// run of fixed-size fields read with one bounds check.
func (r *Reader) Take(n int) []byte {
	if r.err != nil || uint(n) > uint(len(r.b)-r.off) {
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

// Peek returns the next n bytes without consuming them (nil if fewer remain;
// does not set the error).
func (r *Reader) Peek(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		return nil
	}
	return r.b[r.off : r.off+n]
}

// Length-prefixed fields as Kafka writes them, also used by other binary
// protocols: a string with an int16 length and bytes or an array with an
// int32 count, -1 meaning null; or, compact (Kafka's flexible versions,
// KIP-482), an unsigned varint of the length or count plus one, 0 meaning
// null; and tagged-field sections. A length or count larger than the
// bytes left fails with ErrTooLarge before anything is sized from it
// (every array element takes at least a byte); a negative length other
// than -1, or a varint longer than 5 bytes, fails with ErrMalformed.

// Uvarint32 reads an unsigned varint of at most 5 bytes (a uint32).
func (r *Reader) Uvarint32() uint32 {
	if v, ok := r.uvarint1(); ok {
		return v
	}
	return r.uvarint32Slow()
}

// uvarint1 reads a one-byte varint, by far the most common (small lengths
// and counts), and reports false (reading nothing) for any other, so that
// it inlines into the length readers, which then call uvarint32Slow.
func (r *Reader) uvarint1() (uint32, bool) {
	off := r.off
	if uint(off) < uint(len(r.b)) && r.b[off] < 0x80 && r.err == nil {
		r.off = off + 1
		return uint32(r.b[off]), true
	}
	return 0, false
}

func (r *Reader) uvarint32Slow() uint32 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.err = ErrShort
		return 0
	case n < 0 || n > 5 || v > 1<<32-1:
		r.err = ErrMalformed
		return 0
	}
	r.off += n
	return uint32(v)
}

// LenString reads a nullable string: int16 length, or compact. It
// returns the bytes (aliasing the input) and whether the string is null.
func (r *Reader) LenString(compact bool) (b []byte, null bool) {
	if compact {
		n, ok := r.uvarint1()
		if !ok {
			n = r.uvarint32Slow()
		}
		if n == 0 {
			return nil, true // null, or an error (which reads as 0)
		}
		return r.lenBytes(uint64(n - 1)), false
	}
	off := r.off
	if r.err != nil || len(r.b)-off < 2 {
		r.need(2)
		return nil, false
	}
	n := int(int16(binary.BigEndian.Uint16(r.b[off:])))
	r.off = off + 2
	if n < 0 {
		if n != -1 {
			r.err = ErrMalformed
		}
		return nil, true
	}
	return r.lenBytes(uint64(n)), false
}

// LenBytes reads nullable bytes: int32 length, or compact (nil for null).
func (r *Reader) LenBytes(compact bool) []byte {
	if compact {
		n, ok := r.uvarint1()
		if !ok {
			n = r.uvarint32Slow()
		}
		if n == 0 {
			return nil
		}
		return r.lenBytes(uint64(n - 1))
	}
	off := r.off
	if r.err != nil || len(r.b)-off < 4 {
		r.need(4)
		return nil
	}
	n := int64(int32(binary.BigEndian.Uint32(r.b[off:])))
	r.off = off + 4
	if n < 0 {
		if n != -1 {
			r.err = ErrMalformed
		}
		return nil
	}
	return r.lenBytes(uint64(n))
}

// lenBytes returns the next n bytes of a length-prefixed field whose
// length was just read without error.
func (r *Reader) lenBytes(n uint64) []byte {
	off := r.off
	if n > uint64(len(r.b)-off) {
		r.err = ErrTooLarge
		return nil
	}
	end := off + int(n)
	r.off = end
	return r.b[off:end:end]
}

// ArrayLen reads an array count: int32, or compact; 0 for a null array.
// A count larger than the bytes left fails, so a loop over it ends.
func (r *Reader) ArrayLen(compact bool) int {
	if compact {
		n, ok := r.uvarint1()
		if !ok {
			n = r.uvarint32Slow()
		}
		if n == 0 {
			return 0
		}
		if uint64(n-1) > uint64(len(r.b)-r.off) { // no error is set: n != 0
			r.err = ErrTooLarge
			return 0
		}
		return int(n - 1)
	}
	off := r.off
	if r.err != nil || len(r.b)-off < 4 {
		r.need(4)
		return 0
	}
	n := int64(int32(binary.BigEndian.Uint32(r.b[off:])))
	r.off = off + 4
	if n < 0 {
		if n != -1 {
			r.err = ErrMalformed
		}
		return 0
	}
	if n > int64(len(r.b)-r.off) {
		r.err = ErrTooLarge
		return 0
	}
	return int(n)
}

// SkipArray skips an array of n-byte elements (int32s, int64s, ids).
func (r *Reader) SkipArray(compact bool, elem int) {
	if compact { // the one-byte count, the usual case, inline
		if n, ok := r.uvarint1(); ok {
			if n == 0 {
				return // null
			}
			left := uint64(len(r.b) - r.off)
			if uint64(n-1)*uint64(elem) > left {
				r.err = ErrTooLarge
				return
			}
			r.off += int(n-1) * elem
			return
		}
	}
	n := r.ArrayLen(compact)
	if n > 0 {
		if uint64(n)*uint64(elem) > uint64(r.Len()) {
			r.Fail(ErrTooLarge)
			return
		}
		r.off += n * elem
	}
}

// SkipTaggedFields skips a tagged-field section: a count, then each
// field's tag, size and bytes. The empty section, one zero byte, is read
// inline.
func (r *Reader) SkipTaggedFields() {
	if off := r.off; uint(off) < uint(len(r.b)) && r.b[off] == 0 && r.err == nil {
		r.off = off + 1
		return
	}
	r.skipTaggedFieldsSlow()
}

func (r *Reader) skipTaggedFieldsSlow() {
	n := r.Uvarint32()
	if uint64(n) > uint64(r.Len()) {
		r.Fail(ErrTooLarge)
		return
	}
	for i := 0; i < int(n) && r.err == nil; i++ {
		r.Uvarint32() // tag
		size := r.Uvarint32()
		if r.err == nil {
			r.lenBytes(uint64(size))
		}
	}
}
