package redis

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// seen is one exchange as a short string: kind, request command, response
// type (and push kind).
func exchangeString(e *parser.Exchange) string {
	s := e.Kind.String()
	if e.Request != nil {
		c, _ := e.Request.String(AttrCommand)
		s += " " + c
	}
	if e.Response != nil {
		ty, _ := e.Response.String(AttrType)
		s += " -> " + ty
		if k, ok := e.Response.String(AttrPush); ok {
			s += " " + k
		}
	}
	return s
}

// runConn feeds requests then responses (or both interleaved per step)
// through parser.Conn and returns the exchanges as strings.
func runConn(t *testing.T, steps [][2]string) []string {
	t.Helper()
	var out []string
	c := parser.NewConn(Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		assert.NoError(t, e.RequestErr)
		assert.NoError(t, e.ResponseErr)
		out = append(out, exchangeString(e))
	})
	for _, s := range steps {
		if s[0] != "" {
			c.Feed(parser.Request, []byte(s[0]), time.Time{})
		}
		if s[1] != "" {
			c.Feed(parser.Response, []byte(s[1]), time.Time{})
		}
	}
	c.Close(time.Time{})
	st := c.Stats()
	assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1])
	assert.Zero(t, st.FramingErrors[0]+st.FramingErrors[1])
	return out
}

