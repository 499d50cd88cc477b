package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry()
	require.NoError(t, r.Register(ConnLimitName, ConnLimitCreator))
	require.NoError(t, r.Register("noop", func(raw json.RawMessage) (Factory, error) {
		var cfg struct {
			Tag string `json:"tag"`
		}
		if err := DecodeConfig(raw, &cfg); err != nil {
			return nil, err
		}
		return FactoryFunc(func(c *Conn) error {
			if cfg.Tag == "fail" {
				return errors.New("no resources")
			}
			return nil
		}), nil
	}))
	return r
}

func TestRegistryErrors(t *testing.T) {
	r := testRegistry(t)
	tests := []struct {
		name   string
		doc    string
		is     error
		substr string
	}{
		{"unknown type lists registered", `[{"type":"tcp_copy"}]`, ErrUnknownFilter,
			`unknown filter type "tcp_copy" (registered: connection_limit, noop)`},
		{"unknown field", `[{"type":"noop","config":{"tags":"x"}}]`, ErrBadConfig, `unknown field "tags"`},
		{"wrong type", `[{"type":"connection_limit","config":{"max_connections":"ten"}}]`, ErrBadConfig, "filter #0"},
		{"out of range", `[{"type":"noop"},{"type":"connection_limit","config":{"max_connections":0}}]`, ErrBadConfig,
			`filter #1 ("connection_limit"): max_connections must be >= 1`},
		{"missing config is validated too", `{"filters":[{"type":"connection_limit"}]}`, ErrBadConfig, "max_connections"},
		{"bad chain document", `{"filter":[]}`, ErrBadConfig, "unknown field"},
		{"trailing data", `[{"type":"noop"}] []`, ErrBadConfig, "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := r.NewChainJSON([]byte(tt.doc))
			require.Nil(t, ch)
			require.ErrorIs(t, err, tt.is)
			assert.Contains(t, err.Error(), tt.substr)
		})
	}
	var ce *ConfigError
	_, err := r.NewChainJSON([]byte(`[{"type":"noop"},{"type":"nope"}]`))
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 1, ce.Index)
	assert.Equal(t, "nope", ce.Type)
	assert.False(t, errors.Is(err, ErrBadConfig), "unknown type is not a bad config")
}

func TestRegisterDuplicateAndInvalid(t *testing.T) {
	r := testRegistry(t)
	err := r.Register("noop", ConnLimitCreator)
	require.ErrorIs(t, err, ErrDuplicate)
	assert.Contains(t, err.Error(), `"noop"`)
	require.ErrorIs(t, r.Register("", ConnLimitCreator), ErrBadConfig)
	require.ErrorIs(t, r.Register("x", nil), ErrBadConfig)
	assert.Equal(t, []string{"connection_limit", "noop"}, r.Names())
}

func TestChainFromMOSNJSONAndMaps(t *testing.T) {
	r := testRegistry(t)
	ch, err := r.NewChainJSON([]byte(`{"filters":[
		{"type":"connection_limit","config":{"max_connections":2}},
		{"type":"noop","config":{"tag":"x"}},
		{"type":"noop","config":null}]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"connection_limit", "noop", "noop"}, ch.Names())
	ch2, err := r.NewChainMaps([]map[string]any{
		{"type": "connection_limit", "config": map[string]any{"max_connections": 3}},
		{"type": "noop"},
	})
	require.NoError(t, err)
	assert.Equal(t, 2, ch2.Len())
	s, err := SpecFromMap("noop", map[string]any{"tag": "y"})
	require.NoError(t, err)
	f, err := r.Create(s)
	require.NoError(t, err)
	require.NotNil(t, f)
	_, err = r.Create(Spec{Type: "noop", Config: json.RawMessage(`{"tag":1}`)})
	require.ErrorIs(t, err, ErrBadConfig)
	assert.True(t, strings.HasPrefix(err.Error(), `filter: "noop": `), err.Error())
}

func TestFactoryInstallErrorRefusesConnection(t *testing.T) {
	r := testRegistry(t)
	ch, err := r.NewChainJSON([]byte(`[{"type":"noop","config":{"tag":"fail"}}]`))
	require.NoError(t, err, "the config is valid; the failure is per connection")
	c, err := ch.NewConn(ConnInfo{}, ConnOptions{})
	require.Nil(t, c)
	require.ErrorContains(t, err, `installing filter #0 ("noop"): no resources`)
}

func TestDefaultRegistry(t *testing.T) {
	// Default is shared by the package; use a name no other test uses.
	name := fmt.Sprintf("default-registry-test-%d", time.Now().UnixNano())
	require.NoError(t, Register(name, ConnLimitCreator))
	require.ErrorIs(t, Register(name, ConnLimitCreator), ErrDuplicate)
	assert.Contains(t, Default.Names(), name)
}

func TestConnLimit(t *testing.T) {
	r := testRegistry(t)
	ch, err := r.NewChainJSON([]byte(`[{"type":"connection_limit","config":{"max_connections":2}}]`))
	require.NoError(t, err)
	open := func() (*Conn, error) {
		c, err := ch.NewConn(ConnInfo{}, ConnOptions{Upstream: &safeBuf{}, Downstream: &safeBuf{}})
		require.NoError(t, err)
		return c, c.Start()
	}
	c1, err := open()
	require.NoError(t, err)
	c2, err := open()
	require.NoError(t, err)
	c3, err := open()
	require.ErrorIs(t, err, ErrConnLimit)
	require.ErrorIs(t, c3.Feed(0, []byte("x")), ErrConnLimit, "a refused connection forwards nothing")
	c3.Release()
	c1.Release()
	c4, err := open()
	require.NoError(t, err, "a released connection frees its slot")
	c2.Release()
	c4.Release()
	var lim *ConnLimit
	f, err := r.Create(Spec{Type: ConnLimitName, Config: json.RawMessage(`{"max_connections":1}`)})
	require.NoError(t, err)
	lim = f.(*ConnLimit)
	assert.Equal(t, int64(0), lim.Open())
	// Counters of the chain's limiter.
	l2, err := NewConnLimit(ConnLimitConfig{MaxConnections: 1})
	require.NoError(t, err)
	ch2 := NewChain(l2)
	a, _ := ch2.NewConn(ConnInfo{}, ConnOptions{})
	require.NoError(t, a.Start())
	b, _ := ch2.NewConn(ConnInfo{}, ConnOptions{})
	require.ErrorIs(t, b.Start(), ErrConnLimit)
	assert.Equal(t, int64(1), l2.Open())
	assert.Equal(t, int64(1), l2.Refused())
	assert.Equal(t, int64(1), l2.Admitted())
	a.Release()
	b.Release()
	assert.Equal(t, int64(0), l2.Open())
}
