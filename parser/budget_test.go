package parser

import (
	"bufio"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sizeProto frames messages as a 4-byte big-endian length, then that many
// bytes (up to 1 GiB): a protocol whose own limit lets a peer announce a
// large message.
func sizeProto() *Protocol {
	split := func(data []byte, atEOF bool) (int, []byte, error) {
		if len(data) < 4 {
			return 0, nil, nil
		}
		n := int(binary.BigEndian.Uint32(data))
		if n > 1<<30 {
			return 0, nil, ErrTooLarge
		}
		if len(data) < 4+n {
			if atEOF {
				return 0, nil, ErrShort
			}
			return 0, nil, nil
		}
		return 4 + n, data[:4+n], nil
	}
	node := NewPkgParser("size", nil, func(m *Message) (bool, bool) { return true, true })
	return &Protocol{Name: "size", Request: node, Response: node,
		Split: func(any, Direction) bufio.SplitFunc { return split }}
}

// TestBudgetBoundsHeap is issue 14.2's test: 3,000 connections each send
// the first 256 KiB of a 1 MiB message (768 MiB if every one were
// buffered); with an 8 MiB budget the heap grows by at most the budget
// plus each Conn's fixed state, the connections past the budget stop with
// ErrOverBudget and count what they shed, and closing gives every byte
// back.
func TestBudgetBoundsHeap(t *testing.T) {
	const conns, part, limit = 3000, 256 << 10, 8 << 20
	b := NewBudget(limit)
	p := sizeProto()
	msg := make([]byte, part)
	binary.BigEndian.PutUint32(msg, 1<<20)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cs := make([]*Conn, conns)
	for i := range cs {
		cs[i] = NewConn(p, ConnOptions{Budget: b}, nil)
		// In segments, as a capture delivers them.
		for off := 0; off < part; off += 1460 {
			cs[i].Feed(Request, msg[off:min(off+1460, part)], t0)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	perConn := int64(unsafe.Sizeof(Conn{})) + 8*int64(unsafe.Sizeof(Attr{})) + 128
	t.Logf("heap grew %d KiB for %d connections: budget %d KiB, peak use %d KiB, fixed state about %d B a connection; shed %d MiB",
		grown>>10, conns, limit>>10, b.Peak()>>10, perConn, b.Shed()>>20)
	assert.LessOrEqual(t, grown, int64(limit)+conns*perConn+1<<20, "heap within the budget plus the documented overhead")
	assert.LessOrEqual(t, b.Peak(), int64(limit))

	stopped := 0
	var skipped uint64
	for _, c := range cs {
		st := c.Stats()
		if errors.Is(st.StoppedByError[Request], ErrOverBudget) {
			stopped++
			skipped += st.SkippedBytes[Request]
		}
	}
	assert.Greater(t, stopped, conns*9/10, "most connections are over the budget")
	assert.Equal(t, b.Shed(), skipped, "every byte shed is counted on its Conn")
	assert.ErrorIs(t, ErrOverBudget, ErrTooLarge)

	for _, c := range cs {
		c.Close(t0)
	}
	assert.Zero(t, b.Used(), "closing gives every byte back")
}

// TestBudgetReleasedWhenStopped: a direction stopped by its protocol's
// limit releases its buffer at once, not at Close.
func TestBudgetReleasedWhenStopped(t *testing.T) {
	b := NewBudget(1 << 20)
	c := NewConn(sizeProto(), ConnOptions{Budget: b, MaxBuffer: 64 << 10}, nil)
	hdr := make([]byte, 40<<10)
	binary.BigEndian.PutUint32(hdr, 1<<20)
	c.Feed(Request, hdr, t0)
	require.Positive(t, b.Used())
	c.Feed(Request, hdr, t0) // past MaxBuffer
	assert.ErrorIs(t, c.Stats().StoppedByError[Request], ErrTooLarge)
	assert.Zero(t, b.Used(), "released when the direction stopped")
	c.Close(t0)
	assert.Zero(t, b.Used())
}