func push2(kind, ch string, n string) string {
	return "*3\r\n$" + itoa(len(kind)) + "\r\n" + kind + "\r\n$" + itoa(len(ch)) + "\r\n" + ch + "\r\n:" + n + "\r\n"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func msg2(ch, payload string) string {
	return "*3\r\n$7\r\nmessage\r\n$" + itoa(len(ch)) + "\r\n" + ch + "\r\n$" + itoa(len(payload)) + "\r\n" + payload + "\r\n"
}

// TestPairing covers the pairing rules: pipelining, MULTI/EXEC, RESP2
// pub/sub (messages and extra confirmations are pushes), RESP3 pushes,
// and CLIENT REPLY.
func TestPairing(t *testing.T) {
	tests := []struct {
		name  string
		steps [][2]string
		want  []string
	}{
		{"pipeline in one segment",
			[][2]string{{cmd("SET", "a", "1") + cmd("GET", "a") + cmd("INCR", "a"), "+OK\r\n$1\r\n1\r\n:2\r\n"}},
			[]string{"complete SET -> simple", "complete GET -> bulk", "complete INCR -> integer"}},
		{"MULTI/EXEC",
			[][2]string{{cmd("MULTI") + cmd("SET", "a", "1") + cmd("INCR", "a") + cmd("EXEC"),
				"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n"}},
			[]string{"complete MULTI -> simple", "complete SET -> simple", "complete INCR -> simple", "complete EXEC -> array"}},
		{"RESP2 subscribe, messages, extra confirmation, ping",
			[][2]string{
				{cmd("SUBSCRIBE", "a", "b"), push2("subscribe", "a", "1") + push2("subscribe", "b", "2")},
				{"", msg2("a", "hi")},
				{"", "*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$1\r\nx\r\n"},
				{cmd("PING"), msg2("b", "again") + "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
				{cmd("UNSUBSCRIBE"), push2("unsubscribe", "a", "1") + push2("unsubscribe", "b", "0")},
			},
			[]string{"complete SUBSCRIBE -> array subscribe", "push -> array subscribe", "push -> array message",
				"push -> array pmessage", "push -> array message", "complete PING -> array",
				"complete UNSUBSCRIBE -> array unsubscribe", "push -> array unsubscribe"}},
		{"message-shaped reply on a connection that is not subscribed",
			[][2]string{{cmd("LRANGE", "l", "0", "-1"), msg2("x", "y")}},
			[]string{"complete LRANGE -> array"}},
		{"subscribed mode ends: message-shaped replies are replies again",
			[][2]string{
				{cmd("SUBSCRIBE", "a"), push2("subscribe", "a", "1")},
				{cmd("UNSUBSCRIBE", "a"), push2("unsubscribe", "a", "0")},
				{cmd("LRANGE", "l", "0", "-1"), msg2("x", "y")},
			},
			[]string{"complete SUBSCRIBE -> array subscribe", "complete UNSUBSCRIBE -> array unsubscribe", "complete LRANGE -> array"}},
		{"RESP3 push between a request and its reply",
			[][2]string{{cmd("GET", "k"), ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n$1\r\nv\r\n"}},
			[]string{"push -> push message", "complete GET -> bulk"}},
		{"RESP3 subscribe confirmations",
			[][2]string{{cmd("SUBSCRIBE", "a", "b"),
				">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"}},
			[]string{"complete SUBSCRIBE -> push subscribe", "push -> push subscribe"}},
		{"RESP3 client tracking invalidation",
			[][2]string{{"", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n"}},
			[]string{"push -> push invalidate"}},
		{"CLIENT REPLY SKIP",
			[][2]string{{cmd("CLIENT", "REPLY", "SKIP") + cmd("SET", "a", "1") + cmd("GET", "a"), "$1\r\n1\r\n"}},
			[]string{"oneway CLIENT", "oneway SET", "complete GET -> bulk"}},
		{"CLIENT REPLY OFF then ON",
			[][2]string{{cmd("CLIENT", "REPLY", "OFF") + cmd("SET", "a", "1") + cmd("CLIENT", "REPLY", "ON") + cmd("GET", "a"),
				"+OK\r\n$1\r\n1\r\n"}},
			[]string{"oneway CLIENT", "oneway SET", "complete CLIENT -> simple", "complete GET -> bulk"}},
		// The MONITOR bytes are as redis-server 7.0.15 sent them (the
		// monitoring connection's PING appears in its own feed after +PONG).
		{"MONITOR feed, own commands still answered, RESET ends it",
			[][2]string{
				{cmd("MONITOR"), "+OK\r\n"},
				{"", "+1795298922.440009 [0 127.0.0.1:34310] \"SET\" \"a\" \"b\"\r\n"},
				{cmd("PING"), "+PONG\r\n+1795298922.548002 [0 127.0.0.1:34308] \"PING\"\r\n"},
				{cmd("RESET"), "+RESET\r\n"},
				{cmd("ECHO", "1795298922.1 [x"), "$15\r\n1795298922.1 [x\r\n"},
			},
			[]string{"complete MONITOR -> simple", "push -> simple monitor", "complete PING -> simple",
				"push -> simple monitor", "complete RESET -> simple", "complete ECHO -> bulk"}},
		{"RESET turns replies back on",
			[][2]string{{cmd("CLIENT", "REPLY", "OFF") + cmd("SET", "a", "1") + cmd("RESET") + cmd("GET", "a"), "+RESET\r\n$1\r\n1\r\n"}},
			[]string{"oneway CLIENT", "oneway SET", "complete RESET -> simple", "complete GET -> bulk"}},
		{"reply without request",
			[][2]string{{"", "+OK\r\n"}},
			[]string{"unmatched_response -> simple"}},
		{"request without reply",
			[][2]string{{cmd("BLPOP", "q", "0"), ""}},
			[]string{"unanswered BLPOP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, runConn(t, tt.steps))
		})
	}
}

// TestChunking: any cut of a stream into segments frames the same messages
// (a 100 KiB value, a reply with every type, an inline command, a
// pipeline), and every cut point of a single message says "need more".
func TestChunking(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	reqs := cmd("SET", "blob", big) + cmd("GET", "blob") + "PING\r\n" + cmd("EVAL", "return 1", "1", "k") + cmd("CLIENT", "SETNAME", "n")
	resps := "+OK\r\n$" + itoa(len(big)) + "\r\n" + big + "\r\n+PONG\r\n" +
		"|1\r\n+a\r\n:1\r\n*3\r\n%1\r\n+k\r\n~2\r\n#t\r\n,1.5\r\n(12\r\n=7\r\ntxt:abc\r\n" +
		"*?\r\n$?\r\n;2\r\nab\r\n;0\r\n_\r\n.\r\n-ERR x\r\n"
	for _, tt := range []struct {
		dir  parser.Direction
		data string
		n    int
	}{{parser.Request, reqs, 5}, {parser.Response, resps, 6}} {
		p := Protocol()
		whole := frameAll(t, p, tt.dir, [][]byte{[]byte(tt.data)})
		require.Equal(t, tt.n, len(whole))
		rng := rand.New(rand.NewPCG(3, 4))
		for range 200 {
			var segs [][]byte
			for b := []byte(tt.data); len(b) > 0; {
				n := 1 + rng.IntN(min(len(b), 1+rng.IntN(4096)))
				segs = append(segs, b[:n])
				b = b[n:]
			}
			got := frameAll(t, p, tt.dir, segs)
			require.True(t, slices.Equal(whole, got), "%d segments: %d messages", len(segs), len(got))
		}
		// Every prefix of the first small message is "need more".
		split := p.Split(nil, tt.dir)
		first := whole[len(whole)-1]
		for i := 1; i < len(first); i++ {
			n, tok, err := split([]byte(first[:i]), false)
			require.NoError(t, err, "%q", first[:i])
			require.Zero(t, n)
			require.Nil(t, tok)
			_, _, err = split([]byte(first[:i]), true)
			assert.ErrorIs(t, err, parser.ErrShort)
		}
	}
}

// frameAll buffers segments the way a stream reader does and frames them.
func frameAll(t *testing.T, p *parser.Protocol, dir parser.Direction, segs [][]byte) []string {
	t.Helper()
	split := p.Split(p.NewState(), dir)
	var buf []byte
	var out []string
	for _, s := range segs {
		buf = append(buf, s...)
		for len(buf) > 0 {
			n, tok, err := split(buf, false)
			require.NoError(t, err)
			if n == 0 {
				break
			}
			if tok != nil {
				out = append(out, string(tok))
			}
			buf = buf[n:]
		}
	}
	require.Empty(t, buf)
	return out
}
