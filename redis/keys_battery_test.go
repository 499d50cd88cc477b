package redis

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

// The argument battery: for every command and subcommand of the table,
// argument lists of every length up to 8 filled with plain keys, numkeys
// values, empty strings and the keywords key specs search for. The live
// test (getkeys_live_test.go, build tag redislive, run by .ci/run against
// a real redis-server) checks redis.key against COMMAND GETKEYS on it; the
// test below checks that a connection's cached key positions give the same
// answers as a fresh parse.

// encodeCmd encodes args as a RESP array of bulk strings.
func encodeCmd(args []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// battery returns the argument lists, command by command.
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

// TestKeyCacheAgrees parses the battery through one connection's framing
// and State (which reuses the last command's table entry and key position
// for the next request with the same command and argument count), every
// list twice in a row, and checks that command, subcommand, argument count
// and key equal those of a parse without State.
func TestKeyCacheAgrees(t *testing.T) {
	proto := NewProtocol(Options{})
	st := proto.NewState()
	split := proto.Split(st, parser.Request)
	var fresh, framed parser.Message
	keys := []string{AttrCommand, AttrSubcommand, AttrArgs, AttrKey}
	cases := battery()
	for _, args := range cases {
		msg := encodeCmd(args)
		require.True(t, proto.ParseRequest(&fresh, msg, nil), "%q: %v", args, fresh.Err)
		for range 2 {
			n, tok, err := split(msg, false)
			require.NoError(t, err)
			require.Equal(t, len(msg), n)
			require.True(t, proto.ParseRequest(&framed, tok, st), "%q: %v", args, framed.Err)
			for _, k := range keys {
				want, wok := fresh.Attrs.Get(k)
				got, gok := framed.Attrs.Get(k)
				if wok != gok || !want.Equal(got) {
					t.Fatalf("%q: %s is %v (present %v) through the State, %v (present %v) without", args, k, got, gok, want, wok)
				}
			}
		}
	}
	t.Logf("%d argument lists, each parsed twice through one State", len(cases))
}
