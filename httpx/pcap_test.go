package httpx_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// segment is one TCP payload of a captured connection.
type segment struct {
	dir  parser.Direction
	data []byte
	ts   time.Time
}

// tcpConn is one captured TCP connection: its segments in capture order,
// retransmitted bytes removed.
type tcpConn struct {
	client, server string
	segs           []segment
}

// stream returns the concatenated payload of one direction.
func (c *tcpConn) stream(dir parser.Direction) []byte {
	var b []byte
	for _, s := range c.segs {
		if s.dir == dir {
			b = append(b, s.data...)
		}
	}
	return b
}

// readConns reads a capture's connections, in the order they opened, as
// pcaptest reassembles them (retransmitted bytes removed); each segment
// is one delivery of in-order bytes. A capture with lost bytes fails t.
func readConns(t testing.TB, path string) []*tcpConn {
	t.Helper()
	streams, err := pcaptest.ReadFile(path)
	require.NoError(t, err)
	conns := make([]*tcpConn, len(streams))
	for i, s := range streams {
		require.Zero(t, s.Gaps, "%s: connection %d lost bytes", path, i)
		c := &tcpConn{client: s.Client.String(), server: s.Server.String()}
		for _, ch := range s.Chunks {
			if ch.Len > 0 {
				c.segs = append(c.segs, segment{dir: ch.Dir, data: ch.Bytes(s), ts: ch.Time})
			}
		}
		conns[i] = c
	}
	return conns
}

// payload reads a hex bench payload from testdata.
func payload(t testing.TB, name string) []byte {
	return pcaptest.HexFile(t, filepath.Join("testdata", name+".hex"))
}

// TestChunkedPayload checks the chunked bench payload against net/http:
// the 1 KiB body of http_200_1k_resp in four 256-byte chunks.
func TestChunkedPayload(t *testing.T) {
	full, chunked := payload(t, "http_200_1k_resp"), chunkedResponse(t)
	body := full[bytes.Index(full, []byte("\r\n\r\n"))+4:]
	require.Len(t, body, 1024)
	r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(chunked)), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"chunked"}, r.TransferEncoding)
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	require.Equal(t, body, got)
	// Four "100\r\n" chunks of 256 bytes and CRLF, then "0\r\n\r\n": no trailer.
	framing := chunked[bytes.Index(chunked, []byte("\r\n\r\n"))+4:]
	require.Len(t, framing, 4*(5+256+2)+5)
	require.Equal(t, "100\r\n", string(framing[:5]))
}
