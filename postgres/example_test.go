package postgres_test

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/postgres"
)

// message builds one typed protocol message.
func message(typ byte, body string) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}

// A simple query and its response, through parser.Conn: the Query up to
// ReadyForQuery is one exchange.
func Example() {
	conn := parser.NewConn(postgres.Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		cmd, _ := e.Request.String(postgres.AttrCommand)
		sql, _ := e.Request.String(postgres.AttrStatement)
		tag, _ := e.Response.String(postgres.AttrCommandTag)
		rows, _ := e.Response.Int(postgres.AttrRows)
		fmt.Printf("%s %q -> %s, %d rows\n", cmd, sql, tag, rows)
	})
	t0 := time.Now()
	conn.Feed(parser.Request, message('Q', "SELECT name FROM users\x00"), t0)
	var resp []byte
	resp = append(resp, message('T', "\x00\x01name\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x19\xff\xff\xff\xff\xff\xff\x00\x00")...)
	resp = append(resp, message('D', "\x00\x01\x00\x00\x00\x03ann")...)
	resp = append(resp, message('D', "\x00\x01\x00\x00\x00\x03ben")...)
	resp = append(resp, message('C', "SELECT 2\x00")...)
	resp = append(resp, message('Z', "I")...)
	conn.Feed(parser.Response, resp, t0.Add(time.Millisecond))
	conn.Close(t0.Add(2 * time.Millisecond))
	// Output:
	// QUERY "SELECT name FROM users" -> SELECT 2, 2 rows
}
