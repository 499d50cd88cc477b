package builtin

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/filter/sniff"
	"github.com/wirekit/wirekit/parser"
)

func TestRegister(t *testing.T) {
	r := filter.NewRegistry()
	require.NoError(t, Register(r, Options{}))
	assert.Equal(t, []string{"connection_limit", "deny", "tcpcopy"}, r.Names(), "no sniff without a handler")

	r = filter.NewRegistry()
	var sniffs []*sniff.Factory
	require.NoError(t, Register(r, Options{OnExchange: func(*filter.Conn, *parser.Exchange) {},
		OnSniff: func(f *sniff.Factory) { sniffs = append(sniffs, f) }}))
	assert.Equal(t, []string{"connection_limit", "deny", "sniff", "tcpcopy"}, r.Names())
	_, err := r.NewChainJSON([]byte(`[{"type":"sniff","config":{"protocols":["http","redis","kafka","dubbo2"]}},
		{"type":"deny","config":{"protocol":"kafka","attribute":"kafka.api_key","values":["20"]}}]`))
	require.NoError(t, err)
	require.Len(t, sniffs, 1, "OnSniff sees the factory the chain uses")
	assert.Zero(t, sniffs[0].Stats().Connections)

	require.ErrorIs(t, Register(r, Options{}), filter.ErrDuplicate)
}
