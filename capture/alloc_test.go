//go:build linux && !race

package capture

import "testing"

// TestRingWalkAllocs: walking ring blocks, counting, and handing every
// frame to a consumer allocates nothing.
func TestRingWalkAllocs(t *testing.T) {
	h, _ := memRing(corpusFrames(t, "redis_benchmark_pipeline16.pcap"), 1<<16)
	var it blockIter
	var cnt Stats
	p := Packet{Link: h.link}
	n := 0
	c := PacketFunc(func(p *Packet) { n += len(p.Data) })
	if a := testing.AllocsPerRun(50, func() { walkAll(h, c, &it, &p, &cnt) }); a != 0 {
		t.Errorf("%.1f allocations per ring walk, want 0", a)
	}
	if n == 0 || cnt.Packets == 0 {
		t.Fatal("no frames walked")
	}
}
