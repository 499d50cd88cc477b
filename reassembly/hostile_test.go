package reassembly

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accountant is a Handler that counts what it is given, for checking the
// byte accounting of Stats against what the consumer actually saw.
type accountant struct {
	delivered, gapped uint64
	// per stream and direction: data bytes and gap bytes seen
	streams map[uint64]*[2][2]uint64
	final   map[uint64][2]uint64 // stream offsets at close
}

func newAccountant() *accountant {
	return &accountant{streams: map[uint64]*[2][2]uint64{}, final: map[uint64][2]uint64{}}
}

func (c *accountant) New(s *Stream) Handler {
	c.streams[s.ID()] = &[2][2]uint64{}
	return c
}

func (c *accountant) Data(s *Stream, dir Dir, data []byte, _ time.Time) {
	c.delivered += uint64(len(data))
	c.streams[s.ID()][dir][0] += uint64(len(data))
}

func (c *accountant) Gap(s *Stream, dir Dir, _ uint64, n int) {
	c.gapped += uint64(n)
	c.streams[s.ID()][dir][1] += uint64(n)
}

func (c *accountant) Close(s *Stream, _ CloseReason) {
	c.final[s.ID()] = [2]uint64{s.Offset(ClientToServer), s.Offset(ServerToClient)}
}

// accountingError returns why the byte accounting of a flushed Assembler
// does not add up, or "".
func accountingError(st Stats, c *accountant) string {
	sum := st.DeliveredBytes + st.DuplicateBytes + st.BeforeStartBytes + st.OutOfWindowBytes + st.AfterFINBytes + st.IgnoredBytes
	switch {
	case st.Buffered != 0:
		return fmt.Sprintf("%d bytes still buffered", st.Buffered)
	case st.Bytes != sum:
		return fmt.Sprintf("bytes in %d != delivered %d + duplicate %d + before start %d + out of window %d + after FIN %d + ignored %d (= %d)",
			st.Bytes, st.DeliveredBytes, st.DuplicateBytes, st.BeforeStartBytes, st.OutOfWindowBytes, st.AfterFINBytes, st.IgnoredBytes, sum)
	case c == nil:
		return ""
	case c.delivered != st.DeliveredBytes:
		return fmt.Sprintf("handler got %d bytes, Stats.DeliveredBytes %d", c.delivered, st.DeliveredBytes)
	case c.gapped != st.BytesLost:
		return fmt.Sprintf("handler got %d gap bytes, Stats.BytesLost %d", c.gapped, st.BytesLost)
	}
	for id, f := range c.final {
		got := c.streams[id]
		for d := range 2 {
			if got[d][0]+got[d][1] != f[d] {
				return fmt.Sprintf("stream %d dir %d: offset %d != data %d + gaps %d", id, d, f[d], got[d][0], got[d][1])
			}
		}
	}
	return ""
}

// liveFlow is a client stream that keeps moving from seq on: 100 chunks
// ("chunk000 " ...), one every 100 ms from start, then a FIN each way at
// 11 s. It returns the packets and the client bytes they carry.
func liveFlow(seq uint32, start time.Duration) ([]pkt, string) {
	var pkts []pkt
	var want strings.Builder
	for i := range 100 {
		d := fmt.Sprintf("chunk%03d ", i)
		pkts = append(pkts, pkt{dir: c2s, seq: seq, data: d, at: start + time.Duration(i)*100*time.Millisecond})
		want.WriteString(d)
		seq += uint32(len(d))
	}
	pkts = append(pkts,
		pkt{dir: c2s, seq: seq, flags: fin, at: 11 * time.Second},
		pkt{dir: s2c, seq: sisn + 1, flags: fin, at: 11 * time.Second})
	return pkts, want.String()
}

// Issue 14.3: a segment 2^30 (and 2^31-1) bytes ahead of the stream made a
// phantom gap after the hole timeout, and every real byte after it was
// then counted as Retransmitted and delivered nowhere.
func TestSpoofedSegmentFarAheadDoesNotDesync(t *testing.T) {
	for _, ahead := range []uint32{1 << 30, 1<<31 - 1, DefaultMaxAhead + 1} {
		t.Run(fmt.Sprint(ahead), func(t *testing.T) {
			pkts := with(handshake, pkt{dir: c2s, seq: cisn + 1, data: "GET /a "})
			pkts = append(pkts, pkt{dir: c2s, seq: cisn + 1 + 7 + ahead, data: "EVIL", at: time.Millisecond})
			// Real data keeps flowing for twice the hole timeout.
			flow, want := liveFlow(cisn+1+7, 200*time.Millisecond)
			pkts = append(pkts, flow...)
			want = "GET /a " + want
			r, a := run(Options{}, pkts...)
			a.FlushAll()
			assert.Equal(t, want, r.text(1, c2s))
			st := a.Stats()
			assert.Zero(t, st.Gaps)
			assert.Zero(t, st.Retransmitted)
			assert.Equal(t, uint64(1), st.OutOfWindow)
			assert.Equal(t, uint64(4), st.OutOfWindowBytes)
			assert.Equal(t, CloseFIN, r.closed[1])
			assert.Empty(t, accountingError(st, nil))
		})
	}
}

