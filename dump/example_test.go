package dump_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
)

// A proxy embeds a Dumper: parse the Layotto-style strategy, choose sinks,
// and on every read make the cheap check, then submit the bytes with their
// stream offset. Here the sink is JSON Lines in memory.
func Example() {
	strategy, err := dump.ParseStrategy([]byte(`{"switch":"ON","interval":60,"duration":60,"cpu_max_rate":100,"mem_max_rate":100}`))
	if err != nil {
		panic(err)
	}
	var out bytes.Buffer
	d, err := dump.New(dump.Config{Strategy: strategy, Sinks: []dump.Sink{dump.NewJSONLWriterSink(&out)}})
	if err != nil {
		panic(err)
	}
	if err := d.Start(); err != nil {
		panic(err)
	}
	c := d.Open(dump.ConnInfo{ID: 1,
		Client: netip.MustParseAddrPort("127.0.0.1:51000"), Server: netip.MustParseAddrPort("127.0.0.1:6379")})
	if c.Sampling() {
		c.Flow(parser.Request, 0, []byte("*1\r\n$4\r\nPI"))
		// The next read shows the unconsumed bytes again: recorded once.
		c.Flow(parser.Request, 0, []byte("*1\r\n$4\r\nPING\r\n"))
		c.Flow(parser.Response, 0, []byte("+PONG\r\n"))
	}
	d.Record("order", []byte(`{"id":42}`))
	if err := d.Close(); err != nil {
		panic(err)
	}
	st := d.Stats()
	fmt.Println("accepted", st.Accepted, "written", st.Written, "duplicate bytes", st.DuplicateBytes)
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var row struct {
			Kind, Dir, Type string
			Offset          uint64
			Data            []byte
		}
		_ = json.Unmarshal([]byte(line), &row)
		switch row.Kind {
		case "flow":
			fmt.Printf("flow %s @%d %q\n", row.Dir, row.Offset, row.Data)
		case "record":
			fmt.Printf("record %s %s\n", row.Type, row.Data)
		default:
			fmt.Println(row.Kind)
		}
	}
	// Output:
	// accepted 6 written 6 duplicate bytes 10
	// window
	// snapshot
	// flow c2s @0 "*1\r\n$4\r\nPI"
	// flow c2s @10 "NG\r\n"
	// flow s2c @0 "+PONG\r\n"
	// record order {"id":42}
}

// ParseStrategy rejects what Layotto would silently misread.
func ExampleParseStrategy() {
	for _, doc := range []string{
		`{"switch":"ON","interval":30,"duration":10,"cpu_max_rate":80,"mem_max_rate":80}`,
		`{"switch":"ON","interval":10,"duration":30}`,
		`{"switch":"ON","sample":1}`,
	} {
		s, err := dump.ParseStrategy([]byte(doc))
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s.On(), s.IntervalDuration(), s.WindowDuration())
	}
	// Output:
	// true 30s 10s
	// dump: invalid strategy: duration: 30 s is outside 1..interval (10)
	// dump: invalid strategy: json: unknown field "sample"
}
