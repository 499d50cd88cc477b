package pcaptest

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

// headOnly frames messages that end at the first blank line (HTTP requests
// without a body), enough to test the plumbing without a protocol package.
func headOnly() *parser.Protocol {
	split := func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
			return i + 4, data[:i+4], nil
		}
		if atEOF && len(data) > 0 {
			return 0, nil, parser.ErrShort
		}
		return 0, nil, nil
	}
	ok := parser.NewPkgParser("any", nil, func(m *parser.Message) (bool, bool) {
		i := bytes.IndexByte(m.Data, '\r')
		if i < 0 {
			return m.Fail(parser.ErrMalformed)
		}
		m.Attrs.SetBytesString("t.line", m.Data[:i])
		return true, true
	})
	return &parser.Protocol{Name: "head", Request: ok, Response: ok,
		Split: func(any, parser.Direction) bufio.SplitFunc { return split }}
}

func TestMessagesAndExchanges(t *testing.T) {
	streams, err := ReadFile(Corpus("http_gonet_pipelined.pcap"))
	require.NoError(t, err)
	require.Len(t, streams, 1)
	s := streams[0]
	assert.Equal(t, "127.0.0.1:18080", s.Server.String())
	msgs, err := Messages(headOnly(), s, parser.Request)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.True(t, bytes.HasPrefix(msgs[0], []byte("GET /hello?lang=pipelined HTTP/1.1\r\n")))
	assert.True(t, bytes.HasPrefix(msgs[1], []byte("GET /big?n=70000 HTTP/1.1\r\n")))
	// Chunks cover the data exactly, in order.
	var n [2]int
	for _, c := range s.Chunks {
		assert.Equal(t, n[c.Dir], c.Off)
		n[c.Dir] += c.Len
	}
	assert.Equal(t, len(s.Data[0]), n[0])
	assert.Equal(t, len(s.Data[1]), n[1])

	ex, stats, err := Exchanges(Corpus("http_gonet_pipelined.pcap"), headOnly())
	require.NoError(t, err)
	// The head-only framing cannot frame the response bodies: the first
	// response pairs, then the body bytes fail framing and are counted.
	require.NotEmpty(t, ex)
	line, _ := ex[0].Request.String("t.line")
	assert.Equal(t, "GET /hello?lang=pipelined HTTP/1.1", line)
	assert.Equal(t, uint64(2), stats.Messages[parser.Request])
	assert.Equal(t, s, ex[0].Stream)
}

func TestReadStreamsRejectsGarbage(t *testing.T) {
	_, err := ReadStreams(bytes.NewReader([]byte("not a capture at all")))
	assert.Error(t, err)
}

func TestReadTruthAndTruthValue(t *testing.T) {
	rows, err := ReadTruth(Corpus("http_gonet_pipelined.truth.jsonl"))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "http", rows[0].Protocol)
	assert.Equal(t, "127.0.0.1:54990", rows[0].Client)
	assert.Equal(t, "/big?n=70000", rows[1].Request["http.path"])
	assert.Equal(t, float64(200), rows[1].Response["http.status_code"])

	var a parser.Attributes
	a.SetInt("n", 200)
	a.SetString("s", "x")
	a.SetBool("b", true)
	for key, want := range map[string]any{"n": float64(200), "s": "x", "b": true} {
		got, ok := TruthValue(&a, key)
		assert.True(t, ok)
		assert.Equal(t, want, got)
	}
	_, ok := TruthValue(&a, "missing")
	assert.False(t, ok)
	_, err = ReadTruth("testdata/nope.jsonl")
	assert.Error(t, err)
}
