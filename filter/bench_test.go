package filter

import (
	"io"
	"testing"
)

// The chain's cost per read, without sockets: a reader that returns the same
// chunk forever and a discarding destination. "plain" is the loop a proxy
// without filters runs (Read into a buffer, Write it out), the floor.
func BenchmarkReadFrom(b *testing.B) {
	for _, size := range []int{64, 1400, 16 << 10} {
		chunk := make([]byte, size)
		b.Run(sizeName(size)+"/plain", func(b *testing.B) {
			src, buf := &repeatReader{chunk}, make([]byte, DefaultBufferSize)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				n, _ := src.Read(buf)
				_, _ = io.Discard.Write(buf[:n])
			}
		})
		for _, tc := range []struct {
			name      string
			observers int
		}{{"empty", 0}, {"observers1", 1}, {"observers4", 4}} {
			b.Run(sizeName(size)+"/"+tc.name, func(b *testing.B) {
				var fs []Factory
				for i := 0; i < tc.observers; i++ {
					fs = append(fs, FactoryFunc(func(c *Conn) error {
						o := &observer{}
						c.AddReadFilter(o)
						return nil
					}))
				}
				c, err := NewChain(fs...).NewConn(ConnInfo{}, ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
				if err != nil {
					b.Fatal(err)
				}
				_ = c.Start()
				src := &repeatReader{chunk}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					_, _ = c.ReadFrom(0, src)
				}
				b.StopTimer()
				c.Release()
			})
		}
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
