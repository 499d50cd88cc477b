package deny

import (
	"bytes"
	"io"
	"testing"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/redis"
)

type repeat struct{ p []byte }

func (r *repeat) Read(b []byte) (int, error) { return copy(b, r.p), nil }

// BenchmarkDenyRedis: a read of 16 pipelined commands checked against a
// deny list of 5 commands, per op.
func BenchmarkDenyRedis(b *testing.B) {
	f, err := New(redis.Protocol(), Config{Attribute: redis.AttrCommand,
		Values: []string{"FLUSHALL", "FLUSHDB", "CONFIG", "DEBUG", "SHUTDOWN"}, IgnoreCase: true})
	if err != nil {
		b.Fatal(err)
	}
	c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	_ = c.Start()
	src := &repeat{bytes.Repeat([]byte(resp("SET", "key:000001", "value-0123456789")+resp("GET", "key:000001")), 8)}
	b.SetBytes(int64(len(src.p)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.ReadFrom(0, src); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := f.Stats(); st.Checked != int64(16*(b.N)) || st.Denied != 0 {
		b.Fatalf("%+v for %d reads", st, b.N)
	}
	c.Release()
}
