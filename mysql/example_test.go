package mysql_test

import (
	"fmt"
	"time"

	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/parser"
)

// packet builds one protocol packet: length, sequence id, payload.
func packet(seq byte, payload string) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// A COM_QUERY and its whole result set, through parser.Conn: one
// exchange.
func Example() {
	conn := parser.NewConn(mysql.Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		cmd, _ := e.Request.String(mysql.AttrCommand)
		sql, _ := e.Request.String(mysql.AttrStatement)
		kind, _ := e.Response.String(mysql.AttrResponse)
		rows, _ := e.Response.Int(mysql.AttrRows)
		fmt.Printf("%s %q -> %s, %d rows\n", cmd, sql, kind, rows)
	})
	t0 := time.Now()
	conn.Feed(parser.Request, packet(0, "\x03SELECT name FROM users"), t0)
	var resp []byte
	resp = append(resp, packet(1, "\x01")...) // one column
	resp = append(resp, packet(2, "\x03def\x02db\x05users\x05users\x04name\x04name\x0c\x21\x00\xfd\x02\x00\x00\xfd\x00\x00\x00\x00\x00")...)
	resp = append(resp, packet(3, "\xfe\x00\x00\x22\x00")...) // EOF
	resp = append(resp, packet(4, "\x03ann")...)
	resp = append(resp, packet(5, "\x03ben")...)
	resp = append(resp, packet(6, "\xfe\x00\x00\x22\x00")...) // EOF: end of rows
	conn.Feed(parser.Response, resp, t0.Add(time.Millisecond))
	conn.Close(t0.Add(2 * time.Millisecond))
	// Output:
	// QUERY "SELECT name FROM users" -> RESULTSET, 2 rows
}
