//go:build capturegen

package postgres

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/pcaptest"
)

// tsMsg is one PostgreSQL message as tshark's pgsql dissector shows it.
type tsMsg struct {
	typ    string
	fields map[string][]string // field name -> values (hex-decoded bytes, NUL stripped)
	shows  map[string][]string // field name -> tshark's displayed value
}

// tsSeg is one TCP segment with its pgsql messages.
type tsSeg struct {
	stream           int
	src, dst         string
	payload          []byte
	msgs             []tsMsg
	pgsqlWithoutType bool
	frame            int
}

// pdml reads tshark's PDML of a capture, decoding port 15432 as pgsql:
// one tsSeg a TCP segment with its pgsql messages.
func pdml(t *testing.T, pcap string) []tsSeg {
	var segs []tsSeg
	for _, pk := range sqltest.PDML(t, pcap, "tcp.port==15432,pgsql", "pgsql") {
		s := tsSeg{stream: pk.Stream, src: pk.Src, dst: pk.Dst, payload: pk.Payload, frame: pk.Frame}
		for _, fs := range pk.Layers {
			m := tsMsg{fields: map[string][]string{}, shows: map[string][]string{}}
			for _, f := range fs {
				if f.Name == "pgsql.type" {
					m.typ = f.Show
					continue
				}
				b, _ := hex.DecodeString(f.Value)
				b = bytes.TrimSuffix(b, []byte{0})
				switch f.Name {
				case "pgsql.severity", "pgsql.text", "pgsql.code", "pgsql.message":
					// Error and notice fields: the value starts with the field's type byte.
					if len(b) > 0 {
						b = b[1:]
					}
				}
				m.fields[f.Name] = append(m.fields[f.Name], string(b))
				m.shows[f.Name] = append(m.shows[f.Name], f.Show)
			}
			if m.typ == "" {
				s.pgsqlWithoutType = true
			} else {
				s.msgs = append(s.msgs, m)
			}
		}
		segs = append(segs, s)
	}
	return segs
}

var authNames = map[string]string{"0": "OK", "2": "KERBEROS_V5", "3": "CLEARTEXT_PASSWORD", "5": "MD5_PASSWORD", "7": "GSS", "8": "GSS_CONTINUE", "9": "SSPI", "10": "SASL", "11": "SASL_CONTINUE", "12": "SASL_FINAL"}

// TestDeriveTruth writes postgres_*.truth.jsonl and .xcheck.txt from
// tshark's pgsql dissector, checked against the server's statement log.
func TestDeriveTruth(t *testing.T) {
	for _, name := range pcaptest.CorpusCaptures("postgres_") {
		deriveTruth(t, name)
	}
}

