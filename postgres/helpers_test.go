package postgres

import (
	"encoding/binary"

	"github.com/wirekit/wirekit/internal/sqltest"
)

// The shared test helpers (sqltest), by the short names the tests use.
var (
	exchanges = sqltest.Exchanges
	str       = sqltest.Str
	num       = sqltest.Num
)

// msg builds a typed message: type byte, length, body parts.
func msg(typ byte, parts ...string) []byte {
	n := 4
	for _, p := range parts {
		n += len(p)
	}
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(n))
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func cat(ms ...[]byte) []byte {
	var b []byte
	for _, m := range ms {
		b = append(b, m...)
	}
	return b
}

func u16(v int) string { return string([]byte{byte(v >> 8), byte(v)}) }
func u32(v int) string { return string([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}) }

// startup builds a StartupMessage with the given parameters.
func startup(params ...string) []byte {
	body := u32(protocolV3)
	for _, p := range params {
		body += p + "\x00"
	}
	body += "\x00"
	b := []byte(u32(len(body) + 4))
	return append(b, body...)
}

// Messages of one simple query and one extended-query exchange, as
// PostgreSQL 15 and pgx send them.
var (
	queryReq   = msg('Q', "SELECT id, name FROM items ORDER BY id\x00")
	queryResp  = cat(msg('T', u16(1), "id\x00", u32(16384), u16(1), u32(23), u16(4), u32(0xffffffff), u16(0)), msg('D', u16(1), u32(1), "1"), msg('D', u16(1), u32(1), "2"), msg('C', "SELECT 2\x00"), msg('Z', "I"))
	prepareReq = cat(msg('P', "ins\x00", "INSERT INTO t VALUES ($1)\x00", u16(0)), msg('D', "S", "ins\x00"), msg('S'))
	prepResp   = cat(msg('1'), msg('t', u16(1), u32(23)), msg('n'), msg('Z', "I"))
	execReq    = cat(msg('B', "\x00", "ins\x00", u16(0), u16(1), u32(1), "7", u16(0)), msg('D', "P", "\x00"), msg('E', "\x00", u32(0)), msg('S'))
	execResp   = cat(msg('2'), msg('n'), msg('C', "INSERT 0 1\x00"), msg('Z', "I"))
	errResp    = cat(msg('E', "SERROR\x00", "VERROR\x00", "C23505\x00", "Mduplicate key value\x00", "\x00"), msg('Z', "I"))
)
