//go:build redislive

// This differential test checks redis.key against a live redis-server's own
// COMMAND GETKEYS over thousands of argument vectors built from the command
// table (see keys_battery_test.go). It needs a server, so it only runs
// with the build tag; .ci/run starts one and runs it:
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
