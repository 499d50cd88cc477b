//go:build !race

package redis

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wirekit/wirekit/parser"
)

// TestAllocs: framing and parsing allocate nothing in steady state, for
// requests (including key lookups past the cached arguments), every reply
// type, and pub/sub classification.
func TestAllocs(t *testing.T) {
	p := Protocol()
	st := p.NewState()
	many := []string{"MIGRATE", "h", "6379", "", "0", "5000"}
	for i := 0; i < 12; i++ {
		many = append(many, "COPY")
	}
	many = append(many, "KEYS", "a")
	reqs := []string{
		cmd("SET", "key", "value"), cmd("get", "k"), cmd("CLIENT", "SETNAME", "x"),
		cmd("EVAL", "s", "1", "k"), cmd("XREAD", "STREAMS", "s", "0"), cmd(many...), "GET k\r\n",
	}
	resps := []string{
		"+OK\r\n", "+Background saving started\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "*2\r\n:1\r\n:2\r\n", "%1\r\n+a\r\n_\r\n",
		"|1\r\n+a\r\n+b\r\n#t\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n", "*?\r\n:1\r\n.\r\n",
	}
	var m, mr parser.Message
	splitReq, splitResp := p.Split(st, parser.Request), p.Split(st, parser.Response)
	for _, r := range reqs {
		b := []byte(r)
		p.ParseRequest(&m, b, st) // warm the attribute storage
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := splitReq(b, false); err != nil {
				t.Fatal(err)
			}
			if !p.ParseRequest(&m, b, st) {
				t.Fatal(m.Err)
			}
		})
		assert.Zero(t, allocs, "%q", r)
	}
	p.ParseRequest(&m, []byte(cmd("SUBSCRIBE", "c")), st)
	for _, r := range resps {
		b := []byte(r)
		p.ParseResponse(&mr, b, &m.Attrs, st)
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := splitResp(b, false); err != nil {
				t.Fatal(err)
			}
			if !p.ParseResponse(&mr, b, &m.Attrs, st) {
				t.Fatal(mr.Err)
			}
		})
		assert.Zero(t, allocs, "%q", r)
	}
	// The Decoders, the requests' single pass included.
	decReq, decResp := p.Decoder(st, parser.Request), p.Decoder(st, parser.Response)
	for _, r := range reqs {
		b := []byte(r)
		allocs := testing.AllocsPerRun(100, func() {
			if n, framed, ok, err := decReq(&m, b, false); err != nil || !framed || !ok || n != len(b) {
				t.Fatal(n, err, m.Err)
			}
		})
		assert.Zero(t, allocs, "decoding %q", r)
	}
	p.ParseRequest(&m, []byte(cmd("SUBSCRIBE", "c")), st)
	for _, r := range resps {
		b := []byte(r)
		allocs := testing.AllocsPerRun(100, func() {
			mr.Request = &m.Attrs
			if n, framed, ok, err := decResp(&mr, b, false); err != nil || !framed || !ok || n != len(b) {
				t.Fatal(n, err, mr.Err)
			}
		})
		assert.Zero(t, allocs, "decoding %q", r)
	}
	// Need-more answers allocate nothing either.
	part := []byte("*3\r\n$3\r\nSET\r\n$3\r\nke")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if n, _, err := splitReq(part, false); n != 0 || err != nil {
			t.Fatal(n, err)
		}
	}))
}
