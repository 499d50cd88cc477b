package kafka

import (
	"encoding/binary"
	"strconv"

	"github.com/wirekit/wirekit/parser"
)

// api is one row of the generated API table (zapis.go, from franz-go's
// kmsg): the key, its name, its newest version, the first flexible
// (KIP-482) version of the request and of the response (-1 for none), and
// whether its body decoders are generated (zdecode.go) or hand-written.
// The decoders column is generated as the decoder.request and
// decoder.response switches beside the table (a call through a func value
// in the row would move every message's decoder to the heap). The parser
// trees, that dispatch and DecodedAPIs are derived from the table.
type api struct {
	key        int16
	name       string
	maxVersion int16
	flexReq    int16 // first flexible request version, -1 for none
	flexResp   int16 // first flexible response version, -1 for none
	generated  bool  // decoders translated from kmsg (zdecode.go), not hand-written
}

// known reports whether the table has key.
func known(key int16) bool {
	return key >= 0 && int(key) < len(apis) && apis[key].name != ""
}

// DecodedAPIs returns the API keys whose bodies are decoded (in every
// version up to MaxVersion): every key of the table, in key order. Other
// keys get their header attributes and AttrBodyNotDecoded.
func DecodedAPIs() []int16 {
	var keys []int16
	for i := range apis {
		if apis[i].name != "" {
			keys = append(keys, apis[i].key)
		}
	}
	return keys
}

// requestKeyVersion reads the API key and version of a framed request
// (size prefix included).
func requestKeyVersion(m *parser.Message) (key, version int16, ok bool) {
	if len(m.Data) < 8 {
		return 0, 0, false
	}
	kv := binary.BigEndian.Uint32(m.Data[4:])
	return int16(kv >> 16), int16(kv), true
}

// requestAPI looks the API key and version up in a request's attributes.
// The request tree sets them last, so that these lookups, which scan from
// the newest attribute back, find them at once.
func requestAPI(req *parser.Attributes) (key, version int16, ok bool) {
	if req == nil {
		return 0, 0, false
	}
	v, ok2 := req.Int(AttrAPIVersion)
	k, ok1 := req.Int(AttrAPIKey)
	return int16(k), int16(v), ok1 && ok2
}

// requestTree builds the request parser tree, from the API table:
//
//	kafka.request (header v0/v1/v2: size, api key, version, correlation id,
//	               client id, tagged fields)
//	├── request.Produce (api key 0)
//	│   ├── request.Produce.v0 … request.Produce.v13: the body of one version
//	│   └── kafka.request.undecoded
//	├── request.Fetch   (api key 1)
//	│   ├── request.Fetch.v0 … request.Fetch.v18
//	│   └── kafka.request.undecoded
//	├── ...             (every API key of the table, a child per version)
//	└── kafka.request.undecoded: a key the table does not know
//
// The header node, having read the API key and version, routes the
// message (parser.Message.Route) to the key's branch and in it to the
// version's child, so a message costs two tree levels and no branch test
// whatever the number of keys and versions. A branch ends with the
// undecoded node (one node, shared by every branch), which completes a
// message of a version newer than the table or whose body failed to
// decode, with its header attributes, AttrBodyNotDecoded and why: so a
// branch never fails, no other branch is ever tried for a message, and
// branches need no fast-fail test of their own.
func (c *config) requestTree() *parser.PkgParser { return c.tree(parser.Request) }

// responseTree builds the response parser tree: a header node (size,
// correlation id, tagged fields for flexible versions except ApiVersions),
// which takes the API key and version from the paired request and routes
// by them, then the same per-API branches as the request tree.
func (c *config) responseTree() *parser.PkgParser { return c.tree(parser.Response) }

// tree builds the tree of one direction: its header node, a branch per
// API key of the table, then the undecoded fallback.
func (c *config) tree(dir parser.Direction) *parser.PkgParser {
	name, fastFail, header := "kafka.request", requestFastFail(c.maxSize), parseRequestHeader
	if dir == parser.Response {
		name, fastFail, header = "kafka.response", responseFastFail(c.maxSize), parseResponseHeader
	}
	undec := parser.NewPkgParser(name+".undecoded", nil, undecoded)
	root := parser.NewPkgParser(name, fastFail, header)
	for i := range apis {
		root.Add(c.apiBranch(&apis[i], dir, undec))
	}
	return root.Add(undec)
}

