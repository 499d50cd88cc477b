package httpx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFieldCode: the word-compare name match agrees with a plain
// case-insensitive compare for the interpreted names in every case mix,
// and refuses every one-byte change of them (including the bytes that
// fold onto a letter or onto '-': CR is 0x0d, 0x2d with 0x20 set).
func TestFieldCode(t *testing.T) {
	names := map[string]uint8{
		"host": fieldHost, "expect": fieldExpect, "upgrade": fieldUpgrade, "connection": fieldConnection,
		"content-type": fieldContentType, "content-length": fieldContentLength, "transfer-encoding": fieldTransferEncoding,
	}
	for name, code := range names {
		for _, v := range []string{name, strings.ToUpper(name), mixCase(name, 1), mixCase(name, 2)} {
			assert.Equal(t, code, fieldCode([]byte(v)), v)
		}
		for i := range len(name) {
			for c := 0; c < 256; c++ {
				b := []byte(name)
				if lowerTable[byte(c)] == name[i] {
					continue // the same name, in some case
				}
				b[i] = byte(c)
				assert.Equal(t, fieldOther, fieldCode(b), "%q", b)
			}
		}
	}
	assert.Equal(t, fieldOther, fieldCode([]byte("hosts")))
	assert.Equal(t, fieldOther, fieldCode(nil))
}

// TestConnectionOptions: the word-compare path for a single keep-alive or
// close option agrees with the list walk.
func TestConnectionOptions(t *testing.T) {
	for _, tt := range []struct {
		value            string
		close, keepAlive bool
	}{
		{"keep-alive", false, true}, {"Keep-Alive", false, true}, {"KEEP-ALIVE", false, true},
		{"close", true, false}, {"Close", true, false}, {"CLOSE", true, false},
		{"keep_alive", false, false}, {"keep-alivf", false, false}, {"clos", false, false}, {"closed", false, false},
		{"keep-alive, close", true, true}, {"upgrade", false, false}, {"", false, false},
	} {
		var h Header
		assert.NoError(t, defaultParser.field(&h, fieldConnection, []byte(tt.value), nil))
		assert.Equal(t, tt.close, h.ConnClose, tt.value)
		assert.Equal(t, tt.keepAlive, h.ConnKeepAlive, tt.value)
	}
}

// mixCase upper-cases every k-th byte.
func mixCase(s string, k int) string {
	b := []byte(s)
	for i := 0; i < len(b); i += k + 1 {
		b[i] = strings.ToUpper(string(b[i]))[0]
	}
	return string(b)
}
