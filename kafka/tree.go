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
	return int16(binary.BigEndian.Uint16(m.Data[4:])), int16(binary.BigEndian.Uint16(m.Data[6:])), true
}

// responseKeyVersion returns the API key and version a response is parsed
// with: those of the request it answers (Message.Request), which the
// response root node also leaves in the connection state for the branch
// tests to read cheaply.
func responseKeyVersion(m *parser.Message) (key, version int16, ok bool) {
	if st, _ := m.State.(*connState); st != nil && st.respKV {
		return st.respKey, st.respVer, true
	}
	if m.Request == nil {
		return 0, 0, false
	}
	k, ok1 := m.Request.Int(AttrAPIKey)
	v, ok2 := m.Request.Int(AttrAPIVersion)
	return int16(k), int16(v), ok1 && ok2
}

// requestTree builds the request parser tree:
//
//	kafka.request (header v0/v1/v2: size, api key, version, correlation id,
//	               client id, tagged fields)
//	├── kafka.request.Produce (api key 0) ─ v13, v12, ... v0 (newest first)
//	├── kafka.request.Fetch   (api key 1) ─ v18 ... v0
//	├── ...                               (every decoded API, every version)
//	└── kafka.request.undecoded: any other key or version, or a body that
//	    failed to decode; header attributes plus AttrBodyNotDecoded.
func (c *config) requestTree() *parser.PkgParser {
	root := parser.NewPkgParser("kafka.request", c.requestFastFail, c.parseRequestHeader)
	for _, key := range decodedAPIs {
		root.Add(c.apiNode(parser.Request, key))
	}
	return root.Add(parser.NewPkgParser("kafka.request.undecoded", nil, undecoded)).
		Skip(apiSkip(requestKeyVersion))
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

// apiSkip jumps the root's walk to the branch of the message's API key:
// every branch before it would fail fast on the key anyway.
func apiSkip(kv func(*parser.Message) (int16, int16, bool)) func(*parser.Message) int {
	return func(m *parser.Message) int {
		k, _, ok := kv(m)
		if !ok || k < 0 || int(k) >= len(apiBranch) {
			return len(decodedAPIs) // the undecoded fallback
		}
		return int(apiBranch[k])
	}
}

// responseTree builds the response parser tree: a header node (size,
// correlation id, tagged fields for flexible versions except ApiVersions),
// which takes the API key and version from the paired request, then the
// same per-API, per-version branches as the request tree.
func (c *config) responseTree() *parser.PkgParser {
	root := parser.NewPkgParser("kafka.response", c.responseFastFail, c.parseResponseHeader)
	for _, key := range decodedAPIs {
		root.Add(c.apiNode(parser.Response, key))
	}
	return root.Add(parser.NewPkgParser("kafka.response.undecoded", nil, undecoded)).
		Skip(apiSkip(responseKeyVersion))
}

// apiNode is the branch of one API key, with one child per version.
func (c *config) apiNode(dir parser.Direction, key int16) *parser.PkgParser {
	kv := requestKeyVersion
	if dir == parser.Response {
		kv = responseKeyVersion
	}
	maxV := apis[key].maxVersion
	n := parser.NewPkgParser(dir.String()+"."+apis[key].name,
		func(m *parser.Message) bool {
			k, _, ok := kv(m)
			return !ok || k != key
		},
		func(m *parser.Message) (bool, bool) {
			_, v, _ := kv(m)
			if v < 0 || v > maxV {
				return m.Fail(ErrNewerVersion)
			}
			setAPI(m, key, v)
			return true, false
		})
	for v := maxV; v >= 0; v-- { // newest first: what current clients send
		n.Add(parser.NewPkgParser("v"+strconv.Itoa(int(v)),
			versionFastFail(dir, v),
			func(m *parser.Message) (bool, bool) {
				return c.parseBody(m, dir, key, v)
			}))
	}
	// Jump to the version's branch: child i is version maxV-i.
	return n.Skip(func(m *parser.Message) int {
		_, v, ok := kv(m)
		if !ok || v < 0 || v > maxV {
			return 0
		}
		return int(maxV - v)
	})
}

// versionFastFail is the branch test of version v. It runs for every
// version node tried, so it reads the version straight from the request
// frame, or from the connection state for a response, without an indirect
// call.
func versionFastFail(dir parser.Direction, v int16) parser.FastFailFunc {
	if dir == parser.Request {
		return func(m *parser.Message) bool {
			return len(m.Data) < 8 || int16(binary.BigEndian.Uint16(m.Data[6:])) != v
		}
	}
	return func(m *parser.Message) bool {
		if st, _ := m.State.(*connState); st != nil && st.respKV {
			return st.respVer != v
		}
		_, mv, ok := responseKeyVersion(m)
		return !ok || mv != v
	}
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
// correlation id; v1: + nullable client id; v2: + tagged fields).
func (c *config) parseRequestHeader(m *parser.Message) (bool, bool) {
	r := m.Reader()
	size := r.Int32()
	key := r.Int16()
	ver := r.Int16()
	corr := r.Int32()
	if !r.Ok() {
		return m.Fail(ErrShort)
	}
	a := &m.Attrs
	a.SetInt(AttrMessageSize, int64(size))
	a.SetInt(AttrAPIKey, int64(key))
	a.SetInt(AttrAPIVersion, int64(ver))
	a.SetInt(AttrCorrelationID, int64(corr))
	end := frameEnd(m, size)
	r = parser.NewReader(m.Data[:end])
	r.Skip(12)
	hv := RequestHeaderVersion(key, ver)
	if hv >= 1 {
		n := r.Int16()
		if n >= 0 {
			a.SetBytesString(AttrClientID, r.Bytes(int(n)))
		}
	}
	off := r.Offset()
	if hv >= 2 && r.Ok() {
		d := decoder{b: m.Data[off:end], flex: true}
		d.tags()
		if !d.ok() {
			return headerCut(m)
		}
		off += d.off
	}
	if !r.Ok() {
		return headerCut(m)
	}
	m.Offset = off
	return true, false
}

// parseResponseHeader reads the response header (v0: correlation id; v1:
// + tagged fields) with the paired request's API key and version, which it
// copies into the response's attributes. A response to an unknown request
// is complete after its correlation id.
func (c *config) parseResponseHeader(m *parser.Message) (bool, bool) {
	r := m.Reader()
	size := r.Int32()
	corr := r.Int32()
	if !r.Ok() {
		return m.Fail(ErrShort)
	}
	st, _ := m.State.(*connState)
	if st != nil {
		st.respKV = false
	}
	a := &m.Attrs
	a.SetInt(AttrMessageSize, int64(size))
	a.SetInt(AttrCorrelationID, int64(corr))
	end := frameEnd(m, size)
	var key, ver int64
	var ok1, ok2 bool
	if m.Request != nil {
		key, ok1 = m.Request.Int(AttrAPIKey)
		ver, ok2 = m.Request.Int(AttrAPIVersion)
	}
	if !ok1 || !ok2 {
		a.SetBool(AttrBodyNotDecoded, true)
		a.SetString(AttrBodyError, ErrUnknownRequest.Error())
		return true, true
	}
	if st != nil {
		st.respKey, st.respVer, st.respKV = int16(key), int16(ver), true
	}
	off := 8
	if ResponseHeaderVersion(int16(key), int16(ver)) >= 1 {
		d := decoder{b: m.Data[8:end], flex: true}
		d.tags()
		if !d.ok() {
			return headerCut(m)
		}
		off += d.off
	}
	m.Offset = off
	return true, false
}

// headerCut ends a message whose header does not fit it: complete with the
// header fields read so far when the message is known to be cut short
// (parser.Truncated), a failure otherwise.
func headerCut(m *parser.Message) (bool, bool) {
	if m.Flags&parser.Truncated == 0 {
		return m.Fail(ErrShort)
	}
	m.Attrs.SetBool(AttrBodyNotDecoded, true)
	m.Attrs.SetString(AttrBodyError, ErrTruncated.Error())
	return true, true
}

// setAPI sets the API name, and for a response the API key and version
// (which a response does not carry: they are the request's). The API
// nodes set them rather than the header nodes, so that each node's
// attribute list stays short (Attributes.Set scans the node's own list).
func setAPI(m *parser.Message, key, version int16) {
	if m.Dir == parser.Response {
		m.Attrs.SetInt(AttrAPIKey, int64(key))
		m.Attrs.SetInt(AttrAPIVersion, int64(version))
	}
	m.Attrs.SetString(AttrAPIName, APIName(key))
}

// undecoded completes a message whose body is not decoded, saying why when
// a branch said so.
func undecoded(m *parser.Message) (bool, bool) {
	k, v, ok := keyVersion(m)
	if ok {
		setAPI(m, k, v)
	}
	m.Attrs.SetBool(AttrBodyNotDecoded, true)
	switch {
	case m.Err != nil && m.Err != parser.ErrNoMatch:
		m.Attrs.SetString(AttrBodyError, m.Err.Error())
	case !ok || APIName(k) == "Unknown":
		m.Attrs.SetString(AttrBodyError, ErrUnknownAPI.Error())
	case !isDecoded(k):
		m.Attrs.SetString(AttrBodyError, ErrNotDecoded.Error())
	default:
		m.Attrs.SetString(AttrBodyError, parser.ErrNoMatch.Error())
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

// parseBody decodes the body of one API key and version, from m.Offset to
// the end of the frame, and sets the attributes. It fails (rolling back
// whatever it set) on a short or malformed body and on bytes left over.
func (c *config) parseBody(m *parser.Message, dir parser.Direction, key, v int16) (bool, bool) {
	size := int32(binary.BigEndian.Uint32(m.Data))
	end := frameEnd(m, size)
	if m.Offset > end {
		return m.Fail(ErrShort)
	}
	d := decoder{
		b:    m.Data[m.Offset:end],
		m:    m,
		c:    c,
		v:    v,
		flex: isFlexible(key, v, dir),
		resp: dir == parser.Response,
	}
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
			m.Attrs.SetString(AttrBodyError, ErrTruncated.Error())
			m.Offset = end
			return true, true
		}
		return m.Fail(d.err)
	}
	if d.Len() != 0 {
		return m.Fail(ErrTrailing)
	}
	d.finish()
	m.Offset = end
	return true, true
}

// finish sets the attributes collected while decoding.
func (d *decoder) finish() {
	a := &d.m.Attrs
	if d.topics > 0 {
		a.SetInt(AttrTopicCount, d.topics)
	}
	if d.partitions > 0 {
		a.SetInt(AttrPartitionCount, d.partitions)
	}
	if d.resp {
		a.SetInt(AttrErrorCode, int64(d.errCode))
		if d.errCode != 0 {
			a.SetString(AttrErrorName, ErrorName(d.errCode))
		}
	}
	d.rec.set(a)
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
