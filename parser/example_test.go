package parser_test

import (
	"bufio"
	"bytes"
	"fmt"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// A toy protocol, "GET <key>\n" answered by "VAL <value>\n" or "ERR <text>\n",
// shows the pieces a protocol package provides: a framing function, a
// request tree and a response tree whose children branch on the reply kind.
func newToyProtocol() *parser.Protocol {
	const (
		attrCommand = "toy.command"
		attrKey     = "toy.key"
		attrValue   = "toy.value"
		attrError   = "toy.error"
	)
	split := func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i+1], nil
		}
		if atEOF && len(data) > 0 {
			return 0, nil, parser.ErrShort
		}
		return 0, nil, nil
	}
	// word reads "<WORD> " at the offset and moves past it.
	word := func(m *parser.Message, w string) bool {
		if !bytes.HasPrefix(m.Rest(), []byte(w+" ")) {
			return false
		}
		m.Advance(len(w) + 1)
		return true
	}
	rest := func(m *parser.Message) []byte { return bytes.TrimSuffix(m.Rest(), []byte("\n")) }

	req := parser.NewPkgParser("get",
		func(m *parser.Message) bool { return !bytes.HasPrefix(m.Data, []byte("GET ")) },
		func(m *parser.Message) (bool, bool) {
			word(m, "GET")
			m.Attrs.SetString(attrCommand, "GET")
			m.Attrs.SetBytesString(attrKey, rest(m))
			return true, true
		})
	// The response root only checks the line; its children decide the kind.
	resp := parser.NewPkgParser("reply", nil, func(m *parser.Message) (bool, bool) {
		return len(m.Data) > 0 && m.Data[len(m.Data)-1] == '\n', false
	}).Add(
		parser.NewPkgParser("val", nil, func(m *parser.Message) (bool, bool) {
			if !word(m, "VAL") {
				return false, false
			}
			m.Attrs.SetBytesString(attrValue, rest(m))
			return true, true
		}),
		parser.NewPkgParser("err", nil, func(m *parser.Message) (bool, bool) {
			if !word(m, "ERR") {
				return false, false
			}
			m.Attrs.SetBytesString(attrError, rest(m))
			return true, true
		}),
	)
	return &parser.Protocol{
		Name:     "toy",
		Request:  req,
		Response: resp,
		Split:    func(any, parser.Direction) bufio.SplitFunc { return split },
		Pairing:  parser.PairInOrder,
	}
}

// Drive a protocol over both directions of a connection and get paired
// exchanges. Messages may be split anywhere and pipelined.
func ExampleConn() {
	conn := parser.NewConn(newToyProtocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		fmt.Printf("%s %s request=%s response=%s latency=%v\n",
			e.Protocol, e.Kind, e.Request.AppendJSON(nil), e.Response.AppendJSON(nil), e.Latency())
	})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	conn.Feed(parser.Request, []byte("GET color\nGET si"), t0)
	conn.Feed(parser.Request, []byte("ze\n"), t0)
	conn.Feed(parser.Response, []byte("VAL blue\nERR no such key\n"), t0.Add(150*time.Microsecond))
	conn.Close(t0.Add(time.Second))
	s := conn.Stats()
	fmt.Println("exchanges:", s.Exchanges, "unanswered:", s.Unanswered)
	// Output:
	// toy complete request={"toy.command":"GET","toy.key":"color"} response={"toy.value":"blue"} latency=150µs
	// toy complete request={"toy.command":"GET","toy.key":"size"} response={"toy.error":"no such key"} latency=150µs
	// exchanges: 2 unanswered: 0
}

// Detect which protocols a new stream may speak from its first bytes.
func ExampleDetector() {
	d := parser.NewDetector(newToyProtocol())
	for _, first := range []string{"GET color\n", "*1\r\n$4\r\nPING\r\n"} {
		fmt.Printf("%q: %d candidate(s)\n", first, len(d.Detect(parser.Request, []byte(first), 0)))
	}
	// Output:
	// "GET color\n": 1 candidate(s)
	// "*1\r\n$4\r\nPING\r\n": 0 candidate(s)
}

// Frame and parse a buffered stream one message per call, reusing one
// Message: each call says how many bytes it took, or that it needs more.
func ExampleProtocol_Decoder() {
	p := newToyProtocol()
	decode := p.Decoder(nil, parser.Request)
	buf := []byte("GET color\nPUT x\nGET si")
	var m parser.Message
	for {
		n, framed, ok, err := decode(&m, buf, false)
		if err != nil || n == 0 {
			fmt.Printf("need more: %q\n", buf)
			break
		}
		if framed {
			fmt.Printf("%q matched=%v %s\n", m.Data, ok, m.Attrs.AppendJSON(nil))
		}
		buf = buf[n:]
	}
	// Output:
	// "GET color\n" matched=true {"toy.command":"GET","toy.key":"color"}
	// "PUT x\n" matched=false {}
	// need more: "GET si"
}