// route sends a message of an API key and version the table does not
// have down the tree (parser.Message.Route): to the undecoded node of the
// key's branch for a version newer than the table, or of the root for a
// key the table does not know. The header nodes route the table's keys
// and versions themselves (routeMax's test), so that they call nothing
// more.
//
//go:noinline
func route(m *parser.Message, key, ver int16) {
	if !known(key) {
		m.Route(len(apis))
		return
	}
	m.Route(int(key), int(apis[key].maxVersion)+1) // the branch's undecoded node
}

// routeMax is the table's newest version of each key, -1 for a key it
// does not have: the headers' test for a key and version the table has.
var routeMax = func() (max [len(apis)]int16) {
	for i := range apis {
		max[i] = -1
		if apis[i].name != "" {
			max[i] = apis[i].maxVersion
		}
	}
	return max
}()

// apiBranch is the branch of one API key in one direction: one child per
// version, which decodes the body of that version, then the undecoded
// node. The header's route lands on the message's version (a response's
// is that of the request it answers), so a version child is only ever
// reached by a message of another version after that version's child
// failed, saying why (m.Err): then it fails at once, and the walk goes on
// to the undecoded node, which reports why.
func (c *config) apiBranch(a *api, dir parser.Direction, undec *parser.PkgParser) *parser.PkgParser {
	key, maxV := a.key, a.maxVersion
	name := "request." + a.name
	if dir == parser.Response {
		name = "response." + a.name
	}
	node := parser.NewPkgParser(name, nil, nil)
	if a.name == "" { // a hole in the table: no message gets here
		return node.Add(undec)
	}
	for v := int16(0); v <= maxV; v++ {
		node.Add(parser.NewPkgParser(name+".v"+strconv.Itoa(int(v)), nil, c.decodeBody(dir, key, v)))
	}
	return node.Add(undec)
}

// requestFastFail rules out bytes that cannot start a Kafka request: a
// size prefix below a header's size or above maxSize, a negative or
// implausibly large API key or version, or a client id longer than the
// message. (A function literal, not a method value: that would be a call
// through a wrapper, for every message and every detection. Not inlined:
// inlined into tree, the literal's own calls would not be.)
//
//go:noinline
func requestFastFail(maxSize int) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		d := m.Data
		if len(d) < 8 {
			return true
		}
		size := int32(binary.BigEndian.Uint32(d))
		key := int16(binary.BigEndian.Uint16(d[4:]))
		ver := int16(binary.BigEndian.Uint16(d[6:]))
		if size < minRequestSize || int(size) > maxSize || key < 0 || key > maxPlausibleKey || ver < 0 || ver > maxPlausibleVersion {
			return true
		}
		// The client id length (header v1/v2) must fit the message.
		if len(d) >= 14 && RequestHeaderVersion(key, ver) >= 1 {
			n := int16(binary.BigEndian.Uint16(d[12:]))
			return n < -1 || int(n) > int(size)-10
		}
		return false
	}
}

// Bounds of the request fast-fail test: far above today's API keys and
// versions, so that newer ones still get their header parsed, yet tight
// enough that resynchronising after a gap does not take random bytes for
// a request header.
const (
	maxPlausibleKey     = 1000
	maxPlausibleVersion = 255
)

// responseFastFail rules out a size prefix that cannot be a response (not
// inlined, as requestFastFail).
//
//go:noinline
func responseFastFail(maxSize int) parser.FastFailFunc {
	return func(m *parser.Message) bool {
		d := m.Data
		if len(d) < 8 {
			return true
		}
		size := int32(binary.BigEndian.Uint32(d))
		return size < minResponseSize || int(size) > maxSize
	}
}

// frameEnd is where the message ends: 4 + size prefix, or the end of Data
// when the bytes were cut short (then the message is marked Truncated).
func frameEnd(m *parser.Message, size int32) int {
	end := 4 + int(size)
	if end > len(m.Data) {
		m.Flags |= parser.Truncated
		return len(m.Data)
	}
	return end
}

