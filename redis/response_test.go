package redis

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// attrs is an expected attribute set; nil values mean "absent".
type attrs map[string]any

func checkAttrs(t *testing.T, a *parser.Attributes, want attrs) {
	t.Helper()
	for k, w := range want {
		v, ok := a.Get(k)
		if w == nil {
			assert.False(t, ok, "%s should be absent, is %v", k, v)
			continue
		}
		require.True(t, ok, "%s missing (have %v)", k, a.Map())
		switch w := w.(type) {
		case int:
			assert.Equal(t, int64(w), v.Int(), k)
		case bool:
			assert.Equal(t, w, v.Bool(), k)
		case string:
			assert.Equal(t, w, v.Str(), k)
		default:
			t.Fatalf("bad expectation type %T", w)
		}
	}
}

// TestResponseTypes parses one reply of every RESP2 and RESP3 type (values
// from the RESP3 specification and redis-server replies).
func TestResponseTypes(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  attrs
		flags parser.Flags
	}{
		{"simple", "+OK\r\n", attrs{AttrType: "simple", AttrSimple: "OK", AttrError: nil}, 0},
		{"empty simple", "+\r\n", attrs{AttrType: "simple", AttrSimple: ""}, 0},
		{"simple other text", "+FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0\r\n",
			attrs{AttrType: "simple", AttrSimple: "FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0"}, 0},
		{"error has no simple text", "-ERR x\r\n", attrs{AttrType: "error", AttrSimple: nil}, 0},
		{"bulk has no simple text", "$2\r\nOK\r\n", attrs{AttrType: "bulk", AttrSimple: nil}, 0},
		{"error ERR", "-ERR unknown command 'FLUSHEVERYTHING', with args beginning with: 'now' \r\n",
			attrs{AttrType: "error", AttrError: "ERR unknown command 'FLUSHEVERYTHING', with args beginning with: 'now' ", AttrErrorPrefix: "ERR"}, 0},
		{"error WRONGTYPE", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
			attrs{AttrType: "error", AttrErrorPrefix: "WRONGTYPE"}, 0},
		{"error MOVED", "-MOVED 3999 127.0.0.1:6381\r\n", attrs{AttrErrorPrefix: "MOVED", AttrError: "MOVED 3999 127.0.0.1:6381"}, 0},
		{"error code only", "-NOAUTH\r\n", attrs{AttrErrorPrefix: "NOAUTH"}, 0},
		{"error without code", "-something went wrong\r\n", attrs{AttrType: "error", AttrError: "something went wrong", AttrErrorPrefix: nil}, 0},
		{"integer", ":1000\r\n", attrs{AttrType: "integer", AttrInteger: 1000}, 0},
		{"negative integer", ":-42\r\n", attrs{AttrType: "integer", AttrInteger: -42}, 0},
		{"min integer", ":-9223372036854775808\r\n", attrs{AttrInteger: -9223372036854775808}, 0},
		{"bulk", "$5\r\nhello\r\n", attrs{AttrType: "bulk", AttrLength: 5}, 0},
		{"empty bulk", "$0\r\n\r\n", attrs{AttrType: "bulk", AttrLength: 0}, 0},
		{"bulk with CRLF inside", "$4\r\na\r\nb\r\n", attrs{AttrType: "bulk", AttrLength: 4}, 0},
		{"RESP2 null bulk", "$-1\r\n", attrs{AttrType: "null", AttrLength: nil}, 0},
		{"RESP2 null array", "*-1\r\n", attrs{AttrType: "null", AttrElements: nil}, 0},
		{"array", "*2\r\n$3\r\nfoo\r\n:1\r\n", attrs{AttrType: "array", AttrElements: 2}, 0},
		{"empty array", "*0\r\n", attrs{AttrType: "array", AttrElements: 0}, 0},
		{"nested array", "*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n*0\r\n", attrs{AttrType: "array", AttrElements: 2}, 0},
		{"RESP3 null", "_\r\n", attrs{AttrType: "null"}, 0},
		{"bool true", "#t\r\n", attrs{AttrType: "bool", AttrBool: true}, 0},
		{"bool false", "#f\r\n", attrs{AttrType: "bool", AttrBool: false}, 0},
		{"double", ",3.14\r\n", attrs{AttrType: "double"}, 0},
		{"double inf", ",-inf\r\n", attrs{AttrType: "double"}, 0},
		{"big number", "(3492890328409238509324850943850943825024385\r\n", attrs{AttrType: "bignum"}, 0},
		{"blob error", "!21\r\nSYNTAX invalid syntax\r\n", attrs{AttrType: "error", AttrError: "SYNTAX invalid syntax", AttrErrorPrefix: "SYNTAX", AttrLength: 21}, 0},
		{"verbatim", "=15\r\ntxt:Some string\r\n", attrs{AttrType: "verbatim", AttrLength: 15}, 0},
		{"map", "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", attrs{AttrType: "map", AttrElements: 2}, 0},
		{"set", "~3\r\n+a\r\n+b\r\n+c\r\n", attrs{AttrType: "set", AttrElements: 3}, 0},
		{"push message", ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
			attrs{AttrType: "push", AttrElements: 3, AttrPush: "message"}, parser.Unsolicited},
		{"push invalidate", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n",
			attrs{AttrType: "push", AttrPush: "invalidate"}, parser.Unsolicited},
		{"attribute then array",
			"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
			attrs{AttrType: "array", AttrElements: 2, AttrAttribute: true}, 0},
		{"attribute inside array", "*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n", attrs{AttrType: "array", AttrElements: 2, AttrAttribute: nil}, 0},
		{"streamed string", "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", attrs{AttrType: "bulk", AttrLength: nil}, 0},
		{"streamed array", "*?\r\n:1\r\n:2\r\n:3\r\n.\r\n", attrs{AttrType: "array", AttrElements: nil}, 0},
		{"streamed map", "%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n", attrs{AttrType: "map"}, 0},
		{"streamed set, empty", "~?\r\n.\r\n", attrs{AttrType: "set"}, 0},
		{"streamed inside counted inside streamed", "*?\r\n*2\r\n*?\r\n:1\r\n.\r\n~1\r\n_\r\n$?\r\n;1\r\nx\r\n;0\r\n.\r\n", attrs{AttrType: "array"}, 0},
	}
	p := Protocol()
	var m parser.Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := p.ParseResponse(&m, []byte(tt.in), nil, nil)
			require.True(t, ok, "%v", m.Err)
			assert.Equal(t, len(tt.in), m.Offset, "consumed")
			assert.Equal(t, tt.flags, m.Flags)
			checkAttrs(t, &m.Attrs, tt.want)
			// The framer agrees on the length, with or without more bytes after.
			n, tok, err := p.Split(nil, parser.Response)([]byte(tt.in+"+OK\r\n"), false)
			require.NoError(t, err)
			assert.Equal(t, len(tt.in), n)
			assert.Equal(t, tt.in, string(tok))
		})
	}
}

