package mysql

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// lc is a length-encoded string (for lengths under 251).
func lc(s string) string { return string([]byte{byte(len(s))}) + s }

// coldefT is a column definition packet payload of the given type and
// character set (63 binary for numbers, 45 utf8mb4 for text).
func coldefT(name string, typ byte, charset byte, length uint32) string {
	return lc("def") + lc("corpusdb") + lc("") + lc("") + lc(name) + lc("") +
		"\x0c" + string([]byte{charset, 0}) + le32s(length) + string([]byte{typ}) + "\x00\x00\x00\x00\x00"
}

func le64s(v uint64) string { return le32s(uint32(v)) + le32s(uint32(v>>32)) }

// The benchmark messages, laid out as MariaDB 10.11 sends them to a
// client without CLIENT_DEPRECATE_EOF (the mariadb client of the corpus;
// the same messages bench/mysql_test.go measures).
var (
	// A simple INSERT answered by OK (1 affected row).
	benchInsertReq  = pkt(0, "\x03INSERT INTO items VALUES (1, 'apple', 0.50)")
	benchInsertResp = pkt(1, "\x00\x01\x00\x02\x00\x00\x00")
	// A text-protocol result set of 100 rows of (BIGINT, VARCHAR(32)).
	benchRowsReq  = pkt(0, "\x03SELECT seq, MD5(seq) FROM seq_1_to_100")
	benchRowsResp = textRows100()
	// A statement prepared once (2 columns, 1 parameter, statement id 1)
	// and executed: STMT_EXECUTE with a BIGINT parameter bound, answered
	// by a binary-protocol result set of 100 rows of (BIGINT, BIGINT).
	benchPrepareReq  = pkt(0, "\x16SELECT seq, seq * 3 FROM seq_1_to_1000 WHERE seq > ?")
	benchPrepareResp = pkts(1, "\x00"+le32s(1)+"\x02\x00\x01\x00\x00\x00\x00",
		coldefT("?", 0x08, 63, 21), "\xfe\x00\x00\x02\x00",
		coldefT("seq", 0x08, 63, 20), coldefT("seq * 3", 0x08, 63, 21), "\xfe\x00\x00\x02\x00")
	benchExecuteReq  = pkt(0, "\x17"+le32s(1)+"\x00"+le32s(1)+"\x00\x01\x08\x00"+le64s(900))
	benchExecuteResp = binaryRows100()
)

func textRows100() []byte {
	p := []string{"\x02", coldefT("seq", 0x08, 63, 20), coldefT("MD5(seq)", 0xfd, 45, 128), "\xfe\x00\x00\x22\x00"}
	for i := 1; i <= 100; i++ {
		s := strconv.Itoa(i)
		sum := md5.Sum([]byte(s))
		p = append(p, lc(s)+lc(hex.EncodeToString(sum[:])))
	}
	return pkts(1, append(p, "\xfe\x00\x00\x22\x00")...)
}

func binaryRows100() []byte {
	p := []string{"\x02", coldefT("seq", 0x08, 63, 20), coldefT("seq * 3", 0x08, 63, 21), "\xfe\x00\x00\x22\x00"}
	for i := uint64(901); i <= 1000; i++ {
		p = append(p, "\x00\x00"+le64s(i)+le64s(3*i)) // header, NULL bitmap, two values
	}
	return pkts(1, append(p, "\xfe\x00\x00\x22\x00")...)
}

// primed returns decoders over a state that has seen a real login: the
// greeting, handshake response and OK of the corpus' mariadb client
// session, so the capabilities are known (no CLIENT_DEPRECATE_EOF) as on
// a connection followed from its start.
func primed(b *testing.B) (p *parser.Protocol, st *State, decReq, decResp parser.DecodeFunc) {
	p = Protocol()
	reqs, resps := sqltest.FirstMessages(b, p, "mysql_cli_session.pcap")
	st = p.NewState().(*State)
	decReq, decResp = p.Decoder(st, parser.Request), p.Decoder(st, parser.Response)
	var m parser.Message
	for _, step := range []struct {
		dec parser.DecodeFunc
		msg []byte
	}{{decResp, resps[0]}, {decReq, reqs[0]}, {decResp, resps[1]}} {
		if _, framed, ok, err := step.dec(&m, step.msg, false); err != nil || !framed || !ok {
			b.Fatal(err, m.Err)
		}
	}
	if caps, known := st.caps(); !known || caps&capDeprecateEOF != 0 {
		b.Fatalf("login not seen or CLIENT_DEPRECATE_EOF set: %x %v", caps, known)
	}
	return p, st, decReq, decResp
}

