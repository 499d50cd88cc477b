package redis

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// TestServerReplies replays replies recorded from redis-server 7.0.15
// (testdata/server_replies.txt, written by gen_vectors.go): every RESP3
// type the server can send, produced by DEBUG PROTOCOL (attribute, push,
// big number, verbatim, booleans ...), the same commands over RESP2, and
// ordinary commands and pub/sub on both. Each command and its recorded
// reply bytes go through parser.Conn, one connection per protocol version,
// and must give exactly the expected exchanges.
func TestServerReplies(t *testing.T) {
	want := map[string][]string{
		"2 HELLO 2":                    {"complete HELLO -> array"},
		"2 DEBUG PROTOCOL string":      {"complete DEBUG -> bulk"},
		"2 DEBUG PROTOCOL integer":     {"complete DEBUG -> integer"},
		"2 DEBUG PROTOCOL double":      {"complete DEBUG -> bulk"},
		"2 DEBUG PROTOCOL bignum":      {"complete DEBUG -> bulk"},
		"2 DEBUG PROTOCOL null":        {"complete DEBUG -> null"},
		"2 DEBUG PROTOCOL array":       {"complete DEBUG -> array"},
		"2 DEBUG PROTOCOL set":         {"complete DEBUG -> array"},
		"2 DEBUG PROTOCOL map":         {"complete DEBUG -> array"},
		"2 DEBUG PROTOCOL attrib":      {"complete DEBUG -> bulk"},
		"2 DEBUG PROTOCOL push":        {"complete DEBUG -> error"},
		"2 DEBUG PROTOCOL verbatim":    {"complete DEBUG -> bulk"},
		"2 DEBUG PROTOCOL true":        {"complete DEBUG -> integer"},
		"2 DEBUG PROTOCOL false":       {"complete DEBUG -> integer"},
		"2 SMEMBERS vec:set":           {"complete SMEMBERS -> array"},
		"2 HGETALL vec:hash":           {"complete HGETALL -> array"},
		"2 ZSCORE vec:z m":             {"complete ZSCORE -> bulk"},
		"2 GET vec:missing":            {"complete GET -> null"},
		"2 CONFIG GET maxmemory":       {"complete CONFIG -> array"},
		"2 LPOS vec:list zz":           {"complete LPOS -> null"},
		"2 SUBSCRIBE vec:a vec:b":      {"complete SUBSCRIBE -> array subscribe", "push -> array subscribe"},
		"2 PING":                       {"complete PING -> array"},
		"2 UNSUBSCRIBE":                {"complete UNSUBSCRIBE -> array unsubscribe", "push -> array unsubscribe"},
		"3 HELLO 3":                    {"complete HELLO -> map"},
		"3 DEBUG PROTOCOL string":      {"complete DEBUG -> bulk"},
		"3 DEBUG PROTOCOL integer":     {"complete DEBUG -> integer"},
		"3 DEBUG PROTOCOL double":      {"complete DEBUG -> double"},
		"3 DEBUG PROTOCOL bignum":      {"complete DEBUG -> bignum"},
		"3 DEBUG PROTOCOL null":        {"complete DEBUG -> null"},
		"3 DEBUG PROTOCOL array":       {"complete DEBUG -> array"},
		"3 DEBUG PROTOCOL set":         {"complete DEBUG -> set"},
		"3 DEBUG PROTOCOL map":         {"complete DEBUG -> map"},
		"3 DEBUG PROTOCOL attrib":      {"complete DEBUG -> bulk"},
		"3 DEBUG PROTOCOL push":        {"push -> push server-cpu-usage", "complete DEBUG -> bulk"},
		"3 DEBUG PROTOCOL verbatim":    {"complete DEBUG -> verbatim"},
		"3 DEBUG PROTOCOL true":        {"complete DEBUG -> bool"},
		"3 DEBUG PROTOCOL false":       {"complete DEBUG -> bool"},
		"3 SMEMBERS vec:set":           {"complete SMEMBERS -> set"},
		"3 HGETALL vec:hash":           {"complete HGETALL -> map"},
		"3 ZSCORE vec:z m":             {"complete ZSCORE -> double"},
		"3 GET vec:missing":            {"complete GET -> null"},
		"3 CONFIG GET maxmemory":       {"complete CONFIG -> map"},
		"3 LPOS vec:list zz":           {"complete LPOS -> null"},
		"3 SUBSCRIBE vec:a vec:b":      {"complete SUBSCRIBE -> push subscribe", "push -> push subscribe"},
		"3 PING":                       {"complete PING -> simple"},
		"3 UNSUBSCRIBE":                {"complete UNSUBSCRIBE -> push unsubscribe", "push -> push unsubscribe"},
		"2 LPUSH vec:hash x":           {"complete LPUSH -> error"},
		"3 LPUSH vec:hash x":           {"complete LPUSH -> error"},
		"2 NOSUCHCMD":                  {"complete NOSUCHCMD -> error"},
		"3 NOSUCHCMD":                  {"complete NOSUCHCMD -> error"},
		"2 LRANGE vec:list 0 -1":       {"complete LRANGE -> array"},
		"3 LRANGE vec:list 0 -1":       {"complete LRANGE -> array"},
		"2 SCRIPT EXISTS " + zeros40(): {"complete SCRIPT -> array"},
		"3 SCRIPT EXISTS " + zeros40(): {"complete SCRIPT -> array"},
	}
	// Attribute values checked on the reply of these commands.
	values := map[string]attrs{
		"3 DEBUG PROTOCOL integer":  {AttrInteger: 12345},
		"3 DEBUG PROTOCOL true":     {AttrBool: true},
		"3 DEBUG PROTOCOL false":    {AttrBool: false},
		"3 DEBUG PROTOCOL map":      {AttrElements: 3},
		"3 DEBUG PROTOCOL set":      {AttrElements: 3},
		"3 DEBUG PROTOCOL attrib":   {AttrAttribute: true, AttrLength: 39},
		"3 DEBUG PROTOCOL verbatim": {AttrLength: 29},
		"2 DEBUG PROTOCOL map":      {AttrElements: 6},
		"2 HELLO 2":                 {AttrElements: 14},
		"3 HELLO 3":                 {AttrElements: 7},
		"2 LPUSH vec:hash x":        {AttrErrorPrefix: "WRONGTYPE", AttrError: "WRONGTYPE Operation against a key holding the wrong kind of value"},
		"3 NOSUCHCMD":               {AttrErrorPrefix: "ERR"},
	}

	f, err := os.Open("testdata/server_replies.txt")
	require.NoError(t, err)
	defer f.Close()
	p := Protocol()
	conns := map[string]*parser.Conn{}
	var got []string
	var last *parser.Exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		require.Len(t, fields, 3)
		proto, command := fields[0], fields[1]
		reply, err := hex.DecodeString(fields[2])
		require.NoError(t, err)
		c := conns[proto]
		if c == nil {
			c = parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
				assert.NoError(t, e.RequestErr)
				assert.NoError(t, e.ResponseErr)
				got = append(got, exchangeString(e))
				if e.Kind == parser.Complete {
					last = e.Clone()
				}
			})
			conns[proto] = c
		}
		got, last = got[:0], nil
		c.Feed(parser.Request, []byte(cmd(strings.Split(command, " ")...)), time.Time{})
		c.Feed(parser.Response, reply, time.Time{})
		key := proto + " " + command
		if w, ok := want[key]; ok {
			assert.Equal(t, w, got, key)
		} else {
			// Commands without an entry get one plain reply.
			require.Len(t, got, 1, key)
			assert.True(t, strings.HasPrefix(got[0], "complete "), "%s: %s", key, got[0])
		}
		if v, ok := values[key]; ok {
			require.NotNil(t, last, key)
			checkAttrs(t, last.Response, v)
		}
		lines++
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 2*34, lines)
	for proto, c := range conns {
		st := c.Stats()
		assert.Zero(t, c.Pending(), proto)
		assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1], proto)
		assert.Zero(t, st.FramingErrors[0]+st.FramingErrors[1], proto)
		assert.False(t, c.State().(*State).Subscribed(), proto)
	}
}

func zeros40() string { return strings.Repeat("0", 40) }
