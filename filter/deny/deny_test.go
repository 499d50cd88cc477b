package deny

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

func resp(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

type conn struct {
	c         *filter.Conn
	up, down  bytes.Buffer
	closedErr error
}

func newConn(t *testing.T, f filter.Factory) *conn {
	t.Helper()
	cn := &conn{}
	c, err := filter.NewChain(f).NewConn(filter.ConnInfo{}, filter.ConnOptions{
		Upstream: &cn.up, Downstream: &cn.down, OnClose: func(err error) { cn.closedErr = err }})
	require.NoError(t, err)
	require.NoError(t, c.Start())
	cn.c = c
	return cn
}

func redisDeny(t *testing.T, cfg Config) *Factory {
	t.Helper()
	cfg.Protocol = "redis"
	f, err := NewCreator(redis.Protocol(), httpx.Protocol())(mustJSON(t, cfg))
	require.NoError(t, err)
	return f.(*Factory)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := jsonMarshal(v)
	require.NoError(t, err)
	return b
}

func TestDenyRedisCommand(t *testing.T) {
	f := redisDeny(t, Config{Attribute: redis.AttrCommand, Values: []string{"flushall", "CONFIG"},
		IgnoreCase: true, Reply: "-ERR denied\r\n"})
	cn := newConn(t, f)
	allowed := resp("SET", "k", "v") + resp("GET", "k")
	require.NoError(t, cn.c.Feed(0, []byte(allowed)))
	assert.Equal(t, allowed, cn.up.String())

	err := cn.c.Feed(0, []byte(resp("PING")+resp("FLUSHALL")+resp("GET", "k")))
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, filter.ErrDenied)
	assert.Equal(t, "FLUSHALL", de.Value)
	assert.Equal(t, allowed, cn.up.String(), "nothing of the denied read is forwarded, not even the PING before it")
	assert.Equal(t, "-ERR denied\r\n", cn.down.String())
	assert.Equal(t, err, cn.closedErr)
	assert.Equal(t, Stats{Checked: 4, Denied: 1}, f.Stats())
	cn.c.Release()
}

// Whatever the split of the stream into reads, only whole requests from
// before the denied one are forwarded, byte for byte, never a partial one
// and never the denied one. (Requests that share the denied request's read,
// are not forwarded: the connection closes, so fail closed.)
func TestDenyChunkingInvariance(t *testing.T) {
	var reqs []string
	for i := 0; i < 30; i++ {
		reqs = append(reqs, resp("SET", fmt.Sprintf("key:%d", i), strings.Repeat("v", i*7)))
	}
	reqs = append(reqs, resp("CONFIG", "SET", "maxmemory", "1"), resp("GET", "after"))
	stream := strings.Join(reqs, "")
	allowed := strings.Join(reqs[:30], "")
	rng := rand.New(rand.NewPCG(1, 2))
	forwarded := map[int]int{} // requests forwarded -> trials
	for trial := 0; trial < 100; trial++ {
		f := redisDeny(t, Config{Attribute: redis.AttrCommand, Values: []string{"CONFIG"}})
		cn := newConn(t, f)
		s := stream
		var err error
		for len(s) > 0 && err == nil {
			n := 1 + rng.IntN(min(len(s), 64))
			err = cn.c.Feed(0, []byte(s[:n]))
			s = s[n:]
			require.True(t, strings.HasPrefix(allowed, cn.up.String()), "trial %d: forwarded bytes are a prefix of the allowed ones", trial)
			// Only whole requests are ever forwarded.
			_, _, ferr := parserSplitAll(cn.up.Bytes())
			require.NoError(t, ferr)
		}
		require.ErrorIs(t, err, filter.ErrDenied, "trial %d", trial)
		require.True(t, strings.HasPrefix(allowed, cn.up.String()), "trial %d", trial)
		n, _, _ := parserSplitAll(cn.up.Bytes())
		forwarded[n]++
		cn.c.Release()
	}
	// Reads of at most 64 bytes: every allowed request that ended in an
	// earlier read than the denied one is forwarded (Pass), so all 30 get
	// through unless the last ones share the denied request's read.
	most := 0
	for n, k := range forwarded {
		if n >= 29 {
			most += k
		}
	}
	assert.Equal(t, 100, most, "%v", forwarded)
}

// parserSplitAll frames b with Redis framing and reports whether it is made
// of whole requests.
func parserSplitAll(b []byte) (n int, rest []byte, err error) {
	p := redis.Protocol()
	split := p.Split(p.NewState(), parser.Request)
	for len(b) > 0 {
		adv, tok, err := split(b, false)
		if err != nil {
			return n, b, err
		}
		if adv == 0 || tok == nil {
			return n, b, errors.New("partial request forwarded")
		}
		n++
		b = b[adv:]
	}
	return n, nil, nil
}

func TestDenyHoldsIncompleteRequest(t *testing.T) {
	f := redisDeny(t, Config{Attribute: redis.AttrCommand, Values: []string{"FLUSHALL"}})
	cn := newConn(t, f)
	full := resp("SET", "big", strings.Repeat("x", 10000))
	require.NoError(t, cn.c.Feed(0, []byte(full[:5000])))
	assert.Zero(t, cn.up.Len(), "an incomplete request is held (Stop)")
	assert.Equal(t, 5000, cn.c.Stats(0).Held)
	require.NoError(t, cn.c.Feed(0, []byte(full[5000:])))
	assert.Equal(t, full, cn.up.String())
	assert.Equal(t, Stats{Checked: 1}, f.Stats(), "a held request is checked once")
}

