package kafka

import (
	"encoding/base64"
	"encoding/binary"

	"github.com/wirekit/wirekit/parser"
)

// decoder reads one message body, straight down the protocol's field list,
// over a parser.Reader with its sticky error. It knows the version being
// decoded and whether it is flexible (KIP-482: compact strings, arrays and
// bytes with unsigned-varint lengths, a tagged-field section after every
// struct) and collects the facts that become attributes. It lives on the
// stack of one parse; nothing in it allocates.
type decoder struct {
	b    []byte // the body
	off  int    // read offset in b
	err  error  // sticky: the first failure; every later read returns zero
	m    *parser.Message
	c    *config
	v    int16
	flex bool
	resp bool

	topics      int64 // topics seen
	partitions  int64 // topic partitions seen
	cacheLocked bool  // the topic cache's read lock is held (Metadata response)
	topicSet    bool  // topic holds the first topic name
	idSet       bool  // idText holds the first topic id
	errCode     int16 // first non-zero error code
	rec         recordStats

	// Facts of the hot APIs' bodies (Produce, Fetch) and of the fields
	// many bodies share, set as attributes by finish: only a body that
	// decodes reports them, so a body that fails leaves no attribute to
	// roll back (the request and response roots decode Produce and Fetch
	// themselves, and a root's attributes are not rolled back).
	have     uint8 // have* bits
	acks     int16
	timeout  int32
	maxWait  int32
	throttle int32
	topic    []byte
	txn      []byte
	idText   string
	resolved string
}

// decoder.have bits.
const (
	haveAcks     = 1 << iota // acks and timeout (Produce request)
	haveMaxWait              // Fetch request
	haveThrottle             // a response's throttle time
	haveTxn                  // transactional id (Produce request)
	haveResolved             // the cache's name for idText
)

func (d *decoder) ok() bool { return d.err == nil }

// fail sets the sticky error (the first one wins).
func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Len is the number of bytes left (0 after an error).
func (d *decoder) Len() int {
	if d.err != nil {
		return 0
	}
	return len(d.b) - d.off
}

// need reports whether n more bytes are there, failing with ErrShort if not.
func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = parser.ErrShort
		return false
	}
	return true
}

// Skip consumes n bytes.
func (d *decoder) Skip(n int) {
	if d.need(n) {
		d.off += n
	}
}

// Bytes consumes n bytes and returns them (aliasing the message).
func (d *decoder) Bytes(n int) []byte {
	if !d.need(n) {
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

// Int8 reads a signed byte.
func (d *decoder) Int8() int8 {
	if !d.need(1) {
		return 0
	}
	v := d.b[d.off]
	d.off++
	return int8(v)
}

// Bool reads a boolean byte.
func (d *decoder) Bool() bool { return d.Int8() != 0 }

// Int16 reads a big-endian int16.
func (d *decoder) Int16() int16 {
	if !d.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(d.b[d.off:])
	d.off += 2
	return int16(v)
}

// Int32 reads a big-endian int32.
func (d *decoder) Int32() int32 {
	if !d.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return int32(v)
}

// Int64 reads a big-endian int64.
func (d *decoder) Int64() int64 {
	if !d.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(d.b[d.off:])
	d.off += 8
	return int64(v)
}

// Uvarint reads an unsigned varint. Kafka's are at most 5 bytes (uint32);
// the one-byte form, by far the most common (small counts and lengths, the
// empty tag section), is read by uvarint1, which inlines.
func (d *decoder) Uvarint() uint64 {
	if v, ok := d.uvarint1(); ok {
		return v
	}
	return d.uvarintSlow()
}

// uvarint1 reads a one-byte uvarint, and reports false (reading nothing)
// for any other: then the caller calls uvarintSlow. It makes no call, so
// that it inlines into the string, bytes and array readers.
func (d *decoder) uvarint1() (uint64, bool) {
	off := d.off
	if uint(off) < uint(len(d.b)) && d.b[off] < 0x80 && d.err == nil {
		d.off = off + 1
		return uint64(d.b[off]), true
	}
	return 0, false
}

func (d *decoder) uvarintSlow() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		d.err = parser.ErrShort
		return 0
	case n < 0 || n > 5:
		d.err = ErrMalformedBody
		return 0
	}
	d.off += n
	return v
}

// length checks a wire length against the bytes left: a hostile length is
// rejected before anything is sized from it.
func (d *decoder) length(n uint64) int {
	if n > uint64(d.Len()) {
		d.fail(ErrLength)
		return 0
	}
	return int(n)
}

