package redis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// TestSimpleText is issue 19.6: a simple-string reply carries its text in
// redis.simple (OK, QUEUED, PONG, TYPE's "hash"), not only its type. The
// common constants are stable values (kept without a copy); other text
// aliases the reply and String copies it. Replies pair through parser.Conn
// with MULTI/EXEC's +QUEUED, and a MONITOR feed line, which echoes other
// clients' commands, has no redis.simple.
func TestSimpleText(t *testing.T) {
	p := Protocol()
	var got []*parser.Exchange
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) { got = append(got, e.Clone()) })
	reqs := []string{
		cmd("PING"), cmd("SET", "k", "v"), cmd("TYPE", "k"), cmd("MULTI"), cmd("INCR", "n"),
		cmd("EXEC"), cmd("CLIENT", "SETNAME", "x"), cmd("MONITOR"),
	}
	resps := []string{
		"+PONG\r\n", "+OK\r\n", "+string\r\n", "+OK\r\n", "+QUEUED\r\n", "*1\r\n:1\r\n", "+OK\r\n", "+OK\r\n",
		"+1700000000.123456 [0 127.0.0.1:5000] \"AUTH\" \"s3cret\"\r\n",
	}
	for _, r := range reqs {
		c.Feed(parser.Request, []byte(r), time.Time{})
	}
	for _, r := range resps {
		c.Feed(parser.Response, []byte(r), time.Time{})
	}
	c.Close(time.Time{})
	want := []struct{ cmd, simple string }{
		{"PING", "PONG"}, {"SET", "OK"}, {"TYPE", "string"}, {"MULTI", "OK"},
		{"INCR", "QUEUED"}, {"EXEC", ""}, {"CLIENT", "OK"}, {"MONITOR", "OK"},
	}
	require.Len(t, got, len(want)+1)
	for i, w := range want {
		e := got[i]
		require.Equal(t, parser.Complete, e.Kind, i)
		cmd, _ := e.Request.String(AttrCommand)
		assert.Equal(t, w.cmd, cmd, i)
		v, ok := e.Response.Get(AttrSimple)
		if w.simple == "" {
			assert.False(t, ok, "%s: redis.simple on a non-simple reply: %v", w.cmd, v)
			continue
		}
		require.True(t, ok, w.cmd)
		assert.Equal(t, w.simple, v.Str(), w.cmd)
	}
	feed := got[len(want)]
	assert.Equal(t, parser.Push, feed.Kind)
	push, _ := feed.Response.String(AttrPush)
	assert.Equal(t, "monitor", push)
	assert.False(t, feed.Response.Has(AttrSimple), "a MONITOR line's text is not kept")

	// Stable or aliasing, straight from the parser (Clone copies values).
	var m parser.Message
	for _, tt := range []struct {
		in     string
		stable bool
	}{
		{"+OK\r\n", true}, {"+QUEUED\r\n", true}, {"+PONG\r\n", true}, {"+RESET\r\n", true},
		{"+zset\r\n", true}, {"+OKAY\r\n", false}, {"+Background saving started\r\n", false},
	} {
		b := []byte(tt.in)
		require.True(t, p.ParseResponse(&m, b, nil, nil), tt.in)
		v, ok := m.Attrs.Get(AttrSimple)
		require.True(t, ok, tt.in)
		assert.Equal(t, tt.stable, v.Stable(), tt.in)
		assert.Equal(t, tt.in[1:len(tt.in)-2], v.Str(), tt.in)
		kept, _ := m.Attrs.String(AttrSimple)
		b[1] = 'X' // the reply buffer is reused: what String returned must not change
		assert.Equal(t, tt.in[1:len(tt.in)-2], kept, tt.in)
	}
}
