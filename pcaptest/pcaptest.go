package pcaptest

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/reassembly"
)

// Stream is one reassembled TCP connection. Index Data and Gaps with
// parser.Request (client to server) and parser.Response (server to client).
type Stream struct {
	ID             uint64
	Client, Server netip.AddrPort
	// SideRule says how the client side was decided.
	SideRule reassembly.SideRule
	// Start is the capture time of the connection's first segment.
	Start time.Time
	// Data holds each direction's bytes in order. Bytes lost in a gap are
	// absent (see Gaps).
	Data [2][]byte
	// Chunks are the Data callbacks as delivered: each direction's bytes as
	// they arrived, in arrival order across both directions, with times.
	Chunks []Chunk
	// Gaps counts bytes lost per direction.
	Gaps [2]int
	// Closed says why the connection ended.
	Closed reassembly.CloseReason
}

// Chunk is one delivery of in-order bytes (Len == 0 and Gap > 0 for a gap).
type Chunk struct {
	Dir  parser.Direction
	Off  int // offset into Stream.Data[Dir]
	Len  int
	Gap  int // bytes lost before this point, for a gap chunk
	Time time.Time
}

// Bytes returns the chunk's bytes from s.
func (c Chunk) Bytes(s *Stream) []byte { return s.Data[c.Dir][c.Off : c.Off+c.Len] }

// ReadStreams reassembles every TCP connection of a pcap or pcapng capture,
// in order of connection opening.
func ReadStreams(r io.Reader) ([]*Stream, error) {
	c := &collector{}
	a := reassembly.NewAssembler(c, reassembly.Options{})
	if _, err := reassembly.ReadPcap(r, a); err != nil {
		return nil, err
	}
	a.FlushAll()
	return c.streams, nil
}

// ReadFile is ReadStreams on a file.
func ReadFile(path string) ([]*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadStreams(f)
}

type collector struct{ streams []*Stream }

func (c *collector) New(s *reassembly.Stream) reassembly.Handler {
	st := &Stream{ID: s.ID(), Client: s.Client(), Server: s.Server(), SideRule: s.SideRule(), Start: s.Start()}
	c.streams = append(c.streams, st)
	return &handler{st}
}

type handler struct{ s *Stream }

func (h *handler) Data(_ *reassembly.Stream, dir reassembly.Dir, data []byte, ts time.Time) {
	d, s := parser.Direction(dir), h.s
	s.Chunks = append(s.Chunks, Chunk{Dir: d, Off: len(s.Data[d]), Len: len(data), Time: ts})
	s.Data[d] = append(s.Data[d], data...)
}

func (h *handler) Gap(_ *reassembly.Stream, dir reassembly.Dir, _ uint64, n int) {
	d, s := parser.Direction(dir), h.s
	s.Gaps[d] += n
	s.Chunks = append(s.Chunks, Chunk{Dir: d, Off: len(s.Data[d]), Gap: n})
}

func (h *handler) Close(_ *reassembly.Stream, reason reassembly.CloseReason) { h.s.Closed = reason }

// Messages frames the stream's bytes in direction dir with p's framing and
// returns the messages (copies). For protocols whose response framing
// depends on the requests (HTTP after HEAD), requests are framed first with
// the same per-connection state. Framing stops at the first error, which is
// returned with the messages framed before it.
func Messages(p *parser.Protocol, s *Stream, dir parser.Direction) ([][]byte, error) {
	var state any
	if p.NewState != nil {
		state = p.NewState()
	}
	if dir == parser.Response {
		if _, err := frame(p.Decoder(state, parser.Request), s.Data[parser.Request]); err != nil {
			return nil, fmt.Errorf("pcaptest: framing requests first: %w", err)
		}
	}
	return frame(p.Decoder(state, dir), s.Data[dir])
}

// frame runs a direction's decoder (the path parser.Conn takes) over b.
func frame(decode parser.DecodeFunc, b []byte) ([][]byte, error) {
	var out [][]byte
	var m parser.Message
	for len(b) > 0 {
		adv, framed, _, err := decode(&m, b, true)
		if err != nil {
			return out, err
		}
		if adv <= 0 || adv > len(b) {
			return out, fmt.Errorf("pcaptest: framing stalled with %d bytes left", len(b))
		}
		if framed {
			out = append(out, bytes.Clone(m.Data))
		}
		b = b[adv:]
	}
	return out, nil
}

// FileMessages reassembles a capture and frames every connection with p,
// returning all requests and all responses. Connections p cannot frame
// (other protocols in the same file) are skipped: it is meant for seeding,
// not for checking.
func FileMessages(path string, p *parser.Protocol) (requests, responses [][]byte, err error) {
	streams, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range streams {
		rq, _ := Messages(p, s, parser.Request)
		rs, _ := Messages(p, s, parser.Response)
		requests = append(requests, rq...)
		responses = append(responses, rs...)
	}
	return requests, responses, nil
}

// Exchanges runs p over every connection of the capture with parser.Conn,
// feeding the bytes in the order and chunks they were captured, and returns
// the exchanges (owned copies) with the connection each came from, plus the
// Conn statistics summed over connections.
func Exchanges(path string, p *parser.Protocol) ([]Exchange, parser.ConnStats, error) {
	streams, err := ReadFile(path)
	if err != nil {
		return nil, parser.ConnStats{}, err
	}
	var out []Exchange
	var total parser.ConnStats
	for _, s := range streams {
		conn := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
			out = append(out, Exchange{Stream: s, Exchange: e.Clone()})
		})
		Replay(s, conn)
		addStats(&total, conn.Stats())
	}
	return out, total, nil
}

// Replay feeds a stream's chunks and gaps to conn (a *parser.Conn or
// *parser.Sniffer) in capture order, then closes it.
func Replay(s *Stream, conn Feeder) {
	var last time.Time
	for _, c := range s.Chunks {
		if c.Gap > 0 {
			conn.Gap(c.Dir, c.Gap)
			continue
		}
		conn.Feed(c.Dir, c.Bytes(s), c.Time)
		last = c.Time
	}
	conn.Close(last)
}

// Exchange is a parser.Exchange with the connection it came from.
type Exchange struct {
	Stream *Stream
	*parser.Exchange
}

func addStats(t *parser.ConnStats, s parser.ConnStats) {
	for d := range 2 {
		t.Messages[d] += s.Messages[d]
		t.ParseErrors[d] += s.ParseErrors[d]
		t.Truncated[d] += s.Truncated[d]
		t.Gaps[d] += s.Gaps[d]
		t.GapBytes[d] += s.GapBytes[d]
		t.SkippedBytes[d] += s.SkippedBytes[d]
		t.FramingErrors[d] += s.FramingErrors[d]
		if t.StoppedByError[d] == nil {
			t.StoppedByError[d] = s.StoppedByError[d]
		}
		t.BufferedMaxSize[d] = max(t.BufferedMaxSize[d], s.BufferedMaxSize[d])
	}
	t.Exchanges += s.Exchanges
	t.OneWay += s.OneWay
	t.Unanswered += s.Unanswered
	t.Evicted += s.Evicted
	t.Unmatched += s.Unmatched
	t.Pushes += s.Pushes
	t.Interim += s.Interim
}
