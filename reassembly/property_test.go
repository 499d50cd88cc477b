package reassembly

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// propSegment is one copy of a byte range of one direction.
type propSegment struct {
	dir      Dir
	off, end int
}

// TestPropertyRandomSegmentation: random payloads cut into random segments,
// resent with other boundaries, shuffled and partly dropped, reassemble to
// exactly the original with the never-received bytes reported as gaps.
func TestPropertyRandomSegmentation(t *testing.T) {
	for trial := 0; trial < 400; trial++ {
		rng := rand.New(rand.NewPCG(uint64(trial), 7))
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			var payload [2][]byte
			var isn [2]uint32
			for d := range payload {
				payload[d] = make([]byte, rng.IntN(4000))
				for i := range payload[d] {
					payload[d][i] = 'a' + byte(rng.IntN(26))
				}
				isn[d] = rng.Uint32()
				if rng.IntN(4) == 0 {
					isn[d] = 0xffffffff - uint32(rng.IntN(3000)) // wraps inside the stream
				}
			}
			pDrop := []float64{0, 0.05, 0.3}[trial%3]
			var segs []propSegment
			for d := range payload {
				// One or two full transmissions with independent boundaries.
				for copies := 1 + rng.IntN(2); copies > 0; copies-- {
					for off := 0; off < len(payload[d]); {
						end := min(len(payload[d]), off+1+rng.IntN(300))
						if rng.Float64() >= pDrop {
							segs = append(segs, propSegment{Dir(d), off, end})
						}
						off = end
					}
				}
			}
			rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
			var covered [2][]bool
			for d := range covered {
				covered[d] = make([]bool, len(payload[d]))
			}
			for _, s := range segs {
				for i := s.off; i < s.end; i++ {
					covered[s.dir][i] = true
				}
			}
			finSent := [2]bool{rng.IntN(4) != 0, rng.IntN(4) != 0}

			r := newRecorder()
			a := NewAssembler(r, Options{HoleTimeout: -1, MaxBufferedPerConn: -1, MaxBufferedTotal: -1})
			send := func(d Dir, seq uint32, f Flags, data []byte) {
				p := pkt{dir: d, seq: seq, flags: f, data: string(data)}
				a.Assemble(p.segment())
			}
			send(c2s, isn[0], syn, nil)
			send(s2c, isn[1], syn, nil)
			for _, s := range segs {
				send(s.dir, isn[s.dir]+1+uint32(s.off), 0, payload[s.dir][s.off:s.end])
			}
			for d := range finSent {
				if finSent[d] {
					send(Dir(d), isn[d]+1+uint32(len(payload[d])), fin, nil)
				}
			}
			a.FlushAll()

			require.Len(t, r.streams, 1)
			for d := range payload {
				want := make([]byte, 0, len(payload[d]))
				last := len(payload[d])
				if !finSent[d] { // the receiver cannot know about lost bytes at the end
					for last > 0 && !covered[d][last-1] {
						last--
					}
				}
				for i := 0; i < last; i++ {
					if covered[d][i] {
						want = append(want, payload[d][i])
					} else {
						want = append(want, '?')
					}
				}
				require.Equal(t, string(want), r.text(1, Dir(d)), "direction %v", Dir(d))
			}
			st := a.Stats()
			require.Zero(t, st.Buffered)
			require.Zero(t, st.Conns)
		})
	}
}

// TestPropertyLimitsHold: with small limits and timeouts, whatever is
// delivered is the original at its offset, data and gaps tile the stream,
// and buffered memory never exceeds the limits.
func TestPropertyLimitsHold(t *testing.T) {
	for trial := 0; trial < 100; trial++ {
		rng := rand.New(rand.NewPCG(uint64(trial), 11))
		perConn, total := 1000+rng.IntN(3000), 4000+rng.IntN(4000)
		r := newRecorder()
		a := NewAssembler(r, Options{MaxBufferedPerConn: perConn, MaxBufferedTotal: total, HoleTimeout: 50 * time.Millisecond})
		const nconn = 8
		var payload [nconn][]byte
		type seg struct {
			c        int
			off, end int
		}
		var segs []seg
		for c := range payload {
			payload[c] = make([]byte, 2000+rng.IntN(6000))
			for i := range payload[c] {
				payload[c][i] = 'a' + byte(rng.IntN(26))
			}
			for off := 0; off < len(payload[c]); {
				end := min(len(payload[c]), off+1+rng.IntN(500))
				if rng.IntN(10) != 0 {
					segs = append(segs, seg{c, off, end})
				}
				off = end
			}
		}
		rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		for c := range payload { // the first segment of each connection sets its start
			s := pkt{dir: c2s, seq: 0, data: string(payload[c][:1])}.segment()
			s.Src = netipPort(c)
			a.Assemble(s)
		}
		for i, sg := range segs {
			s := pkt{dir: c2s, seq: uint32(sg.off), data: string(payload[sg.c][sg.off:sg.end]), at: time.Duration(i) * time.Millisecond}.segment()
			s.Src = netipPort(sg.c)
			a.Assemble(s)
			st := a.Stats()
			require.LessOrEqual(t, st.Buffered, total, "trial %d", trial)
			for _, str := range r.streams {
				if !str.closed {
					require.LessOrEqual(t, str.pendBytes, perConn)
				}
			}
		}
		a.FlushAll()
		for _, str := range r.streams {
			got := r.text(str.ID(), c2s)
			p := payload[str.Client().Port()-1000]
			require.LessOrEqual(t, len(got), len(p))
			for i := range got {
				if got[i] != '?' {
					require.Equal(t, p[i], got[i], "trial %d conn %d offset %d", trial, str.ID(), i)
				}
			}
		}
	}
}

func netipPort(c int) netip.AddrPort { return netip.AddrPortFrom(cli.Addr(), uint16(1000+c)) }
