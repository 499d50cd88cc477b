package export

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// Version is the "v" member of every exported object.
const Version = 1

// Format is the kafkasink.HeaderFormat value of exchange records.
const Format = "exchange-json/1"

// Meta is what an exchange does not carry itself: its connection.
type Meta struct {
	// ConnID identifies the connection (a Dumper's or filter chain's id);
	// it is the Kafka record key.
	ConnID uint64
	// Client is the connection's initiator, Server its acceptor; either
	// may be the zero AddrPort when unknown (the member is then omitted).
	Client, Server netip.AddrPort
}

// MetaFromAddrs builds a Meta from net.Addr values (a filter.ConnInfo's
// RemoteAddr and LocalAddr, or a net.Conn's); addresses that are not TCP
// or UDP addresses are left zero.
func MetaFromAddrs(id uint64, client, server net.Addr) Meta {
	return Meta{ConnID: id, Client: addrPort(client), Server: addrPort(server)}
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// Redactor writes attributes as a JSON object with sensitive values
// masked. A *redact.Policy (package redact) is one.
type Redactor interface {
	AppendJSON(dst []byte, a *parser.Attributes) []byte
}

// Options configure an Encoder.
type Options struct {
	// Agent, when set, is written as the "agent" member.
	Agent string
	// Redactor masks attribute values. nil means redact.New(redact.Strict):
	// exports leave the machine, so they are strict by default. Set
	// NoRedaction to export values as parsed.
	Redactor Redactor
	// NoRedaction exports attribute values unmasked (Redactor ignored).
	NoRedaction bool
}

// Encoder writes exchanges as JSON objects, one per line. It keeps no
// state between calls and is safe for concurrent use.
type Encoder struct {
	agent string
	red   Redactor
}

// NewEncoder returns an Encoder for o.
func NewEncoder(o Options) *Encoder {
	e := &Encoder{agent: o.Agent, red: o.Redactor}
	if e.red == nil {
		e.red = redact.New(redact.Strict)
	}
	if o.NoRedaction {
		e.red = nil
	}
	return e
}

// AppendJSON appends the exchange as one JSON object and a newline
// (version 1, members in this order, absent ones omitted):
//
//	{"v":1,"agent":"a1","protocol":"redis","kind":"complete","conn":7,
//	 "client":"127.0.0.1:50000","server":"127.0.0.1:6379","seq":1,
//	 "request_time":"2026-12-02T23:59:01.123456789Z","response_time":"…",
//	 "latency_ns":48211,"request_size":31,"response_size":5,"interim":0,
//	 "request":{"redis.command":"GET",…},"response":{…},
//	 "request_error":"…","response_error":"…","reason":"…"}
//
// kind is parser.ExchangeKind's String; times are RFC 3339 with
// nanoseconds in UTC; latency_ns is present for complete exchanges;
// request and response are the attributes as parser.Attributes.AppendJSON
// writes them, after redaction. It allocates nothing when dst has room.
func (e *Encoder) AppendJSON(dst []byte, m Meta, x *parser.Exchange) []byte {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, Version, 10)
	if e.agent != "" {
		dst = append(dst, `,"agent":`...)
		dst = parser.AppendJSONString(dst, e.agent)
	}
	dst = append(dst, `,"protocol":`...)
	dst = parser.AppendJSONString(dst, x.Protocol)
	dst = append(dst, `,"kind":"`...)
	dst = append(dst, x.Kind.String()...)
	dst = append(dst, `","conn":`...)
	dst = strconv.AppendUint(dst, m.ConnID, 10)
	if m.Client.IsValid() {
		dst = append(dst, `,"client":"`...)
		dst = m.Client.AppendTo(dst)
		dst = append(dst, '"')
	}
	if m.Server.IsValid() {
		dst = append(dst, `,"server":"`...)
		dst = m.Server.AppendTo(dst)
		dst = append(dst, '"')
	}
	if x.RequestSeq != 0 {
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, x.RequestSeq, 10)
	}
	dst = appendTime(dst, `,"request_time":"`, x.RequestTime)
	dst = appendTime(dst, `,"response_time":"`, x.ResponseTime)
	if x.Kind == parser.Complete {
		dst = append(dst, `,"latency_ns":`...)
		dst = strconv.AppendInt(dst, int64(x.Latency()), 10)
	}
	if x.Request != nil {
		dst = append(dst, `,"request_size":`...)
		dst = strconv.AppendInt(dst, int64(x.RequestSize), 10)
	}
	if x.Response != nil {
		dst = append(dst, `,"response_size":`...)
		dst = strconv.AppendInt(dst, int64(x.ResponseSize), 10)
	}
	if x.Interim != 0 {
		dst = append(dst, `,"interim":`...)
		dst = strconv.AppendInt(dst, int64(x.Interim), 10)
	}
	if x.Request != nil {
		dst = append(dst, `,"request":`...)
		dst = e.attrs(dst, x.Request)
	}
	if x.Response != nil {
		dst = append(dst, `,"response":`...)
		dst = e.attrs(dst, x.Response)
	}
	dst = appendErr(dst, `,"request_error":`, x.RequestErr)
	dst = appendErr(dst, `,"response_error":`, x.ResponseErr)
	dst = appendErr(dst, `,"reason":`, x.Reason)
	return append(dst, "}\n"...)
}

func (e *Encoder) attrs(dst []byte, a *parser.Attributes) []byte {
	if e.red == nil {
		return a.AppendJSON(dst)
	}
	return e.red.AppendJSON(dst, a)
}

func appendTime(dst []byte, member string, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	dst = append(dst, member...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

func appendErr(dst []byte, member string, err error) []byte {
	if err == nil {
		return dst
	}
	dst = append(dst, member...)
	return parser.AppendJSONString(dst, err.Error())
}
