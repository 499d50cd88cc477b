package pcaptest

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// Conversation is a connection's bytes as a list of chunks of either
// direction, in the order they travelled: the input of the chunking fuzz
// targets. Encode writes it as a fuzz input (each chunk: one direction
// byte, a 2-byte big-endian length, the bytes), DecodeConversation reads
// one back from any bytes.
type Conversation []ConvChunk

// ConvChunk is one chunk of a Conversation.
type ConvChunk struct {
	Dir  parser.Direction
	Data []byte
}

// Encode returns c as a fuzz input.
func (c Conversation) Encode() []byte {
	var out []byte
	for _, ch := range c {
		for b := ch.Data; len(b) > 0; {
			n := min(len(b), 0xffff)
			out = append(out, byte(ch.Dir))
			out = binary.BigEndian.AppendUint16(out, uint16(n))
			out = append(out, b[:n]...)
			b = b[n:]
		}
	}
	return out
}

// DecodeConversation reads a Conversation from any bytes (a fuzz input):
// the direction is the low bit of each chunk's first byte, a length past
// the end takes what is left.
func DecodeConversation(b []byte) Conversation {
	var c Conversation
	for len(b) >= 3 {
		dir := parser.Direction(b[0] & 1)
		n := min(int(binary.BigEndian.Uint16(b[1:3])), len(b)-3)
		if n > 0 {
			c = append(c, ConvChunk{dir, b[3 : 3+n]})
		}
		b = b[3+n:]
	}
	return c
}

// StreamConversation returns the first max bytes of a captured stream as a
// Conversation (for seeding), its gaps left out.
func StreamConversation(s *Stream, max int) Conversation {
	var c Conversation
	total := 0
	for _, ch := range s.Chunks {
		if ch.Gap > 0 || total >= max {
			continue
		}
		b := ch.Bytes(s)
		b = b[:min(len(b), max-total)]
		total += len(b)
		c = append(c, ConvChunk{ch.Dir, b})
	}
	return c
}

// SeedChunking adds the first max bytes of every connection of the
// corpus captures whose name starts with prefix to a fuzz target taking
// (conversation []byte, cuts uint64).
func SeedChunking(f interface{ Add(args ...any) }, prefix string, max int) error {
	for _, name := range CorpusCaptures(prefix) {
		streams, err := ReadFile(Corpus(name + ".pcap"))
		if err != nil {
			return err
		}
		for i, s := range streams {
			if c := StreamConversation(s, max); len(c) > 0 {
				f.Add(c.Encode(), uint64(i)*0x9e3779b97f4a7c15+1)
			}
		}
	}
	return nil
}

// FuzzChunking is a protocol's chunking fuzz target: seeded with the first
// max bytes of every connection of the corpus captures whose name starts
// with prefix (SeedChunking), it checks each conversation with
// CheckChunking and fails on the first difference. A protocol package's
// whole target is
//
//	func FuzzChunking(f *testing.F) { pcaptest.FuzzChunking(f, Protocol(), "redis_", 1024) }
func FuzzChunking(f *testing.F, p *parser.Protocol, prefix string, max int) {
	if err := SeedChunking(f, prefix, max); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, conv []byte, cuts uint64) {
		if err := CheckChunking(p, DecodeConversation(conv), cuts); err != nil {
			t.Fatal(err)
		}
	})
}

// CheckChunking feeds the conversation to p through a parser.Conn and
// through a parser.Sniffer (with a Detector of p alone), each as its
// chunks come and then with every chunk cut into pieces (their sizes
// drawn from cuts, a seed: 1 byte, a few bytes, up to a segment), and
// returns an error naming the first difference: the exchanges reported
// (kind, sizes, flags, errors, every attribute) and the counters must not
// depend on how the bytes were cut (issue 14.4).
func CheckChunking(p *parser.Protocol, conv Conversation, cuts uint64) error {
	for _, sniff := range []bool{false, true} {
		whole := runChunks(p, sniff, conv, nil)
		for _, mode := range []uint64{1, 7, cuts | 1<<63} {
			rng := mode
			got := runChunks(p, sniff, conv, &rng)
			if got != whole {
				return fmt.Errorf("sniffer=%v, cuts %#x: chunked:\n%s\nwhole:\n%s", sniff, mode, got, whole)
			}
		}
	}
	return nil
}

// runChunks feeds conv and describes what came out. A nil rng feeds each
// chunk whole; *rng 1 or 7 cuts in pieces of that size; any other value
// seeds random pieces of 1 to 1460 bytes.
func runChunks(p *parser.Protocol, sniff bool, conv Conversation, rng *uint64) string {
	var sb strings.Builder
	emit := func(e *parser.Exchange) { describe(&sb, e) }
	var f Feeder
	var conn func() *parser.Conn
	var sn *parser.Sniffer
	if sniff {
		sn = parser.NewSniffer(parser.NewDetector(p), 0, parser.SnifferOptions{}, emit)
		f, conn = sn, sn.Conn
	} else {
		c := parser.NewConn(p, parser.ConnOptions{}, emit)
		f, conn = c, func() *parser.Conn { return c }
	}
	var ts time.Time
	for _, ch := range conv {
		for b := ch.Data; len(b) > 0; {
			n := len(b)
			if rng != nil {
				switch *rng {
				case 1, 7:
					n = min(n, int(*rng))
				default:
					*rng = *rng*6364136223846793005 + 1442695040888963407
					n = min(n, 1+int(*rng>>33)%1460)
				}
			}
			f.Feed(ch.Dir, b[:n], ts)
			b = b[n:]
		}
	}
	f.Close(ts)
	if c := conn(); c != nil {
		st := c.Stats()
		st.BufferedMaxSize = [2]int{} // depends on the cutting by design
		fmt.Fprintf(&sb, "stats %+v\n", st)
	}
	if sn != nil {
		fmt.Fprintf(&sb, "sniffer err=%v skipped=%v\n", sn.Err(), sn.Skipped())
	}
	return sb.String()
}

// describe writes an exchange, every field that must not depend on the
// cutting.
func describe(sb *strings.Builder, e *parser.Exchange) {
	fmt.Fprintf(sb, "%v seq=%d sizes=%d/%d flags=%d/%d interim=%d reason=%v errs=%v/%v\n",
		e.Kind, e.RequestSeq, e.RequestSize, e.ResponseSize, e.RequestFlags, e.ResponseFlags,
		e.Interim, e.Reason, e.RequestErr, e.ResponseErr)
	for _, a := range []*parser.Attributes{e.Request, e.Response} {
		if a == nil {
			continue
		}
		for k, v := range a.All() {
			fmt.Fprintf(sb, "  %s=%q\n", k, v.String())
		}
	}
}
