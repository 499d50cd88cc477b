package dubbo2

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/wirekit/wirekit/internal/ascii"
	"github.com/wirekit/wirekit/parser"
)

// This file is the package's own hessian2 reading: the strings and ints a
// Dubbo body starts with, and a walker that steps over (and so validates)
// any hessian2 value without decoding it, checking every count against the
// bytes left and every class, type and reference index against what was
// defined. json.go renders values with the same walker. Its rules follow
// what dubbo-go-hessian2 accepts, so that bytes the walker accepts are bytes
// that library (the reference in the tests) decodes too.

// Limits of the walker's tables.
const (
	maxClassDefs = 256 // class definitions per body
	maxTypes     = 256 // distinct list/map type names per body
)

// isStringTag reports whether tag starts a hessian2 string.
func isStringTag(tag byte) bool {
	return tag <= 0x1f || (tag >= 0x30 && tag <= 0x33) || tag == 'R' || tag == 'S'
}

// strSpan returns how many bytes of b encode chars characters, counted the
// way hessian2 (and dubbo-go-hessian2's decoder) counts them: one per
// UTF-16 code unit, so a supplementary character, sent as a surrogate pair
// of two 3-byte sequences, counts two. A lone high surrogate, 4-byte UTF-8
// (which Java never emits) or a stray continuation byte is malformed:
// dubbo-go-hessian2 would read past the string's buffer on some of them.
func strSpan(b []byte, chars int) (n int, pairs bool, err error) {
	// Fast path: the chars bytes are there and all ASCII, eight at a time.
	if chars <= len(b) {
		a := b[:chars]
		var or uint64
		for len(a) >= 8 {
			or |= binary.LittleEndian.Uint64(a)
			a = a[8:]
		}
		for _, c := range a {
			or |= uint64(c)
		}
		if or&0x8080808080808080 == 0 {
			return chars, false, nil
		}
	}
	i := 0
	for chars > 0 {
		if i >= len(b) {
			return 0, false, ErrShort
		}
		c := b[i]
		switch {
		case c < 0x80:
			i++
			chars--
		case c&0xe0 == 0xc0:
			i += 2
			chars--
		case c&0xf0 == 0xe0:
			if i+3 > len(b) {
				return 0, false, ErrShort
			}
			cp := uint32(c&0x0f)<<12 | uint32(b[i+1]&0x3f)<<6 | uint32(b[i+2]&0x3f)
			if cp >= 0xd800 && cp <= 0xdbff {
				if chars < 2 {
					return 0, false, ErrMalformed
				}
				if i+6 > len(b) {
					return 0, false, ErrShort
				}
				c2 := b[i+3]
				lo := uint32(c2&0x0f)<<12 | uint32(b[i+4]&0x3f)<<6 | uint32(b[i+5]&0x3f)
				if c2&0xf0 != 0xe0 || lo < 0xdc00 || lo > 0xdfff {
					return 0, false, ErrMalformed
				}
				i += 6
				chars -= 2
				pairs = true
				continue
			}
			i += 3
			chars--
		default:
			return 0, false, ErrMalformed
		}
	}
	if i > len(b) {
		return 0, false, ErrShort
	}
	return i, pairs, nil
}

// cesuToUTF8 returns b with each surrogate pair (two 3-byte sequences, as
// Java and dubbo-go-hessian2 encode supplementary characters) replaced by
// its 4-byte UTF-8 form. strSpan has checked the pairs.
func cesuToUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] == 0xed && i+5 < len(b) && b[i+1]&0xf0 == 0xa0 && b[i+3] == 0xed && b[i+4]&0xf0 == 0xb0 {
			hi := uint32(b[i+1]&0x0f)<<6 | uint32(b[i+2]&0x3f)
			lo := uint32(b[i+4]&0x0f)<<6 | uint32(b[i+5]&0x3f)
			out = utf8.AppendRune(out, rune(0x10000+(hi<<10|lo)))
			i += 6
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}

// strChunk reads the length part of a string chunk whose tag was read: the
// number of characters, and whether this is the final chunk.
func strChunk(r *parser.Reader, tag byte) (chars int, final bool) {
	switch {
	case tag <= 0x1f:
		return int(tag), true
	case tag >= 0x30 && tag <= 0x33:
		return int(tag-0x30)<<8 | int(r.Uint8()), true
	case tag == 'S':
		return int(r.Uint16()), true
	case tag == 'R':
		return int(r.Uint16()), false
	}
	r.Fail(ErrMalformed)
	return 0, false
}

