package redis_test

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

// Pair a client's pipelined commands with the server's replies, including
// a pub/sub message that answers nothing.
func Example() {
	conn := parser.NewConn(redis.Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		if e.Kind == parser.Push {
			kind, _ := e.Response.String(redis.AttrPush)
			fmt.Println("push:", kind)
			return
		}
		cmd, _ := e.Request.String(redis.AttrCommand)
		key, _ := e.Request.String(redis.AttrKey)
		typ, _ := e.Response.String(redis.AttrType)
		msg, _ := e.Response.String(redis.AttrError)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s %q -> %s %s", cmd, key, typ, msg)))
	})
	now := time.Now()
	conn.Feed(parser.Request, []byte("*3\r\n$3\r\nSET\r\n$4\r\nuser\r\n$3\r\nget\r\n"+
		"*3\r\n$5\r\nLPUSH\r\n$4\r\nuser\r\n$1\r\nx\r\n"+
		"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n"), now)
	conn.Feed(parser.Response, []byte("+OK\r\n"+
		"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"+
		"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"+
		"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"), now)
	conn.Close(now)
	// Output:
	// SET "user" -> simple
	// LPUSH "user" -> error WRONGTYPE Operation against a key holding the wrong kind of value
	// SUBSCRIBE "" -> array
	// push: message
}

// Frame a reply stream with bufio.Scanner and parse each reply.
func Example_scanner() {
	p := redis.Protocol()
	sc := bufio.NewScanner(strings.NewReader("%1\r\n+proto\r\n:3\r\n_\r\n:42\r\n-ERR unknown command 'FOO'\r\n"))
	sc.Split(p.Split(nil, parser.Response))
	var m parser.Message
	for sc.Scan() {
		if !p.ParseResponse(&m, sc.Bytes(), nil, nil) {
			fmt.Println("error:", m.Err)
			continue
		}
		fmt.Println(string(m.Attrs.AppendJSON(nil)))
	}
	// Output:
	// {"redis.type":"map","redis.elements":1}
	// {"redis.type":"null"}
	// {"redis.integer":42,"redis.type":"integer"}
	// {"redis.error":"ERR unknown command 'FOO'","redis.error_prefix":"ERR","redis.type":"error"}
}

// Read a pipeline with the Decoder: each call frames one command and
// parses it, like redcon's ReadNextCommand, and says how many bytes it
// took, or that it needs more.
func Example_decoder() {
	p := redis.Protocol()
	decode := p.Decoder(p.NewState(), parser.Request)
	buf := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nget\r\n$1\r\nk\r\nPING\r\n*2\r\n$3\r\nGET")
	var m parser.Message
	for {
		n, framed, ok, err := decode(&m, buf, false)
		if err != nil || n == 0 {
			fmt.Printf("need more: %q (%v)\n", buf, err)
			break
		}
		if framed && ok {
			cmd, _ := m.Attrs.String(redis.AttrCommand)
			key, _ := m.Attrs.String(redis.AttrKey)
			args, _ := m.Attrs.Int(redis.AttrArgs)
			fmt.Println(cmd, key, args)
		}
		buf = buf[n:]
	}
	// Output:
	// SET k 2
	// GET k 1
	// PING  0
	// need more: "*2\r\n$3\r\nGET" (<nil>)
}
