package protocols_test

import (
	"fmt"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/redis"
)

// The README's example: one Sniffer per TCP connection detects the
// protocol, frames both directions, parses, and pairs responses with
// requests. Every kind of Exchange comes to the callback, including a
// request that was never answered: its Response is nil, and reading an
// attribute of a nil Response reports it absent instead of panicking.
// Strings read with String stay valid after the callback returns, so they
// can be kept.
func Example() {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	det := parser.NewDetector(protocols.All()...)
	var keys []string
	conn := parser.NewSniffer(det, 6379, parser.SnifferOptions{}, func(e *parser.Exchange) {
		cmd, _ := e.Request.String(redis.AttrCommand)
		key, _ := e.Request.String(redis.AttrKey)
		typ, ok := e.Response.String(redis.AttrType)
		if !ok {
			typ = "(no response: " + e.Kind.String() + ")"
		}
		keys = append(keys, key)
		fmt.Println(e.Protocol, cmd, key, "->", typ, e.Latency())
	})
	conn.Feed(parser.Request, []byte("*3\r\n$3\r\nSET\r\n$4\r\nuser\r\n$3\r\nann\r\n"), t0)
	conn.Feed(parser.Response, []byte("+OK\r\n"), t0.Add(150*time.Microsecond))
	conn.Feed(parser.Request, []byte("*2\r\n$3\r\nGET\r\n$4\r\nuser\r\n"), t0.Add(time.Millisecond))
	conn.Close(t0.Add(2 * time.Millisecond))
	fmt.Println("kept:", keys)
	// Output:
	// redis SET user -> simple 150µs
	// redis GET user -> (no response: unanswered) 0s
	// kept: [user user]
}
