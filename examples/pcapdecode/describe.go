package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

var errorsIs = errors.Is

// str and num read attributes, "" and false when absent.
func str(a *parser.Attributes, k string) string {
	if a == nil {
		return ""
	}
	v, _ := a.Get(k)
	return v.String()
}

func num(a *parser.Attributes, k string) (int64, bool) {
	if a == nil {
		return 0, false
	}
	return a.Int(k)
}

// operation names what a request does, for grouping in the summary: Redis
// command, HTTP method and path (without the query), Kafka API, Dubbo
// service#method.
func operation(proto string, req *parser.Attributes) string {
	if req == nil {
		return "(no request)"
	}
	switch proto {
	case "redis":
		op := str(req, redis.AttrCommand)
		if sub := str(req, redis.AttrSubcommand); sub != "" {
			op += " " + sub
		}
		return op
	case "http":
		p := str(req, httpx.AttrPath)
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return str(req, httpx.AttrMethod) + " " + p
	case "kafka":
		if n := str(req, kafka.AttrAPIName); n != "" {
			return n
		}
		return "api " + str(req, kafka.AttrAPIKey)
	case "dubbo2":
		if ev, _ := req.Bool(dubbo2.AttrEvent); ev {
			return "heartbeat"
		}
		return str(req, dubbo2.AttrService) + "#" + str(req, dubbo2.AttrMethod)
	}
	return proto
}

// requestSummary is the request column of the table.
func requestSummary(proto string, req *parser.Attributes) string {
	if req == nil {
		return "-"
	}
	switch proto {
	case "redis":
		s := operation(proto, req)
		if k := str(req, redis.AttrKey); k != "" {
			s += " " + k
		}
		return s
	case "http":
		return str(req, httpx.AttrMethod) + " " + str(req, httpx.AttrPath)
	case "kafka":
		s := operation(proto, req) + " v" + str(req, kafka.AttrAPIVersion) + " corr=" + str(req, kafka.AttrCorrelationID)
		if t := str(req, kafka.AttrTopic); t != "" {
			s += " topic=" + t
		}
		return s
	case "dubbo2":
		s := operation(proto, req)
		if v := str(req, dubbo2.AttrVersion); v != "" {
			s += ":" + v
		}
		return s + " id=" + str(req, dubbo2.AttrRequestID)
	}
	return string(req.AppendJSON(nil))
}

// responseSummary is the response column of the table.
func responseSummary(proto string, resp *parser.Attributes) string {
	if resp == nil {
		return "-"
	}
	switch proto {
	case "redis":
		s := str(resp, redis.AttrType)
		if e := str(resp, redis.AttrError); e != "" {
			s += " " + strconv.Quote(e)
		} else if n, ok := num(resp, redis.AttrInteger); ok {
			s += " " + strconv.FormatInt(n, 10)
		} else if n, ok := num(resp, redis.AttrElements); ok {
			s += " [" + strconv.FormatInt(n, 10) + "]"
		}
		return s
	case "http":
		return str(resp, httpx.AttrStatusCode) + " " + str(resp, httpx.AttrReason)
	case "kafka":
		code, _ := num(resp, kafka.AttrErrorCode)
		if code == 0 {
			return "ok"
		}
		return "error " + strconv.FormatInt(code, 10) + " " + str(resp, kafka.AttrErrorName)
	case "dubbo2":
		s := str(resp, dubbo2.AttrStatusName)
		if c := str(resp, dubbo2.AttrExceptionClass); c != "" {
			s += " " + c
		}
		return s
	}
	return string(resp.AppendJSON(nil))
}

// isError reports whether the response is an error by the protocol's own
// rules: a RESP error, HTTP status >= 400, a Kafka error code, a Dubbo
// status other than OK or an exception result.
func isError(proto string, resp *parser.Attributes) bool {
	if resp == nil {
		return false
	}
	switch proto {
	case "redis":
		return str(resp, redis.AttrType) == "error"
	case "http":
		c, _ := num(resp, httpx.AttrStatusCode)
		return c >= 400
	case "kafka":
		c, _ := num(resp, kafka.AttrErrorCode)
		return c != 0
	case "dubbo2":
		c, ok := num(resp, dubbo2.AttrStatus)
		return (ok && c != 20) || str(resp, dubbo2.AttrExceptionClass) != ""
	}
	return false
}