// str reads a string: compact (uvarint length+1, 0 = null) in flexible
// versions, int16 length (-1 = null) otherwise. null reports a null string.
// The readers of lengths (str, bytes, array) read their fields straight
// from the slice: they run for every string, record set and array.
func (d *decoder) str() (b []byte, null bool) {
	if d.flex {
		n, ok := d.uvarint1()
		if !ok {
			n = d.uvarintSlow()
		}
		if n == 0 {
			return nil, true // null, or an error (which reads as 0)
		}
		return d.compact(n - 1), false
	}
	off := d.off
	if d.err != nil || len(d.b)-off < 2 {
		d.need(2)
		return nil, false
	}
	n := int(int16(binary.BigEndian.Uint16(d.b[off:])))
	off += 2
	d.off = off
	if n < 0 {
		if n != -1 {
			d.err = ErrMalformedBody
		}
		return nil, true
	}
	if n > len(d.b)-off {
		d.err = ErrLength
		return nil, false
	}
	d.off = off + n
	return d.b[off : off+n : off+n], false
}

// compact returns the next n bytes of a compact string or bytes field,
// whose length uvarint was just read without error.
func (d *decoder) compact(n uint64) []byte {
	off := d.off
	if n > uint64(len(d.b)-off) {
		d.err = ErrLength
		return nil
	}
	end := off + int(n)
	d.off = end
	return d.b[off:end:end]
}

// skipStr skips a string.
func (d *decoder) skipStr() { d.str() }

// bytes reads a bytes field: compact in flexible versions, int32 length
// (-1 = null) otherwise.
func (d *decoder) bytes() []byte {
	if d.flex {
		n, ok := d.uvarint1()
		if !ok {
			n = d.uvarintSlow()
		}
		if n == 0 {
			return nil
		}
		return d.compact(n - 1)
	}
	off := d.off
	if d.err != nil || len(d.b)-off < 4 {
		d.need(4)
		return nil
	}
	n := int64(int32(binary.BigEndian.Uint32(d.b[off:])))
	off += 4
	d.off = off
	if n < 0 {
		if n != -1 {
			d.err = ErrMalformedBody
		}
		return nil
	}
	if n > int64(len(d.b)-off) {
		d.err = ErrLength
		return nil
	}
	d.off = off + int(n)
	return d.b[off : off+int(n) : off+int(n)]
}

// array reads an array count (compact in flexible versions), 0 for a null
// array. Every element takes at least one byte, so a count larger than the
// bytes left is rejected here, and loops over it end.
func (d *decoder) array() int {
	if d.flex {
		n, ok := d.uvarint1()
		if !ok {
			n = d.uvarintSlow()
		}
		if n == 0 {
			return 0
		}
		if n-1 > uint64(len(d.b)-d.off) { // no error is set: n != 0
			d.err = ErrLength
			return 0
		}
		return int(n - 1)
	}
	off := d.off
	if d.err != nil || len(d.b)-off < 4 {
		d.need(4)
		return 0
	}
	n := int64(int32(binary.BigEndian.Uint32(d.b[off:])))
	off += 4
	d.off = off
	if n < 0 {
		if n != -1 {
			d.err = ErrMalformedBody
		}
		return 0
	}
	if n > int64(len(d.b)-off) {
		d.err = ErrLength
		return 0
	}
	return int(n)
}

// skipArray skips an array of fixed-size elements ([int32], [int64]).
// The compact count of one byte, the usual case (Metadata's replica and
// ISR lists), is read inline.
func (d *decoder) skipArray(elem int) {
	if d.flex {
		if n, ok := d.uvarint1(); ok {
			if n == 0 {
				return // null
			}
			left := uint64(len(d.b) - d.off)
			if n-1 > left || (n-1)*uint64(elem) > left {
				d.err = ErrLength
				return
			}
			d.off += int(n-1) * elem
			return
		}
	}
	n := d.array()
	if n > 0 {
		d.Skip(d.length(uint64(n) * uint64(elem)))
	}
}

// skipStrings skips an array of strings.
func (d *decoder) skipStrings() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.str()
	}
}

// tags skips a tagged-field section (flexible versions only). It inlines
// to a flag test, so non-flexible versions pay no call.
func (d *decoder) tags() {
	if d.flex {
		d.tagsFlex()
	}
}

// tagsFlex skips a tagged-field section. The empty section, one zero
// byte, is by far the most common: it is read without a varint decode.
func (d *decoder) tagsFlex() {
	if off := d.off; uint(off) < uint(len(d.b)) && d.b[off] == 0 && d.err == nil {
		d.off = off + 1
		return
	}
	d.tagsSlow()
}

func (d *decoder) tagsSlow() {
	n := d.length(d.Uvarint())
	for i := 0; i < n && d.ok(); i++ {
		d.Uvarint() // tag
		d.Skip(d.length(d.Uvarint()))
	}
}

// uuid reads a 16-byte topic id.
func (d *decoder) uuid() (id [16]byte) {
	copy(id[:], d.Bytes(16))
	return id
}

