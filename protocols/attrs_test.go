package protocols_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/redis"
)

// TestKeptStringsStayValid stores attributes of 10,000 exchanges in a map
// the way a user counting commands and keys would, feeding every message
// from one reused buffer as a capture loop does, and checks the map
// afterwards: the strings String returned must not change when the
// buffer (or the Conn's arena) is reused.
func TestKeptStringsStayValid(t *testing.T) {
	const n = 10000
	det := parser.NewDetector(protocols.All()...)
	cmds := map[string]int{}
	keys := map[string]int{}
	errs := map[string]int{}
	s := parser.NewSniffer(det, 6379, parser.SnifferOptions{}, func(e *parser.Exchange) {
		cmd, _ := e.Request.String(redis.AttrCommand)
		key, _ := e.Request.String(redis.AttrKey)
		cmds[cmd]++
		keys[key]++
		if msg, ok := e.Response.String(redis.AttrError); ok {
			errs[msg]++
		}
	})
	buf := make([]byte, 0, 256)
	ts := time.Unix(0, 0)
	for i := range n {
		var req, resp string
		switch i % 3 {
		case 0:
			key := fmt.Sprintf("user:%d", i)
			req = fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", len(key), key)
			resp = "+OK\r\n"
		case 1:
			key := fmt.Sprintf("user:%d", i)
			req = fmt.Sprintf("*2\r\n$3\r\nget\r\n$%d\r\n%s\r\n", len(key), key)
			resp = "$1\r\nv\r\n"
		default:
			name := fmt.Sprintf("NOSUCH%d", i)
			req = fmt.Sprintf("*1\r\n$%d\r\n%s\r\n", len(name), name)
			resp = fmt.Sprintf("-ERR unknown command '%s'\r\n", name)
		}
		buf = append(buf[:0], req...)
		s.Feed(parser.Request, buf, ts)
		buf = append(buf[:0], resp...)
		s.Feed(parser.Response, buf, ts)
		for j := range buf { // what a capture loop's next read does to the buffer
			buf[j] = 'X'
		}
	}
	s.Close(ts)

	wantSet, wantGet, wantUnknown := 0, 0, 0
	for i := range n {
		switch i % 3 {
		case 0:
			wantSet++
			if keys[fmt.Sprintf("user:%d", i)] != 1 {
				t.Fatalf("key user:%d counted %d times", i, keys[fmt.Sprintf("user:%d", i)])
			}
		case 1:
			wantGet++
			if keys[fmt.Sprintf("user:%d", i)] != 1 {
				t.Fatalf("key user:%d counted %d times", i, keys[fmt.Sprintf("user:%d", i)])
			}
		default:
			wantUnknown++
			name := fmt.Sprintf("NOSUCH%d", i)
			if cmds[name] != 1 {
				t.Fatalf("command %s counted %d times", name, cmds[name])
			}
			if msg := fmt.Sprintf("ERR unknown command '%s'", name); errs[msg] != 1 {
				t.Fatalf("error %q counted %d times", msg, errs[msg])
			}
		}
	}
	if cmds["SET"] != wantSet || cmds["GET"] != wantGet {
		t.Fatalf("SET %d GET %d, want %d and %d", cmds["SET"], cmds["GET"], wantSet, wantGet)
	}
	if len(cmds) != 2+wantUnknown || len(keys) != wantSet+wantGet+1 /* "" for the unknown commands */ {
		t.Fatalf("%d distinct commands, %d distinct keys: some kept strings changed", len(cmds), len(keys))
	}
}

// TestNilAttributesRead checks every reader on a missing message (a nil
// *Attributes, as Exchange.Response is for an unanswered request).
func TestNilAttributesRead(t *testing.T) {
	var a *parser.Attributes
	if s, ok := a.String("x"); ok || s != "" {
		t.Error("String on nil")
	}
	if s, ok := a.UnsafeString("x"); ok || s != "" {
		t.Error("UnsafeString on nil")
	}
	if n, ok := a.Int("x"); ok || n != 0 {
		t.Error("Int on nil")
	}
	if b, ok := a.Bool("x"); ok || b {
		t.Error("Bool on nil")
	}
	if a.Has("x") || a.Len() != 0 || len(a.Map()) != 0 {
		t.Error("Has/Len/Map on nil")
	}
	for range a.All() {
		t.Error("All on nil yielded")
	}
	if got := string(a.AppendJSON(nil)); got != "{}" {
		t.Errorf("AppendJSON on nil = %s", got)
	}
}

// TestStableStringsShared checks that a stable string (a table constant)
// comes back from String without a copy and an aliasing one as a copy.
func TestStableStringsShared(t *testing.T) {
	var a parser.Attributes
	const name = "GET"
	msg := []byte("user:1")
	a.Set("c", parser.StringValue(name))
	a.Set("k", parser.UnsafeStringValue(msg))
	c, _ := a.String("c")
	k, _ := a.String("k")
	uk, _ := a.UnsafeString("k")
	msg[0] = 'X'
	if c != "GET" || k != "user:1" || uk != "Xser:1" {
		t.Fatalf("String c=%q k=%q UnsafeString k=%q", c, k, uk)
	}
	if allocs := testing.AllocsPerRun(100, func() { c, _ = a.String("c") }); allocs != 0 {
		t.Errorf("String of a stable value allocates %v", allocs)
	}
	var b parser.Attributes
	b.CopyFrom(&a)
	msg[0] = 'Y'
	if k, _ := b.String("k"); k != "Xser:1" {
		t.Errorf("CopyFrom kept %q", k)
	}
}

// BenchmarkAttrString shows what the copy-safe default costs against the
// zero-copy variant on an aliasing value (a Redis key) and a stable one
// (the interned command name).
func BenchmarkAttrString(b *testing.B) {
	var a parser.Attributes
	a.Set(redis.AttrCommand, parser.StringValue("SET"))
	a.Set(redis.AttrKey, parser.UnsafeStringValue([]byte("user:1000:session")))
	b.Run("key/String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.String(redis.AttrKey)
		}
	})
	b.Run("key/UnsafeString", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.UnsafeString(redis.AttrKey)
		}
	})
	b.Run("command/String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.String(redis.AttrCommand)
		}
	})
}
