package main

import (
	"strconv"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/postgres"
	"github.com/wirekit/wirekit/redis"
)

// The renderers below append to a caller's buffer and read attributes with
// UnsafeString: the text is copied into the buffer before the callback
// returns, so nothing is allocated per exchange.

// ustr reads a string attribute without copying, "" when absent; valid
// only until the exchange's callback returns.
func ustr(a *parser.Attributes, k string) string {
	v, _ := a.UnsafeString(k)
	return v
}

// appendAttr appends attribute k in its text form (strings as they are,
// ints in decimal), nothing when absent.
func appendAttr(b []byte, a *parser.Attributes, k string) []byte {
	v, ok := a.Get(k)
	if !ok {
		return b
	}
	switch v.Kind() {
	case parser.KindInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case parser.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case parser.KindBytes:
		return append(b, v.Bytes()...)
	}
	return append(b, v.UnsafeStr()...)
}

// appendOperation appends what a request does, for grouping in the
// summary: Redis command (and subcommand), HTTP method and path without
// the query, Kafka API, Dubbo service#method, MySQL and PostgreSQL command.
func appendOperation(b []byte, proto string, req *parser.Attributes) []byte {
	if req == nil {
		return append(b, "(no request)"...)
	}
	switch proto {
	case "redis":
		b = append(b, ustr(req, redis.AttrCommand)...)
		if sub := ustr(req, redis.AttrSubcommand); sub != "" {
			b = append(append(b, ' '), sub...)
		}
		return b
	case "http":
		b = append(append(b, ustr(req, httpx.AttrMethod)...), ' ')
		p := ustr(req, httpx.AttrPath)
		for i := 0; i < len(p); i++ {
			if p[i] == '?' {
				p = p[:i]
				break
			}
		}
		return append(b, p...)
	case "kafka":
		if n := ustr(req, kafka.AttrAPIName); n != "" {
			return append(b, n...)
		}
		return appendAttr(append(b, "api "...), req, kafka.AttrAPIKey)
	case "dubbo2":
		if ev, _ := req.Bool(dubbo2.AttrEvent); ev {
			return append(b, "heartbeat"...)
		}
		b = append(b, ustr(req, dubbo2.AttrService)...)
		return append(append(b, '#'), ustr(req, dubbo2.AttrMethod)...)
	case "mysql":
		return append(b, ustr(req, mysql.AttrCommand)...)
	case "postgres":
		return append(b, ustr(req, postgres.AttrCommand)...)
	}
	return append(b, proto...)
}

// protoKind names a built-in protocol, so that the summary switches on a
// number per exchange rather than comparing protocol names.
type protoKind uint8

const (
	protoOther protoKind = iota
	protoRedis
	protoHTTP
	protoKafka
	protoDubbo2
	protoMySQL
	protoPostgres
)

// protoKinds maps the built-in protocols' names to their protoKind.
var protoKinds = map[string]protoKind{redis.Name: protoRedis, httpx.Name: protoHTTP, kafka.Name: protoKafka,
	dubbo2.Name: protoDubbo2, mysql.Name: protoMySQL, postgres.Name: protoPostgres}

// kindOf returns the protoKind of the protocol named proto (protoOther
// for one not built in).
func kindOf(proto string) protoKind { return protoKinds[proto] }

// The two parts of a Dubbo2 heartbeat's operation name (see opParts).
var heartbeatParts = [2]parser.Value{parser.StringValue("heartbeat"), parser.StringValue("\x00")}

// opParts returns the two attribute values appendOperation builds the name
// of the operation from, so that the summary can find the operation
// without building its name: by the values' addresses when both are
// stable (see parser.Value: a protocol's interned names), else by their
// text. named is false when the name is made otherwise (an unnamed Kafka
// API), and must be built each time.
func opParts(k protoKind, proto string, req *parser.Attributes) (a, b parser.Value, named bool) {
	if req == nil {
		return parser.Value{}, parser.Value{}, false
	}
	get := func(key string) parser.Value { v, _ := req.Get(key); return v }
	switch k {
	case protoRedis:
		return get(redis.AttrCommand), get(redis.AttrSubcommand), true
	case protoHTTP:
		return get(httpx.AttrMethod), get(httpx.AttrPath), true // the query too: a miss, never a wrong hit
	case protoKafka:
		if n := get(kafka.AttrAPIName); n.Kind() == parser.KindString && n.UnsafeStr() != "" {
			return n, parser.Value{}, true
		}
		return parser.Value{}, parser.Value{}, false // unnamed API: always built and looked up
	case protoDubbo2:
		if ev, _ := req.Bool(dubbo2.AttrEvent); ev {
			return heartbeatParts[0], heartbeatParts[1], true
		}
		return get(dubbo2.AttrService), get(dubbo2.AttrMethod), true
	case protoMySQL:
		return get(mysql.AttrCommand), parser.Value{}, true
	case protoPostgres:
		return get(postgres.AttrCommand), parser.Value{}, true
	}
	return parser.StringValue(proto), parser.Value{}, true
}

