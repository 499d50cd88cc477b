package proxy_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/filter/builtin"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/proxy"
)

// A proxy in front of an HTTP server, with the sniff filter reporting each
// exchange to a callback of the program's own.
func Example() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	}))
	defer upstream.Close()

	cfg, err := proxy.ParseConfig([]byte(fmt.Sprintf(`{
	  "servers": [{"listeners": [{"name": "web", "address": "127.0.0.1:0",
	    "filter_chains": [{"filters": [
	      {"type": "sniff", "config": {}},
	      {"type": "tcp_proxy", "config": {"cluster": "web"}}]}]}]}],
	  "cluster_manager": {"clusters": [{"name": "web", "hosts": [{"address": %q}]}]}
	}`, upstream.Listener.Addr())))
	if err != nil {
		fmt.Println(err)
		return
	}
	seen := make(chan string, 1)
	reg := filter.NewRegistry()
	err = builtin.Register(reg, builtin.Options{OnExchange: func(_ *filter.Conn, e *parser.Exchange) {
		method, _ := e.Request.String(httpx.AttrMethod)
		path, _ := e.Request.String(httpx.AttrPath)
		status, _ := e.Response.Int(httpx.AttrStatusCode)
		seen <- fmt.Sprint(e.Protocol, " ", method, " ", path, " -> ", status)
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := proxy.New(cfg, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var addr string
	for addr == "" { // Run binds the listener
		if a := p.Addr("web"); a != nil {
			addr = a.String()
		} else {
			time.Sleep(time.Millisecond)
		}
	}

	resp, err := http.Get("http://" + addr + "/greeting")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))
	fmt.Println(<-seen)

	http.DefaultClient.CloseIdleConnections()
	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// hello
	// http GET /greeting -> 200
	// run: <nil>
}
