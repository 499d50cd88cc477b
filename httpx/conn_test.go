package httpx_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

type seen struct {
	kind   parser.ExchangeKind
	path   string
	status int64
	flags  parser.Flags
}

func collect(out *[]seen) func(*parser.Exchange) {
	return func(e *parser.Exchange) {
		var s seen
		s.kind = e.Kind
		if e.Request != nil {
			s.path, _ = e.Request.String(httpx.AttrPath)
		}
		if e.Response != nil {
			s.status, _ = e.Response.Int(httpx.AttrStatusCode)
			s.flags = e.ResponseFlags
		}
		*out = append(*out, s)
	}
}

// TestConnGapInBody: bytes lost inside a response body. The cut response
// is reported truncated, and framing picks up again at the next response
// without resuming the lost message's progress.
func TestConnGapInBody(t *testing.T) {
	var out []seen
	c := parser.NewConn(httpx.Protocol(), parser.ConnOptions{}, collect(&out))
	ts := time.Unix(0, 0)
	c.Feed(parser.Request, []byte("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"), ts)
	c.Feed(parser.Response, []byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), ts)
	c.Gap(parser.Response, 50)
	c.Feed(parser.Response, []byte("0123456789012345678901234567890123456789"), ts) // the rest of the body
	c.Feed(parser.Request, []byte("GET /b HTTP/1.1\r\nHost: h\r\n\r\n"), ts)
	c.Feed(parser.Response, []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"), ts)
	c.Close(ts)
	require.NotEmpty(t, out)
	last := out[len(out)-1]
	assert.Equal(t, seen{kind: parser.Complete, path: "/b", status: 404}, last)
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Truncated[parser.Response])
	assert.Nil(t, st.StoppedByError[parser.Request])
	assert.Nil(t, st.StoppedByError[parser.Response])
}

// TestConnUpgrade: after 101 both directions stop being parsed, and the
// bytes that follow are counted as skipped, not lost silently.
func TestConnUpgrade(t *testing.T) {
	var out []seen
	c := parser.NewConn(httpx.Protocol(), parser.ConnOptions{}, collect(&out))
	ts := time.Unix(0, 0)
	c.Feed(parser.Request, []byte("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), ts)
	c.Feed(parser.Response, []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi"), ts)
	c.Feed(parser.Request, []byte("\x81\x82abcdXY"), ts)
	c.Close(ts)
	assert.Equal(t, []seen{{kind: parser.Complete, path: "/ws", status: 101}}, out)
	st := c.Stats()
	assert.ErrorIs(t, st.StoppedByError[parser.Response], parser.ErrUpgraded)
	assert.ErrorIs(t, st.StoppedByError[parser.Request], parser.ErrUpgraded)
	assert.Equal(t, uint64(4), st.SkippedBytes[parser.Response])
	assert.Equal(t, uint64(8), st.SkippedBytes[parser.Request])
}

// TestConnReadUntilClose: a response without length ends when the
// connection closes.
func TestConnReadUntilClose(t *testing.T) {
	var out []seen
	c := parser.NewConn(httpx.Protocol(), parser.ConnOptions{}, collect(&out))
	ts := time.Unix(0, 0)
	c.Feed(parser.Request, []byte("GET /old HTTP/1.0\r\n\r\n"), ts)
	c.Feed(parser.Response, []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome "), ts)
	c.Feed(parser.Response, []byte("more"), ts)
	assert.Empty(t, out, "not complete before the close")
	c.Close(ts)
	assert.Equal(t, []seen{{kind: parser.Complete, path: "/old", status: 200}}, out)
	assert.Zero(t, c.Stats().Truncated)
}
