package mysql

import "github.com/wirekit/wirekit/internal/sqltest"

// The shared test helpers (sqltest), by the short names the tests use.
var (
	exchanges = sqltest.Exchanges
	str       = sqltest.Str
	num       = sqltest.Num
	pkt       = sqltest.MySQLPacket  // one packet: 3-byte length, sequence id, payload
	pkts      = sqltest.MySQLPackets // consecutive packets from seq on
)

func le32s(v uint32) string {
	return string([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// coldef is a column definition packet payload.
func coldef(name string) string {
	lc := func(s string) string { return string([]byte{byte(len(s))}) + s }
	return lc("def") + lc("db") + lc("t") + lc("t") + lc(name) + lc(name) + "\x0c\x3f\x00\x0b\x00\x00\x00\x03\x00\x00\x00\x00\x00"
}

// Packets as MariaDB 10.11 sends them to a client without
// CLIENT_DEPRECATE_EOF (the connection state decides; a Conn without a
// handshake has unknown capabilities and tells EOFs by their size).
var (
	queryReq   = pkt(0, "\x03SELECT id, name FROM items")
	resultResp = pkts(1, "\x02", coldef("id"), coldef("name"), "\xfe\x00\x00\x22\x00", "\x011\x03ann", "\x012\x03ben", "\xfe\x00\x00\x22\x00")
	okResp     = pkt(1, "\x00\x01\x00\x02\x00\x00\x00")
	errResp    = pkt(1, "\xff\x26\x04#23000Duplicate entry '1' for key 'PRIMARY'")
	prepareReq = pkt(0, "\x16INSERT INTO t VALUES (?)")
	prepResp   = pkts(1, "\x00"+le32s(1)+"\x00\x00\x01\x00\x00\x00\x00", coldef("?"), "\xfe\x00\x00\x02\x00")
	executeReq = pkt(0, "\x17"+le32s(1)+"\x00\x01\x00\x00\x00\x00\x01\x03\x00\x07")
	closeReq   = pkt(0, "\x19"+le32s(1))
)
