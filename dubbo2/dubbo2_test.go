package dubbo2

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/apache/dubbo-go-hessian2/java_exception"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// testUser is a Java POJO for the hessian2 encoder.
type testUser struct {
	ID   string
	Name string
	Age  int32
	Tags []string
}

func (testUser) JavaClassName() string { return "org.wirekit.test.User" }

func init() { hessian.RegisterPOJO(&testUser{}) }

// frame puts a Dubbo2 header in front of body.
func frame(flags, status byte, id uint64, body []byte) []byte {
	b := make([]byte, HeaderLen, HeaderLen+len(body))
	b[0], b[1], b[2], b[3] = 0xda, 0xbb, flags, status
	binary.BigEndian.PutUint64(b[4:], id)
	binary.BigEndian.PutUint32(b[12:], uint32(len(body)))
	return append(b, body...)
}

// encode hessian2-encodes values one after the other, as Dubbo's codec does.
func encode(t testing.TB, vs ...any) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	for _, v := range vs {
		require.NoError(t, e.Encode(v))
	}
	return e.Buffer()
}

// call is a request to build the way dubbo-go's codec builds one.
type call struct {
	service, version, method, desc string
	args                           []any
	attachments                    map[string]any
}

func (c call) body(t testing.TB) []byte {
	vs := []any{"2.0.2", c.service, c.version, c.method, c.desc}
	vs = append(vs, c.args...)
	vs = append(vs, c.attachments)
	return encode(t, vs...)
}

func (c call) request(t testing.TB, id uint64) []byte {
	return frame(FlagRequest|FlagTwoWay|byte(Hessian2), 0, id, c.body(t))
}

func parseReq(t testing.TB, p *parser.Protocol, msg []byte) *parser.Message {
	t.Helper()
	m := new(parser.Message)
	require.True(t, p.ParseRequest(m, msg, nil), "parse request: %v", m.Err)
	return m
}

func parseResp(t testing.TB, p *parser.Protocol, msg []byte) *parser.Message {
	t.Helper()
	m := new(parser.Message)
	require.True(t, p.ParseResponse(m, msg, nil, nil), "parse response: %v", m.Err)
	return m
}

