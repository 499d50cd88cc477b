// Package ascii holds the byte-class helpers several packages share for
// reading text protocols: hex digits (a Redis inline command's "\xNN", a
// URL's %NN, a BPF filter's MAC address).
package ascii

// IsHex reports whether c is a hex digit (0-9, a-f, A-F).
func IsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Unhex is the value of the hex digit c; c must be one (IsHex).
func Unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// ParseDigits parses b as 1 to 18 decimal digits (so the value cannot
// overflow an int64), reporting whether it is that.
func ParseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