// readStringTag reads a string whose first tag was read. A single-chunk
// string (every string a Dubbo header field holds in practice) aliases the
// input; a chunked one is joined into a new slice, whose size is bounded by
// the bytes it was read from.
func readStringTag(r *parser.Reader, tag byte) []byte {
	var joined []byte
	for {
		chars, final := strChunk(r, tag)
		if !r.Ok() {
			return nil
		}
		n, pairs, err := strSpan(r.Rest(), chars)
		if err != nil {
			r.Fail(err)
			return nil
		}
		b := r.Bytes(n)
		if pairs {
			// Surrogate pairs (CESU-8) become real UTF-8: a rare case,
			// and the only one where a single-chunk string is copied.
			b = cesuToUTF8(b)
		}
		if final {
			if joined == nil {
				return b
			}
			return append(joined, b...)
		}
		joined = append(joined, b...)
		tag = r.Uint8()
		if r.Ok() && !isStringTag(tag) {
			r.Fail(ErrMalformed)
		}
	}
}

// readString reads a string value; null reads as empty.
func readString(r *parser.Reader) []byte {
	tag := r.Uint8()
	if !r.Ok() {
		return nil
	}
	if tag == 'N' {
		return nil
	}
	if !isStringTag(tag) {
		r.Fail(ErrMalformed)
		return nil
	}
	return readStringTag(r, tag)
}

// leadingString reads one of the strings a request body starts with, as
// readString does. The common case, a single chunk of ASCII text with a
// one-byte (0x00-0x1f) or two-byte (0x30-0x33) length, is read here in one
// pass: for ASCII text hessian2's length (UTF-16 code units) is the byte
// count, so the string is the next n bytes once they are checked to be
// ASCII. Anything else (null, 'S' and chunked strings, non-ASCII text, a
// string cut short) goes through readString, which says what is wrong.
func leadingString(r *parser.Reader) []byte {
	if rest := r.Rest(); len(rest) >= 2 {
		tag := rest[0]
		n, h := int(tag), 1
		switch {
		case tag <= 0x1f:
		case tag >= 0x30 && tag <= 0x33:
			n, h = int(tag-0x30)<<8|int(rest[1]), 2
		default:
			return readString(r)
		}
		if end := h + n; end <= len(rest) && isASCII(rest[h:end]) {
			r.Skip(end)
			return rest[h:end:end]
		}
	}
	return readString(r)
}

// isASCII reports whether every byte of b is below 0x80, a word at a time.
func isASCII(b []byte) bool {
	var or uint64
	switch n := len(b); {
	case n >= 8:
		// The last word may overlap what the loop checked: harmless.
		or = binary.LittleEndian.Uint64(b[n-8:])
		for len(b) > 8 {
			or |= binary.LittleEndian.Uint64(b)
			b = b[8:]
		}
	case n >= 4:
		or = uint64(binary.LittleEndian.Uint32(b) | binary.LittleEndian.Uint32(b[n-4:]))
	default:
		for _, c := range b {
			or |= uint64(c)
		}
	}
	return or&0x8080808080808080 == 0
}

// isIntTag reports whether tag starts a hessian2 int or long.
func isIntTag(tag byte) bool {
	return tag >= 0x80 || (tag >= 0x38 && tag <= 0x3f) || tag == 'I' || tag == 'L' || tag == 'Y'
}

// readIntTag reads an int or long whose tag was read.
func readIntTag(r *parser.Reader, tag byte) int64 {
	switch {
	case tag >= 0x80 && tag <= 0xbf:
		return int64(tag) - 0x90
	case tag >= 0xc0 && tag <= 0xcf:
		return (int64(tag)-0xc8)<<8 | int64(r.Uint8())
	case tag >= 0xd0 && tag <= 0xd7:
		return (int64(tag)-0xd4)<<16 | int64(r.Uint16())
	case tag == 'I' || tag == 'Y':
		return int64(r.Int32())
	case tag >= 0xd8 && tag <= 0xef:
		return int64(tag) - 0xe0
	case tag >= 0xf0:
		return (int64(tag)-0xf8)<<8 | int64(r.Uint8())
	case tag >= 0x38 && tag <= 0x3f:
		return (int64(tag)-0x3c)<<16 | int64(r.Uint16())
	case tag == 'L':
		return r.Int64()
	}
	r.Fail(ErrMalformed)
	return 0
}

// readInt reads an int or long value.
func readInt(r *parser.Reader) int64 {
	tag := r.Uint8()
	if !r.Ok() {
		return 0
	}
	return readIntTag(r, tag)
}

// classDef is what the walker keeps of a class definition.
type classDef struct {
	name       []byte
	fieldNames []byte // the encoded field names, read again when rendering
	fields     int
	msgField   int // index of the detailMessage field (Throwable), -1 if none
}

type typeKind uint8

const (
	typeList typeKind = iota + 1
	typeMap
)

type typeEntry struct {
	name []byte
	kind typeKind
}

