package kafka

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/parser"
)

// TestEveryAPIKeyHeader frames a request and a response of every API key
// and version in the table (kmsg default values) and checks the header
// attributes; keys whose bodies are not decoded say so.
func TestEveryAPIKeyHeader(t *testing.T) {
	p := NewProtocol(Options{})
	n := 0
	for key := int16(0); key <= MaxAPIKey; key++ {
		req := kmsg.RequestForKey(key)
		require.NotNil(t, req, "key %d", key)
		for v := int16(0); v <= req.MaxVersion(); v++ {
			req.SetVersion(v)
			resp := req.ResponseKind()
			resp.SetVersion(v)
			corr := int32(1000*int(key) + int(v))
			reqB := frameRequest(key, v, corr, "hdr-client", req.AppendTo(nil))
			respB := frameResponse(key, v, corr, resp.AppendTo(nil))
			var rm, sm parser.Message
			state := p.NewState()
			require.True(t, p.ParseRequest(&rm, reqB, state), "%d/v%d: %v", key, v, rm.Err)
			a := &rm.Attrs
			assertInt(t, a, AttrAPIKey, int64(key))
			assertInt(t, a, AttrAPIVersion, int64(v))
			assertInt(t, a, AttrCorrelationID, int64(corr))
			s, _ := a.String(AttrAPIName)
			assert.Equal(t, kmsg.NameForKey(key), s)
			if RequestHeaderVersion(key, v) > 0 {
				s, _ = a.String(AttrClientID)
				assert.Equal(t, "hdr-client", s, "%d/v%d", key, v)
			}
			require.True(t, p.ParseResponse(&sm, respB, a, state), "%d/v%d: %v", key, v, sm.Err)
			assertInt(t, &sm.Attrs, AttrCorrelationID, int64(corr))
			decoded := known(key)
			assert.Equal(t, !decoded, a.Has(AttrBodyNotDecoded), "%d/v%d request", key, v)
			assert.Equal(t, !decoded, sm.Attrs.Has(AttrBodyNotDecoded), "%d/v%d response", key, v)
			if decoded {
				assertInt(t, &sm.Attrs, AttrErrorCode, 0)
			} else {
				s, _ := a.String(AttrBodyError)
				assert.Equal(t, ErrNotDecoded.Error(), s)
			}
			n++
		}
	}
	t.Logf("%d api key/version pairs", n)
}

func TestUnknownKeyAndNewerVersion(t *testing.T) {
	p := NewProtocol(Options{})
	for _, tc := range []struct {
		key, version int16
		why          error
	}{
		{200, 0, ErrUnknownAPI},
		{0, 99, ErrNewerVersion},
		{1, 19, ErrNewerVersion},
	} {
		b := frameRequest(tc.key, tc.version, 42, "cli", []byte{1, 2, 3})
		var m parser.Message
		require.True(t, p.ParseRequest(&m, b, nil))
		assertInt(t, &m.Attrs, AttrAPIKey, int64(tc.key))
		assertInt(t, &m.Attrs, AttrAPIVersion, int64(tc.version))
		assertInt(t, &m.Attrs, AttrCorrelationID, 42)
		ok, _ := m.Attrs.Bool(AttrBodyNotDecoded)
		assert.True(t, ok)
		s, _ := m.Attrs.String(AttrBodyError)
		assert.Equal(t, tc.why.Error(), s)

		var r parser.Message
		require.True(t, p.ParseResponse(&r, frameResponse(0, 0, 42, []byte{0, 9}), &m.Attrs, nil)) // (empty tag section if flexible)
		assertInt(t, &r.Attrs, AttrCorrelationID, 42)
		assert.True(t, r.Attrs.Has(AttrBodyNotDecoded))
	}
}

func TestResponseToUnknownRequest(t *testing.T) {
	p := Protocol()
	var r parser.Message
	require.True(t, p.ParseResponse(&r, frameResponse(0, 7, 9, []byte{0, 0, 0, 0, 0, 0, 0, 0}), nil, nil))
	assertInt(t, &r.Attrs, AttrCorrelationID, 9)
	s, _ := r.Attrs.String(AttrBodyError)
	assert.Equal(t, ErrUnknownRequest.Error(), s)
	assert.False(t, r.Attrs.Has(AttrErrorCode))
}

