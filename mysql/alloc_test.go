//go:build !race

package mysql

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/internal/sqltest"
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
	sqltest.ZeroAllocs(t, "query", func() bool { return p.ParseRequest(&m, queryReq, st) })
	sqltest.ZeroAllocs(t, "execute (statement known)", func() bool { return p.ParseRequest(&m, executeReq, st) })
	sqltest.ZeroAllocs(t, "result set", func() bool { return p.ParseResponse(&m, resultResp, &req, st) })
	sqltest.ZeroAllocs(t, "ok", func() bool { return p.ParseResponse(&m, okResp, &req, st) })
	sqltest.ZeroAllocs(t, "err", func() bool { return p.ParseResponse(&m, errResp, &req, st) })
	sqltest.ZeroAllocs(t, "prepare ok (same text)", func() bool { return p.ParseResponse(&m, prepResp, &prep, st) })
	sqltest.SteadyConnAllocs(t, p, [][]byte{prepareReq, prepResp}, [][]byte{queryReq, resultResp, executeReq, okResp})
}
