package redis

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// Fuzz targets. Run them with, for example:
//
//	go test ./redis -run '^$' -fuzz '^FuzzSplit$' -fuzztime 30s
//
// Seeds: every distinct message of the corpus captures, the typed examples
// of the unit tests, and redcon's crasher "*1\r\n$-7\r\n".

// seedMessages returns the distinct requests and replies of the corpus.
func seedMessages(tb testing.TB) (reqs, resps [][]byte) {
	seen := map[string]bool{}
	for _, name := range corpusFiles {
		rq, rs, err := pcaptest.FileMessages(pcaptest.Corpus(name+".pcap"), Protocol())
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range rq {
			if !seen[string(m)] {
				seen[string(m)] = true
				reqs = append(reqs, m)
			}
		}
		for _, m := range rs {
			if !seen[string(m)] && len(m) < 64<<10 { // keep seeds small enough to mutate
				seen[string(m)] = true
				resps = append(resps, m)
			}
		}
	}
	// Replies recorded from redis-server (every RESP3 type; see replies_test.go).
	b, err := os.ReadFile("testdata/server_replies.txt")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			if r, err := hex.DecodeString(f[2]); err == nil && !seen[string(r)] {
				seen[string(r)] = true
				resps = append(resps, r)
			}
		}
	}
	if len(reqs) == 0 || len(resps) == 0 {
		tb.Fatal("no corpus messages")
	}
	return reqs, resps
}

// seedOne adds the corpus messages of one direction, then extraSeeds, to
// a fuzz target taking one []byte.
func seedOne(f *testing.F, responses bool) {
	msgs, resps := seedMessages(f)
	if responses {
		msgs = resps
	}
	for _, m := range msgs {
		f.Add(m)
	}
	for _, s := range extraSeeds {
		f.Add([]byte(s))
	}
}

var extraSeeds = []string{
	"*1\r\n$-7\r\n", // redcon panics on this
	"*3\r\n$3\r\nSET\r\n$4\r\nuser\r\n$3\r\nget\r\n",
	"SET \"a b\" 'c\\'d' \"\\x41\"\r\n",
	"|1\r\n+a\r\n:1\r\n*?\r\n$?\r\n;2\r\nab\r\n;0\r\n%?\r\n+k\r\n#t\r\n.\r\n.\r\n",
	">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n",
	"=7\r\ntxt:abc\r\n!3\r\nERR\r\n(12\r\n,1.5\r\n_\r\n~1\r\n:1\r\n",
	"*0\r\n", "*-1\r\n", "\r\n",
}

// FuzzSplit checks framing: no panic; advance within the input; a token is
// exactly the bytes consumed and frames the same with more bytes after it;
// a framed reply always parses, and so does a framed request array.
func FuzzSplit(f *testing.F) {
	reqs, resps := seedMessages(f)
	for _, m := range reqs {
		f.Add(m, false)
	}
	for _, m := range resps {
		f.Add(m, true)
	}
	for _, s := range extraSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	p := NewProtocol(Options{MaxBulk: 1 << 20, MaxElements: 1 << 12, MaxMessage: 4 << 20})
	f.Fuzz(func(t *testing.T, data []byte, response bool) {
		dir := parser.Request
		if response {
			dir = parser.Response
		}
		st := p.NewState().(*State)
		split := p.Split(st, dir)
		for _, atEOF := range []bool{false, true} {
			adv, tok, err := split(data, atEOF)
			if adv < 0 || adv > len(data) {
				t.Fatalf("advance %d of %d", adv, len(data))
			}
			if err != nil {
				if adv != 0 || tok != nil {
					t.Fatalf("error %v with advance %d", err, adv)
				}
				var pe *parser.Error
				if !errors.As(err, &pe) {
					t.Fatalf("error %T is not a *parser.Error", err)
				}
				continue
			}
			if tok == nil {
				if adv > 0 && dir == parser.Response {
					t.Fatal("a reply skipped without a token")
				}
				if atEOF && adv == 0 && len(data) > 0 {
					t.Fatal("need more at EOF")
				}
				continue
			}
			if !bytes.Equal(tok, data[:adv]) {
				t.Fatal("token is not the consumed bytes")
			}
			// The same message with bytes after it frames the same.
			adv2, tok2, err2 := p.Split(nil, dir)(append(bytes.Clone(data[:adv]), "+OK\r\n"...), false)
			if err2 != nil || adv2 != adv || !bytes.Equal(tok2, tok) {
				t.Fatalf("prefix framed differently: %d %v", adv2, err2)
			}
			var m parser.Message
			if dir == parser.Response {
				if !p.ParseResponse(&m, tok, nil, st) {
					t.Fatalf("framed reply %q does not parse: %v", tok, m.Err)
				}
			} else if tok[0] == '*' {
				if !p.ParseRequest(&m, tok, st) {
					t.Fatalf("framed request %q does not parse: %v", tok, m.Err)
				}
			}
		}
	})
}