// parseRequestHeader reads the request header (v0: key, version,
// correlation id; v1: + nullable client id; v2: + tagged fields). The API
// key and version are set by the node that completes the message, last
// (see requestAPI).
func parseRequestHeader(m *parser.Message) (bool, bool) {
	d := m.Data
	if len(d) < 12 {
		return m.Fail(ErrShort)
	}
	size := int32(binary.BigEndian.Uint32(d))
	kv := binary.BigEndian.Uint32(d[4:])
	key, ver := int16(kv>>16), int16(kv)
	a := &m.Attrs
	addInt(a, AttrMessageSize, int64(size))
	addInt(a, AttrCorrelationID, int64(int32(binary.BigEndian.Uint32(d[8:]))))
	end := frameEnd(m, size)
	off := 12
	hv := RequestHeaderVersion(key, ver)
	if hv >= 1 {
		if end < off+2 {
			return requestHeaderCut(m, key, ver)
		}
		n := int(int16(binary.BigEndian.Uint16(d[off:])))
		off += 2
		if n >= 0 {
			if n > end-off {
				return requestHeaderCut(m, key, ver)
			}
			a.Add(AttrClientID, parser.UnsafeStringValue(d[off:off+n]))
			off += n
		}
	}
	if hv >= 2 {
		n := headerTags(d[off:end])
		if n < 0 {
			return requestHeaderCut(m, key, ver)
		}
		off += n
	}
	m.Offset = off
	if uint(key) < uint(len(routeMax)) && ver >= 0 && ver <= routeMax[key] {
		m.Route(int(key), int(ver)) // a key and version of the table
	} else {
		route(m, key, ver)
	}
	return true, false
}

// headerTags returns the length of the tagged fields that start b (a
// flexible header's), or -1 when they do not fit in b.
func headerTags(b []byte) int {
	if len(b) > 0 && b[0] == 0 {
		return 1 // no tagged fields, the usual case
	}
	r := parser.NewReader(b)
	r.SkipTaggedFields()
	if !r.Ok() {
		return -1
	}
	return r.Offset()
}

// requestHeaderCut is headerCut for a request: the API key and version,
// read before the cut, are kept either way.
func requestHeaderCut(m *parser.Message, key, ver int16) (bool, bool) {
	ok, complete := headerCut(m)
	addInt(&m.Attrs, AttrAPIKey, int64(key))
	addInt(&m.Attrs, AttrAPIVersion, int64(ver))
	return ok, complete
}

// parseResponseHeader reads the response header (v0: correlation id; v1:
// + tagged fields) with the paired request's API key and version, which it
// copies into the response's attributes. A response to an unknown request
// is complete after its correlation id.
func parseResponseHeader(m *parser.Message) (bool, bool) {
	if len(m.Data) < 8 {
		return m.Fail(ErrShort)
	}
	size := int32(binary.BigEndian.Uint32(m.Data))
	corr := int32(binary.BigEndian.Uint32(m.Data[4:]))
	a := &m.Attrs
	addInt(a, AttrMessageSize, int64(size))
	addInt(a, AttrCorrelationID, int64(corr))
	end := frameEnd(m, size)
	key, ver, ok := requestAPI(m.Request)
	if !ok {
		addBool(a, AttrBodyNotDecoded, true)
		addConst(a, AttrBodyError, ErrUnknownRequest.Error())
		return true, true
	}
	off := 8
	if ResponseHeaderVersion(key, ver) >= 1 {
		n := headerTags(m.Data[off:end])
		if n < 0 {
			return headerCut(m)
		}
		off += n
	}
	m.Offset = off
	if uint(key) < uint(len(routeMax)) && ver >= 0 && ver <= routeMax[key] {
		m.Route(int(key), int(ver)) // a key and version of the table
	} else {
		route(m, key, ver)
	}
	return true, false
}

// headerCut ends a message whose header does not fit it: complete with the
// header fields read so far when the message is known to be cut short
// (parser.Truncated), a failure otherwise.
func headerCut(m *parser.Message) (bool, bool) {
	if m.Flags&parser.Truncated == 0 {
		return m.Fail(ErrShort)
	}
	addBool(&m.Attrs, AttrBodyNotDecoded, true)
	addConst(&m.Attrs, AttrBodyError, ErrTruncated.Error())
	return true, true
}

// setAPI sets the API name, key and version: for a request, last, so
// that a response finds the key and version at once (see requestAPI); for
// a response, which does not carry them, from the request it answers.
func setAPI(m *parser.Message, name string, key, version int16) {
	addConst(&m.Attrs, AttrAPIName, name)
	addInt(&m.Attrs, AttrAPIKey, int64(key))
	addInt(&m.Attrs, AttrAPIVersion, int64(version))
}

// undecoded completes a message whose body is not decoded, saying why when
// a branch said so.
func undecoded(m *parser.Message) (bool, bool) {
	k, v, ok := keyVersion(m)
	addBool(&m.Attrs, AttrBodyNotDecoded, true)
	switch {
	case m.Err != nil && m.Err != parser.ErrNoMatch:
		addConst(&m.Attrs, AttrBodyError, m.Err.Error())
	case !ok || !known(k):
		addConst(&m.Attrs, AttrBodyError, ErrUnknownAPI.Error())
	case v < 0 || v > apis[k].maxVersion:
		addConst(&m.Attrs, AttrBodyError, ErrNewerVersion.Error())
	default:
		addConst(&m.Attrs, AttrBodyError, parser.ErrNoMatch.Error())
	}
	if ok {
		setAPI(m, APIName(k), k, v)
	}
	return true, true
}

