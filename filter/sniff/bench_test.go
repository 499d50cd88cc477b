package sniff

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

// BenchmarkSniffRedis: one read of 16 pipelined SETs and one read of their
// replies through a chain holding only sniff, per op (MB/s counts both).
func BenchmarkSniffRedis(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(fmt.Sprintf("value%dB", size), func(b *testing.B) {
			req := fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$%d\r\n%s\r\n", size, bytes.Repeat([]byte("v"), size))
			reqs := &repeat{[]byte(string(bytes.Repeat([]byte(req), 16)))}
			rsps := &repeat{bytes.Repeat([]byte("+OK\r\n"), 16)}
			n := 0
			f, err := New([]*parser.Protocol{redis.Protocol()}, parser.SnifferOptions{},
				func(*filter.Conn, *parser.Exchange) { n++ })
			if err != nil {
				b.Fatal(err)
			}
			c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			_ = c.Start()
			b.SetBytes(int64(len(reqs.p) + len(rsps.p)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, _ = c.ReadFrom(0, reqs)
				_, _ = c.ReadFrom(1, rsps)
			}
			b.StopTimer()
			if n != 16*b.N {
				b.Fatalf("%d exchanges for %d requests", n, 16*b.N)
			}
			c.Release()
		})
	}
}
