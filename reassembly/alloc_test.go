//go:build !race

package reassembly

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// An in-order segment of a known connection allocates nothing.
func TestInOrderSegmentAllocatesNothing(t *testing.T) {
	h := &nopHandler{}
	a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{})
	seg := pkt{dir: c2s, seq: 1, data: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"}.segment()
	a.Assemble(seg)
	n := uint32(len(seg.Payload))
	allocs := testing.AllocsPerRun(1000, func() {
		seg.Seq += n
		seg.Timestamp = seg.Timestamp.Add(time.Microsecond)
		a.Assemble(seg)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 1002*int(n), h.n) // AllocsPerRun runs once more to warm up
}

// Out-of-order segments reuse released buffers once the cache is warm.
func TestOutOfOrderSteadyStateAllocatesNothing(t *testing.T) {
	h := &nopHandler{}
	a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{})
	seg := pkt{dir: c2s, seq: 1, data: "x"}.segment()
	a.Assemble(seg)
	payload := make([]byte, 1400)
	next := uint32(2)
	step := func() {
		seg.Payload = payload
		seg.Seq = next + 1400 // ahead of the hole: buffered
		a.Assemble(seg)
		seg.Seq = next // fills the hole: both delivered
		a.Assemble(seg)
		next += 2800
	}
	for i := 0; i < 10; i++ {
		step()
	}
	assert.Zero(t, testing.AllocsPerRun(1000, step))
}

func TestDecodePacketAllocatesNothing(t *testing.T) {
	lt, pkts := readPackets(t, corpus("http_gonet_goclient.pcap"))
	var seg Segment
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range pkts {
			_ = DecodePacket(lt, p.data, &seg)
		}
	})
	assert.Zero(t, allocs)
}