// TestMalformedBodyKeepsHeader: a body that does not decode (here a topic
// array claiming 2^31-1 topics) yields the header, body_not_decoded and the
// reason, without allocating for the count.
func TestMalformedBodyKeepsHeader(t *testing.T) {
	p := Protocol()
	body := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0x75, 0x30, 0x7f, 0xff, 0xff, 0xff} // produce v3: null txn, acks -1, timeout, huge array
	b := frameRequest(0, 3, 5, "c", body)
	var m parser.Message
	require.True(t, p.ParseRequest(&m, b, nil))
	assertInt(t, &m.Attrs, AttrAPIKey, 0)
	assert.True(t, m.Attrs.Has(AttrBodyNotDecoded))
	s, _ := m.Attrs.String(AttrBodyError)
	assert.Equal(t, ErrLength.Error(), s)
	assert.False(t, m.Attrs.Has(AttrAcks), "attributes of a failed body are rolled back")
	allocs := testing.AllocsPerRun(100, func() { p.ParseRequest(&m, b, nil) })
	assert.Zero(t, allocs)

	// The same with acks=0: the request is not marked one-way, since its
	// body (where acks is) did not decode.
	body[2], body[3] = 0, 0
	require.True(t, p.ParseRequest(&m, frameRequest(0, 3, 5, "c", body), nil))
	assert.True(t, m.Attrs.Has(AttrBodyNotDecoded))
	assert.Zero(t, m.Flags&parser.OneWay)
}

// TestHostileLengths: every kind of length field set to a huge value.
func TestHostileLengths(t *testing.T) {
	p := Protocol()
	cases := map[string]struct {
		key, ver int16
		body     []byte
	}{
		"legacy string":    {3, 4, []byte{0, 0, 0, 1, 0x7f, 0xff}},
		"negative string":  {3, 4, []byte{0, 0, 0, 1, 0x80, 0x00}},
		"legacy array":     {3, 4, []byte{0x7f, 0xff, 0xff, 0xff}},
		"negative array":   {3, 4, []byte{0x80, 0, 0, 0}},
		"compact array":    {3, 12, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
		"compact string":   {3, 12, []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		"long varint":      {3, 12, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		"tag count":        {3, 12, []byte{0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0x0f}},
		"records bytes":    {0, 3, []byte{0xff, 0xff, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}},
		"int32 partitions": {2, 1, []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'a', 0x7f, 0xff, 0xff, 0xff}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var m parser.Message
			require.True(t, p.ParseRequest(&m, frameRequest(tc.key, tc.ver, 1, "c", tc.body), nil))
			assert.True(t, m.Attrs.Has(AttrBodyNotDecoded))
			s, _ := m.Attrs.String(AttrBodyError)
			assert.NotEmpty(t, s)
		})
	}
}

func TestProduceAcks0IsOneWay(t *testing.T) {
	p := Protocol()
	for _, acks := range []int16{0, 1, -1} {
		r := kmsg.NewPtrProduceRequest()
		r.Version = 8
		r.Acks = acks
		r.TimeoutMillis = 1500
		tp := kmsg.NewProduceRequestTopic()
		tp.Topic = "audit"
		tp.Partitions = []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: buildRecordSet(2).b}}
		r.Topics = append(r.Topics, tp)
		var m parser.Message
		require.True(t, p.ParseRequest(&m, frameRequest(0, 8, 3, "p", r.AppendTo(nil)), nil))
		assert.Equal(t, acks == 0, m.Flags&parser.OneWay != 0, "acks=%d", acks)
		assertInt(t, &m.Attrs, AttrAcks, int64(acks))
	}
}

