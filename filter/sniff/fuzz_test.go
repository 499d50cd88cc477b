package sniff

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/protocols"
)

// FuzzSniff feeds a conversation (seeded with the first bytes of every
// corpus connection, every built-in protocol) through a filter chain with
// the sniff filter, each direction's chunks as they come and then cut into
// pieces drawn from cuts: what the Handler sees (protocol, kind, sizes,
// flags, every attribute) and the parse statistics must not depend on the
// cutting, and nothing may panic.
func FuzzSniff(f *testing.F) {
	if err := pcaptest.SeedChunking(f, "", 2048); err != nil {
		f.Fatal(err)
	}
	protos := protocols.All()
	f.Fuzz(func(t *testing.T, conv []byte, cuts uint64) {
		c := pcaptest.DecodeConversation(conv)
		whole := sniffRun(t, protos, c, 0)
		for _, mode := range []uint64{1, 7, cuts | 1<<63} {
			if got := sniffRun(t, protos, c, mode); got != whole {
				t.Fatalf("cuts %#x:\n%s\nwhole:\n%s", mode, got, whole)
			}
		}
	})
}

// sniffRun feeds c through a chain with the sniff filter; mode 0 feeds
// chunks whole, 1 or 7 in pieces of that size, anything else in random
// pieces of 1 to 1460 bytes seeded by it.
func sniffRun(t *testing.T, protos []*parser.Protocol, c pcaptest.Conversation, mode uint64) string {
	var sb strings.Builder
	fac, err := New(protos, parser.SnifferOptions{}, func(_ *filter.Conn, ex *parser.Exchange) {
		fmt.Fprintf(&sb, "%s %s req=%d resp=%d flags=%d/%d", ex.Protocol, ex.Kind, ex.RequestSize, ex.ResponseSize, ex.RequestFlags, ex.ResponseFlags)
		if ex.Request != nil {
			sb.Write(ex.Request.AppendJSON(nil))
		}
		if ex.Response != nil {
			sb.Write(ex.Response.AppendJSON(nil))
		}
		sb.WriteByte('\n')
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := filter.NewChain(fac).NewConn(filter.ConnInfo{}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Start(); err != nil {
		t.Fatal(err)
	}
	rng := mode
	for _, ch := range c {
		for b := ch.Data; len(b) > 0; {
			n := len(b)
			switch rng {
			case 0:
			case 1, 7:
				n = min(n, int(rng))
			default:
				rng = rng*6364136223846793005 + 1442695040888963407
				n = min(n, 1+int(rng>>33)%1460)
			}
			if err := conn.Feed(int(ch.Dir), b[:n]); err != nil {
				return sb.String() + "feed: " + err.Error()
			}
			b = b[n:]
		}
	}
	conn.Release()
	st := fac.Stats()
	fmt.Fprintf(&sb, "stats %+v\n", st)
	return sb.String()
}
