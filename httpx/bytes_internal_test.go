package httpx

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func isCtl(c byte) bool { return c < 0x20 || c == 0x7f }

func isOut(c byte) bool { return c < 0x20 || c >= 0x7f }

func isOutSpace(c byte) bool { return c <= 0x20 || c >= 0x7f }

// TestCtlMask checks the word-at-a-time byte-class tests (ctlMask,
// outMask, outSpaceMask) against the
// byte-wise definition: every byte value in every position over random
// backgrounds, and random words; the lowest flagged byte must be the first
// control byte, and no control byte may go unflagged.
func TestCtlMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(w [8]byte) {
		checkMask(t, w, ctlMask, isCtl)
		checkMask(t, w, outMask, isOut)
		checkMask(t, w, outSpaceMask, isOutSpace)
	}
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			for k := 0; k < 20; k++ {
				var w [8]byte
				for i := range w {
					w[i] = byte(rng.IntN(256))
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	for k := 0; k < 200000; k++ {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		check(w)
	}
}

func checkMask(t *testing.T, w [8]byte, mask func(uint64) uint64, want func(byte) bool) {
	t.Helper()
	m := mask(binary.LittleEndian.Uint64(w[:]))
	first := -1
	for i, c := range w {
		if want(c) {
			first = i
			break
		}
	}
	if first < 0 {
		if m != 0 {
			t.Fatalf("%q: flagged %x without a control byte", w, m)
		}
		return
	}
	if m == 0 || bits.TrailingZeros64(m)>>3 != first {
		t.Fatalf("%q: mask %x, first control byte at %d", w, m, first)
	}
}
