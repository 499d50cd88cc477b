//go:build ignore

// gen_vectors records real redis-server replies of every RESP2 and RESP3
// type into testdata/server_replies.txt, for replies_test.go. It uses
// DEBUG PROTOCOL, which makes the server emit each reply type (attribute,
// push, big number, verbatim ... included), plus ordinary commands, over
// RESP2 and RESP3 connections. Usage:
//
//	redis-server --port 16999 --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes &
//	go run gen_vectors.go -addr 127.0.0.1:16999
//
// Each line: protocol version, the command (space separated), the reply
// bytes in hex. Replies are read until the server stays silent for 200 ms,
// so a line holds every byte the command caused (several values for a
// SUBSCRIBE of several channels).
package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:16999", "redis-server address")
	out := flag.String("o", "testdata/server_replies.txt", "output file")
	flag.Parse()

	var b bytes.Buffer
	b.WriteString("# Replies recorded from a live redis-server by gen_vectors.go; DO NOT EDIT.\n")
	b.WriteString("# proto<TAB>command<TAB>reply bytes in hex\n")
	for _, proto := range []string{"2", "3"} {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			log.Fatal(err)
		}
		run := func(args ...string) {
			reply := roundTrip(c, args)
			fmt.Fprintf(&b, "%s\t%s\t%s\n", proto, strings.Join(args, " "), hex.EncodeToString(reply))
		}
		run("HELLO", proto)
		for _, t := range []string{"string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true", "false"} {
			run("DEBUG", "PROTOCOL", t)
		}
		run("DEL", "vec:list", "vec:set", "vec:hash", "vec:z")
		run("RPUSH", "vec:list", "a", "b", "c")
		run("LRANGE", "vec:list", "0", "-1")
		run("SADD", "vec:set", "x", "y")
		run("SMEMBERS", "vec:set")
		run("HSET", "vec:hash", "f", "v")
		run("HGETALL", "vec:hash")
		run("ZADD", "vec:z", "1.5", "m")
		run("ZSCORE", "vec:z", "m")
		run("GET", "vec:missing")
		run("LPUSH", "vec:hash", "x")
		run("INCR", "vec:list")
		run("NOSUCHCMD")
		run("EXISTS", "vec:list")
		run("SCRIPT", "EXISTS", "0000000000000000000000000000000000000000")
		run("CONFIG", "GET", "maxmemory")
		run("LPOS", "vec:list", "zz")
		run("SUBSCRIBE", "vec:a", "vec:b")
		run("PING")
		run("UNSUBSCRIBE")
		c.Close()
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// roundTrip sends one command and returns every byte received until the
// server is silent for 200 ms.
func roundTrip(c net.Conn, args []string) []byte {
	var req bytes.Buffer
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write(req.Bytes()); err != nil {
		log.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 1<<16)
	for {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return got
		}
		if err != nil {
			log.Fatal(err)
		}
	}
}