func TestRequests(t *testing.T) {
	const svc = "org.wirekit.test.UserService"
	tests := []struct {
		name       string
		call       call
		argc       int64
		args       string // JSON of AttrArguments
		types      []string
		attach     string // JSON of AttrAttachments
		group      string
		timeout    any
		interface_ string
	}{
		{
			name: "string",
			call: call{svc, "1.0.0", "sayHello", "Ljava/lang/String;", []any{"dubbo"},
				map[string]any{"path": svc, "interface": svc, "version": "1.0.0", "group": "g1", "timeout": "3000", "token": "s3cr3t"}},
			argc: 1, args: `["dubbo"]`, types: []string{"java.lang.String"},
			attach: `{"group":"g1","interface":"` + svc + `","path":"` + svc + `","timeout":"3000","token":"***","version":"1.0.0"}`,
			group:  "g1", timeout: int64(3000), interface_: svc,
		},
		{
			name: "ints",
			call: call{svc, "", "add", "IJ", []any{int32(-7), int64(1) << 40}, map[string]any{"timeout": int32(500)}},
			argc: 2, args: `[-7,1099511627776]`, types: []string{"int", "long"},
			attach: `{"timeout":500}`, timeout: int64(500),
		},
		{
			name: "pojo",
			call: call{svc, "2.0", "save", "Lorg/wirekit/test/User;", []any{&testUser{ID: "u1", Name: "Ann", Age: 30, Tags: []string{"a", "b"}}},
				map[string]any{"accessToken": "abc", "Authorization": "Bearer x"}},
			argc: 1, args: `[{"_class":"org.wirekit.test.User","iD":"u1","name":"Ann","age":30,"tags":["a","b"]}]`, types: []string{"org.wirekit.test.User"},
			attach: `{"Authorization":"***","accessToken":"***"}`,
		},
		{
			name: "list map null",
			call: call{svc, "1", "mix", "[Ljava/lang/String;Ljava/util/Map;Ljava/lang/Object;",
				[]any{[]string{"x", "y"}, map[string]any{"k": int32(1)}, nil}, map[string]any{"password": "p", "retries": true}},
			argc: 3, args: `[["x","y"],{"k":1},null]`, types: []string{"java.lang.String[]", "java.util.Map", "java.lang.Object"},
			attach: `{"password":"***","retries":true}`,
		},
		{
			name: "no arguments, unicode method",
			call: call{"org.例え.Svc", "", "获取😀", "", nil, map[string]any{}},
			argc: 0, args: `[]`, types: nil, attach: `{}`,
		},
	}
	p := NewProtocol(Options{DecodeAttachments: true, DecodeArguments: true})
	fast := Protocol()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.call.request(t, 77)
			m := parseReq(t, p, msg)
			a := &m.Attrs
			for key, want := range map[string]any{
				AttrRequestID: int64(77), AttrSerializationID: int64(2), AttrSerialization: "hessian2",
				AttrTwoWay: true, AttrEvent: false, AttrDubboVersion: "2.0.2",
				AttrService: tt.call.service, AttrVersion: tt.call.version, AttrMethod: tt.call.method,
				AttrParameterTypes: tt.call.desc, AttrArgumentCount: tt.argc,
			} {
				v, ok := a.Get(key)
				require.True(t, ok, key)
				assert.Equal(t, want, v.Any(), key)
			}
			args, _ := a.String(AttrArguments)
			assert.JSONEq(t, tt.args, args)
			att, _ := a.String(AttrAttachments)
			assert.JSONEq(t, tt.attach, att)
			assert.NotContains(t, att, "s3cr3t")
			if tt.group != "" {
				g, _ := a.String(AttrGroup)
				assert.Equal(t, tt.group, g)
			}
			if tt.timeout != nil {
				v, _ := a.Get(AttrTimeout)
				assert.Equal(t, tt.timeout, v.Any())
			}
			if tt.interface_ != "" {
				v, _ := a.String(AttrInterface)
				assert.Equal(t, tt.interface_, v)
			}
			types, ok := ArgumentTypes(tt.call.desc)
			assert.True(t, ok)
			assert.Equal(t, tt.types, types)
			assert.Zero(t, m.Flags)

			// The default tree gives the same header and leading fields,
			// and nothing it did not read.
			f := parseReq(t, fast, msg)
			for _, key := range []string{AttrService, AttrVersion, AttrMethod, AttrParameterTypes, AttrArgumentCount} {
				want, _ := a.Get(key)
				got, _ := f.Attrs.Get(key)
				// Values point into their message; compare what they hold.
				assert.Equal(t, want.Kind(), got.Kind(), key)
				assert.Equal(t, want.Any(), got.Any(), key)
			}
			assert.False(t, f.Attrs.Has(AttrAttachments))
			assert.False(t, f.Attrs.Has(AttrArguments))
		})
	}
}

func TestOneWayAndHeartbeat(t *testing.T) {
	p := Protocol()
	c := call{"S", "", "fire", "Ljava/lang/String;", []any{"x"}, map[string]any{}}
	oneway := frame(FlagRequest|byte(Hessian2), 0, 9, c.body(t))
	m := parseReq(t, p, oneway)
	assert.Equal(t, parser.OneWay, m.Flags&parser.OneWay)
	tw, _ := m.Attrs.Bool(AttrTwoWay)
	assert.False(t, tw)

	hbReq := frame(FlagRequest|FlagTwoWay|FlagEvent|byte(Hessian2), 0, 10, encode(t, nil))
	m = parseReq(t, p, hbReq)
	ev, _ := m.Attrs.Bool(AttrEvent)
	hb, _ := m.Attrs.Bool(AttrHeartbeat)
	assert.True(t, ev)
	assert.True(t, hb)
	assert.False(t, m.Attrs.Has(AttrService))
	assert.Zero(t, m.Flags)

	hbResp := frame(FlagEvent|byte(Hessian2), byte(StatusOK), 10, encode(t, nil, nil))
	m = parseResp(t, p, hbResp)
	ev, _ = m.Attrs.Bool(AttrEvent)
	hb, _ = m.Attrs.Bool(AttrHeartbeat)
	id, _ := m.Attrs.Int(AttrRequestID)
	assert.True(t, ev)
	assert.True(t, hb)
	assert.Equal(t, int64(10), id)
}

