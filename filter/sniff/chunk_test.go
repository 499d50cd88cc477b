package sniff

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

// Pipelined requests with values larger than one read, split at random
// points in both directions: every request is reported once, complete.
func TestChunkingInvariance(t *testing.T) {
	value := bytes.Repeat([]byte("x"), 16<<10)
	req := []byte(fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$%d\r\n%s\r\n", len(value), value))
	const n = 300
	reqs := bytes.Repeat(req, n)
	rsps := bytes.Repeat([]byte("+OK\r\n"), n)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 20; trial++ {
		kinds := map[parser.ExchangeKind]int{}
		f, err := New([]*parser.Protocol{redis.Protocol()}, parser.SnifferOptions{},
			func(_ *filter.Conn, ex *parser.Exchange) { kinds[ex.Kind]++ })
		require.NoError(t, err)
		c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
		require.NoError(t, err)
		require.NoError(t, c.Start())
		q, p := reqs, rsps
		for len(q) > 0 || len(p) > 0 {
			if len(q) > 0 {
				k := min(len(q), 1+rng.IntN(40<<10))
				require.NoError(t, c.Feed(0, q[:k]))
				q = q[k:]
			}
			// a response only follows its whole request
			sent := (len(reqs) - len(q)) / len(req)
			if avail := sent*5 - (len(rsps) - len(p)); avail > 0 {
				k := min(avail, 1+rng.IntN(64))
				require.NoError(t, c.Feed(1, p[:k]))
				p = p[k:]
			}
		}
		c.Release()
		require.Equal(t, map[parser.ExchangeKind]int{parser.Complete: n}, kinds, "trial %d", trial)
	}
}
