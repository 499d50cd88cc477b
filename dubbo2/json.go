package dubbo2

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// This file renders hessian2 values as JSON, for the argument values and
// for attachment maps that hold more than strings and numbers.
//
// Why not dubbo-go-hessian2: that library decodes into registered Go types
// through reflection and panics on input that is well-formed hessian2 but
// does not fit the registered type (an int where a registered POJO, or one
// of the exception classes the library itself registers, has a string
// field, or a string where it has an int field; a list or binary used as a
// map key; a null key in a typed map: see
// TestHessian2LibraryPanicsOnWellFormedInput).
// A traffic parser sees hostile and buggy peers, must not panic and must
// not recover, so it renders with this walker, which needs no types. The
// library remains the reference the tests compare this rendering with.
//
// The rendering: strings, numbers, booleans and null as themselves; binary
// as base64; dates as RFC 3339 UTC strings; lists as arrays; maps as
// objects (non-string keys written as their JSON text); objects as objects
// with their Java class under "_class" (as dubbo-go-hessian2 does for
// classes it does not know); a back-reference as {"$ref": n}, n counting
// lists, maps and objects from 0 in stream order. NaN and infinities are
// strings. The output is at most a small multiple of the input.

// jsonValue renders one value, appending to w.out.
func (w *walker) jsonValue() {
	tag := w.r.Uint8()
	if !w.r.Ok() {
		return
	}
	w.jsonTag(tag)
}

func (w *walker) jsonTag(tag byte) {
	r := &w.r
	switch {
	case isStringTag(tag):
		s := readStringTag(r, tag)
		w.out = appendJSONString(w.out, s)
	case tag == 'D':
		w.jsonFloat(math.Float64frombits(r.Uint64()))
	case tag == 0x5b:
		w.out = append(w.out, '0')
	case tag == 0x5c:
		w.out = append(w.out, '1')
	case tag == 0x5d:
		w.out = strconv.AppendInt(w.out, int64(r.Int8()), 10)
	case tag == 0x5e:
		w.out = strconv.AppendInt(w.out, int64(r.Int16()), 10)
	case tag == 0x5f: // double in thousandths, as a 32-bit int
		w.jsonFloat(float64(r.Int32()) / 1000)
	case isIntTag(tag):
		w.out = strconv.AppendInt(w.out, readIntTag(r, tag), 10)
	case tag == 'N':
		w.out = append(w.out, "null"...)
	case tag == 'T':
		w.out = append(w.out, "true"...)
	case tag == 'F':
		w.out = append(w.out, "false"...)
	case tag == 'J':
		w.jsonTime(time.UnixMilli(r.Int64()))
	case tag == 'K':
		w.jsonTime(time.Unix(int64(r.Int32())*60, 0))
	case (tag >= 0x20 && tag <= 0x2f) || (tag >= 0x34 && tag <= 0x37) || tag == 'A' || tag == 'B':
		w.jsonBinary(tag)
	case tag == 'C':
		w.classDef()
		w.jsonValue()
	case tag == 'O':
		w.jsonObject(readInt(r))
	case tag >= 0x60 && tag <= 0x6f:
		w.jsonObject(int64(tag - 0x60))
	case tag == 'Q':
		n := readInt(r)
		if n < 0 {
			r.Fail(ErrMalformed)
			return
		}
		w.out = append(w.out, `{"$ref":`...)
		w.out = strconv.AppendInt(w.out, n, 10)
		w.out = append(w.out, '}')
	case tag == 'H':
		w.jsonMap()
	case tag == 'M':
		w.mapType()
		w.jsonMap()
	case tag == 'U':
		w.listType()
		w.jsonList(-1)
	case tag == 'V':
		w.listType()
		w.jsonList(w.count(readInt(r), 1))
	case tag >= 0x70 && tag <= 0x77:
		w.listType()
		w.jsonList(int(tag - 0x70))
	case tag == 'W':
		w.jsonList(-1)
	case tag == 'X':
		w.jsonList(w.count(readInt(r), 1))
	case tag >= 0x78 && tag <= 0x7f:
		w.jsonList(int(tag - 0x78))
	default:
		r.Fail(ErrMalformed)
	}
}