// BenchmarkParseQueryOK: COM_QUERY INSERT and its OK, framed and parsed
// both ways.
func BenchmarkParseQueryOK(b *testing.B) {
	_, _, decReq, decResp := primed(b)
	sqltest.BenchPair(b, decReq, decResp, benchInsertReq, benchInsertResp, func(req, resp *parser.Attributes) bool {
		return str(req, AttrCommand) == "QUERY" && str(resp, AttrResponse) == ResponseOK && num(resp, AttrAffectedRows) == 1
	})
}

// BenchmarkParseRows100: COM_QUERY SELECT and its 100-row text result set
// (rows counted, not decoded).
func BenchmarkParseRows100(b *testing.B) {
	_, _, decReq, decResp := primed(b)
	sqltest.BenchPair(b, decReq, decResp, benchRowsReq, benchRowsResp, func(req, resp *parser.Attributes) bool {
		return str(resp, AttrResponse) == ResponseResultSet && num(resp, AttrColumns) == 2 && num(resp, AttrRows) == 100
	})
}

// BenchmarkParseStmtExecute100: STMT_EXECUTE of a statement prepared
// before the loop (its text resolved by id) and its 100-row binary result
// set.
func BenchmarkParseStmtExecute100(b *testing.B) {
	_, _, decReq, decResp := primed(b)
	var m parser.Message
	if _, _, ok, err := decReq(&m, benchPrepareReq, false); err != nil || !ok {
		b.Fatal(err, m.Err)
	}
	var prep parser.Attributes
	prep.CopyFrom(&m.Attrs)
	m.Request = &prep
	if _, _, ok, err := decResp(&m, benchPrepareResp, false); err != nil || !ok || num(&m.Attrs, AttrStmtID) != 1 {
		b.Fatal(err, m.Err, &m.Attrs)
	}
	sqltest.BenchPair(b, decReq, decResp, benchExecuteReq, benchExecuteResp, func(req, resp *parser.Attributes) bool {
		return str(req, AttrCommand) == "STMT_EXECUTE" &&
			str(req, AttrStatement) == "SELECT seq, seq * 3 FROM seq_1_to_1000 WHERE seq > ?" &&
			str(resp, AttrResponse) == ResponseResultSet && num(resp, AttrRows) == 100
	})
}

// BenchmarkConnRows100: one parser.Conn in steady state fed the 100-row
// query and its response per iteration (buffering, framing, parsing,
// pairing, the exchange emitted).
func BenchmarkConnRows100(b *testing.B) {
	sqltest.BenchConn(b, Protocol(), nil, benchRowsReq, benchRowsResp, sqltest.ResponseInt(AttrRows, 100))
}

// BenchmarkConnCorpus runs the go-sql-driver capture (38 exchanges over 5
// connections: logins incl. an ed25519 auth switch and a failed one,
// prepared statements, 3000-row text and 1000-row binary result sets,
// multi-results, a compressed and a TLS login) through parser.Conn in the
// chunks it was captured in, a new Conn per connection, as a user of the
// library gets it.
func BenchmarkConnCorpus(b *testing.B) {
	pcaptest.BenchReplay(b, Protocol(), pcaptest.Corpus("mysql_godriver_mixed.pcap"), 38)
}

// BenchmarkOperations: AttrOperation's scan of a 44-byte statement.
func BenchmarkOperations(b *testing.B) {
	sql := "INSERT INTO items VALUES (1, 'apple', 0.50)"
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(sql)))
	for b.Loop() {
		buf = appendOperations(buf[:0], sql)
	}
	if string(buf) != "INSERT" {
		b.Fatal(string(buf))
	}
}

// BenchmarkMayHoldPassword: the password pre-check on the same statement.
func BenchmarkMayHoldPassword(b *testing.B) {
	sql := "INSERT INTO items VALUES (1, 'apple', 0.50)"
	b.ReportAllocs()
	b.SetBytes(int64(len(sql)))
	for b.Loop() {
		if mayHoldPassword(sql) {
			b.Fatal(sql)
		}
	}
}
