package kafka

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/parser"
)

// The generated-message tests build every request and response of every
// decoded API in every version with franz-go's kmsg, fill every field with
// a non-default value (reflection, so no field is forgotten, tagged fields
// included), encode it, frame it with a header written here, parse it, and
// check each attribute against the value in the kmsg struct.

// Every ErrorCode field is filled with a distinct code (never 35, which
// makes ApiVersions fall back to a v0 body); the expected first non-zero
// code in wire order comes from firstErrorCode on the kmsg struct decoded
// back from the encoded bytes, so it has exactly the fields of the version.

// recordSet builds the record set a Produce request or Fetch response of
// the given version carries: two v2 record batches (3 and 5 records, lz4)
// for versions using magic 2, else two magic 0/1 messages (gzip).
type recordSet struct {
	b       []byte
	records int64
	batches int64
	codec   string
	magic   int64
}

func buildRecordSet(magic int8) recordSet {
	var rs recordSet
	rs.magic = int64(magic)
	if magic == 2 {
		for i, n := range []int32{3, 5} {
			body := []byte(fmt.Sprintf("opaque-records-%d", i)) // never decoded
			rb := kmsg.RecordBatch{
				FirstOffset:          int64(100 * i),
				Length:               int32(49 + len(body)),
				PartitionLeaderEpoch: 7,
				Magic:                2,
				Attributes:           3, // lz4
				LastOffsetDelta:      n - 1,
				FirstTimestamp:       1700000000000,
				MaxTimestamp:         1700000000999,
				ProducerID:           42,
				ProducerEpoch:        1,
				FirstSequence:        int32(10 * i),
				NumRecords:           n,
				Records:              body,
			}
			b := rb.AppendTo(nil)
			binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
			rs.b = append(rs.b, b...)
			rs.records += int64(n)
			rs.batches++
		}
		rs.codec = "lz4"
		return rs
	}
	for i := 0; i < 2; i++ {
		value := []byte(fmt.Sprintf("compressed-value-%d", i))
		var b []byte
		if magic == 0 {
			m := kmsg.MessageV0{Offset: int64(i), Magic: 0, Attributes: 1, Key: []byte("k"), Value: value}
			m.MessageSize = int32(4 + 1 + 1 + 4 + 1 + 4 + len(value))
			b = m.AppendTo(nil)
		} else {
			m := kmsg.MessageV1{Offset: int64(i), Magic: 1, Attributes: 1, Timestamp: 1700000000000, Key: []byte("k"), Value: value}
			m.MessageSize = int32(4 + 1 + 1 + 8 + 4 + 1 + 4 + len(value))
			b = m.AppendTo(nil)
		}
		binary.BigEndian.PutUint32(b[12:], crc32.ChecksumIEEE(b[16:]))
		rs.b = append(rs.b, b...)
		rs.records++
		rs.batches++
	}
	rs.codec = "gzip"
	return rs
}

// filler fills kmsg structs with distinct non-default values.
type filler struct {
	n    int
	recs []byte
}

func (f *filler) next() int { f.n++; return f.n }

func (f *filler) fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			fn := t.Field(i).Name
			if fn == "Version" || fn == "UnknownTags" || !t.Field(i).IsExported() {
				continue
			}
			f.fill(v.Field(i), fn)
		}
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.String {
			p := reflect.New(v.Type().Elem())
			f.fill(p.Elem(), name)
			v.Set(p)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("%s-%d", name, f.next()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int8:
		v.SetInt(int64(1 + f.next()%100))
	case reflect.Int16:
		if name == "ErrorCode" {
			code := 1 + f.next()%130
			if code == 35 {
				code++
			}
			v.SetInt(int64(code))
			return
		}
		v.SetInt(int64(200 + f.next()))
	case reflect.Int32, reflect.Int64:
		v.SetInt(int64(1000 + f.next()))
	case reflect.Array: // uuid
		for i := 0; i < v.Len(); i++ {
			v.Index(i).SetUint(uint64(f.next()))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if name == "Records" || name == "RecordBatches" {
				v.SetBytes(append([]byte(nil), f.recs...))
				return
			}
			v.SetBytes([]byte(fmt.Sprintf("%s-bytes-%d", name, f.next())))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			f.fill(s.Index(i), name)
		}
		v.Set(s)
	}
}

