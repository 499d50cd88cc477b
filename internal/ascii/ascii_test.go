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

// TestParseDigits: digits only, 1 to 18 of them, as strconv reads them.
func TestParseDigits(t *testing.T) {
	for _, s := range []string{"0", "7", "00012", "999999999999999999", "1234567890123456789", "", "-1", "+1", "1 ", "12a", "٣"} {
		got, ok := ParseDigits([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		wantOK := err == nil && len(s) >= 1 && len(s) <= 18 && s[0] != '-' && s[0] != '+'
		if ok != wantOK || ok && got != want {
			t.Errorf("ParseDigits(%q) = %d, %v; want %d, %v", s, got, ok, want, wantOK)
		}
	}
}