// TestResponseBadInput: every malformed or oversized reply is an error value
// wrapping the right sentinel, never a panic, never a success.
func TestResponseBadInput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"redcon crasher", "*1\r\n$-7\r\n", ErrBadLength},
		{"negative count", "*-2\r\n", ErrBadLength},
		{"bulk over 512 MB", "$536870913\r\n", ErrBulkTooLarge},
		{"bulk length overflow", "$99999999999999999999999\r\n", ErrBadLength},
		{"array over 1M elements", "*1048577\r\n", ErrTooManyElements},
		{"nested array over 1M", "*1\r\n%1048577\r\n", ErrTooManyElements},
		{"attribute over 1M", "|1048577\r\n", ErrTooManyElements},
		{"integer not a number", ":12a\r\n", ErrBadValue},
		{"integer empty", ":\r\n", ErrBadValue},
		{"bool not t/f", "#x\r\n", ErrBadValue},
		{"null with payload", "_x\r\n", ErrBadValue},
		{"verbatim without format", "=3\r\ntxt\r\n", ErrBadValue},
		{"LF without CR", "+OK\n", ErrNoCRLF},
		{"bulk without CRLF", "$3\r\nabcd\r\n", ErrNoCRLF},
		{"bad length digits", "$1x\r\n", ErrBadLength},
		{"streamed push", ">?\r\n", ErrBadLength},
		{"stream end outside stream", "*1\r\n.\r\n", ErrBadType},
		{"unknown type inside", "*1\r\n@x\r\n", ErrBadType},
		{"trailing bytes", "+OK\r\n+OK\r\n", ErrTrailing},
		{"bad chunk", "$?\r\n;-1\r\n", ErrBadLength},
		{"streamed too deep", strings.Repeat("*?\r\n", MaxStreamDepth+1), ErrTooDeep},
	}
	p := Protocol()
	var m parser.Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := p.ParseResponse(&m, []byte(tt.in), nil, nil)
			assert.False(t, ok)
			assert.ErrorIs(t, m.Err, tt.want)
			var pe *parser.Error
			assert.True(t, errors.As(m.Err, &pe), "%T", m.Err)
			// Framing rejects it too (or, for the trailing case, frames the first value).
			_, _, err := p.Split(nil, parser.Response)([]byte(tt.in), true)
			if tt.want != ErrTrailing {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
	t.Run("not a reply", func(t *testing.T) {
		assert.False(t, p.ParseResponse(&m, []byte("HTTP/1.1 200 OK\r\n"), nil, nil))
		_, _, err := p.Split(nil, parser.Response)([]byte("HTTP/1.1 200 OK\r\n"), false)
		assert.ErrorIs(t, err, parser.ErrNotProtocol)
	})
}

