//go:build !race

package postgres

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// TestAllocs holds the allocation budgets: parsing every kind of message
// allocates nothing, and a Conn in steady state (the same exchanges over
// and over, statements already prepared) allocates nothing per exchange.
func TestAllocs(t *testing.T) {
	p := Protocol()
	st := p.NewState()
	var m parser.Message
	var req parser.Attributes
	req.SetString(AttrCommand, CommandQuery)
	require.True(t, p.ParseRequest(&m, prepareReq, st)) // remembers "ins"
	tests := []struct {
		name string
		run  func() bool
	}{
		{"query", func() bool { return p.ParseRequest(&m, queryReq, st) }},
		{"parse (statement already known)", func() bool { return p.ParseRequest(&m, prepareReq, st) }},
		{"bind/execute", func() bool { return p.ParseRequest(&m, execReq, st) }},
		{"row response", func() bool { return p.ParseResponse(&m, queryResp, &req, st) }},
		{"error response", func() bool { return p.ParseResponse(&m, errResp, &req, st) }},
	}
	for _, tt := range tests {
		assert.True(t, tt.run(), tt.name)
		assert.Zero(t, testing.AllocsPerRun(200, func() { tt.run() }), tt.name)
	}

	n := 0
	c := parser.NewConn(p, parser.ConnOptions{}, func(*parser.Exchange) { n++ })
	ts := time.Unix(0, 0)
	round := func() {
		c.Feed(parser.Request, queryReq, ts)
		c.Feed(parser.Response, queryResp, ts)
		c.Feed(parser.Request, prepareReq, ts)
		c.Feed(parser.Response, prepResp, ts)
		c.Feed(parser.Request, execReq, ts)
		c.Feed(parser.Response, execResp, ts)
	}
	round()
	assert.Zero(t, testing.AllocsPerRun(200, round), "Conn steady state")
	assert.Equal(t, 3*202, n)
}
