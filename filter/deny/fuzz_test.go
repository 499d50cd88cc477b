package deny

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/redis"
)

// FuzzDeny feeds arbitrary client bytes, in reads of sizes taken from the
// input, through the deny filter for Redis: whatever happens, only whole
// requests are forwarded and none of them is denied.
func FuzzDeny(f *testing.F) {
	pcaptest.Seed(f, pcaptest.Corpus("redis_cli_session.pcap"), redis.Protocol(), parser.Request)
	f.Add([]byte("*1\r\n$8\r\nFLUSHALL\r\n"))
	f.Add([]byte("flushall\r\n")) // inline command
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$8\r\nflushALL\r\n"))
	p := redis.Protocol()
	f.Fuzz(func(t *testing.T, data []byte) {
		fac, err := New(p, Config{Protocol: "redis", Attribute: redis.AttrCommand, Values: []string{"FLUSHALL"}, IgnoreCase: true})
		if err != nil {
			t.Fatal(err)
		}
		var up bytes.Buffer
		c, err := filter.NewChain(fac).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: &up, Downstream: io.Discard,
			BufferSize: 4096, MaxBuffer: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Start()
		step := 1
		if len(data) > 0 {
			step = 1 + int(data[0])%17
		}
		for rest := data; len(rest) > 0; {
			n := min(step, len(rest))
			if err := c.Feed(0, rest[:n]); err != nil {
				if !errors.Is(err, filter.ErrDenied) && !errors.Is(err, ErrUnparsable) && !errors.Is(err, filter.ErrBufferFull) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			rest = rest[n:]
		}
		c.Release()
		// What went upstream frames into whole requests, none denied.
		split := p.Split(p.NewState(), parser.Request)
		var m parser.Message
		state := p.NewState()
		for b := up.Bytes(); len(b) > 0; {
			adv, tok, err := split(b, false)
			if err != nil || adv == 0 {
				t.Fatalf("forwarded bytes do not frame (%v, adv %d): %q", err, adv, up.Bytes())
			}
			if tok != nil {
				p.ParseRequest(&m, tok, state)
				if v, ok := m.Attrs.String(redis.AttrCommand); ok && fac.deniedValue(v) {
					t.Fatalf("denied command %q forwarded", v)
				}
			}
			b = b[adv:]
		}
		if st := c.Stats(0); st.Read != st.Forwarded+st.Drained+int64(st.Held) {
			t.Fatalf("bytes not conserved: %+v", st)
		}
	})
}