// A segment ahead but inside MaxAhead is buffered; while the stream keeps
// moving towards it, the hole timeout does not give it up (the wait starts
// again with every in-order byte), and once the FIN is seen the bytes
// behind it are dropped as AfterFINBytes instead of becoming a gap.
func TestSegmentAheadInWindowWithLiveStream(t *testing.T) {
	pkts := with(handshake, pkt{dir: c2s, seq: cisn + 1 + 1<<20, data: "EVIL"})
	flow, want := liveFlow(cisn+1, 100*time.Millisecond)
	pkts = append(pkts, flow...)
	r, a := run(Options{}, pkts...)
	assert.Equal(t, want, r.text(1, c2s))
	assert.Equal(t, CloseFIN, r.closed[1])
	st := a.Stats()
	assert.Zero(t, st.Gaps)
	assert.Zero(t, st.HoleTimeouts)
	assert.Equal(t, uint64(4), st.AfterFINBytes)
	assert.Empty(t, accountingError(st, nil))
}

// A direction that gets nothing but segments beyond MaxAhead for the hole
// timeout lost more than a window: it restarts there, with a gap.
func TestResyncAfterOnlyOutOfWindowSegments(t *testing.T) {
	const jump = 64 << 20
	pkts := with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "abc"},
		pkt{dir: c2s, seq: cisn + 4 + jump, data: "lost", at: time.Second},                    // dropped
		pkt{dir: c2s, seq: cisn + 8 + jump, data: "xyz", at: 7 * time.Second},                 // resync here
		pkt{dir: c2s, seq: cisn + 11 + jump, data: "!", at: 7*time.Second + time.Millisecond}, // in order again
	)
	r, a := run(Options{}, pkts...)
	a.FlushAll()
	st := a.Stats()
	assert.Equal(t, uint64(1), st.Resyncs)
	assert.Equal(t, uint64(1), st.OutOfWindow)
	assert.Equal(t, uint64(4+jump), st.BytesLost)
	assert.Equal(t, "xyz!", strings.TrimLeft(r.text(1, c2s), "abc?"))
	assert.Equal(t, uint64(3+4+jump+3+1), r.streams[0].Offset(c2s))
	assert.Empty(t, accountingError(st, nil))
}

// A spoofed RST far from the receive point does not end the connection.
func TestRSTOutOfWindowIgnored(t *testing.T) {
	r, a := run(Options{}, with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "abc"},
		pkt{dir: s2c, seq: sisn + 1<<30, flags: rst},
		pkt{dir: c2s, seq: cisn + 4, data: "def"},
	)...)
	assert.Equal(t, "abcdef", r.text(1, c2s))
	assert.NotContains(t, r.closed, uint64(1))
	assert.Equal(t, uint64(1), a.Stats().OutOfWindow)
}

// Issue 14.3: data after a FIN is not stream data.
func TestDataAfterFINNotDelivered(t *testing.T) {
	r, a := run(Options{}, with(handshake,
		pkt{dir: c2s, seq: cisn + 1, data: "abc", flags: fin},
		pkt{dir: c2s, seq: cisn + 4, data: "after"}, // after the FIN
		pkt{dir: c2s, seq: cisn + 2, data: "bcXYZ"}, // overlaps the FIN
		pkt{dir: s2c, seq: sisn + 1, data: "ok"},
	)...)
	a.FlushAll()
	assert.Equal(t, "abc", r.text(1, c2s))
	st := a.Stats()
	assert.Equal(t, uint64(5+3), st.AfterFINBytes)
	assert.Equal(t, uint64(2), st.DuplicateBytes)
	assert.Empty(t, accountingError(st, nil))

	// A FIN that arrives before the bytes after it were buffered drops them.
	r, a = run(Options{}, with(handshake,
		pkt{dir: c2s, seq: cisn + 6, data: "tail!"}, // buffered ahead of a hole
		pkt{dir: c2s, seq: cisn + 4, data: "de", flags: fin},
		pkt{dir: c2s, seq: cisn + 1, data: "abc"},
		pkt{dir: s2c, seq: sisn + 1, flags: fin},
	)...)
	assert.Equal(t, "abcde", r.text(1, c2s))
	assert.Equal(t, CloseFIN, r.closed[1])
	assert.Equal(t, uint64(5), a.Stats().AfterFINBytes)
	assert.Empty(t, accountingError(a.Stats(), nil))
}

