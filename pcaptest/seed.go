package pcaptest

import (
	"testing"

	"github.com/wirekit/wirekit/parser"
)

// Seed adds every message of direction dir that p frames out of the capture
// at path to f's seed corpus. It fails the test if the capture cannot be
// read or yields no message.
func Seed(f *testing.F, path string, p *parser.Protocol, dir parser.Direction) {
	f.Helper()
	reqs, resps, err := FileMessages(path, p)
	if err != nil {
		f.Fatalf("pcaptest: %s: %v", path, err)
	}
	msgs := reqs
	if dir == parser.Response {
		msgs = resps
	}
	if len(msgs) == 0 {
		f.Fatalf("pcaptest: %s: no %s framed as %s", path, dir, p.Name)
	}
	for _, m := range msgs {
		f.Add(m)
	}
}