func TestResponses(t *testing.T) {
	att := map[string]any{"dubbo": "2.0.2", "token": "zzz"}
	exc := java_exception.NewThrowable("boom")
	iae := java_exception.NewIllegalArgumentException("bad arg")
	type responseCase struct {
		name    string
		status  Status
		body    []byte
		typ     string
		class   string
		message string
		errText string
		attach  string
	}
	tests := []responseCase{
		{name: "value", status: StatusOK, body: encode(t, int32(1), "hi"), typ: "value"},
		{name: "value+att", status: StatusOK, body: encode(t, int32(4), &testUser{ID: "u"}, att), typ: "value_with_attachments", attach: `{"dubbo":"2.0.2","token":"***"}`},
		{name: "null", status: StatusOK, body: encode(t, int32(2)), typ: "null"},
		{name: "null+att", status: StatusOK, body: encode(t, int32(5), att), typ: "null_with_attachments", attach: `{"dubbo":"2.0.2","token":"***"}`},
		{name: "exception", status: StatusOK, body: encode(t, int32(0), exc), typ: "exception", class: "java.lang.Throwable", message: "boom"},
		{name: "exception+att", status: StatusOK, body: encode(t, int32(3), iae, att), typ: "exception_with_attachments",
			class: "java.lang.IllegalArgumentException", message: "bad arg", attach: `{"dubbo":"2.0.2","token":"***"}`},
		{name: "string exception", status: StatusOK, body: encode(t, int32(0), "plain failure"), typ: "exception", message: "plain failure"},
	}
	for _, st := range []Status{StatusClientTimeout, StatusServerTimeout, StatusBadRequest, StatusBadResponse, StatusServiceNotFound,
		StatusServiceError, StatusServerError, StatusClientError, StatusServerThreadpoolExhaustedError} {
		tests = append(tests, responseCase{name: st.String(), status: st, body: encode(t, "failed: "+st.String()), errText: "failed: " + st.String()})
	}
	p := NewProtocol(Options{DecodeAttachments: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := frame(byte(Hessian2), byte(tt.status), 5, tt.body)
			m := parseResp(t, p, msg)
			a := &m.Attrs
			st, _ := a.Int(AttrStatus)
			name, _ := a.String(AttrStatusName)
			assert.Equal(t, int64(tt.status), st)
			assert.Equal(t, tt.status.String(), name)
			get := func(k string) string { s, _ := a.String(k); return s }
			assert.Equal(t, tt.typ, get(AttrResponseType))
			assert.Equal(t, tt.class, get(AttrExceptionClass))
			assert.Equal(t, tt.message, get(AttrExceptionMessage))
			assert.Equal(t, tt.errText, get(AttrError))
			if tt.attach != "" {
				assert.JSONEq(t, tt.attach, get(AttrAttachments))
			} else {
				assert.False(t, a.Has(AttrAttachments))
			}
		})
	}
	assert.Equal(t, "SERVER_THREADPOOL_EXHAUSTED_ERROR", StatusServerThreadpoolExhaustedError.String())
	assert.Equal(t, "UNKNOWN_7", Status(7).String())
}

func TestOtherSerializations(t *testing.T) {
	p := Protocol()
	for _, s := range []struct {
		id   SerializationID
		name string
	}{{FastJSON, "fastjson"}, {Kryo, "kryo"}, {Protobuf, "protobuf"}, {Java, "java"}, {FST, "fst"}, {30, "unknown"}} {
		req := frame(FlagRequest|FlagTwoWay|byte(s.id), 0, 3, []byte(`{"not":"hessian"}`))
		m := parseReq(t, p, req)
		id, _ := m.Attrs.Int(AttrSerializationID)
		name, _ := m.Attrs.String(AttrSerialization)
		assert.Equal(t, int64(s.id), id)
		assert.Equal(t, s.name, name)
		assert.False(t, m.Attrs.Has(AttrService))
		resp := frame(byte(s.id), byte(StatusOK), 3, []byte{1, 2, 3})
		m = parseResp(t, p, resp)
		st, _ := m.Attrs.Int(AttrStatus)
		assert.Equal(t, int64(20), st)
		assert.False(t, m.Attrs.Has(AttrResponseType))
	}
}

