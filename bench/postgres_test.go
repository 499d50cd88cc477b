package bench

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/postgres"
)

// PostgreSQL side by side: wirekit's postgres package against pgx's
// pgproto3, the wire codec under pgx. The messages are encoded with
// pgproto3's own encoders (the same fields as postgres/bench_test.go).
// pgproto3's side is a Backend receiving the frontend's messages and a
// Frontend receiving the backend's, each made once and reused (their
// messages are flyweights valid until the next Receive, as its docs
// say), reading from a bytes.Reader reset per iteration. To do the same
// work as wirekit it keeps what wirekit reports: the request's kind and
// statement text, and from the response the DataRow count, the last
// command tag and the first error's code, up to ReadyForQuery.

func pgEncode(b *testing.B, msgs ...interface{ Encode([]byte) ([]byte, error) }) []byte {
	b.Helper()
	var out []byte
	for _, m := range msgs {
		var err error
		if out, err = m.Encode(out); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

type pgCase struct {
	req, resp []byte
	rows      int
	tag       string
	statement string
	command   string
}

func pgInsert(b *testing.B) pgCase {
	return pgCase{
		req:       pgEncode(b, &pgproto3.Query{String: "INSERT INTO items VALUES (1, 'apple', 0.50)"}),
		resp:      pgEncode(b, &pgproto3.CommandComplete{CommandTag: []byte("INSERT 0 1")}, &pgproto3.ReadyForQuery{TxStatus: 'I'}),
		tag:       "INSERT 0 1",
		statement: "INSERT INTO items VALUES (1, 'apple', 0.50)",
		command:   postgres.CommandQuery,
	}
}

func pgRows100(b *testing.B) pgCase {
	msgs := []interface{ Encode([]byte) ([]byte, error) }{&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{
		{Name: []byte("g"), DataTypeOID: 23, DataTypeSize: 4, TypeModifier: -1},
		{Name: []byte("md5"), DataTypeOID: 25, DataTypeSize: -1, TypeModifier: -1},
	}}}
	for i := 1; i <= 100; i++ {
		g := strconv.Itoa(i)
		sum := md5.Sum([]byte(g))
		msgs = append(msgs, &pgproto3.DataRow{Values: [][]byte{[]byte(g), []byte(hex.EncodeToString(sum[:]))}})
	}
	msgs = append(msgs, &pgproto3.CommandComplete{CommandTag: []byte("SELECT 100")}, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	q := "SELECT g, md5(g::text) FROM generate_series(1, 100) g"
	return pgCase{req: pgEncode(b, &pgproto3.Query{String: q}), resp: pgEncode(b, msgs...), rows: 100, tag: "SELECT 100", statement: q, command: postgres.CommandQuery}
}

func pgExtended(b *testing.B) pgCase {
	q := "SELECT owner, balance FROM accounts WHERE id = $1"
	return pgCase{
		req: pgEncode(b,
			&pgproto3.Parse{Query: q, ParameterOIDs: []uint32{23}},
			&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 3}}, ResultFormatCodes: []int16{1}},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
			&pgproto3.Sync{}),
		resp: pgEncode(b, &pgproto3.ParseComplete{}, &pgproto3.BindComplete{},
			&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{
				{Name: []byte("owner"), TableOID: 16390, TableAttributeNumber: 2, DataTypeOID: 25, DataTypeSize: -1, TypeModifier: -1, Format: 1},
				{Name: []byte("balance"), TableOID: 16390, TableAttributeNumber: 3, DataTypeOID: 20, DataTypeSize: 8, TypeModifier: -1, Format: 1},
			}},
			&pgproto3.DataRow{Values: [][]byte{[]byte("cid"), {0, 0, 0, 0, 0, 0, 1, 0x2c}}},
			&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")},
			&pgproto3.ReadyForQuery{TxStatus: 'I'}),
		rows: 1, tag: "SELECT 1", statement: q, command: postgres.CommandExecute,
	}
}