// checkParsed checks the invariants of a parsed message: it was consumed
// whole unless flagged Truncated, and the attributes taken from the wire
// (key, error text) are bytes of the message.
func checkParsed(t *testing.T, m *parser.Message, data []byte) {
	if m.Flags&parser.Truncated == 0 && m.Offset != len(data) {
		t.Fatalf("parsed %d of %d bytes", m.Offset, len(data))
	}
	if inline, _ := m.Attrs.Bool(AttrInline); inline {
		return // inline keys may be decoded from quotes and escapes
	}
	for _, k := range []string{AttrKey, AttrError, AttrErrorPrefix, AttrPush} {
		if v, ok := m.Attrs.String(k); ok && !bytes.Contains(data, []byte(v)) {
			t.Fatalf("%s %q is not in the message", k, v)
		}
	}
}

// FuzzParseRequest runs the request tree on arbitrary bytes, as a complete
// message (possibly truncated).
func FuzzParseRequest(f *testing.F) {
	seedOne(f, false)
	p := NewProtocol(Options{MaxBulk: 1 << 20, MaxElements: 1 << 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m parser.Message
		st := p.NewState()
		if p.ParseRequest(&m, data, st) {
			checkParsed(t, &m, data)
			if c, ok := m.Attrs.String(AttrCommand); ok && asciiUpper([]byte(c)) != c {
				t.Fatalf("command %q not upper case", c)
			}
		} else if m.Err == nil && !p.Request.FastFail(&parser.Message{Data: data}) {
			t.Fatal("failed without a reason")
		}
	})
}

// FuzzParseResponse runs the response tree on arbitrary bytes, with and
// without a pending (UN)SUBSCRIBE, on a subscribed connection.
func FuzzParseResponse(f *testing.F) {
	seedOne(f, true)
	p := NewProtocol(Options{MaxBulk: 1 << 20, MaxElements: 1 << 12})
	var req parser.Message
	if !p.ParseRequest(&req, []byte(cmd("SUBSCRIBE", "a", "b")), nil) {
		f.Fatal(req.Err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m parser.Message
		st := &State{subscribed: true}
		for _, r := range []*parser.Attributes{nil, &req.Attrs} {
			if p.ParseResponse(&m, data, r, st) {
				checkParsed(t, &m, data)
				if _, ok := m.Attrs.String(AttrType); !ok {
					t.Fatal("parsed reply without a type")
				}
			} else if m.Err == nil && !p.Response.FastFail(&parser.Message{Data: data}) {
				t.Fatal("failed without a reason")
			}
		}
	})
}

// FuzzShortRequestLen checks the tight framing pass against the general
// one: whenever shortRequestLen accepts bytes, anyRequestLen must frame
// them to the same length with the same arguments, under default limits
// and under limits small enough to bite.
func FuzzShortRequestLen(f *testing.F) {
	seedOne(f, false)
	f.Add([]byte("*2\r\n$03\r\nGET\r\n$99\r\n" + strings.Repeat("k", 99) + "\r\n"))
	lims := []limits{
		Options{}.limits(),
		Options{MaxBulk: 98, MaxElements: 2, MaxMessage: 40}.limits(),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range lims {
			var short, general argList
			n, ok := l.shortRequestLen(data, &short)
			if !ok {
				continue
			}
			gn, skip, err := l.anyRequestLen(data, &general, nil)
			if err != nil || skip || gn != n {
				t.Fatalf("short framed %d bytes, general %d, %v, skip %v", n, gn, err, skip)
			}
			if short.n != general.n || short.avail != general.avail || short.inline {
				t.Fatalf("counts: short %d/%d, general %d/%d", short.n, short.avail, general.n, general.avail)
			}
			for i := 0; i < short.n; i++ {
				if !bytes.Equal(short.arg(i), general.arg(i)) {
					t.Fatalf("argument %d: short %q, general %q", i, short.arg(i), general.arg(i))
				}
			}
		}
	})
}