func deriveTruth(t *testing.T, name string) {
	base := pcaptest.Corpus(name)
	segs := pdml(t, base+".pcap")
	var xcheck bytes.Buffer
	type conn struct {
		client, server string
		reqs           [][]tsMsg // request groups
		reqKinds       []string
		resps          []map[string]any // response runs
		run            []tsMsg
		pendingSSL     int
		pushes         int
		tls            bool
		stmts          map[string]string
	}
	// group adds a client message to the connection's open run of kind
	// open, or starts one; last closes the run, as kind done.
	group := func(c *conn, m tsMsg, open, done string, last bool) {
		n := len(c.reqs)
		if n > 0 && c.reqKinds[n-1] == open {
			c.reqs[n-1] = append(c.reqs[n-1], m)
		} else {
			c.reqs = append(c.reqs, []tsMsg{m})
			c.reqKinds = append(c.reqKinds, open)
			n++
		}
		if last {
			c.reqKinds[n-1] = done
		}
	}
	conns := map[int]*conn{}
	var order []int
	for _, s := range segs {
		c := conns[s.stream]
		if c == nil {
			// The client is the side that is not port 15432.
			client, server := s.src, s.dst
			if strings.HasSuffix(s.src, ":15432") {
				client, server = s.dst, s.src
			}
			c = &conn{client: client, server: server, stmts: map[string]string{}}
			conns[s.stream] = c
			order = append(order, s.stream)
		}
		if c.tls {
			continue
		}
		fromClient := s.src == c.client
		if !fromClient && len(s.msgs) == 0 && len(s.payload) == 1 && c.pendingSSL > 0 {
			// The one-byte answer to SSLRequest: 'S' (TLS follows) or 'N'.
			c.pendingSSL--
			c.resps = append(c.resps, map[string]any{"postgres.tls": s.payload[0] == 'S'})
			if s.payload[0] == 'S' {
				c.tls = true
			}
			continue
		}
		for _, m := range s.msgs {
			if fromClient {
				switch m.typ {
				case "Startup message", "SSL request", "Cancel request", "GSS encrypt request",
					"SASLInitialResponse message", "SASLResponse message", "Password message", "GSSResponse message",
					"Simple query", "Termination", "Function call":
					c.reqs = append(c.reqs, []tsMsg{m})
					c.reqKinds = append(c.reqKinds, m.typ)
					if m.typ == "SSL request" || m.typ == "GSS encrypt request" {
						c.pendingSSL++
					}
				case "Copy data", "Copy completion", "Copy failure":
					group(c, m, "copy-open", "copy", m.typ != "Copy data")
				default: // extended query messages up to Sync
					group(c, m, "ext-open", "ext", m.typ == "Sync")
				}
				continue
			}
			// Server: asynchronous messages outside a run are pushes.
			if len(c.run) == 0 && len(c.resps) >= countAnswered(c.reqKinds) &&
				(m.typ == "Notification" || m.typ == "Notice" || m.typ == "Parameter status") {
				c.pushes++
				continue
			}
			c.run = append(c.run, m)
			end := m.typ == "Ready for query" || m.typ == "CopyIn response" || m.typ == "CopyBoth response"
			if m.typ == "Authentication request" {
				// Requests the client must answer end the run; SASL_FINAL
				// (12) is followed by AuthenticationOk in the same run.
				switch a, _ := first(m, "pgsql.authtype"); a {
				case "\x00\x00\x00\x02", "\x00\x00\x00\x03", "\x00\x00\x00\x05", "\x00\x00\x00\x07",
					"\x00\x00\x00\x08", "\x00\x00\x00\x09", "\x00\x00\x00\x0a", "\x00\x00\x00\x0b":
					end = true
				}
			}
			if end {
				c.resps = append(c.resps, summarize(c.run))
				c.run = nil
			}
		}
	}
	var rows []pcaptest.TruthRow
	stats := map[string]int{}
	serverLog, _ := os.ReadFile(base + ".server.log")
	logChecked, logMissing := 0, 0
	for _, id := range order {
		c := conns[id]
		ri := 0
		for i, g := range c.reqs {
			req := request(g, c.reqKinds[i], c.stmts)
			row := pcaptest.TruthRow{Protocol: "postgres", Client: c.client, Server: c.server, Request: req}
			cmd := req["postgres.command"].(string)
			stats[cmd]++
			oneWay := cmd == "CANCEL" || cmd == "TERMINATE"
			if !oneWay && ri < len(c.resps) {
				row.Response = c.resps[ri]
				ri++
				if cmd != "QUERY" && cmd != "EXECUTE" {
					delete(row.Response, "postgres.rows")
				}
			}
			if st, ok := req["postgres.statement"].(string); ok && (cmd == "QUERY" || cmd == "EXECUTE") {
				port := c.client[strings.LastIndex(c.client, ":")+1:]
				if bytes.Contains(serverLog, []byte("("+port+")")) && bytes.Contains(serverLog, []byte(st)) {
					logChecked++
				} else {
					logMissing++
					fmt.Fprintf(&xcheck, "SERVER-LOG: statement of %s not found in the server log: %q\n", c.client, st)
				}
			}
			rows = append(rows, row)
		}
		if ri != len(c.resps) {
			t.Errorf("%s %s: %d responses left over", name, c.client, len(c.resps)-ri)
		}
		fmt.Fprintf(&xcheck, "connection %s: %d exchanges, %d server pushes excluded (NotificationResponse/NoticeResponse/ParameterStatus outside a response), tls=%v\n",
			c.client, len(c.reqs), c.pushes, c.tls)
	}
	fmt.Fprintf(&xcheck, "exchanges=%d streams=%d commands: %s\n", len(rows), len(order), sqltest.Counts(stats))
	fmt.Fprintf(&xcheck, "SERVER-LOG: %d statements of QUERY/EXECUTE exchanges found in the server log (log_statement=all) for their connection, %d not found\n", logChecked, logMissing)
	sqltest.WriteTruth(t, base, rows, xcheck.Bytes())
}

