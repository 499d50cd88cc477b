package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

// TestSummaryOperations: the summary's operation lookup (by the parts'
// addresses, by their text, by name) counts every exchange under the
// operation its name says, as a plain map of names does, with the first
// maxOps names kept and the rest under otherOps, for a mix of stable
// names, the same names at other addresses, aliasing values whose bytes
// are rewritten between exchanges (a reused buffer), HTTP paths with
// queries, Kafka APIs with and without a name, Dubbo2 calls and
// heartbeats, and connections changing protocol.
func TestSummaryOperations(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	s := newSummary()
	type opKey struct{ proto, name string }
	want := map[opKey]uint64{}
	wantErrors := map[opKey]uint64{}
	names := map[string]int{} // distinct names per protocol
	seen := map[opKey]bool{}
	streams := make([]*StreamInfo, 8)
	for i := range streams {
		streams[i] = &StreamInfo{rows: rowQueue{slot: -1}}
	}
	commands := []string{"GET", "SET", "CONFIG", "CLIENT", "HSET"}
	copies := make([]string, len(commands)) // the same texts at other addresses
	for i, c := range commands {
		copies[i] = strings.Clone(c)
	}
	buf := []byte("XXXXXXXX") // aliasing values: rewritten in place
	ts := time.Unix(1700000000, 0)
	for i := range 60000 {
		req, resp := &parser.Attributes{}, &parser.Attributes{}
		proto := redis.Name
		switch rnd.IntN(10) {
		case 0, 1:
			proto = httpx.Name
			req.SetString(httpx.AttrMethod, []string{"GET", "POST"}[rnd.IntN(2)])
			path := "/p" + strconv.Itoa(rnd.IntN(700)) // more than maxOps paths
			if rnd.IntN(2) == 0 {
				path += "?q=" + strconv.Itoa(rnd.IntN(5))
			}
			req.Set(httpx.AttrPath, parser.UnsafeStringValue([]byte(path)))
			resp.SetInt(httpx.AttrStatusCode, int64([]int{200, 404, 500}[rnd.IntN(3)]))
		case 2:
			proto = kafka.Name
			if rnd.IntN(3) == 0 {
				req.SetInt(kafka.AttrAPIKey, int64(rnd.IntN(4)))
			} else {
				req.SetString(kafka.AttrAPIName, []string{"Produce", "Fetch"}[rnd.IntN(2)])
			}
			resp.SetInt(kafka.AttrErrorCode, int64(rnd.IntN(2)))
		case 3:
			proto = dubbo2.Name
			if rnd.IntN(4) == 0 {
				req.SetBool(dubbo2.AttrEvent, true)
			} else {
				req.SetString(dubbo2.AttrService, "svc.User")
				req.Set(dubbo2.AttrMethod, parser.UnsafeStringValue([]byte([]string{"get", "put"}[rnd.IntN(2)])))
			}
			resp.SetInt(dubbo2.AttrStatus, int64([]int{20, 20, 70}[rnd.IntN(3)]))
		default:
			c := rnd.IntN(len(commands))
			switch rnd.IntN(4) {
			case 0:
				req.SetString(redis.AttrCommand, copies[c])
			case 1:
				n := copy(buf, commands[c])
				req.Set(redis.AttrCommand, parser.UnsafeStringValue(buf[:n]))
			default:
				req.SetString(redis.AttrCommand, commands[c])
			}
			if c == 2 || c == 3 {
				if rnd.IntN(2) == 0 {
					n := copy(buf, []string{"GET", "SETNAME"}[rnd.IntN(2)])
					req.Set(redis.AttrSubcommand, parser.UnsafeStringValue(buf[:n]))
				} else {
					req.SetString(redis.AttrSubcommand, []string{"GET", "SET"}[rnd.IntN(2)])
				}
			}
			resp.SetString(redis.AttrType, []string{"simple", "error", "bulk"}[rnd.IntN(3)])
		}
		kind := parser.Complete
		if rnd.IntN(20) == 0 {
			kind = parser.Unanswered
			resp = nil
		}
		r := &Record{Stream: streams[rnd.IntN(len(streams))], Exchange: &parser.Exchange{Protocol: proto, Kind: kind,
			Request: req, Response: resp, RequestTime: ts, ResponseTime: ts.Add(time.Duration(i%1000) * time.Microsecond)}}
		name := string(appendOperation(nil, proto, req))
		k := opKey{proto, name}
		if !seen[k] {
			if names[proto] >= maxOps {
				k.name = otherOps
			} else {
				seen[k] = true
				names[proto]++
			}
		}
		want[k]++
		if isError(kindOf(proto), resp) {
			wantErrors[k]++
		}
		s.add(r)
	}
	got := map[opKey]uint64{}
	for proto, p := range s.protos {
		for name, o := range p.ops {
			if o.count > 0 {
				got[opKey{proto, name}] = o.count
			}
			if o.errors != wantErrors[opKey{proto, name}] {
				t.Errorf("%s %q: %d errors, want %d", proto, name, o.errors, wantErrors[opKey{proto, name}])
			}
			if kinds := p.kinds[parser.Complete] + p.kinds[parser.Unanswered]; o.latency.Count() > kinds {
				t.Errorf("%s %q: %d latencies of %d exchanges", proto, name, o.latency.Count(), kinds)
			}
		}
		if len(p.ops) > maxOps+1 {
			t.Errorf("%s: %d operations kept, want at most %d", proto, len(p.ops), maxOps+1)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d operations, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s %q: count %d, want %d", k.proto, k.name, got[k], n)
		}
	}
	if got[opKey{httpx.Name, otherOps}] == 0 {
		t.Error("no HTTP path counted under otherOps: the test does not reach maxOps")
	}
}
