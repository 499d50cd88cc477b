package postgres

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// The benchmark messages, laid out as PostgreSQL 15 sends them (the same
// messages bench/postgres_test.go builds with pgproto3's encoders for the
// side-by-side figures).
var (
	// A simple query answered by CommandComplete and ReadyForQuery.
	benchInsertReq  = msg('Q', "INSERT INTO items VALUES (1, 'apple', 0.50)\x00")
	benchInsertResp = cat(msg('C', "INSERT 0 1\x00"), msg('Z', "I"))
	// A simple query answered by 100 DataRows of (int4, text).
	benchRowsReq  = msg('Q', "SELECT g, md5(g::text) FROM generate_series(1, 100) g\x00")
	benchRowsResp = rows100()
	// An extended query as pgx sends one in its default mode (unnamed
	// statement): Parse, Bind, Describe portal, Execute, Sync, answered
	// by ParseComplete, BindComplete, RowDescription, one DataRow,
	// CommandComplete and ReadyForQuery.
	benchExtReq = cat(
		msg('P', "\x00", "SELECT owner, balance FROM accounts WHERE id = $1\x00", u16(1), u32(23)),
		msg('B', "\x00", "\x00", u16(1), u16(1), u16(1), u32(4), u32(3), u16(1), u16(1)),
		msg('D', "P", "\x00"),
		msg('E', "\x00", u32(0)),
		msg('S'))
	benchExtResp = cat(msg('1'), msg('2'),
		msg('T', u16(2),
			"owner\x00", u32(16390), u16(2), u32(25), u16(0xffff), u32(0xffffffff), u16(1),
			"balance\x00", u32(16390), u16(3), u32(20), u16(8), u32(0xffffffff), u16(1)),
		msg('D', u16(2), u32(3), "cid", u32(8), "\x00\x00\x00\x00\x00\x00\x01\x2c"),
		msg('C', "SELECT 1\x00"), msg('Z', "I"))
)

// rows100 is the response to benchRowsReq: RowDescription (g int4, md5
// text), 100 DataRows, CommandComplete "SELECT 100", ReadyForQuery.
func rows100() []byte {
	b := msg('T', u16(2),
		"g\x00", u32(0), u16(0), u32(23), u16(4), u32(0xffffffff), u16(0),
		"md5\x00", u32(0), u16(0), u32(25), u16(0xffff), u32(0xffffffff), u16(0))
	for i := 1; i <= 100; i++ {
		g := strconv.Itoa(i)
		sum := md5.Sum([]byte(g))
		h := hex.EncodeToString(sum[:])
		b = append(b, msg('D', u16(2), u32(len(g)), g, u32(len(h)), h)...)
	}
	return append(b, cat(msg('C', "SELECT 100\x00"), msg('Z', "I"))...)
}

// BenchmarkParseQueryComplete: a simple INSERT and its CommandComplete +
// ReadyForQuery, framed and parsed both ways.
func BenchmarkParseQueryComplete(b *testing.B) {
	p := Protocol()
	st := p.NewState()
	sqltest.BenchPair(b, p.Decoder(st, parser.Request), p.Decoder(st, parser.Response), benchInsertReq, benchInsertResp, func(req, resp *parser.Attributes) bool {
		return str(req, AttrCommand) == CommandQuery && str(resp, AttrCommandTag) == "INSERT 0 1"
	})
}

// BenchmarkParseRows100: a simple SELECT and its 100-row response
// (DataRows counted, not decoded).
func BenchmarkParseRows100(b *testing.B) {
	p := Protocol()
	st := p.NewState()
	sqltest.BenchPair(b, p.Decoder(st, parser.Request), p.Decoder(st, parser.Response), benchRowsReq, benchRowsResp, func(req, resp *parser.Attributes) bool {
		return num(resp, AttrRows) == 100 && str(resp, AttrCommandTag) == "SELECT 100"
	})
}

// BenchmarkParseExtended: Parse/Bind/Describe/Execute/Sync and its
// response, one exchange.
func BenchmarkParseExtended(b *testing.B) {
	p := Protocol()
	st := p.NewState()
	sqltest.BenchPair(b, p.Decoder(st, parser.Request), p.Decoder(st, parser.Response), benchExtReq, benchExtResp, func(req, resp *parser.Attributes) bool {
		return str(req, AttrCommand) == CommandExecute &&
			str(req, AttrStatement) == "SELECT owner, balance FROM accounts WHERE id = $1" &&
			num(resp, AttrRows) == 1 && str(resp, AttrCommandTag) == "SELECT 1"
	})
}

// BenchmarkConnRows100: one parser.Conn in steady state fed the 100-row
// query and its response per iteration (buffering, framing, parsing,
// pairing, the exchange emitted).
func BenchmarkConnRows100(b *testing.B) {
	sqltest.BenchConn(b, Protocol(), nil, benchRowsReq, benchRowsResp, sqltest.ResponseInt(AttrRows, 100))
}

// BenchmarkConnCorpus runs the pgx capture (43 exchanges over 5
// connections: startup and SCRAM, extended queries through pgx's
// statement cache, a 3000-row result, COPY, LISTEN/NOTIFY, a cancel, a
// TLS request) through parser.Conn in the chunks it was captured in, a
// new Conn per connection, as a user of the library gets it.
func BenchmarkConnCorpus(b *testing.B) {
	pcaptest.BenchReplay(b, Protocol(), pcaptest.Corpus("postgres_pgx_mixed.pcap"), 43)
}
