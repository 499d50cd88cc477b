//go:build !race

package mysql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// TestAllocs holds the allocation budgets: parsing every kind of message
// allocates nothing, and a Conn in steady state allocates nothing per
// exchange (a STMT_PREPARE remembers its text: one copy per new
// statement, outside this loop).
func TestAllocs(t *testing.T) {
	p := Protocol()
	st := p.NewState()
	var m parser.Message
	var req, prep parser.Attributes
	req.SetString(AttrCommand, "QUERY")
	prep.SetString(AttrCommand, "STMT_PREPARE")
	prep.SetString(AttrStatement, "INSERT INTO t VALUES (?)")
	require.True(t, p.ParseResponse(&m, prepResp, &prep, st))
	tests := []struct {
		name string
		run  func() bool
	}{
		{"query", func() bool { return p.ParseRequest(&m, queryReq, st) }},
		{"execute (statement known)", func() bool { return p.ParseRequest(&m, executeReq, st) }},
		{"result set", func() bool { return p.ParseResponse(&m, resultResp, &req, st) }},
		{"ok", func() bool { return p.ParseResponse(&m, okResp, &req, st) }},
		{"err", func() bool { return p.ParseResponse(&m, errResp, &req, st) }},
		{"prepare ok (same text)", func() bool { return p.ParseResponse(&m, prepResp, &prep, st) }},
	}
	for _, tt := range tests {
		assert.True(t, tt.run(), tt.name)
		assert.Zero(t, testing.AllocsPerRun(200, func() { tt.run() }), tt.name)
	}

	n := 0
	c := parser.NewConn(p, parser.ConnOptions{}, func(*parser.Exchange) { n++ })
	ts := time.Unix(0, 0)
	c.Feed(parser.Request, prepareReq, ts)
	c.Feed(parser.Response, prepResp, ts)
	round := func() {
		c.Feed(parser.Request, queryReq, ts)
		c.Feed(parser.Response, resultResp, ts)
		c.Feed(parser.Request, executeReq, ts)
		c.Feed(parser.Response, okResp, ts)
	}
	round()
	assert.Zero(t, testing.AllocsPerRun(200, round), "Conn steady state")
	assert.Equal(t, 1+2*202, n)
}
