package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/filter"
)

// holdAll is a read filter that holds every byte (it never decides), as a
// filter waiting for a whole request larger than the buffer would.
type holdAll struct{}

func (holdAll) OnNewConnection() filter.Status      { return filter.Continue }
func (holdAll) OnData(*filter.Buffer) filter.Status { return filter.Stop }

// TestHeldOverBufferIsLogged: a request larger than tcp_proxy's max_buffer,
// held by a filter, closes the connection, and the proxy's "closed" log line
// says why (filter.ErrBufferFull) and how many bytes were held, so a user
// finds the reason.
func TestHeldOverBufferIsLogged(t *testing.T) {
	up := serveTCP(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	lb := &logBuf{}
	log := slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg, closeFilters, err := NewRegistry(log)
	require.NoError(t, err)
	defer closeFilters()
	require.NoError(t, reg.Register("hold_all", func(json.RawMessage) (filter.Factory, error) {
		return filter.FactoryFunc(func(c *filter.Conn) error {
			c.AddReadFilter(holdAll{})
			return nil
		}), nil
	}))
	doc := strings.Replace(proxyConfig(up, "30s", `{"type":"hold_all"}`),
		`"idle_timeout":"30s"`, `"idle_timeout":"30s","max_buffer":40000`, 1)
	cfg, err := ParseConfig([]byte(doc))
	require.NoError(t, err)
	p, err := New(cfg, reg, log)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
	}()

	c, err := net.Dial("tcp", p.Addr("test").String())
	require.NoError(t, err)
	defer c.Close()
	c.Write([]byte(strings.Repeat("x", 100000))) // may fail part-way once the proxy closes
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "the proxy must close the connection")

	var closed []map[string]any
	require.Eventually(t, func() bool {
		closed = closedWithError(lb.records("closed"))
		return len(closed) == 1
	}, 5*time.Second, 10*time.Millisecond, lb.String())
	assert.Equal(t, filter.ErrBufferFull.Error(), closed[0]["error"], fmt.Sprint(closed[0]))
	assert.Equal(t, "INFO", closed[0]["level"])
}
