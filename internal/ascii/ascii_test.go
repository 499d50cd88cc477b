package ascii

import (
	"strconv"
	"testing"
)

// TestHex checks IsHex and Unhex against strconv on every byte.
func TestHex(t *testing.T) {
	for c := 0; c < 256; c++ {
		v, err := strconv.ParseUint(string(rune(c)), 16, 8)
		if IsHex(byte(c)) != (err == nil && c < 128) {
			t.Fatalf("IsHex(%#x) = %v", c, IsHex(byte(c)))
		}
		if err == nil && c < 128 && Unhex(byte(c)) != byte(v) {
			t.Fatalf("Unhex(%#x) = %d, want %d", c, Unhex(byte(c)), v)
		}
	}
}
