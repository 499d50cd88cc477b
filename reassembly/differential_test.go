package reassembly

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	gpreasm "github.com/google/gopacket/reassembly"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// directionBytes maps "sender>receiver" to every byte that sender's
// direction delivered, over all connections of that 4-tuple, with gaps as
// '?' bytes.
type directionBytes map[string][]byte

// ---- gopacket/reassembly side ----

type gpContext struct{ ci gopacket.CaptureInfo }

func (c *gpContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

type gpFactory struct {
	out directionBytes
	// midStream makes streams start at their first segment, as gopacket
	// does when Accept sets *start (its "allow missing init" mode).
	midStream bool
}

type gpStream struct {
	out       directionBytes
	midStream bool
	fwd, rev  string
}

func (f *gpFactory) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac gpreasm.AssemblerContext) gpreasm.Stream {
	src := endpoint(netFlow.Src(), tcpFlow.Src())
	dst := endpoint(netFlow.Dst(), tcpFlow.Dst())
	return &gpStream{out: f.out, midStream: f.midStream, fwd: src + ">" + dst, rev: dst + ">" + src}
}

func (s *gpStream) Accept(_ *layers.TCP, _ gopacket.CaptureInfo, _ gpreasm.TCPFlowDirection, _ gpreasm.Sequence, start *bool, _ gpreasm.AssemblerContext) bool {
	if s.midStream {
		*start = true
	}
	return true
}

func (s *gpStream) ReassembledSG(sg gpreasm.ScatterGather, _ gpreasm.AssemblerContext) {
	dir, _, _, skip := sg.Info()
	n, _ := sg.Lengths()
	k := s.fwd
	if dir == gpreasm.TCPDirServerToClient {
		k = s.rev
	}
	if skip > 0 {
		s.out[k] = append(s.out[k], bytes.Repeat([]byte("?"), skip)...)
	}
	s.out[k] = append(s.out[k], sg.Fetch(n)...)
}

func (s *gpStream) ReassemblyComplete(gpreasm.AssemblerContext) bool { return true }

// gopacketStreams reassembles frames with gopacket's DecodingLayerParser and
// reassembly, the way its documentation and examples do.
func gopacketStreams(t testing.TB, pkts []rawPacket) directionBytes {
	return gopacketStreamsMode(t, pkts, false)
}

func gopacketStreamsMode(t testing.TB, pkts []rawPacket, midStream bool) directionBytes {
	out := directionBytes{}
	asm := gpreasm.NewAssembler(gpreasm.NewStreamPool(&gpFactory{out: out, midStream: midStream}))
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		decoded []gopacket.LayerType
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp)
	p.IgnoreUnsupported = true
	for _, pk := range pkts {
		if err := p.DecodeLayers(pk.data, &decoded); err != nil {
			continue
		}
		var flow gopacket.Flow
		isTCP := false
		for _, l := range decoded {
			switch l {
			case layers.LayerTypeIPv4:
				flow = ip4.NetworkFlow()
			case layers.LayerTypeIPv6:
				flow = ip6.NetworkFlow()
			case layers.LayerTypeTCP:
				isTCP = true
			}
		}
		if isTCP {
			asm.AssembleWithContext(flow, &tcp, &gpContext{pk.ci})
		}
	}
	asm.FlushAll()
	return out
}

// ---- our side ----

type dirCollector struct{ out directionBytes }

func (c *dirCollector) New(*Stream) Handler { return c }

func dirKey(s *Stream, dir Dir) string {
	a, b := s.Client(), s.Server()
	if dir == ServerToClient {
		a, b = b, a
	}
	return a.String() + ">" + b.String()
}

func (c *dirCollector) Data(s *Stream, dir Dir, data []byte, _ time.Time) {
	k := dirKey(s, dir)
	c.out[k] = append(c.out[k], data...)
}

func (c *dirCollector) Gap(s *Stream, dir Dir, _ uint64, n int) {
	k := dirKey(s, dir)
	c.out[k] = append(c.out[k], bytes.Repeat([]byte("?"), n)...)
}

func (c *dirCollector) Close(*Stream, CloseReason) {}

func ourStreams(t testing.TB, lt LinkType, pkts []rawPacket) (directionBytes, Stats) {
	out := directionBytes{}
	a := NewAssembler(&dirCollector{out: out}, Options{})
	assemble(a, lt, pkts)
	a.FlushAll()
	return out, a.Stats()
}

// assemble gives a the packets DecodePacket reads, with their capture
// times.
func assemble(a *Assembler, lt LinkType, pkts []rawPacket) {
	var seg Segment
	for _, p := range pkts {
		if DecodePacket(lt, p.data, &seg) != nil {
			continue
		}
		seg.Timestamp = p.ci.Timestamp
		a.Assemble(&seg)
	}
}

func endpoint(n, t gopacket.Endpoint) string {
	ip, _ := netip.AddrFromSlice(n.Raw())
	return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(t.Raw())).String()
}