// Issue 14.3: in a capture that starts mid-stream, a direction whose first
// segment arrives after its second used to start at the second and count
// the first as a retransmission, with no Gap call.
func TestMidStreamFirstSegmentAfterSecond(t *testing.T) {
	r, a := run(Options{},
		pkt{dir: c2s, seq: 1000, data: "GET / HTTP/1.1\r\n"},
		pkt{dir: s2c, seq: 5016, data: "OK\r\n\r\n"},               // the second segment first
		pkt{dir: s2c, seq: 5000, data: "HTTP/1.1 200 OK\r\n"[:16]}, // then the first
		pkt{dir: c2s, seq: 1016, data: "\r\n"},
	)
	a.FlushAll()
	assert.Equal(t, "GET / HTTP/1.1\r\n\r\n", r.text(1, c2s))
	assert.Equal(t, "HTTP/1.1 200 OK\r\nOK\r\n\r\n"[:16]+"OK\r\n\r\n", r.text(1, s2c))
	st := a.Stats()
	assert.Zero(t, st.Gaps)
	assert.Zero(t, st.Retransmitted)
	assert.Zero(t, st.BeforeStartBytes)
	assert.Empty(t, accountingError(st, nil))

	// The first segment of the connection itself crossed with its second.
	r, a = run(Options{},
		pkt{dir: c2s, seq: 1010, data: "world"},
		pkt{dir: c2s, seq: 1000, data: "hello, "[:7] + "abc"},
		pkt{dir: s2c, seq: 1, data: "ok"},
	)
	a.FlushAll()
	assert.Equal(t, "hello, abcworld", r.text(1, c2s))
	assert.Equal(t, "ok", r.text(1, s2c))

	// Pure ACKs of the other direction in between do not end the wait.
	r, a = run(Options{},
		pkt{dir: c2s, seq: 1005, data: "world"},
		pkt{dir: s2c, seq: 1},
		pkt{dir: c2s, seq: 1000, data: "hello"},
	)
	a.FlushAll()
	assert.Equal(t, "helloworld", r.text(1, c2s))

	// When something else came in between, the earlier bytes cannot be
	// delivered any more: they are counted as BeforeStartBytes.
	r, a = run(Options{},
		pkt{dir: c2s, seq: 1005, data: "world"},
		pkt{dir: s2c, seq: 1, data: "ok"},
		pkt{dir: c2s, seq: 1000, data: "hello"},
	)
	a.FlushAll()
	assert.Equal(t, "world", r.text(1, c2s))
	st = a.Stats()
	assert.Equal(t, uint64(5), st.BeforeStartBytes)
	assert.Zero(t, st.DuplicateBytes)
	assert.Empty(t, accountingError(st, nil))
}

// synthConn is one generated connection: its segments in sending order
// and the bytes of each direction.
type synthConn struct {
	segs  []*Segment
	bytes [2][]byte
}