// TestTruncated cuts a request at every length: the header attributes
// survive every cut of 16 bytes or more, each leading string appears once
// it was captured whole, and the message is marked truncated.
func TestTruncated(t *testing.T) {
	c := call{"org.wirekit.Svc", "1.2.3", "method", "Ljava/lang/String;", []any{"arg"}, map[string]any{"token": "t"}}
	msg := c.request(t, 42)
	bodyOff := func(s string) int { return strings.Index(string(msg), s) + len(s) }
	ends := map[string]int{
		AttrService: bodyOff("org.wirekit.Svc"), AttrVersion: bodyOff("1.2.3"),
		AttrMethod: bodyOff("method"), AttrParameterTypes: bodyOff("Ljava/lang/String;"),
	}
	for _, opts := range []Options{{}, {DecodeAttachments: true, DecodeArguments: true}} {
		p := NewProtocol(opts)
		for n := 0; n < len(msg); n++ {
			var m parser.Message
			ok := p.ParseRequest(&m, msg[:n], nil)
			if n < HeaderLen {
				assert.False(t, ok)
				if n > 0 {
					assert.ErrorIs(t, m.Err, parser.ErrShort)
				}
				continue
			}
			require.True(t, ok, "cut at %d: %v", n, m.Err)
			id, _ := m.Attrs.Int(AttrRequestID)
			assert.Equal(t, int64(42), id)
			tr, _ := m.Attrs.Bool(AttrTruncated)
			assert.True(t, tr)
			assert.Equal(t, parser.Truncated, m.Flags&parser.Truncated)
			for key, end := range ends {
				assert.Equal(t, n >= end, m.Attrs.Has(key), "cut at %d, %s", n, key)
			}
			att, _ := m.Attrs.String(AttrAttachments)
			assert.NotContains(t, att, `"t"`)
		}
		m := parseReq(t, p, msg)
		assert.False(t, m.Attrs.Has(AttrTruncated))
	}
	// A truncated response keeps its status.
	resp := frame(byte(Hessian2), byte(StatusServiceNotFound), 1, encode(t, "no such service"))
	var m parser.Message
	require.True(t, Protocol().ParseResponse(&m, resp[:20], nil, nil))
	st, _ := m.Attrs.Int(AttrStatus)
	assert.Equal(t, int64(60), st)
	assert.False(t, m.Attrs.Has(AttrError))
}

