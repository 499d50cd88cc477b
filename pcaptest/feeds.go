package pcaptest

import (
	"math/rand/v2"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// Feeder is what a stream is replayed into: a *parser.Conn or a
// *parser.Sniffer.
type Feeder interface {
	Feed(dir parser.Direction, data []byte, ts time.Time)
	Gap(dir parser.Direction, n int)
	Close(ts time.Time)
}

// Feed is one way of cutting a stream's bytes before handing them to a
// parser. A parser must report the same exchanges for every Feed.
type Feed struct {
	Name string
	// Replay hands s to f and closes f. rng drives the random cuts.
	Replay func(s *Stream, f Feeder, rng *rand.Rand)
}

// Feeds returns the cuttings every parser should be indifferent to (a
// chunking test): the segments as captured, one byte at a time, random
// pieces of 1 to 97 bytes, and each direction whole with the requests
// first. Gaps are passed on in the first three; the last has none to
// pass, since the Data it concatenates already lacks the lost bytes.
func Feeds() []Feed {
	return []Feed{
		{"captured segments", func(s *Stream, f Feeder, _ *rand.Rand) { Replay(s, f) }},
		{"one byte at a time", func(s *Stream, f Feeder, _ *rand.Rand) {
			cut(s, f, func(int) int { return 1 })
		}},
		{"random splits", func(s *Stream, f Feeder, rng *rand.Rand) {
			cut(s, f, func(n int) int { return 1 + rng.IntN(min(n, 97)) })
		}},
		{"whole streams, requests first", func(s *Stream, f Feeder, _ *rand.Rand) {
			f.Feed(parser.Request, s.Data[parser.Request], s.Start)
			f.Feed(parser.Response, s.Data[parser.Response], s.Start)
			f.Close(s.Start)
		}},
	}
}

// cut replays s with every chunk cut into pieces of size(remaining) bytes.
func cut(s *Stream, f Feeder, size func(remaining int) int) {
	var last time.Time
	for _, c := range s.Chunks {
		if c.Gap > 0 {
			f.Gap(c.Dir, c.Gap)
			continue
		}
		for b := c.Bytes(s); len(b) > 0; {
			n := size(len(b))
			f.Feed(c.Dir, b[:n], c.Time)
			b = b[n:]
		}
		last = c.Time
	}
	f.Close(last)
}