// errorCode reads an int16 error code and remembers the first non-zero one.
func (d *decoder) errorCode() {
	if c := d.Int16(); c != 0 && d.errCode == 0 && d.ok() {
		d.errCode = c
	}
}

// errorCodeIn skips a run of n fixed-size fields with an int16 error
// code at offset at, with one bounds check when the run is all there.
func (d *decoder) errorCodeIn(n, at int) {
	if d.err == nil && n <= len(d.b)-d.off {
		if c := int16(binary.BigEndian.Uint16(d.b[d.off+at:])); c != 0 && d.errCode == 0 {
			d.errCode = c
		}
		d.off += n
		return
	}
	d.Skip(at)
	d.errorCode()
	d.Skip(n - at - 2)
}

// throttleTime reads the throttle time of a response.
func (d *decoder) throttleTime() {
	t := d.Int32()
	if d.ok() {
		d.throttle = t
		d.have |= haveThrottle
	}
}

// topicRef reads a topic reference: its name, or from version idSince on
// (the KIP-516 versions of Fetch, Produce, ListOffsets ...) its 16-byte id.
func (d *decoder) topicRef(idSince int16) {
	if d.v >= idSince {
		d.topicIDOnly(d.uuid())
	} else {
		d.topicName(d.str())
	}
}

// topicName counts a topic named on the wire and keeps the first one.
func (d *decoder) topicName(name []byte, null bool) {
	d.topics++
	if !d.topicSet && !null {
		d.topicSet = true
		d.topic = name
	}
}

// topicID keeps the first topic id, with its name when the wire does not
// name the topic and the topic cache knows it. A zero id (the "no id"
// value of bodies that carry both a name and an id) names nothing.
func (d *decoder) topicID(id [16]byte) {
	if d.idSet || id == ([16]byte{}) {
		return
	}
	d.idSet = true
	d.idText = d.formatID(id)
	if d.topicSet {
		return // the wire names the topic: nothing to resolve
	}
	var ok bool
	if d.cacheLocked {
		d.resolved, ok = d.c.cache.names[id]
	} else {
		d.resolved, ok = d.c.cache.Lookup(id)
	}
	if ok {
		d.have |= haveResolved
	}
}

// topicIDOnly is topicID for a topic named only by id (counted).
func (d *decoder) topicIDOnly(id [16]byte) {
	d.topics++
	d.topicID(id)
}

// formatID formats id into the connection's scratch space (no
// allocation), or into a new string when the message has no connection
// state.
func (d *decoder) formatID(id [16]byte) string {
	st, _ := d.m.State.(*connState)
	if st == nil {
		return FormatTopicID(id)
	}
	buf := st.idText[d.m.Dir&1][:]
	base64.RawURLEncoding.Encode(buf, id[:])
	return parser.UnsafeString(buf)
}

// group sets the group id.
func (d *decoder) group(b []byte) { addBytes(&d.m.Attrs, AttrGroupID, b) }

// member sets the member id.
func (d *decoder) member(b []byte) { addBytes(&d.m.Attrs, AttrMemberID, b) }

// groupStr reads a group id string and reports it.
func (d *decoder) groupStr() {
	g, _ := d.str()
	d.group(g)
}

// memberStr reads a member id string and reports it.
func (d *decoder) memberStr() {
	b, _ := d.str()
	d.member(b)
}

// generation reads a group generation and reports it.
func (d *decoder) generation() {
	addInt(&d.m.Attrs, AttrGenerationID, int64(d.Int32()))
}

// txnID keeps a transactional id unless it is null.
func (d *decoder) txnID(b []byte, null bool) {
	if !null && d.ok() {
		d.txn = b
		d.have |= haveTxn
	}
}

// Attribute setters. A parser node sets each of its keys once, so these
// append with parser.Attributes.Add, skipping Set's search for an earlier
// value; they inline, which folds each constant key's hash to a constant.
func addInt(a *parser.Attributes, key string, n int64) { a.Add(key, parser.IntValue(n)) }

// addStr's s may alias the message (most do), so the value is marked
// aliasing: readers that keep it get a copy.
func addStr(a *parser.Attributes, key, s string) { a.Add(key, parser.UnsafeStringValueOf(s)) }

// addBytes is one step too costly to inline: hot paths call
// addStr(a, key, parser.UnsafeString(b)) instead.
func addBytes(a *parser.Attributes, key string, b []byte) {
	a.Add(key, parser.UnsafeStringValue(b))
}

// addConst sets a string that never changes (a table name, an error's
// text): readers keep it without a copy.
func addConst(a *parser.Attributes, key, s string) { a.Add(key, parser.StringValue(s)) }

func addBool(a *parser.Attributes, key string, b bool) { a.Add(key, parser.BoolValue(b)) }
