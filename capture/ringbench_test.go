//go:build linux

package capture

import (
	"io"
	"os"
	"testing"

	"github.com/google/gopacket/pcapgo"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/reassembly"
)

// corpusFrames reads the frames of a corpus capture.
func corpusFrames(t testing.TB, name string) []testFrame {
	t.Helper()
	f, err := os.Open(pcaptest.Corpus(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []testFrame
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, testFrame{data: data, wire: ci.Length})
	}
}

// memRing lays frames out in the blocks of an in-memory ring as the kernel
// would, and a Handle around it without sockets, so the worker's block
// path runs without root.
func memRing(frames []testFrame, bs int) (*Handle, int) {
	var blocks [][]byte
	for len(frames) > 0 {
		n, used := 0, blockDescLen
		for n < len(frames) {
			need := (80 + len(frames[n].data) + 15) &^ 15
			if used+need > bs {
				break
			}
			used += need
			n++
		}
		blocks = append(blocks, makeBlock(bs, frames[:n]))
		frames = frames[n:]
	}
	r := &ring{fd: -1, bs: bs, n: len(blocks)}
	for _, b := range blocks {
		r.mem = append(r.mem, b...)
	}
	return &Handle{link: reassembly.LinkEthernet, loIndex: -1, rings: []*ring{r}, efd: -1}, len(blocks)
}

// refill marks every block of the in-memory ring as handed to user space.
func refill(h *Handle) {
	r := h.rings[0]
	for i := 0; i < r.n; i++ {
		r.setStatus(i, statusUser)
	}
	r.cur = 0
}

// walkAll processes every block of the ring once.
func walkAll(h *Handle, c Consumer, it *blockIter, p *Packet, cnt *Stats) {
	refill(h)
	for i := 0; i < h.rings[0].n; i++ {
		h.block(h.rings[0], c, it, p, cnt)
	}
}

// TestRingMatchesFile: the corpus capture laid out in ring blocks and run
// through the worker's block path and the Exchanges pipeline gives the
// same exchanges as reading the file.
func TestRingMatchesFile(t *testing.T) {
	const name = "redis_benchmark_pipeline16.pcap"
	h, _ := memRing(corpusFrames(t, name), 1<<16)
	live := newRedisCounter()
	c := h.newPipeline(0, ExchangeOptions{}.withDefaults(), live.forWorker(0))
	var it blockIter
	var cnt Stats
	p := Packet{Link: h.link}
	walkAll(h, c, &it, &p, &cnt)
	c.Close()

	file := newRedisCounter()
	x := reassembly.NewExchanges(reassembly.ExchangeOptions{Detector: parser.NewDetector(ExchangeOptions{}.withDefaults().Protocols...)}, file.forWorker(0))
	a := reassembly.NewAssembler(x, reassembly.Options{})
	if _, err := reassembly.ReadFile(pcaptest.Corpus(name), a); err != nil {
		t.Fatal(err)
	}
	a.FlushAll()
	if sum(file.calls) == 0 || sum(file.calls) != sum(live.calls) || cnt.BadBlocks != 0 {
		t.Errorf("ring: %v (%d bad blocks), file: %v", live.calls, cnt.BadBlocks, file.calls)
	}
}

func BenchmarkRingWalk(b *testing.B) {
	frames := corpusFrames(b, "redis_benchmark_pipeline16.pcap")
	h, _ := memRing(frames, 1<<20)
	var it blockIter
	var cnt Stats
	p := Packet{Link: h.link}
	n := 0
	c := PacketFunc(func(p *Packet) { n += len(p.Data) })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		walkAll(h, c, &it, &p, &cnt)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
}

// BenchmarkRingPipeline: the redis-benchmark -P 16 corpus capture laid out
// in ring blocks, through one worker's block path and Exchanges pipeline
// (decode, reassemble, detect, parse, pair) with a fresh pipeline per
// run, so connection setup is included.
func BenchmarkRingPipeline(b *testing.B) {
	frames := corpusFrames(b, "redis_benchmark_pipeline16.pcap")
	h, _ := memRing(frames, 1<<20)
	opts := ExchangeOptions{}.withDefaults()
	var it blockIter
	var cnt Stats
	p := Packet{Link: h.link}
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := h.newPipeline(0, opts, func(*reassembly.Stream, *parser.Exchange) { n++ })
		walkAll(h, c, &it, &p, &cnt)
		c.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "exchanges/s")
}