// TestTopicIDResolution: a Metadata v12 response teaches the shared cache
// the names of topic ids; a Fetch v13 request on another connection then
// reports the id (kafka.topic stays absent, as on the wire) and the name.
func TestTopicIDResolution(t *testing.T) {
	cache := NewTopicCache(10)
	p := NewProtocol(Options{TopicCache: cache})
	_, fetchResp := fetchV13Response(t)
	fetchReq, _ := fetchV13Response(t)
	id := [16]byte{0x6b, 0x61, 0x66, 0x6b, 0x61, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}

	// Before any Metadata: the id only.
	var m parser.Message
	state2 := p.NewState()
	require.True(t, p.ParseRequest(&m, fetchReq, state2))
	s, _ := m.Attrs.String(AttrTopicID)
	assert.Equal(t, FormatTopicID(id), s)
	assert.False(t, m.Attrs.Has(AttrTopicResolved))
	assert.False(t, m.Attrs.Has(AttrTopic))

	// Metadata v12 naming that id, on connection 1.
	md := kmsg.NewPtrMetadataResponse()
	md.Version = 12
	name := "payments"
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic, mt.TopicID = &name, id
	md.Topics = append(md.Topics, mt)
	mreq := kmsg.NewPtrMetadataRequest()
	mreq.Version = 12
	state1 := p.NewState()
	var q, r parser.Message
	require.True(t, p.ParseRequest(&q, frameRequest(3, 12, 1, "c", mreq.AppendTo(nil)), state1))
	require.True(t, p.ParseResponse(&r, frameResponse(3, 12, 1, md.AppendTo(nil)), &q.Attrs, state1))
	assert.Equal(t, 1, cache.Len())

	// Fetch v13 on connection 2: id and resolved name, request and response.
	require.True(t, p.ParseRequest(&m, fetchReq, state2))
	s, _ = m.Attrs.String(AttrTopicResolved)
	assert.Equal(t, "payments", s)
	assert.False(t, m.Attrs.Has(AttrTopic))
	var fr parser.Message
	require.True(t, p.ParseResponse(&fr, fetchResp, &m.Attrs, state2))
	s, _ = fr.Attrs.String(AttrTopicResolved)
	assert.Equal(t, "payments", s)
	assertInt(t, &fr.Attrs, AttrRecordCount, 16)

	// Steady state: resolving allocates nothing.
	allocs := testing.AllocsPerRun(100, func() { p.ParseRequest(&m, fetchReq, state2) })
	assert.Zero(t, allocs)
}

func TestTopicCacheBound(t *testing.T) {
	c := NewTopicCache(3)
	for i := 0; i < 5; i++ {
		c.Store([16]byte{byte(i + 1)}, fmt.Sprint("t", i))
	}
	assert.Equal(t, 3, c.Len())
	assert.Equal(t, uint64(2), c.Evictions())
	_, ok := c.Lookup([16]byte{1})
	assert.False(t, ok, "oldest evicted")
	name, ok := c.Lookup([16]byte{5})
	assert.True(t, ok)
	assert.Equal(t, "t4", name)
	c.Store([16]byte{5}, "renamed")
	name, _ = c.Lookup([16]byte{5})
	assert.Equal(t, "renamed", name)
	assert.Equal(t, uint64(2), c.Evictions())
}

func TestSplit(t *testing.T) {
	req := payload(t, "kafka_produce_v7_req")
	split := NewProtocol(Options{MaxMessageSize: 1000}).Split(nil, parser.Request)
	// Too large: rejected from the prefix alone, nothing buffered.
	big := binary.BigEndian.AppendUint32(nil, 1001)
	_, _, err := split(big, false)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorIs(t, err, parser.ErrTooLarge)
	_, _, err = split([]byte{0xff, 0xff, 0xff, 0xff}, false)
	assert.ErrorIs(t, err, parser.ErrMalformed)
	_, _, err = split([]byte{0x80, 0, 0, 0, 1, 2, 3}, false)
	assert.ErrorIs(t, err, ErrBadSize)
	// A frame too small for a header (a SASL v0 token) is still framed.
	n0, tok0, err := split([]byte{0, 0, 0, 0, 0, 0, 0, 3}, false)
	require.NoError(t, err)
	assert.Equal(t, 4, n0)
	assert.Len(t, tok0, 4)
	// Need more, then a short stream at EOF.
	n, tok, err := split(req[:3], false)
	assert.Zero(t, n)
	assert.Nil(t, tok)
	assert.NoError(t, err)
	_, _, err = split(req[:len(req)-1], true)
	assert.ErrorIs(t, err, parser.ErrShort)
	n, tok, err = split(req, true)
	require.NoError(t, err)
	assert.Equal(t, len(req), n)
	assert.Equal(t, req, tok)
	_ = errors.Is
}