func TestDenyHTTPPathPrefix(t *testing.T) {
	fac, err := NewCreator(redis.Protocol(), httpx.Protocol())([]byte(`{"protocol":"http","attribute":"http.path",
		"values":["/admin"],"match":"prefix","ignore_case":true,
		"reply":"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"}`))
	require.NoError(t, err)
	cn := newConn(t, fac)
	ok := "POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
	require.NoError(t, cn.c.Feed(0, []byte(ok)))
	assert.Equal(t, ok, cn.up.String())
	err = cn.c.Feed(0, []byte("GET /ADMIN/users HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.ErrorIs(t, err, filter.ErrDenied)
	assert.Contains(t, err.Error(), `http.path "/ADMIN/users" denied`)
	assert.Equal(t, ok, cn.up.String())
	assert.True(t, strings.HasPrefix(cn.down.String(), "HTTP/1.1 403 Forbidden"))
}

func TestDenyParseErrors(t *testing.T) {
	garbage := []byte("*x\r\n")
	f := redisDeny(t, Config{Attribute: redis.AttrCommand, Values: []string{"FLUSHALL"}})
	cn := newConn(t, f)
	err := cn.c.Feed(0, garbage)
	require.ErrorIs(t, err, ErrUnparsable, "fail closed by default")
	assert.Zero(t, cn.up.Len())
	assert.Equal(t, int64(1), f.Stats().Unparsable)

	f = redisDeny(t, Config{Attribute: redis.AttrCommand, Values: []string{"FLUSHALL"}, OnParseError: "allow"})
	cn = newConn(t, f)
	require.NoError(t, cn.c.Feed(0, garbage))
	require.NoError(t, cn.c.Feed(0, []byte(resp("FLUSHALL"))))
	assert.Equal(t, string(garbage)+resp("FLUSHALL"), cn.up.String(), "allow: the connection is no longer checked")
}

func TestConfigErrors(t *testing.T) {
	r := filter.NewRegistry()
	require.NoError(t, r.Register(Name, NewCreator(redis.Protocol(), httpx.Protocol())))
	for _, tt := range []struct{ cfg, want string }{
		{`{"protocol":"smtp","attribute":"x","values":["a"]}`, `unknown protocol "smtp" (known: http, redis)`},
		{`{"protocol":"redis","values":["a"]}`, "attribute is required"},
		{`{"protocol":"redis","attribute":"redis.command"}`, "at least one value"},
		{`{"protocol":"redis","attribute":"redis.command","values":[""]}`, "empty value"},
		{`{"protocol":"redis","attribute":"redis.command","values":["A"],"match":"regex"}`, `match must be`},
		{`{"protocol":"redis","attribute":"redis.command","values":["A"],"on_parse_error":"drop"}`, `on_parse_error must be`},
		{`{"protocol":"redis","attribute":"redis.command","values":["A"],"extra":1}`, `unknown field "extra"`},
	} {
		_, err := r.NewChainJSON([]byte(`[{"type":"deny","config":` + tt.cfg + `}]`))
		require.ErrorIs(t, err, filter.ErrBadConfig, tt.cfg)
		assert.Contains(t, err.Error(), tt.want)
	}
}

func ExampleNewCreator() {
	r := filter.NewRegistry()
	_ = r.Register(Name, NewCreator(redis.Protocol()))
	ch, _ := r.NewChainJSON([]byte(`[{"type": "deny", "config": {"protocol": "redis",
		"attribute": "redis.command", "values": ["FLUSHALL"], "reply": "-ERR denied\r\n"}}]`))
	var up, down bytes.Buffer
	c, _ := ch.NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: &up, Downstream: &down})
	_ = c.Start()
	_ = c.Feed(0, []byte("*1\r\n$4\r\nPING\r\n"))
	err := c.Feed(0, []byte("*1\r\n$8\r\nFLUSHALL\r\n"))
	fmt.Printf("upstream got %q\nclient got %q\nclosed: %v\n", up.String(), down.String(), err)
	c.Release()
	// Output:
	// upstream got "*1\r\n$4\r\nPING\r\n"
	// client got "-ERR denied\r\n"
	// closed: deny: redis.command "FLUSHALL" denied
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func TestDenyIntegerAttribute(t *testing.T) {
	// redis.args is an integer attribute: deny calls with 3 arguments.
	f := redisDeny(t, Config{Attribute: redis.AttrArgs, Values: []string{"3"}})
	cn := newConn(t, f)
	require.NoError(t, cn.c.Feed(0, []byte(resp("SET", "k", "v"))))
	err := cn.c.Feed(0, []byte(resp("SET", "k", "v", "NX")))
	require.ErrorIs(t, err, filter.ErrDenied)
	assert.Contains(t, err.Error(), `redis.args "3" denied`)
	assert.Equal(t, resp("SET", "k", "v"), cn.up.String())
}
