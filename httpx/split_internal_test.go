package httpx

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestByteByByteHeadResumes feeds a 60 KiB head (one long field) a byte
// at a time: while no LF arrives, Split only scans the new byte (headScan
// follows the data), so the work is linear, not quadratic.
func TestByteByByteHeadResumes(t *testing.T) {
	head := "GET / HTTP/1.1\r\nX-Long: " + strings.Repeat("v", 60<<10) + "\r\n\r\n"
	s := DefaultParser().NewState()
	data := []byte(head)
	lineStart := len("GET / HTTP/1.1\r\n")
	for i := 1; i <= len(data); i++ {
		adv, tok, err := s.SplitRequest(data[:i], false)
		require.NoError(t, err)
		if i > lineStart+1 && i < len(data)-3 {
			require.Equal(t, i, s.dir[0].headScan, "fed %d bytes", i)
		}
		if adv > 0 {
			require.Equal(t, len(data), i)
			assert.Equal(t, head, string(tok))
		}
	}
}

// TestByteByByteTrailerResumes: the same for a long trailer line, through
// the chunk walker's scan mark.
func TestByteByByteTrailerResumes(t *testing.T) {
	prefix := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: "
	msg := prefix + strings.Repeat("t", 30<<10) + "\r\n\r\n"
	s := DefaultParser().NewState()
	data := []byte(msg)
	n := 0
	for i := 1; i <= len(data); i++ {
		adv, _, err := s.SplitResponse(data[:i], false)
		require.NoError(t, err)
		if i > len(prefix) && i < len(data)-3 {
			require.Equal(t, i, s.dir[1].walker.scan, "fed %d bytes", i)
		}
		if adv > 0 {
			n++
			require.Equal(t, len(data), i)
		}
	}
	assert.Equal(t, 1, n)
}
