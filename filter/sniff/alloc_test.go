//go:build !race

package sniff

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

// Once the protocol is known, sniffing a read of whole messages allocates
// nothing: no copies in the filter, none in the chain.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	n := 0
	f, err := New([]*parser.Protocol{redis.Protocol()}, parser.SnifferOptions{},
		func(*filter.Conn, *parser.Exchange) { n++ })
	require.NoError(t, err)
	requireSteadyZeroAllocs(t, f, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "+OK\r\n$5\r\nvalue\r\n")
	require.Equal(t, 2*(10+1+1000), n, "AllocsPerRun runs the function once more to warm up")
}

// Strict redaction rewrites query values into the connection's buffers,
// reused from exchange to exchange: still nothing allocated.
func TestRedactionAllocatesNothing(t *testing.T) {
	n := 0
	f, err := New([]*parser.Protocol{httpx.Protocol()}, parser.SnifferOptions{},
		func(_ *filter.Conn, ex *parser.Exchange) {
			if p, _ := ex.Request.UnsafeString(httpx.AttrPath); p == "/login?token=***&page=***" {
				n++
			}
		})
	require.NoError(t, err)
	requireSteadyZeroAllocs(t, f, "GET /login?token=abc&page=2 HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n")
	require.Equal(t, 10+1+1000, n, "every exchange redacted")
}

// requireSteadyZeroAllocs runs f alone in a chain's connection, reading
// req and then rsp (each once per read) 10 times to warm up, then checks
// 1000 more such rounds (and AllocsPerRun's own warm-up one) allocate
// nothing.
func requireSteadyZeroAllocs(t *testing.T, f filter.Factory, req, rsp string) {
	t.Helper()
	c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	require.NoError(t, err)
	defer c.Release()
	require.NoError(t, c.Start())
	in, out := &repeat{[]byte(req)}, &repeat{[]byte(rsp)}
	for i := 0; i < 10; i++ {
		_, _ = c.ReadFrom(0, in)
		_, _ = c.ReadFrom(1, out)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = c.ReadFrom(0, in)
		_, _ = c.ReadFrom(1, out)
	})
	require.Zero(t, allocs)
}