func TestMalformed(t *testing.T) {
	p := NewProtocol(Options{DecodeAttachments: true, DecodeArguments: true, MaxBodySize: 1 << 10})
	good := call{"S", "", "m", "I", []any{int32(1)}, map[string]any{}}.body(t)
	tests := []struct {
		name string
		msg  []byte
		err  error
	}{
		{"bad magic", append([]byte{0xca, 0xfe}, frame(0xc2, 0, 1, good)[2:]...), parser.ErrNoMatch},
		{"body too large", frame(0xc2, 0, 1, make([]byte, 2000)), ErrBodyTooLarge},
		{"response bit", frame(0x02, 20, 1, good), parser.ErrNoMatch},
		{"int where a string goes", frame(0xc2, 0, 1, encode(t, int32(5))), ErrMalformed},
		{"string past the body", frame(0xc2, 0, 1, []byte{0x05, '2', '.'}), ErrMalformed},
		{"lone high surrogate", frame(0xc2, 0, 1, []byte{0x02, 0xed, 0xa0, 0x80, 'x', 'y', 'z'}), ErrMalformed},
		{"4-byte utf-8", frame(0xc2, 0, 1, []byte{0x01, 0xf0, 0x9f, 0x98, 0x80}), ErrMalformed},
		{"extra: argument list count over the bytes left", frame(0xc2, 0, 1, append(encode(t, "2.0.2", "S", "", "m", "[I"), 'V', 0x04, '[', 'i', 'n', 't', 'I', 0x7f, 0xff, 0xff, 0xff)), ErrMalformed},
		{"extra: object of an undefined class", frame(0xc2, 0, 1, append(encode(t, "2.0.2", "S", "", "m", "Ljava/lang/Object;"), 0x61)), ErrMalformed},
		{"extra: negative reference", frame(0xc2, 0, 1, append(encode(t, "2.0.2", "S", "", "m", "Ljava/lang/Object;"), 'Q', 0x8f)), ErrMalformed},
		{"extra: list type referring to a map type", frame(0xc2, 0, 1, append(encode(t, "2.0.2", "S", "", "m", "Ljava/util/Map;Ljava/util/List;"),
			'M', 0x01, 'm', 'Z', 0x71, 0x90, 0x91)), ErrMalformed},
		{"extra: too deep", frame(0xc2, 0, 1, append(encode(t, "2.0.2", "S", "", "m", "Ljava/lang/Object;"), []byte(strings.Repeat("\x79", 40)+"N")...)), ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m parser.Message
			ok := p.ParseRequest(&m, tt.msg, nil)
			if !strings.HasPrefix(tt.name, "extra: ") {
				assert.False(t, ok)
				assert.ErrorIs(t, m.Err, tt.err)
				return
			}
			// The leading fields were fine: they stay, and the error in
			// the optional part is reported as an attribute.
			require.True(t, ok, m.Err)
			svc, _ := m.Attrs.String(AttrService)
			assert.Equal(t, "S", svc)
			msg, _ := m.Attrs.String(AttrDecodeError)
			assert.Contains(t, msg, tt.err.Error())
		})
	}
	var m parser.Message
	bad := frame(0x02, 20, 1, []byte{0x99, 'N'}) // response type 9
	assert.False(t, p.ParseResponse(&m, bad, nil, nil))
	assert.ErrorIs(t, m.Err, ErrMalformed)
	// The header's attributes survive a body that fails.
	id, ok := m.Attrs.Int(AttrRequestID)
	assert.True(t, ok)
	assert.Equal(t, int64(1), id)
	// ... and only they: a request whose service is not a string keeps
	// none of the body's leading strings, not even the version read before.
	badSvc := frame(0xc2, 0, 2, append(encode(t, "2.0.2"), encode(t, int32(5), "m", "", "m", "I")...))
	assert.False(t, p.ParseRequest(&m, badSvc, nil))
	assert.ErrorIs(t, m.Err, ErrMalformed)
	id, _ = m.Attrs.Int(AttrRequestID)
	assert.Equal(t, int64(2), id)
	for _, key := range requestFields {
		assert.False(t, m.Attrs.Has(key), key)
	}
	assert.False(t, m.Attrs.Has(AttrArgumentCount))
}

// TestStringsAgainstLibrary reads strings encoded by dubbo-go-hessian2 with
// the package's reader and compares them with the library's decoding.
func TestStringsAgainstLibrary(t *testing.T) {
	for _, s := range []string{"", "a", "org.apache.dubbo.samples.api.GreetingsService", "été", "获取用户", "😀x😀",
		strings.Repeat("ab", 20), strings.Repeat("é", 600), strings.Repeat("x", 70000), strings.Repeat("😀", 40000)} {
		b := encode(t, s)
		r := parser.NewReader(b)
		got := readString(&r)
		require.NoError(t, r.Err(), "%.20q", s)
		assert.Equal(t, len(b), r.Offset())
		v, err := hessian.NewDecoder(b).Decode()
		require.NoError(t, err)
		assert.Equal(t, v, string(got))
		assert.Equal(t, s, string(got))
	}
}