// walker steps over hessian2 values, checking every length, count and
// index, without allocating (until a body defines more than a handful of
// classes or types, then the tables grow up to their limits). It keeps the
// class definitions, whose field counts it needs to step over objects.
type walker struct {
	r        parser.Reader
	all      []byte // what r reads, for slicing spans out of it
	maxDepth int
	depth    int
	refs     int    // lists, maps and objects seen (reference targets)
	out      []byte // JSON output of the render methods (json.go)
	defs     smallList[classDef]
	types    smallList[typeEntry]
}

// smallList keeps its first four elements in place, so a walker (which
// lives on the stack) allocates nothing for the few class definitions and
// type names a typical body has.
type smallList[T any] struct {
	fixed [4]T
	more  []T
	n     int
}

func (l *smallList[T]) len() int { return l.n }

func (l *smallList[T]) add(v T) {
	if l.n < len(l.fixed) {
		l.fixed[l.n] = v
	} else {
		l.more = append(l.more, v)
	}
	l.n++
}

func (l *smallList[T]) at(i int) *T {
	if i < len(l.fixed) {
		return &l.fixed[i]
	}
	return &l.more[i-len(l.fixed)]
}

func (w *walker) reset(b []byte, maxDepth int) {
	w.r.Reset(b)
	w.all = b
	w.maxDepth = maxDepth
	w.depth = 0
	w.refs = 0
	w.out = w.out[:0]
	w.defs = smallList[classDef]{}
	w.types = smallList[typeEntry]{}
}

// count checks a count read from the wire against the bytes left: every
// element takes at least min bytes.
func (w *walker) count(n int64, min int) int {
	if n < 0 || n > int64(w.r.Len()/min) {
		w.r.Fail(ErrMalformed)
		return 0
	}
	return int(n)
}

// value steps over one value.
func (w *walker) value() {
	tag := w.r.Uint8()
	if !w.r.Ok() {
		return
	}
	w.valueTag(tag)
}

func (w *walker) valueTag(tag byte) {
	r := &w.r
	switch {
	case isStringTag(tag):
		readStringTag(r, tag)
	case isIntTag(tag):
		readIntTag(r, tag)
	case tag >= 0x20 && tag <= 0x2f: // short binary
		r.Skip(int(tag - 0x20))
	case tag >= 0x34 && tag <= 0x37: // medium binary
		r.Skip(int(tag-0x34)<<8 | int(r.Uint8()))
	case tag == 'A' || tag == 'B': // binary chunks
		for r.Ok() {
			r.Skip(int(r.Uint16()))
			if tag == 'B' {
				return
			}
			tag = r.Uint8()
			if r.Ok() && tag != 'A' && tag != 'B' {
				r.Fail(ErrMalformed)
			}
		}
	case tag == 'N' || tag == 'T' || tag == 'F' || tag == 0x5b || tag == 0x5c:
	case tag == 0x5d:
		r.Skip(1)
	case tag == 0x5e:
		r.Skip(2)
	case tag == 0x5f || tag == 'K':
		r.Skip(4)
	case tag == 'D' || tag == 'J':
		r.Skip(8)
	case tag == 'C':
		w.classDef()
		w.value() // a definition is followed by the object it describes
	case tag == 'O':
		w.object(readInt(r))
	case tag >= 0x60 && tag <= 0x6f:
		w.object(int64(tag - 0x60))
	case tag == 'Q':
		if readInt(r) < 0 {
			r.Fail(ErrMalformed)
		}
	case tag == 'H':
		w.mapEntries()
	case tag == 'M':
		w.mapType()
		w.mapEntries()
	case tag == 'U':
		w.listType()
		w.listUntilEnd()
	case tag == 'V':
		w.listType()
		w.listN(w.count(readInt(r), 1))
	case tag >= 0x70 && tag <= 0x77:
		w.listType()
		w.listN(int(tag - 0x70))
	case tag == 'W':
		w.listUntilEnd()
	case tag == 'X':
		w.listN(w.count(readInt(r), 1))
	case tag >= 0x78 && tag <= 0x7f:
		w.listN(int(tag - 0x78))
	default: // '@', 'E', 'G', 'P', 'Z' and other reserved codes
		r.Fail(ErrMalformed)
	}
}

func (w *walker) enter() bool {
	w.depth++
	if w.depth > w.maxDepth {
		w.r.Fail(ErrTooDeep)
		return false
	}
	return true
}

func (w *walker) listN(n int) {
	if !w.enter() {
		return
	}
	for i := 0; i < n && w.r.Ok(); i++ {
		w.value()
	}
	w.depth--
}

// atEnd consumes the end marker 'Z' of a list or map without a length
// when it comes next.
func (w *walker) atEnd() bool {
	if p := w.r.Peek(1); p != nil && p[0] == 'Z' {
		w.r.Skip(1)
		return true
	}
	return false
}

