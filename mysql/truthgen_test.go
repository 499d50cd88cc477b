//go:build capturegen

package mysql

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/pcaptest"
)

// tsPacket is one MySQL packet as tshark's mysql dissector shows it.
type tsPacket struct {
	stream   int
	src, dst string
	seq      int
	fields   map[string][]string // field name -> shown values
	values   map[string][]string // field name -> raw hex
	info     string
	tlsAfter bool
}

func (p *tsPacket) has(f string) bool { _, ok := p.fields[f]; return ok }
func (p *tsPacket) get(f string) string {
	if v := p.fields[f]; len(v) > 0 {
		return v[0]
	}
	return ""
}
func (p *tsPacket) hasPrefix(prefix string) bool {
	for k := range p.fields {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// pdml reads tshark's PDML of a capture, decoding port 13306 as mysql:
// one tsPacket a MySQL packet, the last before TLS marked.
func pdml(t *testing.T, pcap string) []tsPacket {
	var pkts []tsPacket
	for _, pk := range sqltest.PDML(t, pcap, "tcp.port==13306,mysql", "mysql") {
		for _, fs := range pk.Layers {
			m := tsPacket{stream: pk.Stream, src: pk.Src, dst: pk.Dst, fields: map[string][]string{}, values: map[string][]string{}}
			for _, f := range fs {
				m.fields[f.Name] = append(m.fields[f.Name], f.Show)
				m.values[f.Name] = append(m.values[f.Name], f.Value)
			}
			m.seq, _ = strconv.Atoi(m.get("mysql.packet_number"))
			pkts = append(pkts, m)
		}
		if pk.TLS && len(pkts) > 0 {
			pkts[len(pkts)-1].tlsAfter = true
		}
	}
	return pkts
}

// Command names by code, as the truth files spell them.
var tgCommandNames = map[int]string{
	0x01: "QUIT", 0x02: "INIT_DB", 0x03: "QUERY", 0x04: "FIELD_LIST", 0x05: "CREATE_DB", 0x06: "DROP_DB",
	0x07: "REFRESH", 0x08: "SHUTDOWN", 0x09: "STATISTICS", 0x0a: "PROCESS_INFO", 0x0c: "PROCESS_KILL",
	0x0d: "DEBUG", 0x0e: "PING", 0x11: "CHANGE_USER", 0x16: "STMT_PREPARE", 0x17: "STMT_EXECUTE",
	0x18: "STMT_SEND_LONG_DATA", 0x19: "STMT_CLOSE", 0x1a: "STMT_RESET", 0x1b: "SET_OPTION", 0x1c: "STMT_FETCH",
	0x1f: "RESET_CONNECTION",
}

func TestDeriveTruth(t *testing.T) {
	for _, name := range pcaptest.CorpusCaptures("mysql_") {
		deriveTruth(t, name)
	}
}

type myConn struct {
	client, server string
	rows           []pcaptest.TruthRow
	resp           []*tsPacket // server packets of the current response
	cur            int         // index of the row being answered, -1 none
	stmts          map[string]string
	compressed     bool
	tls            bool
	greeting       bool
	infile         bool
	excluded       int
	serverCaps     uint64
	clientCaps     uint64
}

func deriveTruth(t *testing.T, name string) {
	base := pcaptest.Corpus(name)
	pkts := pdml(t, base+".pcap")
	conns := map[int]*myConn{}
	var order []int
	clientLog, _ := os.ReadFile(base + ".client.log")
	var xcheck bytes.Buffer
	for i := range pkts {
		p := &pkts[i]
		c := conns[p.stream]
		if c == nil {
			client, server := p.src, p.dst
			if strings.HasSuffix(p.src, ":13306") {
				client, server = p.dst, p.src
			}
			c = &myConn{client: client, server: server, cur: -1, stmts: map[string]string{}}
			conns[p.stream] = c
			order = append(order, p.stream)
		}
		if c.tls {
			continue
		}
		if c.compressed {
			if p.src == c.client && p.has("mysql.command") {
				c.excluded++
			}
			continue
		}
		if p.src == c.server {
			if p.has("mysql.server_greeting") || p.has("mysql.protocol") && !c.greeting {
				c.greeting = true // a push, not an exchange
				c.serverCaps = capsOf(p, "server")
				continue
			}
			c.resp = append(c.resp, p)
			continue
		}
		// A client packet: the rest of a LOCAL INFILE file, or a new
		// request (which closes the previous response).
		if c.cur >= 0 && c.rows[c.cur].Request["mysql.command"] == "LOCAL_INFILE_DATA" && len(c.resp) == 0 && p.seq != 0 {
			continue
		}
		c.finish()
		if c.compressed {
			if p.has("mysql.command") {
				c.excluded++
			}
			continue
		}
		req := map[string]any{}
		oneWay := false
		switch {
		case p.has("mysql.login_request") || strings.Contains(p.info, "Login"):
			c.clientCaps = capsOf(p, "client")
			if c.clientCaps&tgCapSSL != 0 && p.get("mysql.packet_length") == "32" {
				req["mysql.command"] = "SSL_REQUEST"
				req["mysql.tls"] = true
				oneWay = true
				c.tls = true
				break
			}
			req["mysql.command"] = "HANDSHAKE"
			req["mysql.user"] = p.get("mysql.user")
			if p.has("mysql.schema") {
				req["mysql.database"] = p.get("mysql.schema")
			}
			if c.clientCaps&c.serverCaps&tgCapCompress != 0 {
				req["mysql.compressed"] = true
			}
		case p.seq == 0 && p.has("mysql.command"):
			code, _ := strconv.Atoi(p.get("mysql.command"))
			cmd := tgCommandNames[code]
			req["mysql.command"] = cmd
			switch cmd {
			case "QUERY", "STMT_PREPARE":
				req["mysql.statement"] = p.get("mysql.query")
			case "INIT_DB":
				req["mysql.database"] = p.get("mysql.schema")
			case "STMT_EXECUTE", "STMT_CLOSE", "STMT_RESET", "STMT_SEND_LONG_DATA", "STMT_FETCH":
				id := p.get("mysql.stmt_id")
				n, _ := strconv.Atoi(id)
				req["mysql.stmt_id"] = n
				if cmd == "STMT_EXECUTE" {
					if s, ok := c.stmts[id]; ok {
						req["mysql.statement"] = s
					}
				}
				if cmd == "STMT_CLOSE" {
					delete(c.stmts, id)
				}
			}
			oneWay = cmd == "STMT_CLOSE" || cmd == "QUIT" || cmd == "STMT_SEND_LONG_DATA"
		case c.infile:
			// The file LOAD DATA LOCAL INFILE sends (tshark marks these
			// packets malformed: it does not follow the 0xFB turn); the
			// empty packet ends it.
			req["mysql.command"] = "LOCAL_INFILE_DATA"
		default:
			// Auth switch response and later authentication packets.
			req["mysql.command"] = "AUTH_RESPONSE"
		}
		c.rows = append(c.rows, pcaptest.TruthRow{Protocol: "mysql", Client: c.client, Server: c.server, Request: req})
		if !oneWay {
			c.cur = len(c.rows) - 1
		}
	}
	var rows []pcaptest.TruthRow
	stats := map[string]int{}
	for _, id := range order {
		c := conns[id]
		c.finish()
		for _, r := range c.rows {
			rows = append(rows, r)
			stats[r.Request["mysql.command"].(string)]++
		}
		fmt.Fprintf(&xcheck, "connection %s: %d exchanges, tls=%v, compressed=%v (%d commands tshark decoded after compression started are not exchanges: the parser stops at compression by design)\n",
			c.client, len(c.rows), c.tls, c.compressed, c.excluded)
	}
	fmt.Fprintf(&xcheck, "exchanges=%d streams=%d commands: %s\n", len(rows), len(order), sqltest.Counts(stats))
	// Cross-check with the server's general query log: every QUERY,
	// STMT_PREPARE statement appears under the connection's thread.
	logb, _ := os.ReadFile(base + ".server.log")
	found, missing := 0, 0
	for _, r := range rows {
		if s, ok := r.Request["mysql.statement"].(string); ok && r.Request["mysql.command"] != "STMT_EXECUTE" {
			if bytes.Contains(logb, []byte(s)) {
				found++
			} else {
				missing++
				fmt.Fprintf(&xcheck, "GENERAL-LOG: not found: %q\n", s)
			}
		}
	}
	fmt.Fprintf(&xcheck, "GENERAL-LOG: %d QUERY/STMT_PREPARE statements found in the server's general log, %d not found\n", found, missing)
	if m := regexp.MustCompile(`Query OK, (\d+) rows affected`).FindAllSubmatch(clientLog, -1); m != nil {
		fmt.Fprintf(&xcheck, "CLIENT-LOG: %d 'Query OK' lines\n", len(m))
	}
	sqltest.WriteTruth(t, base, rows, xcheck.Bytes())
}

const (
	tgCapCompress = 1 << 5
	tgCapSSL      = 1 << 11
)

func capsOf(p *tsPacket, side string) uint64 {
	lo, _ := strconv.ParseUint(strings.TrimPrefix(p.get("mysql.caps."+side), "0x"), 16, 32)
	hi, _ := strconv.ParseUint(strings.TrimPrefix(p.get("mysql.extcaps."+side), "0x"), 16, 32)
	return lo | hi<<16
}

// finish summarises the response gathered for the request being answered.
func (c *myConn) finish() {
	if c.cur < 0 {
		c.resp = nil
		return
	}
	row := &c.rows[c.cur]
	c.cur = -1
	var resp []*tsPacket
	for _, p := range c.resp {
		if p.get("mysql.response_code") == "0xff" && p.get("mysql.error_code") == "65535" {
			continue // a progress report
		}
		resp = append(resp, p)
	}
	c.resp = nil
	r := map[string]any{}
	row.Response = r
	cmd := row.Request["mysql.command"]
	c.infile = false
	if len(resp) == 0 {
		row.Response = nil
		return
	}
	first := resp[0]
	code := first.get("mysql.response_code")
	switch {
	case first.has("mysql.num_fields") && code == "":
		r["mysql.response"] = "RESULTSET"
		if first.get("mysql.num_fields") == "" {
			break
		}
	case code == "0x00" && cmd == "STMT_PREPARE":
		r["mysql.response"] = "OK"
		id := first.get("mysql.stmt_id")
		n, _ := strconv.Atoi(id)
		r["mysql.stmt_id"] = n
		cols, _ := strconv.Atoi(first.get("mysql.num_fields"))
		params, _ := strconv.Atoi(first.get("mysql.num_params"))
		r["mysql.columns"], r["mysql.params"] = cols, params
		c.stmts[id] = row.Request["mysql.statement"].(string)
	case code == "0x00":
		r["mysql.response"] = "OK"
		n, _ := strconv.Atoi(first.get("mysql.affected_rows"))
		r["mysql.affected_rows"] = n
		if cmd == "HANDSHAKE" || cmd == "AUTH_RESPONSE" {
			if row.Request["mysql.compressed"] == true || c.prevCompressed() {
				c.compressed = true
			}
		}
	case code == "0xff":
		r["mysql.response"] = "ERR"
	case code == "0xfe" && (cmd == "HANDSHAKE" || cmd == "AUTH_RESPONSE"):
		r["mysql.response"] = "AUTH_SWITCH"
		r["mysql.auth_plugin"] = first.get("mysql.auth_switch_request.name")
	case code == "0xfe":
		r["mysql.response"] = "EOF"
	}
	if first.has("mysql.num_fields") && code == "" {
		if v := first.values["mysql.num_fields"]; len(v) > 0 && strings.HasPrefix(v[0], "fb") {
			// 0xFB: the LOCAL INFILE request (tshark reads it as a column count).
			r = map[string]any{"mysql.response": "LOCAL_INFILE"}
			row.Response = r
			c.infile = true
			return
		}
		n, _ := strconv.Atoi(first.get("mysql.num_fields"))
		r["mysql.columns"] = n
	}
	// Errors: the first ERR of the response.
	for _, p := range resp {
		// Error 65535 is MariaDB's progress report (tshark shows it as
		// an error), not the response's error.
		if p.get("mysql.response_code") == "0xff" && p.get("mysql.error_code") != "65535" {
			n, _ := strconv.Atoi(p.get("mysql.error_code"))
			r["mysql.error_code"] = n
			r["mysql.sql_state"] = p.get("mysql.sqlstate")
			r["mysql.error_message"] = p.get("mysql.error.message")
			break
		}
	}
	// Rows: the packets of result sets that are neither a column count,
	// a column definition nor a terminator.
	if r["mysql.response"] == "RESULTSET" {
		rows, results := 0, 0
		for _, p := range resp {
			switch {
			case p.has("mysql.num_fields") && p.get("mysql.response_code") == "":
				results++
			case p.has("mysql.row.nullbuffer"): // a binary row (header 0x00)
				rows++
			case p.has("mysql.response_code"), p.hasPrefix("mysql.field."), p.has("mysql.extmeta_data"):
			default:
				rows++
			}
		}
		r["mysql.rows"] = rows
		_ = results
	}
}

func (c *myConn) prevCompressed() bool {
	for _, r := range c.rows {
		if r.Request["mysql.compressed"] == true {
			return true
		}
	}
	return false
}