func TestSplit(t *testing.T) {
	c := call{"S", "1", "m", "Ljava/lang/String;", []any{strings.Repeat("z", 300)}, map[string]any{"a": "b"}}
	var stream []byte
	var want [][]byte
	for i := 0; i < 5; i++ {
		msg := c.request(t, uint64(i))
		want = append(want, msg)
		stream = append(stream, msg...)
	}
	split := Protocol().Split(nil, parser.Request)
	// Every chunking of the stream gives the same messages.
	for _, size := range []int{1, 2, 7, 16, 17, 100, 333, len(stream)} {
		var got [][]byte
		var buf []byte
		for off := 0; off < len(stream); off += size {
			buf = append(buf, stream[off:min(off+size, len(stream))]...)
			for {
				n, tok, err := split(buf, false)
				require.NoError(t, err)
				if n == 0 {
					break
				}
				got = append(got, append([]byte(nil), tok...))
				buf = buf[n:]
			}
		}
		assert.Equal(t, want, got, "chunk size %d", size)
		assert.Empty(t, buf)
	}
	_, _, err := split(stream[:20], true)
	assert.ErrorIs(t, err, parser.ErrShort)
	_, _, err = split([]byte("GET / HTTP/1.1\r\n"), false)
	assert.ErrorIs(t, err, parser.ErrNotProtocol)
	_, _, err = NewProtocol(Options{MaxBodySize: 100}).Split(nil, parser.Request)(stream, false)
	assert.ErrorIs(t, err, ErrBodyTooLarge)
}

// TestPairingOutOfOrder runs many calls in flight on one connection
// through parser.Conn, answered in reverse order, with a heartbeat and a
// one-way call between them.
func TestPairingOutOfOrder(t *testing.T) {
	var got []string
	conn := parser.NewConn(Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		method, _ := e.Request.String(AttrMethod)
		id, _ := e.Request.Int(AttrRequestID)
		s := fmt.Sprintf("%s %s #%d", e.Kind, method, id)
		if e.Response != nil {
			rid, _ := e.Response.Int(AttrRequestID)
			st, _ := e.Response.Int(AttrStatus)
			s += fmt.Sprintf(" -> #%d %d", rid, st)
		}
		got = append(got, s)
	})
	now := time.Now()
	var reqs, resps []byte
	for i := uint64(1); i <= 4; i++ {
		reqs = append(reqs, call{"S", "", fmt.Sprintf("m%d", i), "", nil, map[string]any{}}.request(t, i*2)...)
	}
	reqs = append(reqs, frame(FlagRequest|byte(Hessian2), 0, 100, call{"S", "", "oneway", "", nil, nil}.body(t))...)
	reqs = append(reqs, frame(FlagRequest|FlagTwoWay|FlagEvent|byte(Hessian2), 0, 10, encode(t, nil))...)
	conn.Feed(parser.Request, reqs, now)
	resps = append(resps, frame(FlagEvent|byte(Hessian2), 20, 10, encode(t, nil, nil))...)
	for i := uint64(4); i >= 1; i-- {
		resps = append(resps, frame(byte(Hessian2), 20, i*2, encode(t, int32(2)))...)
	}
	conn.Feed(parser.Response, resps, now)
	conn.Close(now)
	assert.Equal(t, []string{
		"oneway oneway #100",
		"complete  #10 -> #10 20",
		"complete m4 #8 -> #8 20",
		"complete m3 #6 -> #6 20",
		"complete m2 #4 -> #4 20",
		"complete m1 #2 -> #2 20",
	}, got)
	assert.Zero(t, conn.Stats().Unanswered)
}

func TestHeader(t *testing.T) {
	h, err := ParseHeader(frame(0xe2, 0, 0x0102030405060708, []byte{'N'}))
	require.NoError(t, err)
	assert.Equal(t, Header{Flags: 0xe2, RequestID: 0x0102030405060708, BodyLen: 1, Serialization: Hessian2}, h)
	assert.True(t, h.IsRequest())
	assert.True(t, h.TwoWay())
	assert.True(t, h.Event())
	assert.Equal(t, 17, h.Len())
	_, err = ParseHeader(make([]byte, 15))
	assert.True(t, errors.Is(err, ErrShort))
	k, ok := Key(parser.Response, frame(0x02, 20, 99, nil))
	assert.True(t, ok)
	assert.Equal(t, uint64(99), k)
}

