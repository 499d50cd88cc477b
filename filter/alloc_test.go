//go:build !race

package filter

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadFromAllocatesNothing(t *testing.T) {
	chunk := make([]byte, 1400)
	for name, ch := range map[string]*Chain{
		"empty chain": NewChain(),
		"observers": NewChain(FactoryFunc(func(c *Conn) error {
			o := &observer{}
			c.AddReadFilter(o)
			c.AddWriteFilter(o)
			return nil
		})),
	} {
		c, err := ch.NewConn(ConnInfo{}, ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
		require.NoError(t, err)
		require.NoError(t, c.Start())
		src := &repeatReader{chunk}
		_, _ = c.ReadFrom(0, src) // first read takes the buffer from the pool
		_, _ = c.ReadFrom(1, src)
		allocs := testing.AllocsPerRun(1000, func() {
			_, _ = c.ReadFrom(0, src)
			_, _ = c.ReadFrom(1, src)
		})
		require.Zero(t, allocs, name)
		c.Release()
	}
}
