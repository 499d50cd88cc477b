package filter_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wirekit/wirekit/filter"
)

// lineGate forwards whole lines only, and closes the connection on a line
// that says "quit". It shows Stop, Pass and Close.
type lineGate struct{ cb *filter.ReadCallbacks }

func (g *lineGate) OnNewConnection() filter.Status { return filter.Continue }

func (g *lineGate) OnData(b *filter.Buffer) filter.Status {
	data := b.Bytes()
	if bytes.Contains(data, []byte("quit\n")) {
		g.cb.Conn().Close(fmt.Errorf("client quit"))
		return filter.Stop
	}
	end := bytes.LastIndexByte(data, '\n') + 1
	if end == len(data) {
		return filter.Continue
	}
	b.Pass(end) // let the whole lines through, hold the partial one
	return filter.Stop
}

// counter is a write filter that counts the bytes the client is sent.
type counter struct{ n *int }

func (u counter) OnWrite(b *filter.Buffer) filter.Status {
	*u.n += len(b.Unseen())
	return filter.Continue
}

func Example() {
	// Register filter types once, then build chains from configuration.
	reg := filter.NewRegistry()
	sent := 0
	_ = reg.Register("line_gate", func(json.RawMessage) (filter.Factory, error) {
		return filter.FactoryFunc(func(c *filter.Conn) error {
			g := &lineGate{}
			g.cb = c.AddReadFilter(g)
			c.AddWriteFilter(counter{&sent})
			return nil
		}), nil
	})
	chain, err := reg.NewChainJSON([]byte(`{"filters": [{"type": "line_gate"}]}`))
	if err != nil {
		panic(err)
	}

	// Per connection: the owner gives the destinations and drives reads.
	var upstream, client strings.Builder
	conn, _ := chain.NewConn(filter.ConnInfo{Listener: "demo"}, filter.ConnOptions{
		Upstream:   &upstream,
		Downstream: &client,
		OnClose:    func(err error) { fmt.Println("closed:", err) },
	})
	_ = conn.Start()
	_ = conn.Feed(0, []byte("hello\nwor"))
	fmt.Printf("upstream has %q\n", upstream.String())
	_ = conn.Feed(0, []byte("ld\n"))
	fmt.Printf("upstream has %q\n", upstream.String())
	_ = conn.Feed(1, []byte("HELLO WORLD\n"))
	fmt.Printf("client has %q (%d bytes seen by the write filter)\n", client.String(), sent)
	err = conn.Feed(0, []byte("quit\n"))
	fmt.Println("feed:", err)
	conn.Release()
	// Output:
	// upstream has "hello\n"
	// upstream has "hello\nworld\n"
	// client has "HELLO WORLD\n" (12 bytes seen by the write filter)
	// closed: client quit
	// feed: client quit
}

func ExampleRegistry_NewChainJSON() {
	reg := filter.NewRegistry()
	_ = reg.Register(filter.ConnLimitName, filter.ConnLimitCreator)
	_, err := reg.NewChainJSON([]byte(`[{"type": "conn_limit"}]`))
	fmt.Println(err)
	_, err = reg.NewChainJSON([]byte(`[{"type": "connection_limit", "config": {"max_connections": 0}}]`))
	fmt.Println(err)
	// Output:
	// filter: filter #0 ("conn_limit"): unknown filter type "conn_limit" (registered: connection_limit)
	// filter: filter #0 ("connection_limit"): max_connections must be >= 1, got 0
}
