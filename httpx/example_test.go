package httpx_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// Example drives the HTTP protocol over one captured keep-alive
// connection with parser.Conn: two pipelined requests (the second a
// HEAD), an interim 100 Continue, a chunked response and a response to
// HEAD that has no body although it announces a length.
func Example() {
	proto, err := httpx.NewProtocol(httpx.Options{ExtraHeaders: []string{"X-Request-Id"}})
	if err != nil {
		panic(err)
	}
	conn := parser.NewConn(proto, parser.ConnOptions{}, func(e *parser.Exchange) {
		method, _ := e.Request.String(httpx.AttrMethod)
		path, _ := e.Request.String(httpx.AttrPath)
		id, _ := e.Request.String("http.header.x-request-id")
		status, _ := e.Response.Int(httpx.AttrStatusCode)
		fmt.Printf("%s %s (id %s) -> %d, %d bytes, %d interim\n", method, path, id, status, e.ResponseSize, e.Interim)
	})
	now := time.Now()
	conn.Feed(parser.Request, []byte("POST /upload?v=2 HTTP/1.1\r\nHost: example.org\r\nX-Request-Id: 7\r\n"+
		"Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"+
		"HEAD /status HTTP/1.1\r\nHost: example.org\r\nx-request-id: 8\r\n\r\n"), now)
	conn.Feed(parser.Response, []byte("HTTP/1.1 100 Continue\r\n\r\n"), now)
	conn.Feed(parser.Response, []byte("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), now)
	conn.Feed(parser.Response, []byte("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"), now)
	conn.Close(now)
	// Output:
	// POST /upload?v=2 (id 7) -> 201, 64 bytes, 1 interim
	// HEAD /status (id 8) -> 200, 41 bytes, 0 interim
}

// ExampleParser_ParseRequest decodes a request head into a reused Request.
func ExampleParser_ParseRequest() {
	p := httpx.DefaultParser()
	var req httpx.Request
	for _, raw := range []string{
		"GET /search?q=go HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n",
		"GET /partial HTTP/1.1\r\nHost: exa",
		"GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
	} {
		err := p.ParseRequest(&req, []byte(raw))
		switch {
		case err == nil:
			fmt.Printf("%s %s host=%s keep-alive=%v head=%d bytes\n", req.Method, req.Target, req.Host, req.KeepAlive, req.Len)
		case errors.Is(err, parser.ErrShort):
			fmt.Println("need more bytes")
		default:
			fmt.Println("error:", errors.Is(err, httpx.ErrObsFold), errors.Is(err, parser.ErrMalformed))
		}
	}
	// Output:
	// GET /search?q=go host=example.org keep-alive=false head=67 bytes
	// need more bytes
	// error: true true
}

// ExampleState frames a response stream with bufio.SplitFunc semantics:
// the State knows the HEAD request had no body in its response.
func ExampleState() {
	s := httpx.DefaultParser().NewState()
	s.SplitRequest([]byte("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"), false)
	s.SplitRequest([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), false)
	stream := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
	for len(stream) > 0 {
		n, tok, err := s.SplitResponse(stream, true)
		if err != nil || n == 0 {
			fmt.Println(n, err)
			return
		}
		fmt.Printf("%q\n", tok)
		stream = stream[n:]
	}
	fmt.Println("pending:", s.Pending())
	// Output:
	// "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
	// "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
	// pending: 0
}