// appendRequest appends the request column of the table t, with values
// redacted by t.red (nil: as they are).
func appendRequest(b []byte, proto string, req *parser.Attributes, t *tableFormat) []byte {
	red := t.red
	if req == nil {
		return append(b, '-')
	}
	switch proto {
	case "redis":
		b = appendOperation(b, proto, req)
		if k := ustr(req, redis.AttrKey); k != "" {
			b = append(append(b, ' '), k...)
		}
		return b
	case "http":
		return red.appendString(append(append(b, ustr(req, httpx.AttrMethod)...), ' '), httpx.AttrPath, ustr(req, httpx.AttrPath))
	case "kafka":
		b = appendOperation(b, proto, req)
		b = appendAttr(append(b, " v"...), req, kafka.AttrAPIVersion)
		b = appendAttr(append(b, " corr="...), req, kafka.AttrCorrelationID)
		if t := ustr(req, kafka.AttrTopic); t != "" {
			b = append(append(b, " topic="...), t...)
		}
		return b
	case "dubbo2":
		b = appendOperation(b, proto, req)
		if v := ustr(req, dubbo2.AttrVersion); v != "" {
			b = append(append(b, ':'), v...)
		}
		return appendAttr(append(b, " id="...), req, dubbo2.AttrRequestID)
	}
	return t.js.appendAttrs(b, req)
}

// appendResponse appends the response column of the table t, with values
// redacted by t.red (nil: as they are).
func appendResponse(b []byte, proto string, resp *parser.Attributes, t *tableFormat) []byte {
	red := t.red
	if resp == nil {
		return append(b, '-')
	}
	switch proto {
	case "redis":
		typ := ustr(resp, redis.AttrType)
		if typ == "simple" { // the reply itself (OK, QUEUED, PONG) in place of its type
			if s, ok := resp.UnsafeString(redis.AttrSimple); ok {
				return append(b, s...)
			}
		}
		b = append(b, typ...)
		if e, ok := resp.UnsafeString(redis.AttrError); ok {
			b = red.appendQuoted(append(b, ' '), redis.AttrError, e)
		} else if n, ok := resp.Int(redis.AttrInteger); ok {
			b = strconv.AppendInt(append(b, ' '), n, 10)
		} else if n, ok := resp.Int(redis.AttrElements); ok {
			b = append(strconv.AppendInt(append(b, " ["...), n, 10), ']')
		}
		return b
	case "http":
		b = appendAttr(b, resp, httpx.AttrStatusCode)
		return append(append(b, ' '), ustr(resp, httpx.AttrReason)...)
	case "kafka":
		code, _ := resp.Int(kafka.AttrErrorCode)
		if code == 0 {
			return append(b, "ok"...)
		}
		b = strconv.AppendInt(append(b, "error "...), code, 10)
		return append(append(b, ' '), ustr(resp, kafka.AttrErrorName)...)
	case "dubbo2":
		b = append(b, ustr(resp, dubbo2.AttrStatusName)...)
		if c := ustr(resp, dubbo2.AttrExceptionClass); c != "" {
			b = append(append(b, ' '), c...)
		}
		return b
	}
	return t.js.appendAttrs(b, resp)
}

// isError reports whether the response is an error by the protocol's own
// rules: a RESP error, HTTP status >= 400, a Kafka error code, a Dubbo
// status other than OK or an exception result.
func isError(k protoKind, resp *parser.Attributes) bool {
	if resp == nil {
		return false
	}
	switch k {
	case protoRedis:
		t, _ := resp.Get(redis.AttrType)
		return t.UnsafeStr() == "error"
	case protoHTTP:
		c, _ := resp.Int(httpx.AttrStatusCode)
		return c >= 400
	case protoKafka:
		c, _ := resp.Int(kafka.AttrErrorCode)
		return c != 0
	case protoDubbo2:
		c, ok := resp.Int(dubbo2.AttrStatus)
		return (ok && c != 20) || ustr(resp, dubbo2.AttrExceptionClass) != ""
	}
	return false
}