// TestFuzzRegressions replays inputs the fuzzers found.
func TestFuzzRegressions(t *testing.T) {
	p := NewProtocol(Options{DecodeAttachments: true, DecodeArguments: true})
	for _, tt := range []struct {
		name string
		msg  string
	}{
		// FuzzParseRequest/049825b82ae62287: an attachments map keyed by
		// a binary value. dubbo-go-hessian2, which decoded complex
		// attachments then, panicked (hash of unhashable type []uint8);
		// the walker renders the key as its JSON text.
		{"binary map key", "ڻ\xc2000000000\x00000\x0500000\x1d00000000000000000000000000000\x0500000\x06000000\x02BBxxHB\x00,00000000000000000000000000000000000000000000\x1d00000000000000000000000000000Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m parser.Message
			ok := p.ParseRequest(&m, []byte(tt.msg), nil)
			t.Logf("ok=%v err=%v attrs=%s", ok, m.Err, m.Attrs.AppendJSON(nil))
			id, has := m.Attrs.Int(AttrRequestID)
			assert.True(t, has)
			assert.Equal(t, int64(0x3030303030303030), id)
		})
	}
}

// TestTruncatedThroughConn cuts a response short at the end of a capture:
// parser.Conn hands the partial bytes to the tree, which reports the
// header's status and the truncation, and the pair is still made.
func TestTruncatedThroughConn(t *testing.T) {
	var got []*parser.Exchange
	conn := parser.NewConn(Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) { got = append(got, e.Clone()) })
	now := time.Now()
	c := call{"S", "1.0", "get", "Ljava/lang/String;", []any{"k"}, map[string]any{}}
	conn.Feed(parser.Request, c.request(t, 8), now)
	resp := frame(byte(Hessian2), byte(StatusOK), 8, encode(t, int32(1), strings.Repeat("v", 500)))
	conn.Feed(parser.Response, resp[:100], now)
	conn.Close(now)
	require.Len(t, got, 1)
	e := got[0]
	assert.Equal(t, parser.Complete, e.Kind)
	assert.NoError(t, e.ResponseErr)
	assert.Equal(t, parser.Truncated, e.ResponseFlags&parser.Truncated)
	st, _ := e.Response.Int(AttrStatus)
	tr, _ := e.Response.Bool(AttrTruncated)
	typ, _ := e.Response.String(AttrResponseType)
	assert.Equal(t, int64(20), st)
	assert.True(t, tr)
	assert.Equal(t, "value", typ)
	assert.Equal(t, uint64(1), conn.Stats().Truncated[parser.Response])
}

func TestFastFail(t *testing.T) {
	p := Protocol()
	req := call{"S", "", "m", "", nil, nil}.request(t, 1)
	resp := frame(byte(Hessian2), 20, 1, encode(t, int32(2)))
	for _, tt := range []struct {
		name     string
		data     []byte
		req, res bool // fails fast on the request / response tree
	}{
		{"request", req, false, true},
		{"response", resp, true, false},
		{"request prefix 1", req[:1], false, false},
		{"request prefix 2", req[:2], false, false},
		{"request prefix 3", req[:3], false, true},
		{"empty", nil, true, true},
		{"http", []byte("GET / HTTP/1.1\r\n\r\n"), true, true},
		{"redis", []byte("*1\r\n$4\r\nPING\r\n"), true, true},
		{"kafka", []byte{0, 0, 0, 20, 0, 18, 0, 3}, true, true},
		{"serialization 0", frame(FlagRequest|FlagTwoWay, 0, 1, nil), true, true},
	} {
		m := parser.Message{Data: tt.data}
		assert.Equal(t, tt.req, p.Request.FastFail(&m), "%s on request tree", tt.name)
		assert.Equal(t, tt.res, p.Response.FastFail(&m), "%s on response tree", tt.name)
	}
}