// keyVersion is the API key and version of m: a request's own, a
// response's those of the request it answers.
func keyVersion(m *parser.Message) (int16, int16, bool) {
	if m.Dir == parser.Response {
		return requestAPI(m.Request)
	}
	return requestKeyVersion(m)
}

// decodeBody is the parse function of the version child of an API key:
// it decodes the body of that key and version, from m.Offset to the end of
// the frame, and sets the attributes. On a short or malformed body, or
// bytes left over, it fails saying why and leaves m as it was, except for
// attributes a decoder of an API other than Produce and Fetch set on its
// way (which the tree's rollback removes). A message that another version's
// child failed (m.Err set) is not this child's: it fails at once.
//
// The function literal is the whole step (it runs for every message); it
// is built out of line, as the fast-fail tests are.
//
//go:noinline
func (c *config) decodeBody(dir parser.Direction, key, v int16) parser.ParseFunc {
	flex, resp, name := isFlexible(key, v, dir), dir == parser.Response, APIName(key)
	return func(m *parser.Message) (bool, bool) {
		if m.Err != nil { // an earlier version's child failed: not ours
			return false, false
		}
		size := int32(binary.BigEndian.Uint32(m.Data))
		end := frameEnd(m, size)
		if m.Offset > end {
			return m.Fail(ErrShort)
		}
		// Fields are assigned one by one: a composite literal of this size
		// is built in a temporary and copied, which stalls on the narrow
		// stores.
		var d decoder
		d.Reset(m.Data[m.Offset:end])
		d.m = m
		d.c = c
		d.v = v
		d.flex = flex
		d.resp = resp
		if resp {
			d.response(key)
		} else {
			d.request(key)
		}
		if err := d.Err(); err != nil {
			if (err == parser.ErrShort || err == parser.ErrTooLarge) && m.Flags&parser.Truncated != 0 {
				// The message was cut short (a gap, or the capture ended):
				// keep what could be read, and say the body is incomplete.
				d.finish()
				addConst(&m.Attrs, AttrBodyError, ErrTruncated.Error())
				setAPI(m, name, key, v)
				m.Offset = end
				return true, true
			}
			return m.Fail(bodyError(err))
		}
		if d.Len() != 0 {
			return m.Fail(ErrTrailing)
		}
		d.finish()
		setAPI(m, name, key, v)
		m.Offset = end
		return true, true
	}
}

// bodyError is the package's error for a reader error: a length past the
// end is ErrLength, a malformed field ErrMalformedBody.
func bodyError(err error) error {
	switch err {
	case parser.ErrTooLarge:
		return ErrLength
	case parser.ErrMalformed:
		return ErrMalformedBody
	}
	return err
}

// finish sets the attributes collected while decoding.
func (d *decoder) finish() {
	a := &d.m.Attrs
	if d.topicSet {
		addStr(a, AttrTopic, parser.UnsafeString(d.topic))
	}
	if d.idSet {
		addStr(a, AttrTopicID, d.idText)
		if d.have&haveResolved != 0 {
			addStr(a, AttrTopicResolved, d.resolved)
		}
	}
	if d.have != 0 {
		d.finishHave(a)
	}
	if d.topics > 0 {
		addInt(a, AttrTopicCount, d.topics)
	}
	if d.partitions > 0 {
		addInt(a, AttrPartitionCount, d.partitions)
	}
	if d.resp {
		addInt(a, AttrErrorCode, int64(d.errCode))
		if d.errCode != 0 {
			addConst(a, AttrErrorName, ErrorName(d.errCode))
		}
	}
	d.rec.set(a)
}

// finishHave sets the attributes of decoder.have.
func (d *decoder) finishHave(a *parser.Attributes) {
	if d.have&haveTxn != 0 {
		addBytes(a, AttrTransactionalID, d.txn)
	}
	if d.have&haveAcks != 0 {
		addInt(a, AttrAcks, int64(d.acks))
		addInt(a, AttrTimeoutMs, int64(d.timeout))
		if d.acks == 0 {
			d.m.Flags |= parser.OneWay // no response will come
		}
	}
	if d.have&haveMaxWait != 0 {
		addInt(a, AttrMaxWaitMs, int64(d.maxWait))
	}
	if d.have&haveThrottle != 0 {
		addInt(a, AttrThrottleTimeMs, int64(d.throttle))
	}
}
