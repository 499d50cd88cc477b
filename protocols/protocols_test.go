package protocols_test

import (
	"strings"
	"testing"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/protocols"
)

func TestAllDetectsEachProtocolsOwnFirstBytes(t *testing.T) {
	cases := map[string][]byte{
		"http":  []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"redis": []byte("*1\r\n$4\r\nPING\r\n"),
		// Kafka ApiVersions v3 request header, client id "c".
		"kafka":  {0, 0, 0, 13, 0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 'c', 0, 0},
		"dubbo2": {0xda, 0xbb, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0},
	}
	det := parser.NewDetector(protocols.All()...)
	for name, first := range cases {
		got := det.Detect(parser.Request, first, 0)
		if len(got) == 0 || got[0].Name != name {
			var names []string
			for _, p := range got {
				names = append(names, p.Name)
			}
			t.Errorf("%s first bytes: detected %v, want %s first", name, names, name)
		}
	}
	for _, name := range protocols.Names() {
		if p := protocols.ByName(name); p == nil || p.Name != name {
			t.Errorf("ByName(%q) = %v", name, p)
		}
	}
	if protocols.ByName("nope") != nil {
		t.Error("ByName of an unknown name is not nil")
	}
}

// TestAllDetectsCorpusConnections: the first bytes of every connection of
// every corpus capture (whichever side spoke first: a MySQL server's
// greeting, a PostgreSQL startup or SSLRequest, a client's first request)
// detect the capture's protocol first among all built-in ones, on their
// own, without the server port.
func TestAllDetectsCorpusConnections(t *testing.T) {
	det := parser.NewDetector(protocols.All()...)
	n := 0
	for _, name := range pcaptest.CorpusCaptures("") {
		want, _, _ := strings.Cut(name, "_")
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range streams {
			var first *pcaptest.Chunk
			for i := range s.Chunks {
				if s.Chunks[i].Gap == 0 && s.Chunks[i].Len > 0 {
					first = &s.Chunks[i]
					break
				}
			}
			if first == nil {
				continue
			}
			got := det.Detect(first.Dir, first.Bytes(s), 0)
			if len(got) == 0 || got[0].Name != want {
				var names []string
				for _, p := range got {
					names = append(names, p.Name)
				}
				t.Errorf("%s %v: first %d bytes (%v) detected %v, want %s first", name, s.Client, first.Len, first.Dir, names, want)
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d connections checked", n)
	}
	t.Logf("%d connections", n)
}
