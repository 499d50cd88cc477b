//go:build !race

package filter

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// observer reads every byte and keeps nothing, like a metrics filter.
type observer struct{ n int }

func (o *observer) OnNewConnection() Status { return Continue }
func (o *observer) OnData(b *Buffer) Status { o.n += len(b.Unseen()); return Continue }
func (o *observer) OnWrite(b *Buffer) Status {
	o.n += len(b.Unseen())
	return Continue
}

// repeatReader returns the same chunk forever.
type repeatReader struct{ p []byte }

func (r *repeatReader) Read(b []byte) (int, error) { return copy(b, r.p), nil }

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
