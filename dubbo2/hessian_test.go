package dubbo2

import (
	"fmt"
	"os"
	"strings"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// libDecodePanic decodes every value of a hessian2 body with
// dubbo-go-hessian2, the way dubbo-go's codec reads a body, and returns what
// the library panicked with (nil when it did not). Recovering here is the
// test's business only: it is how the test shows the library's panic; the
// package itself neither calls the library nor recovers.
func libDecodePanic(body []byte) (panicked any) {
	defer func() { panicked = recover() }()
	d := hessian.NewDecoder(body)
	for {
		if _, err := d.Decode(); err != nil {
			return nil // end of body (or a decode error): no panic
		}
	}
}

// hessianVersion is the dubbo-go-hessian2 version go.mod requires, for the
// failure message.
func hessianVersion() string {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		return "(unknown version)"
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/apache/dubbo-go-hessian2" {
			return f[1]
		}
	}
	return "(unknown version)"
}

// TestHessian2LibraryPanicsOnWellFormedInput is the evidence behind the one
// deviation from issue #6: the issue asks for dubbo-go-hessian2 to decode
// arguments, attachments and exceptions at run time, and this package
// decodes them with its own bounded walker instead (doc.go), because the
// library panics on well-formed hessian2 bodies, and a traffic parser must
// neither panic nor recover.
//
// Each case is a valid Dubbo body, every byte of it well-formed hessian2,
// most of it written by the library's own encoder. The test asserts that
// the library (the version go.mod pins, v1.13.2 when this was written)
// panics on it, and that this package's parser reads the same bytes
// without error and reports the right attributes. When a future version of
// the library stops panicking on a case, the test fails and says so: then
// reconsider the deviation.
func TestHessian2LibraryPanicsOnWellFormedInput(t *testing.T) {
	const svc = "org.wirekit.test.CatalogService"
	leading := func(method, desc string) []byte { return encode(t, "2.0.2", svc, "1.0", method, desc) }
	attachments := encode(t, map[string]any{"path": svc, "interface": svc})
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	// mapOf is an untyped hessian2 map ('H' entries 'Z') of one entry.
	mapOf := func(key, value []byte) []byte { return cat([]byte{'H'}, key, value, []byte{'Z'}) }

	// An exception result of a class the library registers itself
	// (java.time.format.DateTimeParseException, whose errorIndex is an
	// int and parsedString a string), written by the library's own
	// EncodeMapAsClass with the registered class definition, but with a
	// value of another type in one field, as a peer with another version
	// of the class, or any non-Java client, may send. The hessian2 class
	// definition names the fields and every value carries its own type, so
	// the bytes are well-formed whatever the field's Java type.
	exception := func(fields map[string]any) []byte {
		e := hessian.NewEncoder()
		require.NoError(t, e.Encode(int32(ResponseExceptionWithAttachments)))
		require.NoError(t, e.EncodeMapAsClass("java.time.format.DateTimeParseException", fields))
		require.NoError(t, e.Encode(map[string]any{"dubbo": "2.0.2"}))
		return e.Buffer()
	}

	tests := []struct {
		name  string
		msg   []byte
		attrs map[string]any // what the default tree must report
		args  string         // AttrArguments with DecodeArguments (requests)
		att   string         // AttrAttachments with DecodeAttachments
	}{
		{
			// Java's Map<List<String>, String> argument: the key is the
			// library's own encoding of []string{"a", "b"}. The library
			// decodes it to a Go slice and uses it as a Go map key:
			// "hash of unhashable type []string".
			name: "request: a list as a map key (Map<List<String>,String> argument)",
			msg: frame(FlagRequest|FlagTwoWay|byte(Hessian2), 0, 11, cat(leading("lookup", "Ljava/util/Map;"),
				mapOf(encode(t, []string{"a", "b"}), encode(t, "v")), attachments)),
			attrs: map[string]any{AttrMethod: "lookup", AttrParameterTypes: "Ljava/util/Map;", AttrArgumentCount: int64(1)},
			args:  `[{"[\"a\",\"b\"]":"v"}]`,
			att:   `{"interface":"` + svc + `","path":"` + svc + `"}`,
		},
		{
			// Java's Map<byte[], Integer> argument: a binary key, which
			// the library decodes to []byte: "hash of unhashable type
			// []uint8" (the crash the fuzzer found first).
			name: "request: a binary value as a map key (Map<byte[],Integer> argument)",
			msg: frame(FlagRequest|FlagTwoWay|byte(Hessian2), 0, 12, cat(leading("count", "Ljava/util/Map;"),
				mapOf(encode(t, []byte("sku-1")), encode(t, int32(3))), attachments)),
			attrs: map[string]any{AttrMethod: "count", AttrParameterTypes: "Ljava/util/Map;", AttrArgumentCount: int64(1)},
			args:  `[{"c2t1LTE=":3}]`,
			att:   `{"interface":"` + svc + `","path":"` + svc + `"}`,
		},
		{
			// Java's LinkedHashMap allows a null key, and Java's hessian2
			// writes a map of a class other than HashMap as a typed map
			// ('M' and the class name). The library builds a Go map with
			// reflection and sets the entry with a zero reflect.Value:
			// "reflect: call of reflect.Value.SetMapIndex on zero Value".
			name: "request: a null key in a typed map (LinkedHashMap<String,String> argument)",
			msg: frame(FlagRequest|FlagTwoWay|byte(Hessian2), 0, 15, cat(leading("tag", "Ljava/util/Map;"),
				[]byte{'M'}, encode(t, "java.util.LinkedHashMap"), []byte{'N'}, encode(t, "untagged"), []byte{'Z'}, attachments)),
			attrs: map[string]any{AttrMethod: "tag", AttrParameterTypes: "Ljava/util/Map;", AttrArgumentCount: int64(1)},
			args:  `[{"null":"untagged"}]`,
			att:   `{"interface":"` + svc + `","path":"` + svc + `"}`,
		},
		{
			// A string where the registered class has an int field:
			// "reflect: call of reflect.Value.Int on string Value".
			name: "response: a string in an int field of an exception class the library registers",
			msg: frame(byte(Hessian2), byte(StatusOK), 13, exception(map[string]any{
				"detailMessage": "Text '2026-13-01' could not be parsed", "parsedString": "2026-13-01", "errorIndex": "5"})),
			attrs: map[string]any{AttrStatus: int64(20), AttrResponseType: "exception_with_attachments",
				AttrExceptionClass:   "java.time.format.DateTimeParseException",
				AttrExceptionMessage: "Text '2026-13-01' could not be parsed"},
			att: `{"dubbo":"2.0.2"}`,
		},
		{
			// An int where it has a string field: "reflect.Set: value of
			// type int32 is not assignable to type string".
			name: "response: an int in a string field of an exception class the library registers",
			msg: frame(byte(Hessian2), byte(StatusOK), 14, exception(map[string]any{
				"detailMessage": "unparsable", "parsedString": int32(20261301), "errorIndex": int32(4)})),
			attrs: map[string]any{AttrStatus: int64(20), AttrResponseType: "exception_with_attachments",
				AttrExceptionClass: "java.time.format.DateTimeParseException", AttrExceptionMessage: "unparsable"},
			att: `{"dubbo":"2.0.2"}`,
		},
	}
	fast := Protocol()
	full := NewProtocol(Options{DecodeArguments: true, DecodeAttachments: true})
	version := hessianVersion()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The library panics on the body.
			p := libDecodePanic(tt.msg[HeaderLen:])
			require.NotNil(t, p, "dubbo-go-hessian2 %s no longer panics on this well-formed body (%s).\n"+
				"This test is the evidence for decoding bodies with the package's own walker instead of the library, "+
				"against what issue #6 asked (see doc.go): reconsider using the library at run time, "+
				"and if so, keep this case as a differential test.", version, tt.name)
			t.Logf("dubbo-go-hessian2 %s panics: %v", version, p)

			// The package reads the same bytes, without error, in the
			// default tree and with every optional decoding on.
			request := tt.msg[2]&FlagRequest != 0
			for _, proto := range []*parser.Protocol{fast, full} {
				var m parser.Message
				var ok bool
				if request {
					ok = proto.ParseRequest(&m, tt.msg, nil)
				} else {
					ok = proto.ParseResponse(&m, tt.msg, nil, nil)
				}
				require.True(t, ok, "parse: %v", m.Err)
				a := &m.Attrs
				assert.False(t, a.Has(AttrDecodeError), "%s", a.AppendJSON(nil))
				assert.False(t, a.Has(AttrTruncated))
				assert.Equal(t, int64(2), mustGet(t, a, AttrSerializationID))
				for k, want := range tt.attrs {
					assert.Equal(t, want, mustGet(t, a, k), k)
				}
				if request {
					assert.Equal(t, svc, mustGet(t, a, AttrService))
					assert.Equal(t, "1.0", mustGet(t, a, AttrVersion))
					assert.Equal(t, "2.0.2", mustGet(t, a, AttrDubboVersion))
				}
				if proto == fast {
					assert.False(t, a.Has(AttrArguments))
					assert.False(t, a.Has(AttrAttachments))
					continue
				}
				if tt.args != "" {
					args, _ := a.String(AttrArguments)
					assert.JSONEq(t, tt.args, args)
				}
				att, _ := a.String(AttrAttachments)
				assert.JSONEq(t, tt.att, att)
			}
		})
	}
}

