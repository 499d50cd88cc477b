package mysql

import (
	"strings"
	"testing"

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

// FuzzChunking feeds a conversation (seeded with the first bytes of every
// mysql corpus connection, in the order they travelled) through parser.Conn
// and a parser.Sniffer, whole and cut into 1-, 7- and random-byte pieces:
// the exchanges (kind, sizes, flags, errors, every attribute) and the
// counters must not depend on the cutting (pcaptest.CheckChunking, as for
// every protocol).
func FuzzChunking(f *testing.F) {
	if err := pcaptest.SeedChunking(f, "mysql_", 2048); err != nil {
		f.Fatal(err)
	}
	p := Protocol()
	f.Fuzz(func(t *testing.T, conv []byte, cuts uint64) {
		if err := pcaptest.CheckChunking(p, pcaptest.DecodeConversation(conv), cuts); err != nil {
			t.Fatal(err)
		}
	})
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