func assertSameStreams(t *testing.T, want, got directionBytes) {
	t.Helper()
	keys := func(m directionBytes) []string {
		var ks []string
		for k, v := range m {
			if len(v) > 0 {
				ks = append(ks, k)
			}
		}
		sort.Strings(ks)
		return ks
	}
	require.Equal(t, keys(want), keys(got))
	for _, k := range keys(want) {
		if !bytes.Equal(want[k], got[k]) {
			t.Errorf("%s: gopacket %d bytes, ours %d bytes, first difference at %d", k, len(want[k]), len(got[k]), firstDiff(want[k], got[k]))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// perturb reorders and duplicates data segments the way a lossy path does:
// a data segment is swapped with the next data segment of the same direction
// (probability pSwap), and re-sent a few packets later (probability pDup).
// Control segments (SYN, FIN, RST) keep their place.
func perturb(t testing.TB, lt LinkType, pkts []rawPacket, rng *rand.Rand, pSwap, pDup float64) []rawPacket {
	out := append([]rawPacket(nil), pkts...)
	info := func(p rawPacket) (string, bool) {
		var seg Segment
		if DecodePacket(lt, p.data, &seg) != nil || len(seg.Payload) == 0 || seg.Flags&(FlagSYN|FlagFIN|FlagRST) != 0 {
			return "", false
		}
		return seg.Src.String() + ">" + seg.Dst.String(), true
	}
	for i := 0; i < len(out); i++ {
		k, ok := info(out[i])
		if !ok || rng.Float64() >= pSwap {
			continue
		}
		for j := i + 1; j < len(out); j++ {
			if k2, ok2 := info(out[j]); ok2 && k2 == k {
				out[i], out[j] = out[j], out[i]
				break
			} else if k2 == "" && j > i+20 {
				break
			}
		}
	}
	// A retransmission is placed before the connection's next FIN or RST:
	// gopacket opens a new stream for data after the close and delivers it
	// again (the ghost-stream fault this package does not have), so a copy
	// after the close would only measure that difference.
	closes := func(p rawPacket, k string) bool {
		var seg Segment
		if DecodePacket(lt, p.data, &seg) != nil || seg.Flags&(FlagFIN|FlagRST) == 0 {
			return false
		}
		a, b := seg.Src.String(), seg.Dst.String()
		return k == a+">"+b || k == b+">"+a
	}
	for i := 0; i < len(out); i++ {
		k, ok := info(out[i])
		if !ok || rng.Float64() >= pDup {
			continue
		}
		at := i + 1
		for n := rng.IntN(5); n > 0 && at < len(out) && !closes(out[at], k); n-- {
			at++
		}
		dup := out[i]
		out = append(out[:at], append([]rawPacket{dup}, out[at:]...)...)
		i++
	}
	return out
}

// TestDifferentialGopacketCorpus: on the real captures, and on copies of
// them with reordering and retransmission, each direction of each
// connection carries the same bytes through gopacket/reassembly and ours.
func TestDifferentialGopacketCorpus(t *testing.T) {
	for _, file := range corpusFiles(t) {
		lt, pkts := readPackets(t, file)
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := gopacketStreams(t, pkts)
			got, st := ourStreams(t, lt, pkts)
			assertSameStreams(t, want, got)
			assert.Zero(t, st.Gaps)
		})
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/perturbed-%d", filepath.Base(file), seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 99))
				pp := perturb(t, lt, pkts, rng, 0.2, 0.1)
				want := gopacketStreams(t, pp)
				got, st := ourStreams(t, lt, pp)
				assertSameStreams(t, want, got)
				assert.Zero(t, st.Gaps)
				base, _ := ourStreams(t, lt, pkts)
				assertSameStreams(t, base, got)
			})
		}
	}
}

// TestDifferentialGopacketMidStream: the corpus captures without their
// handshakes (every SYN and SYN+ACK removed) give the same bytes as
// gopacket/reassembly in its mode that starts streams without a SYN, and
// nothing is delivered late: every byte arrives before FlushAll.
func TestDifferentialGopacketMidStream(t *testing.T) {
	for _, file := range corpusFiles(t) {
		lt, pkts := readPackets(t, file)
		var mid []rawPacket
		for _, p := range pkts {
			var seg Segment
			if DecodePacket(lt, p.data, &seg) == nil && seg.Flags&FlagSYN != 0 {
				continue
			}
			mid = append(mid, p)
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := gopacketStreamsMode(t, mid, true)
			out := directionBytes{}
			a := NewAssembler(&dirCollector{out: out}, Options{})
			assemble(a, lt, mid)
			before := map[string]int{}
			for k, v := range out {
				before[k] = len(v)
			}
			a.FlushAll()
			for k, v := range out {
				assert.Equal(t, len(v), before[k], "%s: bytes held back until FlushAll", k)
			}
			assertSameStreams(t, want, out)
			assert.Zero(t, a.Stats().Gaps)
		})
	}
}