func (w *walker) listUntilEnd() {
	if !w.enter() {
		return
	}
	for w.r.Ok() && !w.atEnd() {
		w.value()
	}
	w.depth--
}

func (w *walker) mapEntries() {
	if !w.enter() {
		return
	}
	for w.r.Ok() && !w.atEnd() {
		w.value()
		w.value()
	}
	w.depth--
}

// listType reads a typed list's type: a name, or a reference to a list
// type named before. dubbo-go-hessian2 reads list types as strings and
// turns a numeric one into a reference, so digits-only names are
// references here too.
func (w *walker) listType() {
	w.typeRef(typeList)
}

func (w *walker) mapType() {
	w.typeRef(typeMap)
}

func (w *walker) typeRef(kind typeKind) {
	r := &w.r
	tag := r.Uint8()
	if !r.Ok() {
		return
	}
	var idx int64
	switch {
	case isStringTag(tag):
		name := readStringTag(r, tag)
		if !r.Ok() {
			return
		}
		n, isNum := atoi(name)
		if !isNum || kind == typeMap {
			w.addType(name, kind)
			return
		}
		idx = n
	case isIntTag(tag):
		idx = readIntTag(r, tag)
	default:
		r.Fail(ErrMalformed)
		return
	}
	// A reference must name an earlier type of the same kind: the
	// library builds a slice or a map from it and panics on the other.
	if idx < 0 || idx >= int64(w.types.len()) || w.types.at(int(idx)).kind != kind {
		r.Fail(ErrMalformed)
	}
}

func (w *walker) addType(name []byte, kind typeKind) {
	for i := 0; i < w.types.len(); i++ {
		if string(w.types.at(i).name) == string(name) {
			return // dubbo-go-hessian2 records each name once, with its first kind
		}
	}
	if w.types.len() >= maxTypes {
		w.r.Fail(ErrTooManyDefs)
		return
	}
	w.types.add(typeEntry{name: name, kind: kind})
}

// atoi parses a decimal integer the way strconv.Atoi does (optional sign),
// reporting whether name is one.
func atoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n, ok := ascii.ParseDigits(b)
	if neg {
		n = -n
	}
	return n, ok
}

const detailMessage = "detailMessage"

// classDef reads a class definition after its 'C' tag.
func (w *walker) classDef() {
	r := &w.r
	name := readString(r)
	n := w.count(readInt(r), 1)
	if !r.Ok() {
		return
	}
	if len(name) == 0 {
		r.Fail(ErrMalformed)
		return
	}
	d := classDef{name: name, fields: n, msgField: -1}
	start := r.Offset()
	for i := 0; i < n && r.Ok(); i++ {
		f := readString(r)
		if string(f) == detailMessage {
			d.msgField = i
		}
	}
	if !r.Ok() {
		return
	}
	d.fieldNames = w.all[start:r.Offset()]
	if w.defs.len() >= maxClassDefs {
		r.Fail(ErrTooManyDefs)
		return
	}
	w.defs.add(d)
}

// def returns the class definition an object refers to.
func (w *walker) def(idx int64) *classDef {
	if idx < 0 || idx >= int64(w.defs.len()) {
		w.r.Fail(ErrMalformed)
		return nil
	}
	return w.defs.at(int(idx))
}

func (w *walker) object(idx int64) {
	d := w.def(idx)
	if d == nil || !w.enter() {
		return
	}
	for i := 0; i < d.fields && w.r.Ok(); i++ {
		w.value()
	}
	w.depth--
}

// exception reads a response's exception value: normally a class
// definition and an object of a Throwable class, whose detailMessage field
// is the message; dubbo-go may also send a plain string. It returns the
// class name and message found (either may be nil).
func (w *walker) exception() (class, msg []byte) {
	r := &w.r
	tag := r.Uint8()
	for r.Ok() && tag == 'C' {
		w.classDef()
		tag = r.Uint8()
	}
	if !r.Ok() {
		return nil, nil
	}
	var idx int64
	switch {
	case isStringTag(tag):
		return nil, readStringTag(r, tag)
	case tag == 'O':
		idx = readInt(r)
	case tag >= 0x60 && tag <= 0x6f:
		idx = int64(tag - 0x60)
	default:
		w.valueTag(tag)
		return nil, nil
	}
	d := w.def(idx)
	if d == nil || !w.enter() {
		return nil, nil
	}
	class = d.name
	for i := 0; i < d.fields && r.Ok(); i++ {
		if i == d.msgField {
			if p := r.Peek(1); p != nil && isStringTag(p[0]) {
				msg = readString(r)
				continue
			}
		}
		w.value()
	}
	w.depth--
	return class, msg
}
