package mysql

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// seedMessages adds every framed message of the MySQL captures, in
// both directions (the direction is the first byte of a fuzz input).
func seedMessages(f *testing.F) {
	for _, name := range pcaptest.CorpusCaptures("mysql_") {
		reqs, resps, err := pcaptest.FileMessages(pcaptest.Corpus(name+".pcap"), Protocol())
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range reqs {
			f.Add(append([]byte{0}, m...))
		}
		for _, m := range resps {
			f.Add(append([]byte{1}, m...))
		}
	}
}

// FuzzParse parses arbitrary bytes as a request or a response (with and
// without connection state and a request): no panic, the offset stays
// within the message.
func FuzzParse(f *testing.F) {
	seedMessages(f)
	p := Protocol()
	redacting := NewProtocol(Options{RedactLiterals: true})
	var req parser.Attributes
	req.SetString(AttrCommand, "QUERY")
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		dir, data := parser.Direction(in[0]&1), in[1:]
		for _, proto := range []*parser.Protocol{p, redacting} {
			var m parser.Message
			for _, state := range []any{nil, proto.NewState()} {
				if dir == parser.Request {
					proto.ParseRequest(&m, data, state)
				} else {
					proto.ParseResponse(&m, data, nil, state)
					proto.ParseResponse(&m, data, &req, state)
				}
				if m.Offset > len(data) {
					t.Fatalf("offset %d past %d bytes", m.Offset, len(data))
				}
			}
		}
	})
}

// FuzzConnChunking feeds arbitrary bytes (the first half as requests, the
// second as responses) through parser.Conn whole and in pieces whose
// sizes the input chooses: the exchanges and counters must be the same.
func FuzzConnChunking(f *testing.F) {
	for _, name := range pcaptest.CorpusCaptures("mysql_") {
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range streams {
			req, resp := s.Data[parser.Request], s.Data[parser.Response]
			req, resp = req[:min(len(req), 2048)], resp[:min(len(resp), 2048)]
			f.Add(append(append([]byte(nil), req...), resp...), uint16(len(req)), []byte{1, 7, 3, 200})
		}
	}
	p := Protocol()
	f.Fuzz(func(t *testing.T, data []byte, split uint16, cuts []byte) {
		cut := min(int(split), len(data))
		halves := [2][]byte{data[:cut], data[cut:]}
		whole := feedConn(p, halves, nil)
		pieces := feedConn(p, halves, cuts)
		if !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("chunking changed the result:\nwhole  %v\npieces %v", whole, pieces)
		}
	})
}

// feedConn feeds each direction's bytes (requests first) in pieces sized
// by cuts (whole when cuts is empty) and returns what the Conn reported.
func feedConn(p *parser.Protocol, halves [2][]byte, cuts []byte) []any {
	var out []any
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
		x := []any{e.Kind, e.RequestSize, e.ResponseSize, e.RequestErr != nil, e.ResponseErr != nil}
		if e.Request != nil {
			x = append(x, e.Request.Map())
		}
		if e.Response != nil {
			x = append(x, e.Response.Map())
		}
		out = append(out, x)
	})
	ts := time.Unix(0, 0)
	i := 0
	for dir, b := range halves {
		for len(b) > 0 {
			n := len(b)
			if len(cuts) > 0 {
				n = min(len(b), 1+int(cuts[i%len(cuts)]))
				i++
			}
			c.Feed(parser.Direction(dir), b[:n], ts)
			b = b[n:]
		}
	}
	c.Close(ts)
	st := c.Stats()
	st.BufferedMaxSize = [2]int{} // depends on the pieces
	return append(out, st)
}

// FuzzOperations splits arbitrary text into statements: no panic, at
// most maxOperations distinct upper-case keywords of at most maxKeyword
// letters, and a statement put first is always listed.
func FuzzOperations(f *testing.F) {
	for _, s := range []string{"SELECT 1; DROP TABLE t", "/* c */ (select 1)", "SELECT 'a\\'; b'; c", "$$;$$; x", "/*!1 DROP */", "-- x\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		ops := string(appendOperations(nil, sql))
		words := strings.Fields(ops)
		if len(words) > maxOperations || strings.Join(words, " ") != ops {
			t.Fatalf("%q: %q", sql, ops)
		}
		seen := map[string]bool{}
		for _, w := range words {
			if len(w) > maxKeyword || strings.Trim(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" || seen[w] {
				t.Fatalf("%q: bad or repeated keyword %q in %q", sql, w, ops)
			}
			seen[w] = true
		}
		if first := strings.Fields(string(appendOperations(nil, "TRUNCATE t; "+sql))); len(first) == 0 || first[0] != "TRUNCATE" {
			t.Fatalf("%q: the first statement not listed first: %v", sql, first)
		}
	})
}
