package kafka

import (
	"encoding/base64"

	"github.com/wirekit/wirekit/parser"
)

// decoder reads one message body, straight down the protocol's field list,
// over a parser.Reader with its sticky error. It knows the version being
// decoded and whether it is flexible (KIP-482: compact strings, arrays and
// bytes with unsigned-varint lengths, a tagged-field section after every
// struct) and collects the facts that become attributes. It lives on the
// stack of one parse; nothing in it allocates.
type decoder struct {
	r    parser.Reader
	m    *parser.Message
	c    *config
	v    int16
	flex bool
	resp bool

	topics     int64 // topics seen
	partitions int64 // topic partitions seen
	topicSet   bool  // AttrTopic set
	idSet      bool  // AttrTopicID set
	errCode    int16 // first non-zero error code
	rec        recordStats
}

func (d *decoder) ok() bool { return d.r.Err() == nil }

// fail sets the sticky error.
func (d *decoder) fail(err error) { d.r.Fail(err) }

// length checks a wire length against the bytes left: a hostile length is
// rejected before anything is sized from it.
func (d *decoder) length(n uint64) int {
	if n > uint64(d.r.Len()) {
		d.fail(ErrLength)
		return 0
	}
	return int(n)
}

// str reads a string: compact (uvarint length+1, 0 = null) in flexible
// versions, int16 length (-1 = null) otherwise. null reports a null string.
func (d *decoder) str() (b []byte, null bool) {
	if d.flex {
		n := d.r.Uvarint()
		if n == 0 {
			return nil, true
		}
		return d.r.Bytes(d.length(n - 1)), false
	}
	n := d.r.Int16()
	if n < 0 {
		if n != -1 {
			d.fail(ErrMalformedBody)
		}
		return nil, true
	}
	return d.r.Bytes(d.length(uint64(n))), false
}

// skipStr skips a string.
func (d *decoder) skipStr() { d.str() }

// bytes reads a bytes field: compact in flexible versions, int32 length
// (-1 = null) otherwise.
func (d *decoder) bytes() []byte {
	if d.flex {
		n := d.r.Uvarint()
		if n == 0 {
			return nil
		}
		return d.r.Bytes(d.length(n - 1))
	}
	n := d.r.Int32()
	if n < 0 {
		if n != -1 {
			d.fail(ErrMalformedBody)
		}
		return nil
	}
	return d.r.Bytes(d.length(uint64(n)))
}

// array reads an array count (compact in flexible versions), 0 for a null
// array. Every element takes at least one byte, so a count larger than the
// bytes left is rejected here, and loops over it end.
func (d *decoder) array() int {
	if d.flex {
		n := d.r.Uvarint()
		if n == 0 {
			return 0
		}
		return d.length(n - 1)
	}
	n := d.r.Int32()
	if n < 0 {
		if n != -1 {
			d.fail(ErrMalformedBody)
		}
		return 0
	}
	return d.length(uint64(n))
}

// skipArray skips an array of fixed-size elements ([int32], [int64]).
func (d *decoder) skipArray(elem int) {
	n := d.array()
	if n > 0 {
		d.r.Skip(d.length(uint64(n) * uint64(elem)))
	}
}

// skipStrings skips an array of strings.
func (d *decoder) skipStrings() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.str()
	}
}

// tags skips a tagged-field section (flexible versions only).
func (d *decoder) tags() {
	if !d.flex {
		return
	}
	n := d.length(d.r.Uvarint())
	for i := 0; i < n && d.ok(); i++ {
		d.r.Uvarint() // tag
		d.r.Skip(d.length(d.r.Uvarint()))
	}
}

// uuid reads a 16-byte topic id.
func (d *decoder) uuid() (id [16]byte) {
	copy(id[:], d.r.Bytes(16))
	return id
}

// errorCode reads an int16 error code and remembers the first non-zero one.
func (d *decoder) errorCode() {
	if c := d.r.Int16(); c != 0 && d.errCode == 0 && d.ok() {
		d.errCode = c
	}
}

// throttle reads the throttle time of a response.
func (d *decoder) throttle() {
	t := d.r.Int32()
	d.m.Attrs.SetInt(AttrThrottleTimeMs, int64(t))
}

// topicName counts a topic named on the wire and reports the first one.
func (d *decoder) topicName(name []byte, null bool) {
	d.topics++
	if !d.topicSet && !null {
		d.topicSet = true
		d.m.Attrs.SetBytesString(AttrTopic, name)
	}
}

// topicID counts a topic named by id and reports the first one, with its
// name when the topic cache knows it. A zero id (the "no id" value of
// bodies that carry both a name and an id) names nothing.
func (d *decoder) topicID(id [16]byte) {
	if d.idSet || id == ([16]byte{}) {
		return
	}
	d.idSet = true
	d.m.Attrs.SetString(AttrTopicID, d.idText(id))
	if name, ok := d.c.cache.Lookup(id); ok {
		d.m.Attrs.SetString(AttrTopicResolved, name)
	}
}

// topicIDOnly is topicID for a topic named only by id (counted).
func (d *decoder) topicIDOnly(id [16]byte) {
	d.topics++
	d.topicID(id)
}

// idText formats id into the connection's scratch space (no allocation),
// or into a new string when the message has no connection state.
func (d *decoder) idText(id [16]byte) string {
	st, _ := d.m.State.(*connState)
	if st == nil {
		return FormatTopicID(id)
	}
	buf := st.idText[d.m.Dir&1][:]
	base64.RawURLEncoding.Encode(buf, id[:])
	return parser.UnsafeString(buf)
}

// group sets the group id.
func (d *decoder) group(b []byte) { d.m.Attrs.SetBytesString(AttrGroupID, b) }

// member sets the member id.
func (d *decoder) member(b []byte) { d.m.Attrs.SetBytesString(AttrMemberID, b) }

// groupMember reads group id, [generation], member id as group requests
// lay them out.
func (d *decoder) groupStr() {
	g, _ := d.str()
	d.group(g)
}

func (d *decoder) memberStr() {
	b, _ := d.str()
	d.member(b)
}

func (d *decoder) generation() {
	d.m.Attrs.SetInt(AttrGenerationID, int64(d.r.Int32()))
}

func (d *decoder) txnID(b []byte, null bool) {
	if !null {
		d.m.Attrs.SetBytesString(AttrTransactionalID, b)
	}
}
