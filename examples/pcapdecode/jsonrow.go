package main

import (
	"slices"
	"unsafe"

	"github.com/wirekit/wirekit/parser"
)

// jsonFormat prints one JSON object per exchange (JSON Lines). The
// attribute names are the protocol packages' constants, the same as the
// corpus truth files use.
//
// A row is mostly text that repeats: the connection's part
// ({"protocol":...,"client":...,"server":...) is built once per
// connection, the kinds' and fields' names are literals, each attribute
// key's JSON form and whether the redaction policy may change its values
// are looked up once per key by the key's address (keyTable), timestamps
// reuse their second's text (clock), and numbers are written with a digit
// pair table. What is left per row is the values themselves.
type jsonFormat struct {
	red    *redactor // nil: -redact off
	stamps [2]stamp  // request_time, response_time
	keys   keyTable
	pairs  [512]pairSlot
}

// pairSlot holds the JSON text ("key":value) of an attribute whose value
// is known by its identity: an int, a bool, or a stable string (a
// protocol's interned names: see parser.Value, == on two stable Values is
// the same text at the same address) under a key whose values the policy
// leaves alone. Most of a row's attributes are such (a command name, an
// argument count, a reply type), and are written with one copy.
type pairSlot struct {
	key  string // compared by address, as keyTable does
	v    parser.Value
	n    uint8 // length of text; 0: empty slot
	text [56]byte
}

// pairSlotFor returns the slot for k and v. It hashes v's two words as
// they are (the compile-time check below keeps the read within the
// Value); whether v may be cached at all (an int, a bool, a stable
// string) is decided when a slot is filled, since a Value == one that was
// cached is that value.
func (j *jsonFormat) pairSlotFor(k string, v parser.Value) *pairSlot {
	w := (*[2]uintptr)(unsafe.Pointer(&v))
	x := w[0]>>3 ^ w[1]*0x9e3779b97f4a7c15>>40
	p := uintptr(unsafe.Pointer(unsafe.StringData(k)))
	return &j.pairs[(x^x>>9^p>>3^p>>11)&uintptr(len(j.pairs)-1)]
}

// A parser.Value is two words (pairSlotFor reads them).
var _ [unsafe.Sizeof(parser.Value{}) - 2*unsafe.Sizeof(uintptr(0))]struct{} = [0]struct{}{}

// kindJSON is each exchange kind's name as the row writes it, with the
// text that follows it.
var kindJSON = func() (t [parser.Push + 1]string) {
	for k := range t {
		t[k] = parser.ExchangeKind(k).String() + `","request":`
	}
	return t
}()

func (j *jsonFormat) row(b []byte, r *Record) []byte {
	b = append(b, r.Stream.jsonHead(r.Protocol)...)
	if int(r.Kind) < len(kindJSON) {
		b = append(b, kindJSON[r.Kind]...)
	} else {
		b = append(append(b, r.Kind.String()...), `","request":`...)
	}
	b = j.appendAttrs(b, r.Request)
	b = append(b, `,"response":`...)
	b = j.appendAttrs(b, r.Response)
	if !r.RequestTime.IsZero() {
		b = append(j.stamps[0].append(b, `,"request_time":"`, r.RequestTime), '"')
	}
	if !r.ResponseTime.IsZero() {
		b = append(j.stamps[1].append(b, `,"response_time":"`, r.ResponseTime), '"')
	}
	if r.Kind == parser.Complete {
		b = append(b, `,"latency_us":`...)
		b = appendMicros(b, r.latency())
	}
	if r.RequestSeq > 0 {
		b = append(b, `,"seq":`...)
		b = appendUint(b, r.RequestSeq)
	}
	if r.Request != nil {
		b = append(b, `,"request_size":`...)
		b = appendUint(b, uint64(max(r.RequestSize, 0)))
	}
	if r.Response != nil {
		b = append(b, `,"response_size":`...)
		b = appendUint(b, uint64(max(r.ResponseSize, 0)))
	}
	if r.RequestErr != nil || r.ResponseErr != nil || r.Reason != nil {
		b = appendErr(b, `,"request_error":`, r.RequestErr)
		b = appendErr(b, `,"response_error":`, r.ResponseErr)
		b = appendErr(b, `,"reason":`, r.Reason)
	}
	return append(b, "}\n"...)
}

// jsonHead returns the start of the connection's JSON rows,
// {"protocol":P,"client":"C","server":"S","kind":" (built on first use, and
// again if the protocol differs from the one it was built for).
func (s *StreamInfo) jsonHead(proto string) []byte {
	if s.json == nil || !sameString(s.jsonProto, proto) {
		b := append(s.json[:0], `{"protocol":`...)
		b = parser.AppendJSONString(b, proto)
		b = append(b, `,"client":"`...)
		b = append(b, s.ClientText...)
		b = append(b, `","server":"`...)
		b = append(b, s.ServerText...)
		s.json, s.jsonProto = append(b, `","kind":"`...), proto
	}
	return s.json
}

// sameString is a == b, answered without comparing bytes when both are
// the same string (one address and length), as a connection's protocol
// name is from exchange to exchange.
func sameString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	return unsafe.StringData(a) == unsafe.StringData(b) || a == b
}