// frameRequest writes the request header for key/version and the body.
func frameRequest(key, version int16, corr int32, clientID string, body []byte) []byte {
	b := make([]byte, 4, 64+len(body))
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	hv := RequestHeaderVersion(key, version)
	if hv >= 1 {
		b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
		b = append(b, clientID...)
	}
	if hv >= 2 {
		if corr%2 == 1 { // an unknown tagged field, to be skipped
			b = append(b, 1, 5, 3, 'a', 'b', 'c')
		} else {
			b = append(b, 0)
		}
	}
	b = append(b, body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// frameResponse writes the response header and the body.
func frameResponse(key, version int16, corr int32, body []byte) []byte {
	b := make([]byte, 4, 16+len(body))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	if ResponseHeaderVersion(key, version) >= 1 {
		b = append(b, 0)
	}
	b = append(b, body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// genCase is one generated message pair.
type genCase struct {
	key, version int16
	req          kmsg.Request
	resp         kmsg.Response
	recs         recordSet
	reqFrame     []byte
	respFrame    []byte
}

func recordMagic(key, version int16) int8 {
	switch {
	case key == 0 && version <= 1, key == 1 && version <= 1:
		return 0
	case key == 0 && version == 2, key == 1 && version <= 3:
		return 1
	}
	return 2
}

// genCases builds a request and a response for every decoded API and
// version.
func genCases(t testing.TB) []genCase {
	var out []genCase
	corr := int32(1)
	for _, key := range DecodedAPIs() {
		for v := int16(0); v <= apis[key].maxVersion; v++ {
			c := genCase{key: key, version: v}
			c.recs = buildRecordSet(recordMagic(key, v))
			f := &filler{recs: c.recs.b}
			c.req = kmsg.RequestForKey(key)
			c.req.SetVersion(v)
			f.fill(reflect.ValueOf(c.req).Elem(), "")
			if p, ok := c.req.(*kmsg.ProduceRequest); ok {
				p.Acks = -1
			}
			if p, ok := c.req.(*kmsg.FindCoordinatorRequest); ok {
				p.CoordinatorType = 1
			}
			c.resp = c.req.ResponseKind()
			c.resp.SetVersion(v)
			f.fill(reflect.ValueOf(c.resp).Elem(), "")
			c.reqFrame = frameRequest(key, v, corr, fmt.Sprintf("client-%d", corr), c.req.AppendTo(nil))
			c.respFrame = frameResponse(key, v, corr, c.resp.AppendTo(nil))
			corr++
			out = append(out, c)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// exp is an expected attribute set; absent lists keys that must not be set.
type exp struct {
	attrs  map[string]any
	absent []string
}

func (e *exp) set(k string, v any) { e.attrs[k] = v }

func i64[T int8 | int16 | int32 | int64 | int](v T) int64 { return int64(v) }

func idText(id [16]byte) string { return FormatTopicID(id) }

// topicsExp sets topic, topic_id and the counts from first-topic values.
func (e *exp) topics(name *string, id *[16]byte, topics, partitions int) {
	if name != nil {
		e.set(AttrTopic, *name)
	} else {
		e.absent = append(e.absent, AttrTopic)
	}
	if id != nil && *id != ([16]byte{}) {
		e.set(AttrTopicID, idText(*id))
	} else {
		e.absent = append(e.absent, AttrTopicID)
	}
	if topics > 0 {
		e.set(AttrTopicCount, i64(topics))
	}
	if partitions > 0 {
		e.set(AttrPartitionCount, i64(partitions))
	}
}

func (e *exp) records(rs recordSet, sets int) {
	e.set(AttrRecordCount, rs.records*int64(sets))
	e.set(AttrRecordBatches, rs.batches*int64(sets))
	e.set(AttrRecordBytes, int64(len(rs.b)*sets))
	e.set(AttrCompression, rs.codec)
	e.set(AttrRecordMagic, rs.magic)
}

// requestExp is what the parser must report for a generated request,
// derived from the kmsg struct.
func requestExp(c genCase) exp {
	v := c.version
	e := exp{attrs: map[string]any{}}
	if apis[c.key].generated {
		decoded := kmsg.RequestForKey(c.key)
		decoded.SetVersion(v)
		if err := decoded.ReadFrom(c.req.AppendTo(nil)); err != nil {
			panic(err)
		}
		e.generic(reflect.ValueOf(decoded), c.recs)
		return e
	}
	switch r := c.req.(type) {
	case *kmsg.ProduceRequest:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		if v <= 12 {
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			e.topics(nil, &r.Topics[0].TopicID, len(r.Topics), np)
		}
		e.set(AttrAcks, i64(r.Acks))
		e.set(AttrTimeoutMs, i64(r.TimeoutMillis))
		if v >= 3 {
			e.set(AttrTransactionalID, *r.TransactionID)
		}
		e.records(c.recs, np)
	case *kmsg.FetchRequest:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		if v <= 12 {
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			e.topics(nil, &r.Topics[0].TopicID, len(r.Topics), np)
		}
		e.set(AttrMaxWaitMs, i64(r.MaxWaitMillis))
	case *kmsg.ListOffsetsRequest:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		if v >= 10 {
			e.set(AttrTimeoutMs, i64(r.TimeoutMillis))
		}
	case *kmsg.MetadataRequest:
		var id *[16]byte
		if v >= 10 {
			id = &r.Topics[0].TopicID
		}
		e.topics(r.Topics[0].Topic, id, len(r.Topics), 0)
	case *kmsg.OffsetCommitRequest:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		if v <= 9 {
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			e.topics(nil, &r.Topics[0].TopicID, len(r.Topics), np)
		}
		e.set(AttrGroupID, r.Group)
		if v >= 1 {
			e.set(AttrGenerationID, i64(r.Generation))
			e.set(AttrMemberID, r.MemberID)
		}
	case *kmsg.OffsetFetchRequest:
		if v <= 7 {
			np := 0
			for _, t := range r.Topics {
				np += len(t.Partitions)
			}
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
			e.set(AttrGroupID, r.Group)
		} else {
			nt, np := 0, 0
			for _, g := range r.Groups {
				nt += len(g.Topics)
				for _, t := range g.Topics {
					np += len(t.Partitions)
				}
			}
			t0 := r.Groups[0].Topics[0]
			if v <= 9 {
				e.topics(&t0.Topic, nil, nt, np)
			} else {
				e.topics(nil, &t0.TopicID, nt, np)
			}
			e.set(AttrGroupID, r.Groups[0].Group)
			if v >= 9 {
				e.set(AttrMemberID, *r.Groups[0].MemberID)
			}
		}
	case *kmsg.FindCoordinatorRequest:
		key := r.CoordinatorKey
		if v >= 4 {
			key = r.CoordinatorKeys[0]
		}
		typ := int64(0)
		if v >= 1 {
			typ = int64(r.CoordinatorType)
		}
		e.set(AttrCoordinatorKey, key)
		e.set(AttrCoordinatorType, typ)
		if typ == 0 {
			e.set(AttrGroupID, key)
		} else {
			e.set(AttrTransactionalID, key)
		}
	case *kmsg.JoinGroupRequest:
		e.set(AttrGroupID, r.Group)
		e.set(AttrMemberID, r.MemberID)
	case *kmsg.HeartbeatRequest:
		e.set(AttrGroupID, r.Group)
		e.set(AttrMemberID, r.MemberID)
		e.set(AttrGenerationID, i64(r.Generation))
	case *kmsg.LeaveGroupRequest:
		e.set(AttrGroupID, r.Group)
		if v <= 2 {
			e.set(AttrMemberID, r.MemberID)
		} else {
			e.set(AttrMemberID, r.Members[0].MemberID)
		}
	case *kmsg.SyncGroupRequest:
		e.set(AttrGroupID, r.Group)
		e.set(AttrMemberID, r.MemberID)
		e.set(AttrGenerationID, i64(r.Generation))
	case *kmsg.DescribeGroupsRequest:
		e.set(AttrGroupID, r.Groups[0])
	case *kmsg.ListGroupsRequest:
		e.absent = append(e.absent, AttrGroupID, AttrTopic)
	case *kmsg.SASLHandshakeRequest:
		e.set(AttrSASLMechanism, r.Mechanism)
	case *kmsg.SASLAuthenticateRequest, *kmsg.ApiVersionsRequest:
		e.absent = append(e.absent, AttrTopic, AttrErrorCode)
	case *kmsg.CreateTopicsRequest:
		np := 0
		for _, t := range r.Topics {
			np += int(t.NumPartitions)
		}
		e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		e.set(AttrTimeoutMs, i64(r.TimeoutMillis))
	case *kmsg.DeleteTopicsRequest:
		if v <= 5 {
			e.topics(&r.TopicNames[0], nil, len(r.TopicNames), 0)
		} else {
			e.topics(r.Topics[0].Topic, &r.Topics[0].TopicID, len(r.Topics), 0)
		}
		e.set(AttrTimeoutMs, i64(r.TimeoutMillis))
	case *kmsg.InitProducerIDRequest:
		e.set(AttrTransactionalID, *r.TransactionalID)
		e.set(AttrTimeoutMs, i64(r.TransactionTimeoutMillis))
		if v >= 3 {
			e.set(AttrProducerID, r.ProducerID)
		}
	case *kmsg.AddPartitionsToTxnRequest:
		if v <= 3 {
			np := 0
			for _, t := range r.Topics {
				np += len(t.Partitions)
			}
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
			e.set(AttrTransactionalID, r.TransactionalID)
			e.set(AttrProducerID, r.ProducerID)
		} else {
			nt, np := 0, 0
			for _, x := range r.Transactions {
				nt += len(x.Topics)
				for _, t := range x.Topics {
					np += len(t.Partitions)
				}
			}
			e.topics(&r.Transactions[0].Topics[0].Topic, nil, nt, np)
			e.set(AttrTransactionalID, r.Transactions[0].TransactionalID)
			e.set(AttrProducerID, r.Transactions[0].ProducerID)
		}
	case *kmsg.EndTxnRequest:
		e.set(AttrTransactionalID, r.TransactionalID)
		e.set(AttrProducerID, r.ProducerID)
		e.set(AttrCommit, r.Commit)
	default:
		panic(fmt.Sprintf("no expectation for %T", r))
	}
	return e
}

// responseExp is what the parser must report for a generated response.
func responseExp(c genCase) exp {
	v := c.version
	decoded := kmsg.RequestForKey(c.key).ResponseKind()
	decoded.SetVersion(v)
	if err := decoded.ReadFrom(c.resp.AppendTo(nil)); err != nil {
		panic(err)
	}
	code := firstErrorCode(reflect.ValueOf(decoded))
	if code == 0 {
		panic(fmt.Sprintf("%T v%d: no error code filled", c.resp, v))
	}
	e := exp{attrs: map[string]any{
		AttrErrorCode: int64(code),
		AttrErrorName: ErrorName(code),
	}}
	if apis[c.key].generated {
		e.generic(reflect.ValueOf(decoded), c.recs)
		return e
	}
	throttle := func(from int16, ms int32) {
		if v >= from {
			e.set(AttrThrottleTimeMs, i64(ms))
		} else {
			e.absent = append(e.absent, AttrThrottleTimeMs)
		}
	}
	switch r := c.resp.(type) {
	case *kmsg.ProduceResponse:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		if v <= 12 {
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			e.topics(nil, &r.Topics[0].TopicID, len(r.Topics), np)
		}
		throttle(1, r.ThrottleMillis)
	case *kmsg.FetchResponse:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		if v <= 12 {
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			e.topics(nil, &r.Topics[0].TopicID, len(r.Topics), np)
		}
		throttle(1, r.ThrottleMillis)
		e.records(c.recs, np)
	case *kmsg.ListOffsetsResponse:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		throttle(2, r.ThrottleMillis)
	case *kmsg.MetadataResponse:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		var id *[16]byte
		if v >= 10 {
			id = &r.Topics[0].TopicID
		}
		e.topics(r.Topics[0].Topic, id, len(r.Topics), np)
		throttle(3, r.ThrottleMillis)
	case *kmsg.OffsetCommitResponse:
		np := 0
		for _, t := range r.Topics {
			np += len(t.Partitions)
		}
		if v <= 9 {
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			e.topics(nil, &r.Topics[0].TopicID, len(r.Topics), np)
		}
		throttle(3, r.ThrottleMillis)
	case *kmsg.OffsetFetchResponse:
		if v <= 7 {
			np := 0
			for _, t := range r.Topics {
				np += len(t.Partitions)
			}
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			nt, np := 0, 0
			for _, g := range r.Groups {
				nt += len(g.Topics)
				for _, t := range g.Topics {
					np += len(t.Partitions)
				}
			}
			t0 := r.Groups[0].Topics[0]
			if v <= 9 {
				e.topics(&t0.Topic, nil, nt, np)
			} else {
				e.topics(nil, &t0.TopicID, nt, np)
			}
			e.set(AttrGroupID, r.Groups[0].Group)
		}
		throttle(3, r.ThrottleMillis)
	case *kmsg.FindCoordinatorResponse:
		throttle(1, r.ThrottleMillis)
	case *kmsg.JoinGroupResponse:
		throttle(2, r.ThrottleMillis)
		e.set(AttrGenerationID, i64(r.Generation))
		e.set(AttrMemberID, r.MemberID)
	case *kmsg.HeartbeatResponse:
		throttle(1, r.ThrottleMillis)
	case *kmsg.LeaveGroupResponse:
		throttle(1, r.ThrottleMillis)
	case *kmsg.SyncGroupResponse:
		throttle(1, r.ThrottleMillis)
	case *kmsg.DescribeGroupsResponse:
		throttle(1, r.ThrottleMillis)
		e.set(AttrGroupID, r.Groups[0].Group)
	case *kmsg.ListGroupsResponse:
		throttle(1, r.ThrottleMillis)
		e.set(AttrGroupID, r.Groups[0].Group)
	case *kmsg.SASLHandshakeResponse:
	case *kmsg.SASLAuthenticateResponse:
	case *kmsg.ApiVersionsResponse:
		throttle(1, r.ThrottleMillis)
	case *kmsg.CreateTopicsResponse:
		e.topics(&r.Topics[0].Topic, nil, len(r.Topics), 0)
		throttle(2, r.ThrottleMillis)
	case *kmsg.DeleteTopicsResponse:
		var id *[16]byte
		if v >= 6 {
			id = &r.Topics[0].TopicID
		}
		e.topics(r.Topics[0].Topic, id, len(r.Topics), 0)
		throttle(1, r.ThrottleMillis)
	case *kmsg.InitProducerIDResponse:
		throttle(0, r.ThrottleMillis)
		e.set(AttrProducerID, r.ProducerID)
	case *kmsg.AddPartitionsToTxnResponse:
		throttle(0, r.ThrottleMillis)
		if v <= 3 {
			np := 0
			for _, t := range r.Topics {
				np += len(t.Partitions)
			}
			e.topics(&r.Topics[0].Topic, nil, len(r.Topics), np)
		} else {
			nt, np := 0, 0
			for _, x := range r.Transactions {
				nt += len(x.Topics)
				for _, t := range x.Topics {
					np += len(t.Partitions)
				}
			}
			e.topics(&r.Transactions[0].Topics[0].Topic, nil, nt, np)
			e.set(AttrTransactionalID, r.Transactions[0].TransactionalID)
		}
	case *kmsg.EndTxnResponse:
		throttle(0, r.ThrottleMillis)
		if v >= 5 {
			e.set(AttrProducerID, r.ProducerID)
		}
	default:
		panic(fmt.Sprintf("no expectation for %T", r))
	}
	return e
}

// generic sets what a decoder generated from kmsg (zdecode.go) reports,
// read from the kmsg struct decoded back from the encoded bytes (so a
// field the version lacks has its default): the first topic name and id
// and the number of topics (a struct with a Topic or TopicName string, or
// else a non-zero TopicID, is one topic; so is each element of a string
// array named Topics or TopicNames), the record sets, and the top-level
// throttle time, group, member and transactional ids, producer id and
// generation. The error code is firstErrorCode's. Fields are walked in
// struct order, which is wire order (no tagged field carries any of
// these). The filler gives every present field a value no default has.
func (e *exp) generic(v reflect.Value, recs recordSet) {
	var g genericWalk
	g.walk(v.Elem(), 0)
	if g.topics > 0 {
		e.set(AttrTopicCount, g.topics)
	}
	if g.topic != nil {
		e.set(AttrTopic, *g.topic)
	}
	if g.id != nil {
		e.set(AttrTopicID, idText(*g.id))
	}
	for k, v := range g.top {
		e.set(k, v)
	}
	if g.recordSets > 0 {
		e.records(recs, g.recordSets)
	}
}

type genericWalk struct {
	topics     int64
	topic      *string
	id         *[16]byte
	recordSets int
	top        map[string]any
}

func (g *genericWalk) topicName(s string) {
	g.topics++
	if g.topic == nil {
		g.topic = &s
	}
}

func (g *genericWalk) setTop(k string, v any) {
	if g.top == nil {
		g.top = map[string]any{}
	}
	if _, ok := g.top[k]; !ok {
		g.top[k] = v
	}
}

func (g *genericWalk) walk(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			g.walk(v.Elem(), depth)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			g.walk(v.Index(i), depth)
		}
	case reflect.Struct:
		t := v.Type()
		named := false // the struct names its topic: its TopicID is not another topic
		for _, n := range []string{"Topic", "TopicName"} {
			if fv := v.FieldByName(n); fv.IsValid() && (fv.Kind() == reflect.String && fv.String() != "" || fv.Kind() == reflect.Pointer && !fv.IsNil()) {
				named = true
			}
		}
		for i := 0; i < v.NumField(); i++ {
			f, fv := t.Field(i), v.Field(i)
			if !f.IsExported() || f.Name == "UnknownTags" || f.Name == "Version" {
				continue
			}
			switch {
			case (f.Name == "Topic" || f.Name == "TopicName") && fv.Kind() == reflect.String:
				if fv.String() != "" {
					g.topicName(fv.String())
				}
			case (f.Name == "Topic" || f.Name == "TopicName") && fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String:
				if !fv.IsNil() {
					g.topicName(fv.Elem().String())
				}
			case f.Name == "TopicID" && fv.Kind() == reflect.Array:
				id := fv.Interface().([16]byte)
				if id != ([16]byte{}) {
					if g.id == nil {
						g.id = &id
					}
					if !named {
						g.topics++
					}
				}
			case (f.Name == "Topics" || f.Name == "TopicNames") && fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
				for j := 0; j < fv.Len(); j++ {
					g.topicName(fv.Index(j).String())
				}
			case (f.Name == "TopicIDs" || f.Name == "Topics") && fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Array:
				for j := 0; j < fv.Len(); j++ {
					id := fv.Index(j).Interface().([16]byte)
					g.topics++
					if g.id == nil && id != ([16]byte{}) {
						g.id = &id
					}
				}
			case (f.Name == "Records" || f.Name == "RecordBatches") && fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Uint8:
				if !fv.IsNil() {
					g.recordSets++
				}
			case depth == 0 && f.Name == "ThrottleMillis" && fv.Kind() == reflect.Int32:
				if fv.Int() >= 1000 {
					g.setTop(AttrThrottleTimeMs, fv.Int())
				}
			case depth == 0 && f.Name == "ProducerID" && fv.Kind() == reflect.Int64:
				if fv.Int() >= 1000 {
					g.setTop(AttrProducerID, fv.Int())
				}
			case depth == 0 && f.Name == "Generation" && fv.Kind() == reflect.Int32:
				if fv.Int() >= 1000 {
					g.setTop(AttrGenerationID, fv.Int())
				}
			case depth == 0 && fv.Kind() == reflect.String && (f.Name == "Group" || f.Name == "GroupID" || f.Name == "MemberID" || f.Name == "TransactionalID"):
				if fv.String() != "" {
					key := map[string]string{"Group": AttrGroupID, "GroupID": AttrGroupID, "MemberID": AttrMemberID, "TransactionalID": AttrTransactionalID}[f.Name]
					g.setTop(key, fv.String())
				}
			case depth == 0 && fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String && (f.Name == "Group" || f.Name == "GroupID" || f.Name == "MemberID" || f.Name == "TransactionalID"):
				if !fv.IsNil() {
					key := map[string]string{"Group": AttrGroupID, "GroupID": AttrGroupID, "MemberID": AttrMemberID, "TransactionalID": AttrTransactionalID}[f.Name]
					g.setTop(key, fv.Elem().String())
				}
			case fv.Kind() == reflect.Struct, fv.Kind() == reflect.Slice, fv.Kind() == reflect.Pointer:
				g.walk(fv, depth+1)
			}
		}
	}
}

// firstErrorCode walks a kmsg struct depth-first in field order (which is
// wire order) and returns the first non-zero ErrorCode field.
func firstErrorCode(v reflect.Value) int16 {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return firstErrorCode(v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "UnknownTags" {
				continue
			}
			if f.Name == "ErrorCode" && f.Type.Kind() == reflect.Int16 {
				if c := int16(v.Field(i).Int()); c != 0 {
					return c
				}
				continue
			}
			if c := firstErrorCode(v.Field(i)); c != 0 {
				return c
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return 0
		}
		for i := 0; i < v.Len(); i++ {
			if c := firstErrorCode(v.Index(i)); c != 0 {
				return c
			}
		}
	}
	return 0
}

func checkAttrs(t *testing.T, a *parser.Attributes, e exp) {
	t.Helper()
	for k, want := range e.attrs {
		got, ok := a.Get(k)
		if !ok {
			t.Errorf("%s: missing (want %v)", k, want)
			continue
		}
		if got.Any() != want && fmt.Sprint(got.Any()) != fmt.Sprint(want) {
			t.Errorf("%s = %#v, want %#v", k, got.Any(), want)
		} else if reflect.TypeOf(got.Any()) != reflect.TypeOf(want) {
			t.Errorf("%s = %T, want %T", k, got.Any(), want)
		}
	}
	for _, k := range e.absent {
		if _, ok := e.attrs[k]; ok {
			continue
		}
		if v, ok := a.Get(k); ok {
			t.Errorf("%s set to %v, want absent", k, v)
		}
	}
}

// checkNoOthers fails for any attribute the parser reported that no
// expectation covers: every reported attribute must equal what was encoded.
func checkNoOthers(t *testing.T, a *parser.Attributes, exps ...exp) {
	t.Helper()
	for k, v := range a.All() {
		found := false
		for _, e := range exps {
			if _, ok := e.attrs[k]; ok {
				found = true
			}
		}
		if !found {
			t.Errorf("unexpected attribute %s = %v", k, v)
		}
	}
}

func TestGeneratedEveryVersion(t *testing.T) {
	p := NewProtocol(Options{})
	cases := genCases(t)
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/v%d", apis[c.key].name, c.version), func(t *testing.T) {
			state := p.NewState()
			var req, resp parser.Message
			require.True(t, p.ParseRequest(&req, c.reqFrame, state), "request: %v", req.Err)
			corr := int64(binary.BigEndian.Uint32(c.reqFrame[8:]))
			a := &req.Attrs
			require.False(t, a.Has(AttrBodyNotDecoded), "request body not decoded: %v", a.Map())
			hdr := exp{attrs: map[string]any{
				AttrAPIKey:        int64(c.key),
				AttrAPIVersion:    int64(c.version),
				AttrAPIName:       APIName(c.key),
				AttrCorrelationID: corr,
				AttrClientID:      fmt.Sprintf("client-%d", corr),
				AttrMessageSize:   int64(len(c.reqFrame) - 4),
			}}
			if RequestHeaderVersion(c.key, c.version) == 0 { // no client id
				delete(hdr.attrs, AttrClientID)
				hdr.absent = append(hdr.absent, AttrClientID)
			}
			checkAttrs(t, a, hdr)
			re := requestExp(c)
			checkAttrs(t, a, re)
			checkNoOthers(t, a, hdr, re)

			require.True(t, p.ParseResponse(&resp, c.respFrame, &req.Attrs, state), "response: %v", resp.Err)
			ra := &resp.Attrs
			require.False(t, ra.Has(AttrBodyNotDecoded), "response body not decoded: %v", ra.Map())
			rhdr := exp{attrs: map[string]any{
				AttrAPIKey:        int64(c.key),
				AttrAPIName:       APIName(c.key),
				AttrAPIVersion:    int64(c.version),
				AttrCorrelationID: corr,
				AttrMessageSize:   int64(len(c.respFrame) - 4),
			}}
			checkAttrs(t, ra, rhdr)
			rexp := responseExp(c)
			checkAttrs(t, ra, rexp)
			checkNoOthers(t, ra, rhdr, rexp)
		})
	}
}