// countAnswered is how many of the request groups get a response.
func countAnswered(kinds []string) int {
	n := 0
	for _, k := range kinds {
		if k != "Cancel request" && k != "Termination" && k != "ext-open" && k != "copy-open" {
			n++
		}
	}
	return n
}

func first(m tsMsg, f string) (string, bool) {
	v := m.fields[f]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// tgCommands are the commands of the one-message requests, by tshark's
// message type.
var tgCommands = map[string]string{
	"SSL request": "SSL_REQUEST", "GSS encrypt request": "GSSENC_REQUEST", "Cancel request": "CANCEL",
	"Termination": "TERMINATE", "Function call": "FUNCTION_CALL",
	"SASLInitialResponse message": "AUTH", "SASLResponse message": "AUTH", "Password message": "AUTH", "GSSResponse message": "AUTH",
}

// request names a request group the way the truth files name it.
func request(g []tsMsg, kind string, stmts map[string]string) map[string]any {
	r := map[string]any{}
	m := g[0]
	switch kind {
	case "Startup message":
		r["postgres.command"] = "STARTUP"
		names, values := m.fields["pgsql.parameter_name"], m.fields["pgsql.parameter_value"]
		for i := range names {
			switch names[i] {
			case "user", "database", "application_name":
				r["postgres."+names[i]] = values[i]
			}
		}
	case "SSL request", "GSS encrypt request", "Cancel request", "Termination", "Function call",
		"SASLInitialResponse message", "SASLResponse message", "Password message", "GSSResponse message":
		r["postgres.command"] = tgCommands[kind]
	case "Simple query":
		r["postgres.command"] = "QUERY"
		r["postgres.statement"], _ = first(m, "pgsql.query")
	case "copy", "copy-open":
		r["postgres.command"] = "COPY_DATA"
	default:
		r["postgres.command"] = "EXECUTE"
		// The statement: the first Parse's, or the one the first Bind
		// names, as Parse messages earlier on the connection defined it.
		done := false
		for _, x := range g {
			switch x.typ {
			case "Parse":
				name, _ := first(x, "pgsql.statement")
				q, _ := first(x, "pgsql.query")
				stmts[name] = q
				if !done {
					r["postgres.statement_name"], r["postgres.statement"], done = name, q, true
				}
			case "Bind":
				name, _ := first(x, "pgsql.statement")
				if !done {
					r["postgres.statement_name"], done = name, true
					if q, ok := stmts[name]; ok {
						r["postgres.statement"] = q
					}
				}
			case "Close":
				// A statement closed later is forgotten after this group.
			}
		}
	}
	return r
}

// summarize reads a response run.
func summarize(run []tsMsg) map[string]any {
	r := map[string]any{}
	rows := 0
	errSeen := false
	for _, m := range run {
		switch m.typ {
		case "Data row":
			rows++
		case "Command completion":
			r["postgres.command_tag"], _ = first(m, "pgsql.tag")
		case "Error":
			if !errSeen {
				errSeen = true
				r["postgres.error_code"], _ = first(m, "pgsql.code")
				r["postgres.severity"], _ = first(m, "pgsql.severity")
				r["postgres.error_message"], _ = first(m, "pgsql.message")
			}
		case "Authentication request":
			a, _ := first(m, "pgsql.authtype")
			n := 0
			for _, b := range []byte(a) {
				n = n<<8 | int(b)
			}
			r["postgres.auth"] = authNames[strconv.Itoa(n)]
		}
	}
	r["postgres.rows"] = rows
	return r
}
