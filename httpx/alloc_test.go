//go:build !race

package httpx_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// TestNoAllocs: decoding, framing and the parser trees allocate nothing
// in steady state (reused Message, Request, Response and State).
func TestNoAllocs(t *testing.T) {
	req, resp, chunked := payload(t, "http_get_req"), payload(t, "http_200_1k_resp"), chunkedResponse(t)
	p, err := httpx.NewParser(httpx.Options{ExtraHeaders: []string{"traceparent", "server"}})
	if err != nil {
		t.Fatal(err)
	}
	proto := p.Protocol()
	m, mresp := &parser.Message{}, &parser.Message{}
	var rq httpx.Request
	var rs httpx.Response
	s := p.NewState()
	stream := append(append(append([]byte{}, req...), req...), req...)
	cases := map[string]func(){
		"fastFail": func() { proto.Request.FastFail(m) },
		"decode request": func() {
			if err := p.ParseRequest(&rq, req); err != nil {
				t.Fatal(err)
			}
		},
		"decode response": func() {
			if err := p.ParseResponse(&rs, resp); err != nil {
				t.Fatal(err)
			}
		},
		"tree request": func() {
			if !proto.ParseRequest(m, req, nil) {
				t.Fatal(m.Err)
			}
		},
		"tree pair": func() {
			if !proto.ParseRequest(m, req, nil) || !proto.ParseResponse(mresp, resp, &m.Attrs, nil) {
				t.Fatal(m.Err, mresp.Err)
			}
		},
		"tree chunked": func() {
			if !proto.ParseResponse(mresp, chunked, nil, nil) {
				t.Fatal(mresp.Err)
			}
		},
		"split pipelined and chunked": func() {
			for b := stream; len(b) > 0; {
				n, _, err := s.SplitRequest(b, false)
				if err != nil || n == 0 {
					t.Fatal(n, err)
				}
				b = b[n:]
			}
			for range 3 {
				if n, _, err := s.SplitResponse(chunked, false); n != len(chunked) || err != nil {
					t.Fatal(n, err)
				}
			}
		},
	}
	m.Data = req
	for name, f := range cases {
		f() // warm up: attribute storage grows once
		assert.Zero(t, testing.AllocsPerRun(200, f), name)
	}
}

// TestConnNoAllocs: parser.Conn driving httpx over a keep-alive
// connection allocates nothing per exchange once warmed up.
func TestConnNoAllocs(t *testing.T) {
	req, resp := payload(t, "http_get_req"), payload(t, "http_200_1k_resp")
	n := 0
	c := parser.NewConn(httpx.Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		if e.Kind == parser.Complete {
			n++
		}
	})
	ts := time.Unix(0, 0)
	f := func() {
		c.Feed(parser.Request, req, ts)
		c.Feed(parser.Response, resp[:100], ts)
		c.Feed(parser.Response, resp[100:], ts)
	}
	f()
	assert.Zero(t, testing.AllocsPerRun(200, f))
	assert.Equal(t, 202, n)
}
