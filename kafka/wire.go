package kafka

import (
	"encoding/base64"
	"encoding/binary"

	"github.com/wirekit/wirekit/parser"
)

// decoder reads one message body, straight down the protocol's field list,
// with the shared bounds-checked parser.Reader and its sticky error (the
// Kafka forms, int16/int32 or compact lengths and tagged fields, are
// parser.Reader's LenString, LenBytes, ArrayLen and SkipTaggedFields). It knows the version being
// decoded and whether it is flexible (KIP-482: compact strings, arrays and
// bytes with unsigned-varint lengths, a tagged-field section after every
// struct) and collects the facts that become attributes. It lives on the
// stack of one parse; nothing in it allocates.
type decoder struct {
	parser.Reader // over the body
	m             *parser.Message
	c             *config
	v             int16
	flex          bool
	resp          bool

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

func (d *decoder) ok() bool { return d.Ok() }

// fail sets the sticky error (the first one wins).
func (d *decoder) fail(err error) { d.Fail(err) }

// length checks a wire length against the bytes left: a hostile length is
// rejected before anything is sized from it.
func (d *decoder) length(n uint64) int {
	if n > uint64(d.Len()) {
		d.Fail(parser.ErrTooLarge)
		return 0
	}
	return int(n)
}

// str reads a string: compact in flexible versions, int16 length
// otherwise; null reports a null string.
func (d *decoder) str() (b []byte, null bool) { return d.LenString(d.flex) }

// skipStr skips a string.
func (d *decoder) skipStr() { d.LenString(d.flex) }

// bytes reads a bytes field: compact in flexible versions, int32 length
// (-1 = null) otherwise.
func (d *decoder) bytes() []byte { return d.LenBytes(d.flex) }

// array reads an array count (compact in flexible versions), 0 for a null
// array, checked against the bytes left.
func (d *decoder) array() int { return d.ArrayLen(d.flex) }

// skipArray skips an array of fixed-size elements ([int32], [int64]).
func (d *decoder) skipArray(elem int) { d.SkipArray(d.flex, elem) }

// skipStrings skips an array of strings.
func (d *decoder) skipStrings() {
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.LenString(d.flex)
	}
}

// tags skips a tagged-field section (flexible versions only).
func (d *decoder) tags() {
	if d.flex {
		d.SkipTaggedFields()
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
	if p := d.Take(n); p != nil {
		if c := int16(binary.BigEndian.Uint16(p[at:])); c != 0 && d.errCode == 0 {
			d.errCode = c
		}
		return
	}
	d.Skip(at)
	d.errorCode()
	d.Skip(n - at - 2)
}

// throttleTime reads the throttle time of a response.
func (d *decoder) throttleTime() {
	if p := d.Bytes(4); p != nil {
		d.throttle = int32(binary.BigEndian.Uint32(p))
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