// synthCapture generates conns HTTP-like connections without handshakes
// (a capture that began mid-flight), each exchange's segments of one
// direction swapped with their neighbour with probability reorder,
// interleaved at random. It returns the segments in capture order.
func synthCapture(conns int, reorder float64, seed uint64) ([]*Segment, []synthConn) {
	rng := rand.New(rand.NewPCG(seed, 14))
	cs := make([]synthConn, conns)
	t := t0
	for c := range cs {
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(c >> 8), byte(c)}), uint16(30000+c))
		sv := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, 0, 1}), 80)
		seq := [2]uint32{rng.Uint32(), rng.Uint32()}
		send := func(dir int, data []byte) {
			cs[c].bytes[dir] = append(cs[c].bytes[dir], data...)
			start := len(cs[c].segs)
			for len(data) > 0 {
				n := min(len(data), 1448)
				s := &Segment{Src: cl, Dst: sv, Seq: seq[dir], Flags: FlagACK | FlagPSH, Payload: data[:n]}
				if dir == 1 {
					s.Src, s.Dst = sv, cl
				}
				cs[c].segs = append(cs[c].segs, s)
				seq[dir] += uint32(n)
				data = data[n:]
			}
			for i := start; i+1 < len(cs[c].segs); i++ {
				if rng.Float64() < reorder {
					cs[c].segs[i], cs[c].segs[i+1] = cs[c].segs[i+1], cs[c].segs[i]
					i++
				}
			}
			ack := &Segment{Src: sv, Dst: cl, Seq: seq[dir^1], Flags: FlagACK}
			if dir == 1 {
				ack.Src, ack.Dst = cl, sv
			}
			cs[c].segs = append(cs[c].segs, ack)
		}
		for e := range 5 {
			req := make([]byte, 100+rng.IntN(3000))
			for i := range req {
				req[i] = byte('a' + (c+e+i)%26)
			}
			send(0, req)
			resp := make([]byte, 200+rng.IntN(6300))
			for i := range resp {
				resp[i] = byte('A' + (c*7+e+i)%26)
			}
			send(1, resp)
		}
	}
	var out []*Segment
	pos := make([]int, conns)
	live := make([]int, conns)
	for i := range live {
		live[i] = i
	}
	for len(live) > 0 {
		k := rng.IntN(len(live))
		c := live[k]
		s := cs[c].segs[pos[c]]
		pos[c]++
		if pos[c] == len(cs[c].segs) {
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		t = t.Add(5 * time.Microsecond)
		s.Timestamp = t
		out = append(out, s)
	}
	return out, cs
}

// Issue 14.3: on a synthetic 2,000-connection capture with the handshakes
// removed and neighbouring segments swapped, every byte is delivered (10,473
// were lost with no Gap call before), and the accounting adds up.
func TestMidStreamSynthetic2000Conns(t *testing.T) {
	segs, conns := synthCapture(2000, 0.05, 1)
	c := newAccountant()
	got := map[netip.AddrPort]*[2][]byte{}
	a := NewAssembler(FactoryFunc(func(s *Stream) Handler {
		b := &[2][]byte{}
		got[s.Client()] = b
		c.New(s)
		return &collect{accountant: c, b: b}
	}), Options{})
	for _, s := range segs {
		a.Assemble(s)
	}
	a.FlushAll()
	st := a.Stats()
	require.Empty(t, accountingError(st, c))
	assert.Zero(t, st.Gaps)
	assert.Zero(t, st.BeforeStartBytes)
	assert.Zero(t, st.Retransmitted)
	var want, lost int
	for _, cn := range conns {
		b := got[cn.segs[0].Src]
		if cn.segs[0].Src.Port() == 80 {
			b = got[cn.segs[0].Dst]
		}
		require.NotNil(t, b)
		for d := range 2 {
			want += len(cn.bytes[d])
			if !bytes.Equal(cn.bytes[d], b[d]) {
				lost += len(cn.bytes[d]) - len(b[d])
			}
		}
	}
	assert.Zero(t, lost, "bytes not delivered")
	assert.Equal(t, uint64(want), st.DeliveredBytes)
}

// collect keeps each stream's bytes on top of an accountant.
type collect struct {
	*accountant
	b *[2][]byte
}

func (h *collect) Data(s *Stream, dir Dir, data []byte, ts time.Time) {
	h.accountant.Data(s, dir, data, ts)
	h.b[dir] = append(h.b[dir], data...)
}

// The byte accounting adds up on every capture of the corpus, read whole
// and with the handshakes cut off (from the 4th packet of each file on).
func TestAccountingOnCorpus(t *testing.T) {
	files := corpusFiles(t)
	for _, file := range files {
		for _, skip := range []int{0, 3} {
			t.Run(fmt.Sprintf("%s/skip%d", filepath.Base(file), skip), func(t *testing.T) {
				lt, pkts := readPackets(t, file)
				c := newAccountant()
				a := NewAssembler(c, Options{})
				var seg Segment
				for i, p := range pkts {
					if i < skip || DecodePacket(lt, p.data, &seg) != nil {
						continue
					}
					seg.Timestamp = p.ci.Timestamp
					a.Assemble(&seg)
				}
				a.FlushAll()
				st := a.Stats()
				require.NotZero(t, st.Bytes)
				assert.Empty(t, accountingError(st, c))
				if skip == 0 {
					assert.Zero(t, st.OutOfWindow+st.Resyncs, "real captures have nothing out of window")
				}
			})
		}
	}
}