// appendAttrs appends a's attributes as a JSON object (as
// parser.Attributes.AppendJSON does), null when the exchange has no such
// half, with values redacted by j.red.
func (j *jsonFormat) appendAttrs(b []byte, a *parser.Attributes) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	first := true
	for k, v := range a.All() {
		if !first {
			b = append(b, ',')
		}
		first = false
		sl := j.pairSlotFor(k, v)
		if sl.n > 0 && sl.v == v && unsafe.StringData(sl.key) == unsafe.StringData(k) && len(sl.key) == len(k) {
			// One fixed-size copy (inline moves, no call) into the
			// spare capacity, then the length.
			l := len(b)
			if cap(b)-l < len(sl.text) {
				b = slices.Grow(b, len(sl.text))
			}
			*(*[len(sl.text)]byte)(b[l : l+len(sl.text)]) = sl.text
			b = b[:l+int(sl.n)]
			continue
		}
		start := len(b)
		ki := j.keys.lookup(k, j.red)
		b = append(b, ki.json...)
		switch v.Kind() {
		case parser.KindString:
			if ki.changes {
				b = j.red.appendJSONValue(b, k, v)
				sl = nil
			} else {
				b = appendJSONString(b, v.UnsafeStr())
				if !v.Stable() {
					sl = nil
				}
			}
		case parser.KindInt:
			b = appendInt(b, v.Int())
		case parser.KindBool:
			b = v.AppendJSON(b)
		case parser.KindBytes:
			if ki.changes {
				b = j.red.appendJSONValue(b, k, v)
			} else {
				b = v.AppendJSON(b)
			}
			sl = nil
		default:
			b = v.AppendJSON(b)
			sl = nil
		}
		if sl != nil && len(b)-start <= len(sl.text) {
			sl.key, sl.v, sl.n = k, v, uint8(copy(sl.text[:], b[start:]))
		}
	}
	return append(b, '}')
}

// keyInfo is what the JSON writer needs of one attribute key: its JSON
// form with the colon, and whether the redaction policy may change the
// key's values.
type keyInfo struct {
	key     string
	json    string
	changes bool
}

// keyTable finds a key's keyInfo by the key's address: attribute keys are
// the protocol packages' constants (parser.Attributes.CopyFrom relies on
// it too: it copies values, never keys), so a key at the same address and
// of the same length is the same key, and a row's keys are found with two
// comparisons each, without reading their bytes. A direct-mapped slot
// array answers by address; a map by content answers a slot's misses
// (two keys sharing a slot, or the same key at two addresses) and holds
// at most maxKnownKeys keys: keys past it (a protocol inventing keys per
// message) are worked out each time, into spare, and never stored.
type keyTable struct {
	slots [256]*keyInfo
	known map[string]*keyInfo
	spare keyInfo
	buf   []byte
}

func (t *keyTable) lookup(k string, red *redactor) *keyInfo {
	p := uintptr(unsafe.Pointer(unsafe.StringData(k)))
	i := (p>>3 ^ p>>11 ^ uintptr(len(k))) & uintptr(len(t.slots)-1)
	if ki := t.slots[i]; ki != nil && unsafe.StringData(ki.key) == unsafe.StringData(k) && len(ki.key) == len(k) {
		return ki
	}
	return t.miss(i, k, red)
}

func (t *keyTable) miss(i uintptr, k string, red *redactor) *keyInfo {
	if ki := t.known[k]; ki != nil {
		if unsafe.StringData(ki.key) == unsafe.StringData(k) {
			t.slots[i] = ki
		}
		return ki // the same key at another address: not cached by address
	}
	t.buf = append(parser.AppendJSONString(t.buf[:0], k), ':')
	if len(t.known) >= maxKnownKeys {
		t.spare = keyInfo{key: k, json: parser.UnsafeString(t.buf), changes: red.changes(k)}
		return &t.spare
	}
	if t.known == nil {
		t.known = map[string]*keyInfo{}
	}
	ki := &keyInfo{key: k, json: string(t.buf), changes: red.changes(k)}
	t.known[k] = ki
	t.slots[i] = ki
	return ki
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendUint appends v in decimal, written in place two digits at a
// time.
func appendUint(b []byte, v uint64) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	if v < 100 {
		return append(b, digitPairs[v*2], digitPairs[v*2+1])
	}
	if v < 1000 {
		t := &digitTriples
		return append(b, t[v*3], t[v*3+1], t[v*3+2])
	}
	if v < 1000000 {
		t, lo := &digitTriples, v%1000*3
		return append(appendUint(b, v/1000), t[lo], t[lo+1], t[lo+2])
	}
	n := 7
	for t := uint64(10000000); n < 20 && v >= t; t *= 10 {
		n++
	}
	l := len(b)
	b = slices.Grow(b, n)[:l+n]
	d := b[l:]
	i := n
	for v >= 100 {
		p := v % 100 * 2
		v /= 100
		i -= 2
		d[i], d[i+1] = digitPairs[p], digitPairs[p+1]
	}
	if v >= 10 {
		d[0], d[1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		d[0] = byte('0' + v)
	}
	return b
}

// appendInt appends v in decimal (strconv.AppendInt(b, v, 10)).
func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(b, '-'), uint64(-v)) // -MinInt64 is MinInt64, as uint64 its magnitude
	}
	return appendUint(b, uint64(v))
}

func appendErr(b []byte, key string, err error) []byte {
	if err == nil {
		return b
	}
	return parser.AppendJSONString(append(b, key...), err.Error())
}
