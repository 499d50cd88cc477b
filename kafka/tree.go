package kafka

import (
	"encoding/binary"
	"strconv"

	"github.com/wirekit/wirekit/parser"
)

// decodedAPIs are the API keys whose bodies the parser decodes, in the
// order their tree nodes are tried (most frequent first).
var decodedAPIs = [...]int16{
	0,  // Produce
	1,  // Fetch
	3,  // Metadata
	12, // Heartbeat
	8,  // OffsetCommit
	9,  // OffsetFetch
	2,  // ListOffsets
	18, // ApiVersions
	10, // FindCoordinator
	11, // JoinGroup
	14, // SyncGroup
	13, // LeaveGroup
	15, // DescribeGroups
	16, // ListGroups
	17, // SaslHandshake
	36, // SaslAuthenticate
	19, // CreateTopics
	20, // DeleteTopics
	22, // InitProducerId
	24, // AddPartitionsToTxn
	26, // EndTxn
}

// DecodedAPIs returns the API keys whose bodies are decoded; other keys
// get their header attributes and AttrBodyNotDecoded.
func DecodedAPIs() []int16 { return append([]int16(nil), decodedAPIs[:]...) }

// requestKeyVersion reads the API key and version of a framed request
// (size prefix included) for the tree's branch tests.
func requestKeyVersion(m *parser.Message) (key, version int16, ok bool) {
	if len(m.Data) < 8 {
		return 0, 0, false
	}
	kv := binary.BigEndian.Uint32(m.Data[4:])
	return int16(kv >> 16), int16(kv), true
}