// benchPostgresWirekit frames and parses request and response with each
// direction's Decoder, the response seeing the request's attributes, as
// parser.Conn pairs them.
func benchPostgresWirekit(b *testing.B, c pgCase) {
	p := postgres.Protocol()
	st := p.NewState()
	defer cpuPerOp(b)()
	sqltest.BenchPair(b, p.Decoder(st, parser.Request), p.Decoder(st, parser.Response), c.req, c.resp, func(req, resp *parser.Attributes) bool {
		cmd, _ := req.String(postgres.AttrCommand)
		stmt, _ := req.String(postgres.AttrStatement)
		tag, _ := resp.String(postgres.AttrCommandTag)
		rows, _ := resp.Int(postgres.AttrRows)
		return cmd == c.command && stmt == c.statement && tag == c.tag && int(rows) == c.rows
	})
}

// benchPostgresConn feeds both directions to one parser.Conn in steady
// state (buffering, framing, parsing, pairing, the exchange emitted).
func benchPostgresConn(b *testing.B, c pgCase) {
	defer cpuPerOp(b)()
	sqltest.BenchConn(b, postgres.Protocol(), nil, c.req, c.resp, func(e *parser.Exchange) bool {
		tag, _ := e.Response.UnsafeString(postgres.AttrCommandTag)
		return tag == c.tag
	})
}

// benchPostgresPgproto3 receives the request's messages with a Backend up
// to Query or Sync and the response's with a Frontend up to
// ReadyForQuery, keeping the same facts wirekit reports.
func benchPostgresPgproto3(b *testing.B, c pgCase) {
	var rreq, rresp bytes.Reader
	be := pgproto3.NewBackend(&rreq, nil)
	fe := pgproto3.NewFrontend(&rresp, nil)
	var command, statement, tag, code string
	rows := 0
	b.ReportAllocs()
	b.SetBytes(int64(len(c.req) + len(c.resp)))
	defer cpuPerOp(b)()
	for b.Loop() {
		rreq.Reset(c.req)
		command, statement = "", ""
	request:
		for {
			m, err := be.Receive()
			if err != nil {
				b.Fatal(err)
			}
			switch m := m.(type) {
			case *pgproto3.Query:
				command, statement = postgres.CommandQuery, m.String
				break request
			case *pgproto3.Parse:
				if command == "" {
					command, statement = postgres.CommandExecute, m.Query
				}
			case *pgproto3.Sync:
				break request
			}
		}
		rresp.Reset(c.resp)
		rows, tag, code = 0, "", ""
	response:
		for {
			m, err := fe.Receive()
			if err != nil {
				b.Fatal(err)
			}
			switch m := m.(type) {
			case *pgproto3.DataRow:
				rows++
			case *pgproto3.CommandComplete:
				tag = string(m.CommandTag)
			case *pgproto3.ErrorResponse:
				if code == "" {
					code = m.Code
				}
			case *pgproto3.ReadyForQuery:
				break response
			}
		}
	}
	if command != c.command || statement != c.statement || tag != c.tag || rows != c.rows || code != "" {
		b.Fatal(command, statement, tag, rows, code)
	}
}

func BenchmarkPostgresQuery_wirekit(b *testing.B)        { benchPostgresWirekit(b, pgInsert(b)) }
func BenchmarkPostgresQuery_wirekitConn(b *testing.B)    { benchPostgresConn(b, pgInsert(b)) }
func BenchmarkPostgresQuery_pgproto3(b *testing.B)       { benchPostgresPgproto3(b, pgInsert(b)) }
func BenchmarkPostgresRows100_wirekit(b *testing.B)      { benchPostgresWirekit(b, pgRows100(b)) }
func BenchmarkPostgresRows100_wirekitConn(b *testing.B)  { benchPostgresConn(b, pgRows100(b)) }
func BenchmarkPostgresRows100_pgproto3(b *testing.B)     { benchPostgresPgproto3(b, pgRows100(b)) }
func BenchmarkPostgresExtended_wirekit(b *testing.B)     { benchPostgresWirekit(b, pgExtended(b)) }
func BenchmarkPostgresExtended_wirekitConn(b *testing.B) { benchPostgresConn(b, pgExtended(b)) }
func BenchmarkPostgresExtended_pgproto3(b *testing.B)    { benchPostgresPgproto3(b, pgExtended(b)) }