// TestResponseLimits: Options lower the limits.
func TestResponseLimits(t *testing.T) {
	p := NewProtocol(Options{MaxBulk: 4, MaxElements: 2, MaxLine: 8, MaxMessage: 64})
	var m parser.Message
	for _, tt := range []struct {
		in   string
		want error
	}{
		{"$5\r\nhello\r\n", ErrBulkTooLarge},
		{"*3\r\n:1\r\n:2\r\n:3\r\n", ErrTooManyElements},
		{"%2\r\n", nil}, // 2 pairs allowed: only short
		{"+0123456789\r\n", ErrLineTooLong},
	} {
		assert.False(t, p.ParseResponse(&m, []byte(tt.in), nil, nil) && tt.want != nil, tt.in)
		_, _, err := p.Split(nil, parser.Response)([]byte(tt.in), false)
		if tt.want == nil {
			assert.NoError(t, err, tt.in)
			continue
		}
		assert.ErrorIs(t, err, tt.want, tt.in)
		assert.ErrorIs(t, err, parser.ErrTooLarge, tt.in)
	}
	p = NewProtocol(Options{MaxMessage: 64})
	_, _, err := p.Split(nil, parser.Response)([]byte("*30\r\n"+strings.Repeat(":1\r\n", 30)), false)
	assert.ErrorIs(t, err, ErrMessageTooLarge)
	// Defaults, and the ceiling of MaxMessage (32-bit argument offsets).
	assert.Equal(t, limits{DefaultMaxBulk, DefaultMaxElements, DefaultMaxLine, DefaultMaxInline, DefaultMaxMessage}, Options{}.limits())
	assert.Equal(t, MaxMessageLimit, Options{MaxMessage: 1 << 40}.limits().maxMessage)
	// A bulk string claiming more than MaxMessage is rejected before its
	// bytes are buffered.
	p = NewProtocol(Options{MaxMessage: 1 << 20})
	_, _, err = p.Split(nil, parser.Response)([]byte("$2000000\r\nabc"), false)
	assert.ErrorIs(t, err, ErrMessageTooLarge)
}

// TestResponseTruncated: a reply known to be cut short (after a capture
// gap) keeps what its head says and is flagged Truncated with ErrShort.
func TestResponseTruncated(t *testing.T) {
	p := Protocol()
	var m parser.Message
	require.True(t, p.ParseResponse(&m, []byte("*3\r\n$3\r\nfoo\r\n"), nil, nil))
	assert.Equal(t, parser.Truncated, m.Flags)
	assert.ErrorIs(t, m.Err, parser.ErrShort)
	checkAttrs(t, &m.Attrs, attrs{AttrType: "array", AttrElements: 3})

	require.True(t, p.ParseResponse(&m, []byte("$100\r\nabc"), nil, nil))
	assert.Equal(t, parser.Truncated, m.Flags)
	checkAttrs(t, &m.Attrs, attrs{AttrType: "bulk", AttrLength: 100})

	for _, in := range []string{"", "$", "$10", "+OK", "-ERR x", "|1\r\n+a\r\n"} {
		assert.False(t, p.ParseResponse(&m, []byte(in), nil, nil), "%q", in)
		if in != "" {
			assert.ErrorIs(t, m.Err, parser.ErrShort, "%q", in)
		}
	}
}

func TestTypeNames(t *testing.T) {
	for c := 0; c < 256; c++ {
		ty := Type(c)
		assert.Equal(t, isValueStart(byte(c)), ty.Name() != "", "%q", c)
	}
	assert.Equal(t, "error", TypeBlobError.Name())
	assert.Equal(t, "bignum", TypeBigNumber.String())
	assert.Equal(t, "Type(@)", Type('@').String())
}