// TestSplitChunking: a stream of requests cut into segments in every way
// (size prefix alone, one byte at a time, random cuts, all in one) frames
// into the same messages.
func TestSplitChunking(t *testing.T) {
	var msgs [][]byte
	for _, c := range genCases(t) {
		msgs = append(msgs, c.reqFrame)
	}
	stream := bytes.Join(msgs, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	cuts := map[string]func() []int{
		"one segment": func() []int { return []int{len(stream)} },
		"one byte": func() []int {
			c := make([]int, len(stream))
			for i := range c {
				c[i] = 1
			}
			return c
		},
		"prefix apart": func() []int {
			var c []int
			for _, m := range msgs {
				c = append(c, 4, len(m)-4)
			}
			return c
		},
		"random": func() []int {
			var c []int
			for left := len(stream); left > 0; {
				n := 1 + rng.IntN(min(left, 300))
				c = append(c, n)
				left -= n
			}
			return c
		},
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			sc := bufio.NewScanner(&segmentReader{data: stream, cuts: cut()})
			sc.Buffer(make([]byte, 0, 64), 1<<20)
			sc.Split(Split(parser.Request))
			var got [][]byte
			for sc.Scan() {
				got = append(got, append([]byte(nil), sc.Bytes()...))
			}
			require.NoError(t, sc.Err())
			require.Equal(t, msgs, got)
		})
	}
}

// segmentReader returns data in the given segment sizes.
type segmentReader struct {
	data []byte
	cuts []int
}

func (r *segmentReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, ioEOF
	}
	n := len(r.data)
	if len(r.cuts) > 0 {
		n = min(r.cuts[0], n)
	}
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	if len(r.cuts) > 0 {
		r.cuts[0] -= n
		if r.cuts[0] == 0 {
			r.cuts = r.cuts[1:]
		}
	}
	return n, nil
}

// TestConnOutOfOrder: many requests in flight on one connection, answered
// in reverse order, pair by correlation id through parser.Conn.
func TestConnOutOfOrder(t *testing.T) {
	p := Protocol()
	cases := genCases(t)[:30]
	var reqs, resps []byte
	for i := range cases {
		reqs = append(reqs, cases[i].reqFrame...)
		resps = append(resps, cases[len(cases)-1-i].respFrame...)
	}
	got := map[int64]string{}
	c := parser.NewConn(p, parser.ConnOptions{MaxPending: 64}, func(e *parser.Exchange) {
		require.Equal(t, parser.Complete, e.Kind)
		rc, _ := e.Request.Int(AttrCorrelationID)
		sc, _ := e.Response.Int(AttrCorrelationID)
		require.Equal(t, rc, sc)
		name, _ := e.Response.String(AttrAPIName)
		v, _ := e.Response.Int(AttrAPIVersion)
		assert.False(t, e.Response.Has(AttrBodyNotDecoded), "%s v%d", name, v)
		got[rc] = fmt.Sprintf("%s/v%d", name, v)
	})
	c.Feed(parser.Request, reqs, timeZero)
	c.Feed(parser.Response, resps, timeZero)
	c.Close(timeZero)
	assert.Len(t, got, len(cases))
	for _, k := range cases {
		corr := int64(binary.BigEndian.Uint32(k.reqFrame[8:]))
		assert.Equal(t, fmt.Sprintf("%s/v%d", apis[k.key].name, k.version), got[corr])
	}
}

func TestRecordStats(t *testing.T) {
	for _, magic := range []int8{0, 1, 2} {
		rs := buildRecordSet(magic)
		var s recordStats
		s.scan(rs.b)
		assert.Equal(t, rs.records, s.records)
		assert.Equal(t, rs.batches, s.batches)
		assert.Zero(t, s.partial)
		// A partial batch at the end (as a Fetch response may carry).
		var p recordStats
		p.scan(rs.b[:len(rs.b)-5])
		assert.Equal(t, rs.batches-1, p.batches)
		assert.Positive(t, p.partial)
		// Every truncation: never more than what is there.
		for i := range rs.b {
			var q recordStats
			q.scan(rs.b[:i])
			assert.Equal(t, int64(i), q.bytes)
			assert.LessOrEqual(t, q.batches, rs.batches)
		}
	}
	_ = reflect.TypeOf
}

