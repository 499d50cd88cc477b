package redis

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

// feedChunks runs one direction's decoder over msg as parser.Conn does
// when msg arrives in chunks of size n: each call gets the bytes buffered
// so far. It returns the framed length and the bytes the framer's scans
// covered.
func feedChunks(t *testing.T, dir parser.Direction, msg string, n int) (framed, scanned int) {
	t.Helper()
	p := &proto{l: Options{}.limits()}
	d := &decoder{p: p, f: framer{l: &p.l, st: new(State), req: dir == parser.Request}, dir: dir}
	d.f.args = &d.args
	var m parser.Message
	b := []byte(msg)
	for end := min(n, len(b)); ; end = min(end+n, len(b)) {
		var adv int
		var ok bool
		var err error
		if dir == parser.Request {
			adv, ok, _, err = d.request(&m, b[:end], false)
		} else {
			adv, ok, _, err = d.reply(&m, b[:end], false)
		}
		require.NoError(t, err)
		if ok {
			return adv, d.f.scanned
		}
		require.Less(t, end, len(b), "not framed when whole")
	}
}

// TestFramingLinear: framing a message that arrives in pieces scans each
// byte a bounded number of times, whatever the chunking (issue 14.1: the
// nested replies below, fed 7 bytes at a time, took seconds, the time
// growing with the square of their size). It counts the bytes scanned
// rather than timing: at most 4 times the message whole, plus 32 per
// chunk (the value a chunk ends in is read again).
func TestFramingLinear(t *testing.T) {
	for _, tt := range []struct {
		name string
		dir  parser.Direction
		msg  string
	}{
		{"nested arrays", parser.Response, strings.Repeat("*1\r\n", 40000) + ":1\r\n"},
		{"pairs", parser.Response, strings.Repeat("*2\r\n:1\r\n", 20000) + ":1\r\n"},
		{"long simple string", parser.Response, "+" + strings.Repeat("x", 60000) + "\r\n"},
		{"array of bulks", parser.Response, "*10000\r\n" + strings.Repeat("$3\r\nabc\r\n", 10000)},
		{"big bulk", parser.Response, "$200000\r\n" + strings.Repeat("y", 200000) + "\r\n"},
		{"request of many arguments", parser.Request, "*20000\r\n" + strings.Repeat("$1\r\nx\r\n", 20000)},
		{"long inline request", parser.Request, "SET k " + strings.Repeat("v", 60000) + "\r\n"},
	} {
		for _, n := range []int{1, 7, 1460} {
			if n == 1 && len(tt.msg) > 100000 {
				continue
			}
			framed, scanned := feedChunks(t, tt.dir, tt.msg, n)
			assert.Equal(t, len(tt.msg), framed, "%s in %d-byte chunks", tt.name, n)
			chunks := (len(tt.msg) + n - 1) / n
			assert.LessOrEqual(t, scanned, 4*len(tt.msg)+32*chunks, "%s in %d-byte chunks: %d bytes scanned for %d", tt.name, n, scanned, len(tt.msg))
		}
	}
}

// TestChunkingIndependentDetection is issue 14.4's regression: a request
// starting with a byte no command starts with is not Redis, whether its
// line has arrived whole or not, through Split and through the Sniffer.
func TestChunkingIndependentDetection(t *testing.T) {
	p := Protocol()
	for _, in := range []string{"\x86X\r\n", "\x86X"} {
		_, _, err := p.Split(nil, parser.Request)([]byte(in), false)
		assert.ErrorIs(t, err, parser.ErrNotProtocol, "%q", in)
	}
	stream := "\x86X\r\n" + cmd("SET", "k", "v")
	var whole []parser.ExchangeKind
	for _, cut := range []int{0, 1, 2, 3, 4, len(stream)} {
		var got []parser.ExchangeKind
		s := parser.NewSniffer(parser.NewDetector(p), DefaultPort, parser.SnifferOptions{}, func(e *parser.Exchange) {
			got = append(got, e.Kind)
		})
		if cut > 0 {
			s.Feed(parser.Request, []byte(stream[:cut]), time.Time{})
		}
		s.Feed(parser.Request, []byte(stream[cut:]), time.Time{})
		s.Close(time.Time{})
		if cut == 0 {
			whole = got
			assert.ErrorIs(t, s.Err(), parser.ErrUndetected)
			assert.Equal(t, uint64(len(stream)), s.Skipped()[parser.Request], "every byte counted")
			continue
		}
		assert.Equal(t, whole, got, "cut at %d", cut)
		assert.ErrorIs(t, s.Err(), parser.ErrUndetected, "cut at %d", cut)
	}
}
