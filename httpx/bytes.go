package httpx

import (
	"encoding/binary"
	"math/bits"
)

// Byte classes of RFC 9110 section 5.6.2 and 5.5, as lookup tables. They are
// computed once at package initialisation and never written afterwards.
var (
	tcharTable = func() (t [256]bool) {
		for c := 'a'; c <= 'z'; c++ {
			t[c], t[c-'a'+'A'] = true, true
		}
		for c := '0'; c <= '9'; c++ {
			t[c] = true
		}
		for _, c := range "!#$%&'*+-.^_`|~" {
			t[c] = true
		}
		return t
	}()
	lowerTable = func() (t [256]byte) {
		for i := range t {
			t[i] = byte(i)
		}
		for c := 'A'; c <= 'Z'; c++ {
			t[c] = byte(c - 'A' + 'a')
		}
		return t
	}()
	hexTable = func() (t [256]byte) {
		for i := range t {
			t[i] = 0xff
		}
		for c := '0'; c <= '9'; c++ {
			t[c] = byte(c - '0')
		}
		for c := 'a'; c <= 'f'; c++ {
			t[c], t[c-'a'+'A'] = byte(c-'a'+10), byte(c-'a'+10)
		}
		return t
	}()
)

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// ctlMask flags (as a non-zero word) the bytes of x below 0x20 or equal
// to DEL: bytes below 0x20 borrow when 0x20 is subtracted, DEL is the only
// byte under 0x80 that carries into bit 7 when 1 is added to its low 7
// bits, and "&^ x" drops bytes that had bit 7 set. Borrows only run
// upwards from a flagged byte, so the lowest flagged byte is always a true
// hit (the callers take only that one).
func ctlMask(x uint64) uint64 {
	return ((x - lsb*0x20) | ((x &^ msb) + lsb)) &^ x & msb
}

// validValue reports whether v holds only field-value bytes: HTAB, SP,
// VCHAR and obs-text (RFC 9110 section 5.5). Any other control byte, bare
// CR included, is refused. Eight bytes are tested per step; a word that
// has a byte below 0x20 or a DEL is re-checked byte by byte (HTAB is legal).
func validValue(v []byte) bool {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i:])
		if ctlMask(x) != 0 {
			for _, c := range v[i : i+8] {
				if (c < 0x20 && c != '\t') || c == 0x7f {
					return false
				}
			}
		}
	}
	for _, c := range v[i:] {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// tokenEnd returns the index of the first byte at or after i that is not
// a tchar, or len(b). A plain loop: it leaves at one place, which costs
// fewer mispredicted exits than steps of four bytes for the short names
// of header fields.
func tokenEnd(b []byte, i int) int {
	for i < len(b) && tcharTable[b[i]] {
		i++
	}
	return i
}

// isToken reports whether b is a non-empty RFC 9110 token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tcharTable[c] {
			return false
		}
	}
	return true
}

// equalFold reports whether b equals lower (an all-lower-case ASCII
// string) ignoring ASCII case, without allocating.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lowerTable[b[i]] != lower[i] {
			return false
		}
	}
	return true
}

// trimOWS strips optional whitespace (SP, HTAB) from both ends.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// nextElem splits a comma-separated list (RFC 9110 section 5.6.1): it
// returns the first element, trimmed, and the rest after its comma.
func nextElem(b []byte) (elem, rest []byte) {
	for i, c := range b {
		if c == ',' {
			return trimOWS(b[:i]), b[i+1:]
		}
	}
	return trimOWS(b), nil
}

// outMask flags (bit 7 of each byte) the bytes of x outside 0x20-0x7e:
// control bytes, DEL, and bytes with bit 7 set (obs-text, which callers
// accept after a second look: it is rare). Subtracting 0x20 sets bit 7
// of the bytes below 0x20 and from 0xa0 up; adding 1 sets it from 0x7f to
// 0xfe. Borrows and the carry out of 0xff only run upwards from a byte
// that is flagged itself, so the lowest flagged byte is always a true hit
// (the callers take only that one), and no byte outside the range goes
// unflagged. Four operations: cheaper than ctlMask, which must pass
// obs-text.
func outMask(x uint64) uint64 {
	return ((x - lsb*0x20) | (x + lsb)) & msb
}

// outSpaceMask is outMask that also flags SP.
func outSpaceMask(x uint64) uint64 {
	return ((x - lsb*0x21) | (x + lsb)) & msb
}

// firstNotVisible returns the index of the first byte at or after i that
// is a control byte, SP or DEL, or len(b) (for the request-target, which
// ends at a space; obs-text bytes pass).
func firstNotVisible(b []byte, i int) int {
	for {
		s := b[i:]
		for len(s) >= 8 {
			if m := outSpaceMask(binary.LittleEndian.Uint64(s)); m != 0 {
				i = len(b) - len(s) + bits.TrailingZeros64(m)>>3
				goto found
			}
			s = s[8:]
		}
		for j, c := range s {
			if c <= 0x20 || c >= 0x7f {
				i = len(b) - len(s) + j
				goto found
			}
		}
		return len(b)
	found:
		if b[i] < 0x80 {
			return i
		}
		i++ // obs-text
	}
}

// Results of lineEnd.
const (
	lineOK uint8 = iota
	lineShort
	lineBad
)

// lineEnd scans a field value (or reason phrase) from b[i:] to its line
// end, validating it on the way: HTAB, SP, VCHAR and obs-text pass; LF or
// CRLF end the line; anything else (a bare CR included) is bad. It
// returns the index where the terminator starts and the offset after it;
// for lineBad, end is the offending byte's index.
func lineEnd(b []byte, i int) (end, next int, st uint8) {
	for {
		if len(b)-i >= 8 {
			m := outMask(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else {
			for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
				i++
			}
			if i == len(b) {
				return i, 0, lineShort
			}
		}
		switch c := b[i]; c {
		case '\r':
			if i+1 == len(b) {
				return i, 0, lineShort
			}
			if b[i+1] == '\n' {
				return i, i + 2, lineOK
			}
			return i, 0, lineBad
		case '\n':
			return i, i + 1, lineOK
		case '\t':
		default:
			if c < 0x80 {
				return i, 0, lineBad
			}
		}
		i++ // HTAB or obs-text
	}
}
