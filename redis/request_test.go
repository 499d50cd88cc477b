package redis

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// cmd encodes a request as redis clients send it: a RESP array of bulk strings.
func cmd(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// TestRequest checks command, subcommand, first key and argument count.
// Expected keys are what redis-server 7.0.15's COMMAND GETKEYS answers for
// the same arguments (see getkeys_live_test.go for the exhaustive check).
func TestRequest(t *testing.T) {
	many := []string{"MSET"}
	for i := 1; i <= 20; i++ {
		many = append(many, fmt.Sprintf("k%d", i), "v")
	}
	migrate := []string{"MIGRATE", "h", "6379", "", "0", "5000"}
	for i := 0; i < 12; i++ {
		migrate = append(migrate, "COPY")
	}
	migrate = append(migrate, "KEYS", "far1", "far2")
	tests := []struct {
		name string
		in   string
		want attrs
	}{
		{"SET", cmd("SET", "key", "value"), attrs{AttrCommand: "SET", AttrKey: "key", AttrArgs: 2, AttrSubcommand: nil, AttrInline: nil}},
		{"lower case", cmd("set", "key", "value"), attrs{AttrCommand: "SET", AttrKey: "key"}},
		{"SET user GET is SET (Kindling's bug)", cmd("SET", "user", "get"), attrs{AttrCommand: "SET", AttrKey: "user", AttrArgs: 2}},
		{"SET k v GET", cmd("set", "k", "v", "GET"), attrs{AttrCommand: "SET", AttrKey: "k", AttrArgs: 3}},
		{"GET without argument: wrong arity, no key", cmd("GET"), attrs{AttrCommand: "GET", AttrKey: nil, AttrArgs: 0}},
		{"GET with two arguments: wrong arity", cmd("GET", "a", "b"), attrs{AttrCommand: "GET", AttrKey: nil}},
		{"PING", cmd("PING"), attrs{AttrCommand: "PING", AttrKey: nil, AttrArgs: 0}},
		{"HELLO 3", cmd("HELLO", "3"), attrs{AttrCommand: "HELLO", AttrKey: nil}},
		{"PUBLISH has no key", cmd("PUBLISH", "news", "hi"), attrs{AttrCommand: "PUBLISH", AttrKey: nil}},
		{"SPUBLISH channel is not a key", cmd("SPUBLISH", "news", "hi"), attrs{AttrCommand: "SPUBLISH", AttrKey: nil}},
		{"unknown command", cmd("notacommand", "foo"), attrs{AttrCommand: "NOTACOMMAND", AttrKey: nil, AttrArgs: 1}},
		{"empty key", cmd("GET", ""), attrs{AttrKey: ""}},
		// Found by FuzzParseRequest: only ASCII letters are upper-cased,
		// other bytes (here invalid UTF-8) are kept as sent.
		{"unknown command with non-UTF-8 bytes", cmd("x\xe6y"), attrs{AttrCommand: "X\xe6Y", AttrKey: nil}},
		{"binary key", cmd("GET", "a\r\nb\x00"), attrs{AttrKey: "a\r\nb\x00"}},
		{"CLIENT SETNAME", cmd("CLIENT", "SETNAME", "app"), attrs{AttrCommand: "CLIENT", AttrSubcommand: "SETNAME", AttrKey: nil}},
		{"client unknown subcommand", cmd("client", "maint_notifications", "on"), attrs{AttrCommand: "CLIENT", AttrSubcommand: "MAINT_NOTIFICATIONS", AttrKey: nil}},
		{"CONFIG GET", cmd("config", "get", "save"), attrs{AttrCommand: "CONFIG", AttrSubcommand: "GET", AttrKey: nil}},
		{"container without subcommand", cmd("CONFIG"), attrs{AttrCommand: "CONFIG", AttrSubcommand: nil}},
		{"XINFO STREAM key", cmd("XINFO", "STREAM", "orders"), attrs{AttrSubcommand: "STREAM", AttrKey: "orders"}},
		{"OBJECT ENCODING key", cmd("object", "encoding", "k"), attrs{AttrCommand: "OBJECT", AttrSubcommand: "ENCODING", AttrKey: "k"}},
		{"MEMORY USAGE key", cmd("MEMORY", "USAGE", "k", "SAMPLES", "5"), attrs{AttrSubcommand: "USAGE", AttrKey: "k"}},
		{"EVAL numkeys 2", cmd("EVAL", "return 1", "2", "a", "b", "arg"), attrs{AttrCommand: "EVAL", AttrKey: "a", AttrArgs: 5}},
		{"EVAL numkeys 0", cmd("EVAL", "return 1", "0"), attrs{AttrKey: nil}},
		{"EVAL numkeys too large", cmd("EVAL", "return 1", "3", "a"), attrs{AttrKey: nil}},
		{"EVAL numkeys not a number", cmd("EVAL", "return 1", "x", "a"), attrs{AttrKey: nil}},
		{"ZUNIONSTORE", cmd("ZUNIONSTORE", "dst", "2", "a", "b"), attrs{AttrKey: "dst"}},
		{"ZUNIONSTORE numkeys 0", cmd("ZUNIONSTORE", "dst", "0", "a"), attrs{AttrKey: nil}},
		{"LMPOP", cmd("LMPOP", "2", "l1", "l2", "LEFT"), attrs{AttrKey: "l1"}},
		{"XREAD STREAMS", cmd("XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"), attrs{AttrKey: "s1"}},
		{"XREADGROUP", cmd("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), attrs{AttrKey: "s"}},
		{"XREAD without STREAMS", cmd("XREAD", "COUNT", "1", "s", "0"), attrs{AttrKey: nil}},
		{"MIGRATE key", cmd("MIGRATE", "h", "6379", "k", "0", "5000"), attrs{AttrKey: "k"}},
		{"MIGRATE KEYS", cmd("MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "a", "b"), attrs{AttrKey: "a"}},
		{"MIGRATE KEYS beyond the cached arguments", cmd(migrate...), attrs{AttrKey: "far1", AttrArgs: len(migrate) - 1}},
		{"SORT STORE", cmd("SORT", "k", "STORE", "d"), attrs{AttrKey: "k"}},
		{"GEORADIUS STORE without destination", cmd("GEORADIUS", "k", "0", "0", "1", "m", "STORE"), attrs{AttrKey: "k"}},
		{"LMOVE", cmd("LMOVE", "src", "dst", "LEFT", "RIGHT"), attrs{AttrKey: "src"}},
		{"MSET with 40 arguments", cmd(many...), attrs{AttrKey: "k1", AttrArgs: 40}},
		{"SUBSCRIBE", cmd("SUBSCRIBE", "a", "b"), attrs{AttrCommand: "SUBSCRIBE", AttrKey: nil, AttrArgs: 2}},
		{"inline", "SET k v\r\n", attrs{AttrCommand: "SET", AttrKey: "k", AttrArgs: 2, AttrInline: true}},
		{"inline LF only, lower case", "get k\n", attrs{AttrCommand: "GET", AttrKey: "k", AttrInline: true}},
		{"inline extra spaces", "  PING   \r\n", attrs{AttrCommand: "PING", AttrArgs: 0}},
		{"inline quotes", "SET \"a b\" 'c d'\r\n", attrs{AttrKey: "a b", AttrArgs: 2}},
		{"inline escapes", "GET \"a\\x41\\n\"\r\n", attrs{AttrKey: "aA\n"}},
		{"inline single-quote escape", "GET 'it\\'s'\n", attrs{AttrKey: "it's"}},
	}
	p := Protocol()
	var m parser.Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := p.ParseRequest(&m, []byte(tt.in), nil)
			require.True(t, ok, "%v", m.Err)
			assert.Equal(t, parser.Flags(0), m.Flags)
			assert.Equal(t, len(tt.in), m.Offset)
			checkAttrs(t, &m.Attrs, tt.want)
			n, tok, err := p.Split(nil, parser.Request)([]byte(tt.in+cmd("PING")), false)
			require.NoError(t, err)
			assert.Equal(t, len(tt.in), n)
			assert.Equal(t, tt.in, string(tok))
		})
	}
}

// TestRequestBadInput: malformed requests fail with the right error; a
// request cut short is parsed as far as it goes and flagged Truncated.
func TestRequestBadInput(t *testing.T) {
	p := Protocol()
	var m parser.Message
	for _, tt := range []struct {
		name string
		in   string
		want error
	}{
		{"redcon crasher", "*1\r\n$-7\r\n", ErrBadLength},
		{"null bulk argument", "*1\r\n$-1\r\n", ErrBadLength},
		{"integer argument", "*1\r\n:1\r\n", ErrBadType},
		{"nested array", "*1\r\n*1\r\n$1\r\na\r\n", ErrBadType},
		{"over 1M arguments", "*1048577\r\n", ErrTooManyElements},
		{"argument over 512 MB", "*1\r\n$536870913\r\n", ErrBulkTooLarge},
		{"bad count", "*1x\r\n", ErrBadLength},
		{"missing CRLF", "*1\r\n$3\r\nGETX\r\n", ErrNoCRLF},
		{"unbalanced quotes", "SET \"a b\r\n", ErrUnbalancedQuotes},
		{"quote glued to text", "SET \"a\"b c\r\n", ErrUnbalancedQuotes},
		{"trailing", cmd("PING") + "x", ErrTrailing},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.False(t, p.ParseRequest(&m, []byte(tt.in), nil))
			assert.ErrorIs(t, m.Err, tt.want)
			_, _, err := p.Split(nil, parser.Request)([]byte(tt.in), true)
			switch tt.want {
			case ErrTrailing, ErrUnbalancedQuotes:
				// Framing takes the first message / the whole line; the
				// parser rejects it, as redis-server does.
				assert.NoError(t, err)
			default:
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
	t.Run("inline over MaxInline", func(t *testing.T) {
		p := NewProtocol(Options{MaxInline: 16})
		_, _, err := p.Split(nil, parser.Request)([]byte("SET k "+strings.Repeat("v", 20)), false)
		assert.ErrorIs(t, err, ErrLineTooLong)
	})
	t.Run("not redis", func(t *testing.T) {
		_, _, err := p.Split(nil, parser.Request)([]byte{0x16, 3, 1, 0, 0}, false)
		assert.ErrorIs(t, err, parser.ErrNotProtocol)
	})
	t.Run("truncated", func(t *testing.T) {
		in := cmd("SET", "key", "value")
		require.True(t, p.ParseRequest(&m, []byte(in[:len(in)-4]), nil))
		assert.Equal(t, parser.Truncated, m.Flags)
		assert.ErrorIs(t, m.Err, parser.ErrShort)
		checkAttrs(t, &m.Attrs, attrs{AttrCommand: "SET", AttrKey: "key", AttrArgs: 2})
		assert.False(t, p.ParseRequest(&m, []byte("*3\r\n$3\r\nSE"), nil))
		assert.ErrorIs(t, m.Err, parser.ErrShort)
	})
	t.Run("empty requests are skipped and counted", func(t *testing.T) {
		st := &State{}
		split := p.Split(st, parser.Request)
		for _, in := range []string{"*0\r\n", "*-1\r\n", "\r\n", "  \n"} {
			n, tok, err := split([]byte(in+cmd("PING")), false)
			require.NoError(t, err)
			assert.Equal(t, len(in), n)
			assert.Nil(t, tok)
		}
		assert.Equal(t, 4, st.Skipped)
		require.True(t, p.ParseRequest(&m, []byte("*0\r\n"), nil))
		assert.Equal(t, parser.OneWay, m.Flags)
	})
}

// TestLookupCommand: the case-insensitive table lookup finds every command
// and nothing else.
func TestLookupCommand(t *testing.T) {
	for i := range commands {
		c := &commands[i]
		assert.Same(t, c, lookupCommand([]byte(c.name)))
		assert.Same(t, c, lookupCommand([]byte(strings.ToLower(c.name))))
	}
	for _, s := range []string{"", "GETT", "GE", "SET ", "NOTACOMMAND", strings.Repeat("A", 100)} {
		assert.Nil(t, lookupCommand([]byte(s)), s)
	}
	assert.Equal(t, "7.0.15", tableVersion)
}

func TestAtoi(t *testing.T) {
	for _, tt := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"12", 12, true}, {"-3", -3, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{"", 0, false}, {"-", 0, false}, {"1 ", 0, false}, {"-0", 0, true},
	} {
		n, ok := atoi([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.n, n, tt.in)
	}
}
