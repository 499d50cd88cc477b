//go:build !race

package postgres

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
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
	sqltest.ZeroAllocs(t, "query", func() bool { return p.ParseRequest(&m, queryReq, st) })
	sqltest.ZeroAllocs(t, "parse (statement already known)", func() bool { return p.ParseRequest(&m, prepareReq, st) })
	sqltest.ZeroAllocs(t, "bind/execute", func() bool { return p.ParseRequest(&m, execReq, st) })
	sqltest.ZeroAllocs(t, "row response", func() bool { return p.ParseResponse(&m, queryResp, &req, st) })
	sqltest.ZeroAllocs(t, "error response", func() bool { return p.ParseResponse(&m, errResp, &req, st) })
	sqltest.SteadyConnAllocs(t, p, nil, [][]byte{queryReq, queryResp, prepareReq, prepResp, execReq, execResp})
}
