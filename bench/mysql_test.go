package bench

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/parser"
)

// MySQL: wirekit alone. No Go package a user would pick decodes MySQL
// packets outside a driver here: github.com/go-mysql-org/go-mysql (its
// packet and mysql packages) is not served by the module proxy this
// project reaches (403), go-sql-driver/mysql keeps its packet reading
// unexported inside the driver, and vitess' go/mysql parses OK and row
// packets only in unexported methods of a connected Conn. The cases are
// the ones of mysql/bench_test.go, the same messages (MariaDB 10.11
// without CLIENT_DEPRECATE_EOF), on a connection state that has seen the
// corpus' real mariadb-client login.

// myPkt and myPkts build MySQL packets (3-byte length, sequence id,
// payload).
var (
	myPkt  = sqltest.MySQLPacket
	myPkts = sqltest.MySQLPackets
)

func myLE(v uint64, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return string(b)
}

func myLC(s string) string { return string([]byte{byte(len(s))}) + s }

func myColdef(name string, typ, charset byte, length uint64) string {
	return myLC("def") + myLC("corpusdb") + myLC("") + myLC("") + myLC(name) + myLC("") +
		"\x0c" + string([]byte{charset, 0}) + myLE(length, 4) + string([]byte{typ}) + "\x00\x00\x00\x00\x00"
}

const myEOF = "\xfe\x00\x00\x22\x00"

type myCase struct {
	prepare, prepared []byte // a STMT_PREPARE and its answer, run once before the loop
	req, resp         []byte
	command, response string
	rows              int
}

func myQueryOK() myCase {
	return myCase{req: myPkt(0, "\x03INSERT INTO items VALUES (1, 'apple', 0.50)"), resp: myPkt(1, "\x00\x01\x00\x02\x00\x00\x00"),
		command: "QUERY", response: mysql.ResponseOK}
}

func myRows100() myCase {
	p := []string{"\x02", myColdef("seq", 0x08, 63, 20), myColdef("MD5(seq)", 0xfd, 45, 128), myEOF}
	for i := 1; i <= 100; i++ {
		s := strconv.Itoa(i)
		sum := md5.Sum([]byte(s))
		p = append(p, myLC(s)+myLC(hex.EncodeToString(sum[:])))
	}
	return myCase{req: myPkt(0, "\x03SELECT seq, MD5(seq) FROM seq_1_to_100"), resp: myPkts(1, append(p, myEOF)...),
		command: "QUERY", response: mysql.ResponseResultSet, rows: 100}
}

func myStmtExecute100() myCase {
	p := []string{"\x02", myColdef("seq", 0x08, 63, 20), myColdef("seq * 3", 0x08, 63, 21), myEOF}
	for i := uint64(901); i <= 1000; i++ {
		p = append(p, "\x00\x00"+myLE(i, 8)+myLE(3*i, 8))
	}
	return myCase{
		prepare: myPkt(0, "\x16SELECT seq, seq * 3 FROM seq_1_to_1000 WHERE seq > ?"),
		prepared: myPkts(1, "\x00"+myLE(1, 4)+"\x02\x00\x01\x00\x00\x00\x00",
			myColdef("?", 0x08, 63, 21), "\xfe\x00\x00\x02\x00",
			myColdef("seq", 0x08, 63, 20), myColdef("seq * 3", 0x08, 63, 21), "\xfe\x00\x00\x02\x00"),
		req:     myPkt(0, "\x17"+myLE(1, 4)+"\x00"+myLE(1, 4)+"\x00\x01\x08\x00"+myLE(900, 8)),
		resp:    myPkts(1, append(p, myEOF)...),
		command: "STMT_EXECUTE", response: mysql.ResponseResultSet, rows: 100,
	}
}

// myLogin returns the greeting, login request and its OK of the corpus'
// mariadb-client session.
func myLogin(b *testing.B) [][]byte {
	reqs, resps := sqltest.FirstMessages(b, mysql.Protocol(), "mysql_cli_session.pcap")
	return [][]byte{resps[0], reqs[0], resps[1]}
}

// myPrimed is myLogin and, for a prepared statement's case, its
// STMT_PREPARE and answer: what a connection saw before c's exchanges.
func myPrimed(b *testing.B, c myCase) [][]byte {
	if c.prepare != nil {
		return append(myLogin(b), c.prepare, c.prepared)
	}
	return myLogin(b)
}

// benchMySQLWirekit frames and parses command and response with each
// direction's Decoder, the response seeing the request's attributes, as
// parser.Conn pairs them.
func benchMySQLWirekit(b *testing.B, c myCase) {
	p := mysql.Protocol()
	st := p.NewState()
	decReq, decResp := p.Decoder(st, parser.Request), p.Decoder(st, parser.Response)
	var mreq, mresp parser.Message
	mresp.Request = &mreq.Attrs
	for i, msg := range myPrimed(b, c) {
		dec, m := decResp, &mresp
		if i%2 == 1 {
			dec, m = decReq, &mreq
		}
		if n, framed, ok, err := dec(m, msg, false); err != nil || !framed || !ok || n != len(msg) {
			b.Fatal(err, m.Err)
		}
	}
	defer cpuPerOp(b)()
	sqltest.BenchPair(b, decReq, decResp, c.req, c.resp, func(req, resp *parser.Attributes) bool {
		cmd, _ := req.String(mysql.AttrCommand)
		kind, _ := resp.String(mysql.AttrResponse)
		rows, _ := resp.Int(mysql.AttrRows)
		return cmd == c.command && kind == c.response && int(rows) == c.rows && (c.prepare == nil || req.Has(mysql.AttrStatement))
	})
}

// benchMySQLConn feeds both directions to one parser.Conn in steady state
// after the login (buffering, framing, parsing, pairing, the exchange
// emitted).
func benchMySQLConn(b *testing.B, c myCase) {
	setup := myPrimed(b, c)
	defer cpuPerOp(b)()
	sqltest.BenchConn(b, mysql.Protocol(), setup, c.req, c.resp, func(e *parser.Exchange) bool {
		if e.Response == nil {
			return false
		}
		kind, _ := e.Response.UnsafeString(mysql.AttrResponse)
		rows, _ := e.Response.Int(mysql.AttrRows)
		return kind == c.response && int(rows) == c.rows
	})
}

func BenchmarkMySQLQueryOK_wirekit(b *testing.B)            { benchMySQLWirekit(b, myQueryOK()) }
func BenchmarkMySQLQueryOK_wirekitConn(b *testing.B)        { benchMySQLConn(b, myQueryOK()) }
func BenchmarkMySQLRows100_wirekit(b *testing.B)            { benchMySQLWirekit(b, myRows100()) }
func BenchmarkMySQLRows100_wirekitConn(b *testing.B)        { benchMySQLConn(b, myRows100()) }
func BenchmarkMySQLStmtExecute100_wirekit(b *testing.B)     { benchMySQLWirekit(b, myStmtExecute100()) }
func BenchmarkMySQLStmtExecute100_wirekitConn(b *testing.B) { benchMySQLConn(b, myStmtExecute100()) }
