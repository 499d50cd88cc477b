//go:build !race

package reassembly

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14.2: thousands of connections that each hold a large out-of-order
// tail (64 KiB behind a hole that never fills, 256 MiB in all) keep the
// heap within the Assembler's budget (MaxBufferedTotal, default 32 MiB)
// plus the documented overhead: about 1 KiB per tracked connection and the
// buffer cache.
func TestBudgetBoundsHeapAcrossConnections(t *testing.T) {
	const conns, tail, seg = 4000, 64 << 10, 1448
	h := &nopHandler{}
	a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{HoleTimeout: -1})
	payload := make([]byte, seg)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for c := range conns {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 9, byte(c >> 8), byte(c)}), 40000)
		s := &Segment{Src: src, Dst: srv, Seq: 0, Flags: FlagSYN, Timestamp: t0}
		a.Assemble(s)
		s.Flags = FlagACK
		for off := 0; off < tail; off += seg {
			s.Seq, s.Payload = uint32(1+seg+off), payload // one segment's hole at 1
			a.Assemble(s)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := a.Stats()
	require.Equal(t, conns, st.Conns)
	assert.LessOrEqual(t, st.Buffered, DefaultMaxBufferedTotal)
	assert.NotZero(t, st.LimitSkips, "the budget was reached and holes skipped")
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	limit := int64(DefaultMaxBufferedTotal + conns*1024 + DefaultBufferCacheBytes)
	t.Logf("heap grew %.1f MiB for %d connections, %.1f MiB buffered (budget %d MiB), %d holes skipped",
		float64(grew)/(1<<20), conns, float64(st.Buffered)/(1<<20), DefaultMaxBufferedTotal>>20, st.LimitSkips)
	assert.LessOrEqual(t, grew, limit)
	runtime.KeepAlive(a)
}
