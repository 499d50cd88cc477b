package dump

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/redis"
)

// exchangeLines decodes a capture with the project's own reassembler and
// parsers and returns one line per exchange (connection, kind, request and
// response attributes), sorted.
func exchangeLines(t *testing.T, path string, p *parser.Protocol) []string {
	t.Helper()
	ex, stats, err := pcaptest.Exchanges(path, p)
	require.NoError(t, err)
	require.Zero(t, stats.FramingErrors[0]+stats.FramingErrors[1], "%s: framing errors", path)
	lines := make([]string, 0, len(ex))
	for _, e := range ex {
		lines = append(lines, fmt.Sprintf("%v->%v #%d %s %s %s", e.Stream.Client, e.Stream.Server, e.RequestSeq, e.Kind,
			appendAttrs(e.Request), appendAttrs(e.Response)))
	}
	sort.Strings(lines)
	return lines
}

func appendAttrs(a *parser.Attributes) string {
	if a == nil {
		return "null"
	}
	return string(a.AppendJSON(nil))
}

// TestDumpReadBackByParsers: the pcapng a Dumper writes from real traffic,
// read back with pcapgo and decoded by wirekit's reassembler and protocol
// parsers, gives exactly the exchanges the original capture gives.
func TestDumpReadBackByParsers(t *testing.T) {
	protos := map[uint16]*parser.Protocol{16390: redis.Protocol(), 18080: httpx.Protocol(), 19092: kafka.Protocol(), 20880: dubbo2.Protocol()}
	for _, cf := range corpusFiles {
		t.Run(cf.file, func(t *testing.T) {
			p := protos[cf.port]
			require.NotNil(t, p)
			cc := readCorpus(t, cf.file, cf.port)
			pcapngPath, _, _ := dumpCorpus(t, cc)
			want := exchangeLines(t, pcaptest.Corpus(cf.file), p)
			require.NotEmpty(t, want)
			require.Equal(t, want, exchangeLines(t, pcapngPath, p))
		})
	}
}
