package parser

import (
	"math/bits"
	"sync"
)

// Buffers for partial messages come from size-class pools shared by all
// Conns and go back when a Conn is done with them, so a capture with many
// connections that each carry a few large messages (100 KiB Redis values,
// 200 KiB HTTP bodies) reuses a few buffers instead of growing one per
// connection.
const (
	minBufShift = 12 // 4 KiB
	maxBufShift = 20 // 1 MiB: larger buffers are sized to the need (growCap), not to a power of two
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// bufClass returns the pool index for a buffer of capacity at least n.
func bufClass(n int) int {
	if n <= 1<<minBufShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minBufShift
}

// getBuf returns an empty buffer with capacity at least n.
func getBuf(n int) []byte {
	c := bufClass(n)
	if c >= len(bufPools) {
		return make([]byte, 0, n)
	}
	if p, ok := bufPools[c].Get().(*[]byte); ok {
		b := (*p)[:0]
		*p = nil
		boxes.Put(p)
		return b
	}
	return make([]byte, 0, 1<<(c+minBufShift))
}

// boxes holds the *[]byte a buffer travels in through its pool (a Pool
// takes pointers), so that returning a buffer does not allocate one.
var boxes sync.Pool

// putBuf returns b to its pool.
func putBuf(b []byte) {
	if cap(b) < 1<<minBufShift {
		return
	}
	c := bits.Len(uint(cap(b))) - 1 - minBufShift // the class b fully covers
	if c >= len(bufPools) {
		return
	}
	p, ok := boxes.Get().(*[]byte)
	if !ok {
		p = new([]byte)
	}
	*p = b[:0]
	bufPools[c].Put(p)
}
