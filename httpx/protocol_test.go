package httpx_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// attrList is a message's attributes in order, values as text.
func attrList(a *parser.Attributes) []string {
	var out []string
	for k, v := range a.All() {
		out = append(out, k+"="+v.Kind().String()+":"+v.String())
	}
	return out
}

// TestTreesReuseFramedHead: when a tree parses the token its State's
// Split has just returned, it uses the head Split decoded instead of
// decoding it again. The attributes, flags and consumed length must be
// exactly those of a tree that decodes on its own (no State), for the
// corpus streams and for generated exchanges, with and without extra
// headers; the reuse must really happen (the State's hold is consumed);
// and a message that is not that token (a copy elsewhere in memory, a
// second parse of the same token) is decoded from its bytes.
func TestTreesReuseFramedHead(t *testing.T) {
	withExtra, err := httpx.NewParser(httpx.Options{ExtraHeaders: []string{"traceparent", "Server", "x-t"}})
	require.NoError(t, err)
	parsers := map[string]*httpx.Parser{"default": httpx.DefaultParser(), "extra headers": withExtra}

	var streams [][2][]byte // request stream, response stream
	for _, cf := range corpusFiles {
		for _, tc := range readConns(t, pcaptest.Corpus(cf.name+".pcap")) {
			streams = append(streams, [2][]byte{tc.stream(parser.Request), tc.stream(parser.Response)})
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 300 {
		var rq, rs []byte
		for range 1 + rng.IntN(3) {
			req, resps := genExchange(rng)
			rq = append(rq, req...)
			for _, r := range resps {
				rs = append(rs, r...)
			}
		}
		streams = append(streams, [2][]byte{rq, rs})
	}
	streams = append(streams, [2][]byte{
		append(payload(t, "http_get_req"), payload(t, "http_get_req")...),
		append(payload(t, "http_200_1k_resp"), chunkedResponse(t)...),
	})

	for name, p := range parsers {
		proto := p.Protocol()
		reused := 0
		for si, st := range streams {
			s := p.NewState()
			decode := [2]parser.DecodeFunc{
				proto.Decoder(s, parser.Request), proto.Decoder(s, parser.Response),
			}
			// Requests first, all of them, as a pipelining client sends.
			var reqAttrs []*parser.Attributes
			for dir := parser.Request; dir <= parser.Response; dir++ {
				ri := 0
				for b := st[dir]; len(b) > 0; {
					var fused, plain, again parser.Message
					var req *parser.Attributes
					if dir == parser.Response && ri < len(reqAttrs) {
						req = reqAttrs[ri]
					}
					fused.Request = req
					adv, framed, okF, err := decode[dir](&fused, b, true)
					require.NoError(t, err, "%s stream %d", name, si)
					require.Positive(t, adv)
					b = b[adv:]
					if !framed {
						continue
					}
					tok := fused.Data
					require.True(t, httpx.FramedHeld(s, dir), "the head was decoded in the framing call")
					parse := func(m *parser.Message, msg []byte, state any) bool {
						if dir == parser.Request {
							return proto.ParseRequest(m, msg, state)
						}
						return proto.ParseResponse(m, msg, req, state)
					}
					okP := parse(&plain, slices.Clone(tok), s) // a copy: decoded from its bytes
					okA := parse(&again, tok, nil)
					require.True(t, okF, "%s stream %d: %v", name, si, fused.Err)
					for _, m := range []*parser.Message{&plain, &again} {
						require.True(t, okP && okA, "%s stream %d: %v", name, si, m.Err)
						assert.Equal(t, attrList(&m.Attrs), attrList(&fused.Attrs), "%s stream %d", name, si)
						assert.Equal(t, m.Flags, fused.Flags)
						assert.Equal(t, m.Offset, fused.Offset)
					}
					assert.Equal(t, len(tok), fused.Offset)
					reused++
					if dir == parser.Request {
						a := new(parser.Attributes)
						a.CopyFrom(&fused.Attrs)
						reqAttrs = append(reqAttrs, a)
					} else if fused.Flags&parser.Interim == 0 {
						ri++
					}
				}
			}
		}
		assert.Greater(t, reused, 900, name)
	}
}
