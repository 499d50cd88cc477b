package capture

import (
	"testing"
	"unsafe"
)

// FuzzBlockIter walks arbitrary bytes as a ring block: no panic, every
// frame's data lies inside the block, and no more frames come out than
// the block header claims or the block can hold.
func FuzzBlockIter(f *testing.F) {
	f.Add(makeBlock(512, []testFrame{{data: []byte("abc"), wire: 3}, {data: []byte("defgh"), wire: 99}}), false)
	f.Add(makeBlock(512, []testFrame{{data: []byte{0x45, 0, 0, 20}, wire: 20, proto: 0x800, cooked: true}}), true)
	f.Add(make([]byte, 48), false)
	f.Fuzz(func(t *testing.T, b []byte, cooked bool) {
		var it blockIter
		var p Packet
		if !it.reset(b, cooked) {
			return
		}
		claimed := int(le.Uint32(b[blkNumPktsOff:]))
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		n := 0
		for it.next(&p) {
			n++
			if len(p.Data) > 0 {
				s := uintptr(unsafe.Pointer(unsafe.SliceData(p.Data)))
				if s < lo || s+uintptr(len(p.Data)) > lo+uintptr(len(b)) {
					t.Fatalf("frame %d outside the block", n)
				}
			}
			if p.Length < len(p.Data) {
				t.Fatalf("frame %d: wire length %d < captured %d", n, p.Length, len(p.Data))
			}
		}
		if n > claimed || n > len(b)/minFrameStride {
			t.Fatalf("%d frames from a block claiming %d of %d bytes", n, claimed, len(b))
		}
	})
}
