//go:build redislive

// This differential test checks redis.key against a live redis-server's own
// COMMAND GETKEYS over thousands of argument vectors built from the command
// table. It needs a server, so it only runs with the build tag:
//
//	redis-server --port 16999 --bind 127.0.0.1 --save '' --appendonly no &
//	go test ./redis -tags redislive -run TestGetKeysLive -addr 127.0.0.1:16999

package redis

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

var liveAddr = flag.String("addr", "127.0.0.1:16999", "redis-server for TestGetKeysLive")

func encodeCmd(args []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// liveReply reads one RESP2 reply: the first element of an array, or "" for
// errors and empty arrays.
func liveReply(r *bufio.Reader) (first string, isErr bool, n int, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", false, 0, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '-':
		return line[1:], true, 0, nil
	case '*':
		n, _ = strconv.Atoi(line[1:])
		for i := 0; i < n; i++ {
			h, err := r.ReadString('\n')
			if err != nil {
				return "", false, 0, err
			}
			sz, _ := strconv.Atoi(strings.TrimSuffix(h[1:], "\r\n"))
			buf := make([]byte, sz+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return "", false, 0, err
			}
			if i == 0 {
				first = string(buf[:sz])
			}
		}
		return first, false, n, nil
	}
	return "", false, 0, fmt.Errorf("unexpected %q", line)
}

func battery() [][]string {
	var out [][]string
	fills := [][]string{
		{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"},
		{"2", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"},
		{"0", "0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"},
		{"k1", "2", "k2", "k3", "k4", "k5", "k6", "k7", "k8"},
		{"k1", "1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"},
		{"", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"},
	}
	keywords := []string{"STREAMS", "KEYS", "STORE", "STOREDIST", "GET", "BY"}
	add := func(name []string, n int) {
		for _, f := range fills {
			args := append([]string{}, name...)
			args = append(args, f[:n]...)
			out = append(out, args)
		}
		for _, kw := range keywords {
			for at := 0; at < n; at++ {
				args := append([]string{}, name...)
				args = append(args, fills[0][:n]...)
				args[len(name)+at] = kw
				out = append(out, args)
			}
		}
	}
	for i := range commands {
		c := &commands[i]
		if c.flags&flagContainer != 0 {
			for j := c.subLo; j < c.subHi; j++ {
				s := &subcommands[j]
				for n := 0; n <= 6; n++ {
					add([]string{strings.ToLower(c.name), strings.ToLower(s.name)}, n)
				}
			}
			continue
		}
		for n := 0; n <= 8; n++ {
			add([]string{strings.ToLower(c.name)}, n)
		}
	}
	out = append(out,
		[]string{"set", "user", "get"},
		[]string{"eval", "s", "0"},
		[]string{"eval", "s", "2", "a", "b"},
		[]string{"eval", "s", "3", "a", "b"},
		[]string{"xread", "count", "1", "streams", "a", "0"},
		[]string{"xread", "streams", "a", "b", "0"},
		[]string{"xreadgroup", "group", "g", "c", "streams", "a", "0"},
		[]string{"migrate", "h", "1", "", "0", "5", "keys", "a", "b"},
		[]string{"migrate", "h", "1", "", "0", "5", "auth", "keys", "a", "b"},
		[]string{"migrate", "h", "1", "k", "0", "5"},
		[]string{"sort", "k", "store", "d"},
		[]string{"georadius", "k", "0", "0", "1", "m", "store", "d"},
		[]string{"zunionstore", "d", "2", "a", "b"},
		[]string{"zunionstore", "d", "0", "a", "b"},
		[]string{"lmpop", "2", "a", "b", "left"},
		[]string{"object", "encoding", "k"},
		[]string{"memory", "usage", "k"},
		[]string{"xinfo", "stream", "s"},
		[]string{"bitfield", "k", "get", "u8", "0"},
	)
	return out
}

func TestGetKeysLive(t *testing.T) {
	c, err := net.Dial("tcp", *liveAddr)
	require.NoError(t, err)
	defer c.Close()
	r := bufio.NewReaderSize(c, 1<<16)
	w := bufio.NewWriter(c)
	proto := NewProtocol(Options{})
	var m parser.Message
	cases := battery()
	// Pipeline in batches.
	const batch = 512
	agree, keyed := 0, 0
	for lo := 0; lo < len(cases); lo += batch {
		hi := min(lo+batch, len(cases))
		for _, args := range cases[lo:hi] {
			w.Write(encodeCmd(append([]string{"command", "getkeys"}, args...)))
		}
		require.NoError(t, w.Flush())
		for _, args := range cases[lo:hi] {
			first, isErr, nkeys, err := liveReply(r)
			require.NoError(t, err)
			want := ""
			hasKey := !isErr && nkeys > 0
			if hasKey {
				want = first
				keyed++
			}
			require.True(t, proto.ParseRequest(&m, encodeCmd(args), nil), "%q: %v", args, m.Err)
			got, has := m.Attrs.String(AttrKey)
			if has != hasKey || got != want {
				t.Errorf("%q: server key %q (err %v), parser %q (present %v)", args, want, isErr, got, has)
				continue
			}
			agree++
		}
	}
	t.Logf("%d/%d argument vectors agree with COMMAND GETKEYS (%d with a key), table from redis %s", agree, len(cases), keyed, tableVersion)
}