// mustGet returns the plain value of an attribute that must be present.
func mustGet(t *testing.T, a *parser.Attributes, key string) any {
	t.Helper()
	v, ok := a.Get(key)
	if !ok {
		t.Errorf("attribute %s missing from %s", key, a.AppendJSON(nil))
		return fmt.Sprintf("<missing %s>", key)
	}
	return v.Any()
}

// TestLeadingStringFastPath compares leadingString with readString on
// strings of every length form, ASCII or not, whole and cut at every byte
// (near the ends of long ones).
func TestLeadingStringFastPath(t *testing.T) {
	var bodies [][]byte
	for _, s := range []string{"", "a", "2.0.2", "sayHi", "Ljava/lang/String;", "org.apache.dubbo.samples.api.GreetingsService",
		strings.Repeat("x", 31), strings.Repeat("y", 32), strings.Repeat("z", 1023), strings.Repeat("w", 1024), strings.Repeat("v", 40000),
		"été", "获取用户", "😀x", "abcdefgé", strings.Repeat("a", 40) + "é", "é" + strings.Repeat("a", 40)} {
		b := encode(t, s)
		bodies = append(bodies, b, append(append([]byte(nil), b...), encode(t, "next")...))
	}
	bodies = append(bodies,
		[]byte{'N', 0x01, 'x'},       // null, then a string
		[]byte{0x03, 'a', 0x80, 'b'}, // a stray continuation byte
		[]byte{0x31, 0x00, 'a'},      // 256 chars announced, 1 there
		[]byte{0x91},                 // not a string
	)
	for _, b := range bodies {
		for n := 0; n <= len(b); n++ {
			if n == 64 && len(b) > 4096 {
				n = len(b) - 64 // long strings: cut near both ends only
			}
			checkLeadingStrings(t, b[:n])
		}
	}
}
