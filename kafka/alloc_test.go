//go:build !race

package kafka

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wirekit/wirekit/parser"
)

// TestZeroAllocs: parsing allocates nothing in steady state, for the
// benchmark payloads, every generated message of every decoded API and
// version, a Metadata response refreshing known topic ids, and framing.
func TestZeroAllocs(t *testing.T) {
	p := NewProtocol(Options{})
	state := p.NewState()
	var req, resp parser.Message
	pairs := [][2][]byte{}
	for _, n := range []string{"produce_v7", "produce_v9", "fetch_v11", "fetch_v12"} {
		pairs = append(pairs, [2][]byte{payload(t, "kafka_"+n+"_req"), payload(t, "kafka_"+n+"_resp")})
	}
	for _, c := range genCases(t) {
		pairs = append(pairs, [2][]byte{c.reqFrame, c.respFrame})
	}
	mreq, mresp := metadataV12Response(t)
	freq, fresp := fetchV13Response(t)
	pairs = append(pairs, [2][]byte{mreq, mresp}, [2][]byte{freq, fresp})
	for _, pr := range pairs {
		p.ParseRequest(&req, pr[0], state)
		p.ParseResponse(&resp, pr[1], &req.Attrs, state)
		allocs := testing.AllocsPerRun(50, func() {
			p.ParseRequest(&req, pr[0], state)
			p.ParseResponse(&resp, pr[1], &req.Attrs, state)
		})
		name, _ := req.Attrs.String(AttrAPIName)
		v, _ := req.Attrs.Int(AttrAPIVersion)
		assert.Zero(t, allocs, "%s v%d", name, v)
	}
	split := Split(parser.Request)
	msg := pairs[0][0]
	assert.Zero(t, testing.AllocsPerRun(100, func() { split(msg, false) }))
	var m parser.Message
	m.Data = []byte("GET / HTTP/1.1\r\n")
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.Request.FastFail(&m) }))
}
