package httpx_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// tap is a loopback TCP proxy in front of addr that feeds every byte it
// relays, in the order it relays them, to a parser.Conn.
type tap struct {
	ln   net.Listener
	mu   sync.Mutex
	conn *parser.Conn
	got  []*parser.Exchange
	done chan struct{}
}

func newTap(t *testing.T, addr string) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tp := &tap{ln: ln, done: make(chan struct{})}
	tp.conn = parser.NewConn(httpx.Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		tp.got = append(tp.got, e.Clone())
	})
	go func() {
		defer close(tp.done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			return
		}
		var wg sync.WaitGroup
		pump := func(dir parser.Direction, from, to net.Conn) {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := from.Read(buf)
				if n > 0 {
					tp.mu.Lock()
					tp.conn.Feed(dir, buf[:n], time.Now())
					tp.mu.Unlock()
					if _, werr := to.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			if tc, ok := to.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
		}
		wg.Add(2)
		go pump(parser.Request, c, s)
		go pump(parser.Response, s, c)
		wg.Wait()
		c.Close()
		s.Close()
		tp.mu.Lock()
		tp.conn.Close(time.Now())
		tp.mu.Unlock()
	}()
	return tp
}

// TestEarlyResponseNetHTTP is issue 19.3 with Go's net/http server: a
// client sends the head and the first part of an Expect-less POST body,
// the server answers before reading the rest (200 for a handler that
// ignores the body, 413, 501), then the client sends the rest. wirekit
// pairs the answer with the request in progress, marks it
// parser.EarlyResponse, and frames the request to its end (was: the
// request Unanswered plus an UnmatchedResponse).
func TestEarlyResponseNetHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case "/brew":
			http.Error(w, "not implemented", http.StatusNotImplemented)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	for _, tt := range []struct {
		path   string
		status int64
		first  int // body bytes sent before the answer
	}{
		{"/upload", 200, 64 << 10},
		{"/big", 413, 64 << 10},
		{"/brew", 501, 0},
	} {
		const size = 300 << 10
		tp := newTap(t, srv.Listener.Addr().String())
		c, err := net.Dial("tcp", tp.ln.Addr().String())
		require.NoError(t, err)
		head := "POST " + tt.path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n"
		_, err = c.Write([]byte(head + strings.Repeat("a", tt.first)))
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err, tt.path)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.EqualValues(t, tt.status, resp.StatusCode)
		// The rest of the body (the server may have stopped reading).
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		c.Write([]byte(strings.Repeat("b", size-tt.first)))
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		c.Close()
		<-tp.done
		tp.ln.Close()

		require.NotEmpty(t, tp.got, tt.path)
		e := tp.got[0]
		st := tp.conn.Stats()
		assert.Equal(t, parser.Complete, e.Kind, "%s: %+v", tt.path, st)
		assert.NotZero(t, e.ResponseFlags&parser.EarlyResponse, tt.path)
		code, _ := e.Response.Int(httpx.AttrStatusCode)
		assert.Equal(t, tt.status, code, tt.path)
		method, _ := e.Request.String(httpx.AttrMethod)
		assert.Equal(t, "POST", method)
		assert.Equal(t, uint64(1), st.EarlyResponses, tt.path)
		assert.Zero(t, st.Unmatched, tt.path)
		assert.Zero(t, st.Unanswered, tt.path)
		if e.RequestFlags&parser.Truncated == 0 {
			assert.Equal(t, len(head)+size, e.RequestSize, "%s: the rest of the body was framed", tt.path)
		}
	}
}

// TestLengthConflict is issue 14.7's regression: a request with both
// Transfer-Encoding: chunked and Content-Length (the request smuggling
// shape) is framed by Transfer-Encoding, flagged and counted (was: no
// flag).
func TestLengthConflict(t *testing.T) {
	p := httpx.Protocol()
	var got []*parser.Exchange
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) { got = append(got, e.Clone()) })
	smuggled := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\n0\r\n\r\n"
	plain := "GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
	c.Feed(parser.Request, []byte(smuggled+plain), time.Time{})
	c.Close(time.Time{})
	require.Len(t, got, 2)
	assert.Equal(t, len(smuggled), got[0].RequestSize, "framed by Transfer-Encoding")
	flag, ok := got[0].Request.Bool(httpx.AttrLengthConflict)
	assert.True(t, ok && flag)
	assert.False(t, got[1].Request.Has(httpx.AttrLengthConflict))
	path, _ := got[1].Request.String(httpx.AttrPath)
	assert.Equal(t, "/next", path)
	assert.Equal(t, int64(1), c.State().(*httpx.State).LengthConflicts())
}