func (w *walker) jsonFloat(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.out = append(w.out, '"')
		w.out = strconv.AppendFloat(w.out, f, 'g', -1, 64)
		w.out = append(w.out, '"')
		return
	}
	w.out = strconv.AppendFloat(w.out, f, 'g', -1, 64)
}

func (w *walker) jsonTime(t time.Time) {
	w.out = append(w.out, '"')
	w.out = t.UTC().AppendFormat(w.out, time.RFC3339Nano)
	w.out = append(w.out, '"')
}

func (w *walker) jsonBinary(tag byte) {
	r := &w.r
	w.out = append(w.out, '"')
	enc := base64.StdEncoding
	// Chunks are encoded separately only when they end on a 3-byte
	// boundary; otherwise they are gathered first, so the output is one
	// valid base64 string.
	var pending []byte
	for r.Ok() {
		var n int
		final := true
		switch {
		case tag >= 0x20 && tag <= 0x2f:
			n = int(tag - 0x20)
		case tag >= 0x34 && tag <= 0x37:
			n = int(tag-0x34)<<8 | int(r.Uint8())
		case tag == 'A' || tag == 'B':
			n = int(r.Uint16())
			final = tag == 'B'
		default:
			r.Fail(ErrMalformed)
			return
		}
		b := r.Bytes(n)
		if final && pending == nil {
			w.out = enc.AppendEncode(w.out, b)
			break
		}
		pending = append(pending, b...)
		if final {
			w.out = enc.AppendEncode(w.out, pending)
			break
		}
		tag = r.Uint8()
	}
	w.out = append(w.out, '"')
}

func (w *walker) jsonList(n int) {
	if !w.enter() {
		return
	}
	w.refs++
	w.out = append(w.out, '[')
	for i := 0; (n < 0 || i < n) && w.r.Ok(); i++ {
		if n < 0 && w.atEnd() {
			break
		}
		if i > 0 {
			w.out = append(w.out, ',')
		}
		w.jsonValue()
	}
	w.out = append(w.out, ']')
	w.depth--
}

func (w *walker) jsonMap() {
	if !w.enter() {
		return
	}
	w.refs++
	w.out = append(w.out, '{')
	for i := 0; w.r.Ok(); i++ {
		p := w.r.Peek(1)
		if p == nil {
			w.r.Fail(ErrShort)
			break
		}
		if p[0] == 'Z' {
			w.r.Skip(1)
			break
		}
		if i > 0 {
			w.out = append(w.out, ',')
		}
		w.jsonKey()
		w.out = append(w.out, ':')
		w.jsonValue()
	}
	w.out = append(w.out, '}')
	w.depth--
}

// jsonKey renders a map key as a JSON string: a string key as itself, any
// other key as its JSON text.
func (w *walker) jsonKey() {
	p := w.r.Peek(1)
	if p != nil && isStringTag(p[0]) {
		w.jsonValue()
		return
	}
	start := len(w.out)
	w.jsonValue()
	if !w.r.Ok() || w.out[start] == '"' { // binary, date: already a JSON string
		return
	}
	// Quote the rendered key in place: appendJSONString needs a copy of
	// it, as it writes over the same buffer.
	key := append([]byte(nil), w.out[start:]...)
	w.out = appendJSONString(w.out[:start], key)
}

func (w *walker) jsonObject(idx int64) {
	d := w.def(idx)
	if d == nil || !w.enter() {
		return
	}
	w.refs++
	fields := d.fields
	w.out = append(w.out, `{"_class":`...)
	w.out = appendJSONString(w.out, d.name)
	// Field names are read again from the definition: the walker keeps
	// only where they start, to stay allocation-free.
	fr := parser.NewReader(d.fieldNames)
	for i := 0; i < fields && w.r.Ok(); i++ {
		w.out = append(w.out, ',')
		w.out = appendJSONString(w.out, readString(&fr))
		w.out = append(w.out, ':')
		w.jsonValue()
	}
	w.out = append(w.out, '}')
	w.depth--
}

// appendJSONString appends s as a JSON string (parser.AppendJSONString).
func appendJSONString(dst, s []byte) []byte {
	return parser.AppendJSONString(dst, parser.UnsafeString(s))
}