// TestTruncated: a message cut short (parser.Truncated, as parser.Conn
// marks it after a gap) keeps what was read before the cut.
func TestTruncated(t *testing.T) {
	p := Protocol()
	full := payload(t, "kafka_produce_v7_req")
	for cut := 14; cut < len(full); cut++ {
		var m parser.Message
		m.Reset(full[:cut], parser.Request)
		m.Flags = parser.Truncated
		ok := p.Request.Parse(&m)
		require.True(t, ok, "cut %d: %v", cut, m.Err)
		assertInt(t, &m.Attrs, AttrCorrelationID, 7)
		// A client id cut short is not reported (rather than as "").
		id, ok := m.Attrs.String(AttrClientID)
		if cut >= 14+10 {
			assert.Equal(t, "producer-1", id, "cut %d", cut)
		} else {
			assert.False(t, ok, "cut %d: client id %q", cut, id)
		}
		if cut >= 14+10+8 { // header with client id "producer-1", txn id null, acks, timeout
			assertInt(t, &m.Attrs, AttrAcks, -1)
			s, _ := m.Attrs.String(AttrBodyError)
			assert.Equal(t, ErrTruncated.Error(), s, "cut %d", cut)
		}
	}
}

func TestRequestFastFail(t *testing.T) {
	p := Protocol()
	var m parser.Message
	for name, b := range map[string][]byte{
		"http":              []byte("GET / HTTP/1.1\r\n"),
		"negative size":     {0xff, 0, 0, 0, 0, 0, 0, 0},
		"key too large":     {0, 0, 0, 20, 0x7f, 0, 0, 0, 0, 0, 0, 1},
		"client id too big": {0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0, 1, 0, 50},
	} {
		m.Data = b
		assert.True(t, p.Request.FastFail(&m), name)
	}
	m.Data = payload(t, "kafka_fetch_v12_req")
	assert.False(t, p.Request.FastFail(&m))
}

// TestConcurrentConnections: one Protocol (and its topic cache) shared by
// many connections parsed on different goroutines (run with -race).
func TestConcurrentConnections(t *testing.T) {
	p := Protocol()
	mreq, mresp := metadataV12Response(t)
	freq, fresp := fetchV13Response(t)
	cases := genCases(t)
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			state := p.NewState()
			var req, resp parser.Message
			for i := 0; i < 50; i++ {
				for _, pr := range [][2][]byte{{mreq, mresp}, {freq, fresp}, {cases[i].reqFrame, cases[i].respFrame}} {
					if !p.ParseRequest(&req, pr[0], state) || !p.ParseResponse(&resp, pr[1], &req.Attrs, state) {
						done <- fmt.Errorf("parse failed: %v %v", req.Err, resp.Err)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		require.NoError(t, <-done)
	}
}

// TestMetadataNullNameResolved: a Metadata v12+ topic may have a null name
// (asked for by id); its name then comes from the cache, looked up while
// the response holds the cache's read lock.
func TestMetadataNullNameResolved(t *testing.T) {
	cache := NewTopicCache(10)
	id := [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 9, 8, 7, 6, 5, 4, 3}
	cache.Store(id, "known")
	p := NewProtocol(Options{TopicCache: cache})
	md := kmsg.NewPtrMetadataResponse()
	md.Version = 12
	t1 := kmsg.NewMetadataResponseTopic()
	t1.TopicID = id // null name
	t2 := kmsg.NewMetadataResponseTopic()
	other := "other"
	t2.Topic, t2.TopicID = &other, [16]byte{1}
	md.Topics = append(md.Topics, t1, t2)
	var req, resp parser.Message
	req.Attrs.SetInt(AttrAPIKey, 3)
	req.Attrs.SetInt(AttrAPIVersion, 12)
	require.True(t, p.ParseResponse(&resp, frameResponse(3, 12, 1, md.AppendTo(nil)), &req.Attrs, p.NewState()))
	s, _ := resp.Attrs.String(AttrTopicResolved)
	assert.Equal(t, "known", s)
	s, _ = resp.Attrs.String(AttrTopic)
	assert.Equal(t, "other", s)
	assert.Equal(t, 2, cache.Len(), "the second topic was learnt")
}