// responseKeyVersion returns the API key and version a response is parsed
// with: those of the request it answers (Message.Request), which the
// response root node also leaves in the connection state for the branch
// tests to read cheaply.
func responseKeyVersion(m *parser.Message) (key, version int16, ok bool) {
	if st, _ := m.State.(*connState); st != nil && st.respKV {
		return st.respKey, st.respVer, true
	}
	return requestAPI(m.Request)
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

// requestTree builds the request parser tree:
//
//	kafka.request (header v0/v1/v2: size, api key, version, correlation id,
//	               client id, tagged fields)
//	├── request.Produce (api key 0): version check
//	│   ├── request.Produce.v0 … request.Produce.v13: the body of one version
//	├── request.Fetch   (api key 1)
//	│   ├── request.Fetch.v0 … request.Fetch.v18
//	├── ...             (every decoded API, a child per version)
//	└── kafka.request.undecoded: any other key or version, or a body that
//	    failed to decode; header attributes plus AttrBodyNotDecoded.
//
// The root jumps straight to the API key's branch, and the branch to the
// version's child (PkgParser.Skip), so a message costs two tree levels
// whatever the number of keys and versions. Each level costs a message
// about 10 ns (a jump, a fast-fail and a parse call, a rollback mark), so
// the root itself decodes the bodies of the hot APIs, Produce and Fetch
// (see decodedAtRoot), and hands them down the tree only when they fail:
// most traffic is then parsed by one node.
func (c *config) requestTree() *parser.PkgParser {
	root := parser.NewPkgParser("kafka.request", c.requestFastFail, c.parseRequestHeader)
	for _, key := range decodedAPIs {
		root.Add(c.apiNode(parser.Request, key))
	}
	return root.Add(parser.NewPkgParser("kafka.request.undecoded", nil, undecoded)).
		Skip(func(m *parser.Message) int {
			k, _, _ := requestKeyVersion(m)
			return apiBranchOf(k)
		})
}

// apiBranch maps an API key to its branch's index among the root's
// children; keys without a decoded body map to the undecoded fallback.
var apiBranch = func() (b [MaxAPIKey + 1]int8) {
	for i := range b {
		b[i] = int8(len(decodedAPIs))
	}
	for i, key := range decodedAPIs {
		b[key] = int8(i)
	}
	return b
}()

// apiBranchOf is the root child a key's message goes to: every branch
// before it would fail fast on the key anyway.
func apiBranchOf(k int16) int {
	if k < 0 || int(k) >= len(apiBranch) {
		return len(decodedAPIs) // the undecoded fallback
	}
	return int(apiBranch[k])
}

// responseTree builds the response parser tree: a header node (size,
// correlation id, tagged fields for flexible versions except ApiVersions),
// which takes the API key and version from the paired request, then the
// same per-API branches as the request tree.
func (c *config) responseTree() *parser.PkgParser {
	root := parser.NewPkgParser("kafka.response", c.responseFastFail, c.parseResponseHeader)
	for _, key := range decodedAPIs {
		root.Add(c.apiNode(parser.Response, key))
	}
	return root.Add(parser.NewPkgParser("kafka.response.undecoded", nil, undecoded)).
		Skip(func(m *parser.Message) int {
			k, _, ok := responseKeyVersion(m)
			if !ok {
				return len(decodedAPIs)
			}
			return apiBranchOf(k)
		})
}

// apiNode is the branch of one API key: a node that checks the version
// against the table (a newer one fails with ErrNewerVersion, and the
// message goes to the undecoded fallback with its header attributes),
// then one child per version, reached by a Skip jump, which decodes the
// body of that version.
func (c *config) apiNode(dir parser.Direction, key int16) *parser.PkgParser {
	maxV := apis[key].maxVersion
	name := dir.String() + "." + apis[key].name
	keyVersion := responseKeyVersion
	fastFail := func(m *parser.Message) bool {
		k, _, ok := responseKeyVersion(m)
		return !ok || k != key
	}
	if dir == parser.Request {
		keyVersion = requestKeyVersion
		fastFail = func(m *parser.Message) bool {
			return len(m.Data) < 8 || int16(binary.BigEndian.Uint16(m.Data[4:])) != key
		}
	}
	node := parser.NewPkgParser(name, fastFail, func(m *parser.Message) (bool, bool) {
		if _, v, _ := keyVersion(m); v < 0 || v > maxV {
			return m.Fail(ErrNewerVersion)
		}
		return true, false
	})
	for v := int16(0); v <= maxV; v++ {
		node.Add(parser.NewPkgParser(name+".v"+strconv.Itoa(int(v)),
			func(m *parser.Message) bool {
				_, mv, _ := keyVersion(m)
				return mv != v
			},
			func(m *parser.Message) (bool, bool) { return c.parseBody(m, dir, key, v) }))
	}
	return node.Skip(func(m *parser.Message) int {
		_, v, _ := keyVersion(m)
		return int(v) // checked against the table by the node's parse
	})
}

// requestFastFail rules out bytes that cannot start a Kafka request: a
// size prefix below a header's size or above the limit, a negative or
// implausibly large API key or version, or a client id longer than the
// message.
func (c *config) requestFastFail(m *parser.Message) bool {
	d := m.Data
	if len(d) < 8 {
		return true
	}
	size := int32(binary.BigEndian.Uint32(d))
	key := int16(binary.BigEndian.Uint16(d[4:]))
	ver := int16(binary.BigEndian.Uint16(d[6:]))
	if size < minRequestSize || int(size) > c.maxSize || key < 0 || key > maxPlausibleKey || ver < 0 || ver > maxPlausibleVersion {
		return true
	}
	// The client id length (header v1/v2) must fit the message.
	if len(d) >= 14 && RequestHeaderVersion(key, ver) >= 1 {
		n := int16(binary.BigEndian.Uint16(d[12:]))
		return n < -1 || int(n) > int(size)-10
	}
	return false
}

// Bounds of the request fast-fail test: far above today's API keys and
// versions, so that newer ones still get their header parsed, yet tight
// enough that resynchronising after a gap does not take random bytes for
// a request header.
const (
	maxPlausibleKey     = 1000
	maxPlausibleVersion = 255
)

// responseFastFail rules out a size prefix that cannot be a response.
func (c *config) responseFastFail(m *parser.Message) bool {
	d := m.Data
	if len(d) < 8 {
		return true
	}
	size := int32(binary.BigEndian.Uint32(d))
	return size < minResponseSize || int(size) > c.maxSize
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
func (c *config) parseRequestHeader(m *parser.Message) (bool, bool) {
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
	if decodedAtRoot(key, ver) && c.decodeBody(m, parser.Request, key, ver) == nil {
		return true, true
	}
	return true, false
}

// headerTags returns the length of the tagged fields that start b (a
// flexible header's), or -1 when they do not fit in b.
func headerTags(b []byte) int {
	if len(b) > 0 && b[0] == 0 {
		return 1 // no tagged fields, the usual case
	}
	var d decoder
	d.b, d.flex = b, true
	d.tagsSlow()
	if !d.ok() {
		return -1
	}
	return d.off
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
func (c *config) parseResponseHeader(m *parser.Message) (bool, bool) {
	if len(m.Data) < 8 {
		return m.Fail(ErrShort)
	}
	size := int32(binary.BigEndian.Uint32(m.Data))
	corr := int32(binary.BigEndian.Uint32(m.Data[4:]))
	st, _ := m.State.(*connState)
	if st != nil {
		st.respKV = false
	}
	a := &m.Attrs
	addInt(a, AttrMessageSize, int64(size))
	addInt(a, AttrCorrelationID, int64(corr))
	end := frameEnd(m, size)
	key, ver, ok := requestAPI(m.Request)
	if !ok {
		addBool(a, AttrBodyNotDecoded, true)
		addStr(a, AttrBodyError, ErrUnknownRequest.Error())
		return true, true
	}
	if st != nil {
		st.respKey, st.respVer, st.respKV = key, ver, true
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
	if decodedAtRoot(key, ver) && c.decodeBody(m, parser.Response, key, ver) == nil {
		return true, true
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
	addStr(&m.Attrs, AttrBodyError, ErrTruncated.Error())
	return true, true
}

// setAPI sets the API name, key and version: for a request, last, so
// that a response finds the key and version at once (see requestAPI); for
// a response, which does not carry them, from the request it answers.
func setAPI(m *parser.Message, key, version int16) {
	addStr(&m.Attrs, AttrAPIName, APIName(key))
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
		addStr(&m.Attrs, AttrBodyError, m.Err.Error())
	case !ok || APIName(k) == "Unknown":
		addStr(&m.Attrs, AttrBodyError, ErrUnknownAPI.Error())
	case !isDecoded(k):
		addStr(&m.Attrs, AttrBodyError, ErrNotDecoded.Error())
	default:
		addStr(&m.Attrs, AttrBodyError, parser.ErrNoMatch.Error())
	}
	if ok {
		setAPI(m, k, v)
	}
	return true, true
}

func keyVersion(m *parser.Message) (int16, int16, bool) {
	if m.Dir == parser.Response {
		return responseKeyVersion(m)
	}
	return requestKeyVersion(m)
}

func isDecoded(key int16) bool {
	for _, k := range decodedAPIs {
		if k == key {
			return true
		}
	}
	return false
}

// parseBody is the parse function of an API node: it decodes the body of
// one API key and version and fails, saying why, when it does not decode.
func (c *config) parseBody(m *parser.Message, dir parser.Direction, key, v int16) (bool, bool) {
	if err := c.decodeBody(m, dir, key, v); err != nil {
		return m.Fail(err)
	}
	return true, true
}

// decodeBody decodes the body of one API key and version, from m.Offset
// to the end of the frame, and sets the attributes. On a short or
// malformed body, or bytes left over, it returns why and leaves m as it
// was, except for attributes a decoder of an API other than Produce and
// Fetch set on its way (which the tree's rollback removes).
func (c *config) decodeBody(m *parser.Message, dir parser.Direction, key, v int16) error {
	size := int32(binary.BigEndian.Uint32(m.Data))
	end := frameEnd(m, size)
	if m.Offset > end {
		return ErrShort
	}
	// Fields are assigned one by one: a composite literal of this size is
	// built in a temporary and copied, which stalls on the narrow stores.
	var d decoder
	d.b = m.Data[m.Offset:end]
	d.m = m
	d.c = c
	d.v = v
	d.flex = isFlexible(key, v, dir)
	d.resp = dir == parser.Response
	if d.resp {
		d.response(key)
	} else {
		d.request(key)
	}
	if d.err != nil {
		if (d.err == parser.ErrShort || d.err == ErrLength) && m.Flags&parser.Truncated != 0 {
			// The message was cut short (a gap, or the capture ended): keep
			// what could be read, and say the body is incomplete.
			d.finish()
			addStr(&m.Attrs, AttrBodyError, ErrTruncated.Error())
			setAPI(m, key, v)
			m.Offset = end
			return nil
		}
		return d.err
	}
	if d.Len() != 0 {
		return ErrTrailing
	}
	d.finish()
	setAPI(m, key, v)
	m.Offset = end
	return nil
}

// decodedAtRoot reports whether the root node decodes the body itself: the
// hot APIs, Produce and Fetch, whose decoders set nothing before finish,
// so a body that fails leaves no trace in the root's attributes. The
// message then goes down the tree (to the API's branch, which fails the
// same way and says why, then to the undecoded fallback). Skipping the
// walk saves a tree level on most of the traffic.
func decodedAtRoot(key, v int16) bool {
	return (key == 0 || key == 1) && v >= 0 && v <= apis[key].maxVersion
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
			addStr(a, AttrErrorName, ErrorName(d.errCode))
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

// request decodes a request body.
func (d *decoder) request(key int16) {
	switch key {
	case 0:
		d.produceRequest()
	case 1:
		d.fetchRequest()
	case 2:
		d.listOffsetsRequest()
	case 3:
		d.metadataRequest()
	case 8:
		d.offsetCommitRequest()
	case 9:
		d.offsetFetchRequest()
	case 10:
		d.findCoordinatorRequest()
	case 11:
		d.joinGroupRequest()
	case 12:
		d.heartbeatRequest()
	case 13:
		d.leaveGroupRequest()
	case 14:
		d.syncGroupRequest()
	case 15:
		d.describeGroupsRequest()
	case 16:
		d.listGroupsRequest()
	case 17:
		d.saslHandshakeRequest()
	case 18:
		d.apiVersionsRequest()
	case 19:
		d.createTopicsRequest()
	case 20:
		d.deleteTopicsRequest()
	case 22:
		d.initProducerIDRequest()
	case 24:
		d.addPartitionsToTxnRequest()
	case 26:
		d.endTxnRequest()
	case 36:
		d.saslAuthenticateRequest()
	default:
		d.fail(ErrNotDecoded)
	}
}

// response decodes a response body.
func (d *decoder) response(key int16) {
	switch key {
	case 0:
		d.produceResponse()
	case 1:
		d.fetchResponse()
	case 2:
		d.listOffsetsResponse()
	case 3:
		d.metadataResponse()
	case 8:
		d.offsetCommitResponse()
	case 9:
		d.offsetFetchResponse()
	case 10:
		d.findCoordinatorResponse()
	case 11:
		d.joinGroupResponse()
	case 12:
		d.heartbeatResponse()
	case 13:
		d.leaveGroupResponse()
	case 14:
		d.syncGroupResponse()
	case 15:
		d.describeGroupsResponse()
	case 16:
		d.listGroupsResponse()
	case 17:
		d.saslHandshakeResponse()
	case 18:
		d.apiVersionsResponse()
	case 19:
		d.createTopicsResponse()
	case 20:
		d.deleteTopicsResponse()
	case 22:
		d.initProducerIDResponse()
	case 24:
		d.addPartitionsToTxnResponse()
	case 26:
		d.endTxnResponse()
	case 36:
		d.saslAuthenticateResponse()
	default:
		d.fail(ErrNotDecoded)
	}
}