func TestOptions(t *testing.T) {
	c := call{"S", "", "m", "Ljava/lang/String;", []any{strings.Repeat("a", 100)},
		map[string]any{"token": "t", "tenant": "acme", "x-secret": "s", "k1": "1", "k2": "2"}}
	msg := c.request(t, 1)
	get := func(o Options, key string) string {
		m := parseReq(t, NewProtocol(o), msg)
		v, _ := m.Attrs.Get(key)
		return v.String()
	}
	assert.JSONEq(t, `{"k1":"1","k2":"2","tenant":"***","token":"t","x-secret":"s"}`,
		get(Options{DecodeAttachments: true, SensitiveAttachments: []string{"TENANT"}}, AttrAttachments))
	assert.JSONEq(t, `{"k1":"1","k2":"2","tenant":"acme","token":"t","x-secret":"s"}`,
		get(Options{DecodeAttachments: true, SensitiveAttachments: []string{}}, AttrAttachments))
	assert.JSONEq(t, `{"k1":"1","k2":"2","tenant":"acme","token":"***","x-secret":"***"}`,
		get(Options{DecodeAttachments: true}, AttrAttachments))
	assert.Contains(t, get(Options{DecodeAttachments: true, MaxAttachments: 4}, AttrDecodeError), ErrTooManyDefs.Error())
	assert.Equal(t, "102", get(Options{DecodeArguments: true, MaxArgumentBytes: 50}, AttrArgumentsSkipped))
	assert.Equal(t, `["`+strings.Repeat("a", 100)+`"]`, get(Options{DecodeArguments: true, MaxArgumentBytes: 102}, AttrArguments))
	var m parser.Message
	assert.False(t, NewProtocol(Options{MaxBodySize: 100}).ParseRequest(&m, msg, nil))
	assert.ErrorIs(t, m.Err, ErrBodyTooLarge)
	assert.NotSame(t, &DefaultSensitiveAttachments()[0], &DefaultSensitiveAttachments()[0])
}

func TestSensitive(t *testing.T) {
	cd := newCodec(Options{})
	for key, want := range map[string]bool{
		"token": true, "Token": true, "X-Auth-TOKEN": true, "accessToken": true, "db.password": true,
		"Authorization": true, "API-Key": true, "apikey": true, "session-id": true,
		strings.Repeat("x", 80) + "Secret": true, // longer than the stack buffer
		"interface":                        false, "path": false, "group": false, "timeout": false, "version": false,
		"dubbo": false, "retries": false, "": false, strings.Repeat("y", 100): false,
	} {
		assert.Equal(t, want, cd.sensitive(key), key)
	}
}

// A byte[] attachment key (Java writes it as hessian2 binary) is rendered
// as the base64 of its bytes; the parser's own masking reads it decoded,
// so a binary "token" key has its value masked too (issue 14.6).
func TestBinaryAttachmentKeyMasked(t *testing.T) {
	body := encode(t, "2.0.2", "org.wirekit.Login", "1.0.0", "login", "")
	body = append(body, 'H')
	body = append(append(body, 0x20+5), "token"...)  // short binary "token"
	body = append(append(body, 10), "tok-binary"...) // its value
	body = append(append(body, 0x20+4), "page"...)   // short binary "page", not sensitive
	body = append(append(body, 1), "2"...)           // its value
	body = append(append(body, 9), "interface"...)   // a string key
	body = append(append(body, 17), "org.wirekit.Login"...)
	body = append(body, 'Z')
	msg := frame(FlagRequest|FlagTwoWay|byte(Hessian2), 0, 1, body)
	get := func(o Options) map[string]any {
		m := parseReq(t, NewProtocol(o), msg)
		s, ok := m.Attrs.String(AttrAttachments)
		require.True(t, ok, "%v", m.Attrs.AppendJSON(nil))
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(s), &v), s)
		return v
	}
	masked := get(Options{DecodeAttachments: true})
	assert.Equal(t, MaskedValue, masked["dG9rZW4="], "binary token key")
	assert.Equal(t, "2", masked["cGFnZQ=="], "binary page key")
	assert.Equal(t, "org.wirekit.Login", masked["interface"])
	plain := get(Options{DecodeAttachments: true, SensitiveAttachments: []string{}})
	assert.Equal(t, "tok-binary", plain["dG9rZW4="])
}
