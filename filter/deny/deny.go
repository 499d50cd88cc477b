// Package deny is a filter that refuses requests by the value of a parsed
// attribute: Redis commands (redis.command = FLUSHALL, CONFIG, ...) or HTTP
// paths (http.path prefix /admin), or any attribute of any wirekit
// protocol. A denied request is never forwarded: the filter optionally
// writes a reply to the client and closes the connection.
//
// It is the built-in filter that uses Stop: it frames the client's bytes
// with the protocol's framing and returns Stop while the last request is
// incomplete, so the bytes of a request are held until the whole request
// has been checked, while the whole requests before it are let through
// (Buffer.Pass). Requests checked and allowed are not checked again when
// held bytes are shown once more. The consequence is that one request
// must fit in the connection's buffer limit (filter.ConnOptions.MaxBuffer,
// tcp_proxy's max_buffer): a larger one closes the connection with
// filter.ErrBufferFull rather than pass unchecked.
//
//	{"type": "deny", "config": {"protocol": "redis", "attribute": "redis.command",
//	  "values": ["FLUSHALL", "FLUSHDB", "CONFIG"], "reply": "-ERR command denied by proxy\r\n"}}
//
// SQL statements are denied by what they do with match "word" on
// mysql.operation or postgres.operation, the leading keyword of each
// statement of a text ("SELECT DROP"), which a leading comment or a second
// statement does not hide:
//
//	{"type": "deny", "config": {"protocol": "postgres", "attribute": "postgres.operation",
//	  "values": ["DROP", "TRUNCATE"], "match": "word", "ignore_case": true}}
//
// deny sees only the client's side, so a MySQL STMT_EXECUTE (whose text
// the server's answer to STMT_PREPARE ties to its id) has no operation:
// the STMT_PREPARE, which has, is where such a statement is denied.
//
// Denying closes the connection rather than answering and carrying on: with
// pipelining, replies to the requests sent before the denied one may still
// be in flight, and an answer injected now would reach the client out of
// order.
package deny

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/parser"
)

// Name is the filter type name deny is registered under.
const Name = "deny"

// Config is the JSON configuration of the filter.
type Config struct {
	// Protocol names the protocol the clients speak ("redis", "http").
	Protocol string `json:"protocol"`
	// Attribute is the request attribute to check, e.g. "redis.command",
	// "http.path", "http.method", "redis.key", "kafka.api_key". Integer
	// attributes are compared in decimal, booleans as "true"/"false".
	Attribute string `json:"attribute"`
	// Values are the denied values (at least one).
	Values []string `json:"values"`
	// Match is "exact" (default), "prefix", or "word": the attribute is a
	// space-separated list (mysql.operation and postgres.operation list
	// the leading keyword of each statement: "SELECT DROP") and one of its
	// words equals a denied value.
	Match string `json:"match"`
	// IgnoreCase compares case-insensitively (ASCII).
	IgnoreCase bool `json:"ignore_case"`
	// Reply, when set, is written to the client before the connection is
	// closed, e.g. "-ERR denied\r\n" or an HTTP 403 response.
	Reply string `json:"reply"`
	// OnParseError says what to do with bytes that are not a request of
	// the protocol: "close" (default: fail closed) or "allow" (stop
	// checking the connection and forward the rest).
	OnParseError string `json:"on_parse_error"`
}

// ErrUnparsable is the close reason for bytes the protocol cannot frame,
// with OnParseError "close".
var ErrUnparsable = errors.New("deny: request not parsable")

// Factory is the deny filter's filter.Factory.
type Factory struct {
	proto      *parser.Protocol
	attr       string
	values     []string
	prefix     bool
	word       bool
	ignoreCase bool
	reply      []byte
	allowBad   bool

	checked, denied, unparsable atomic.Int64
}

// Stats are a Factory's counters.
type Stats struct {
	Checked    int64 // requests checked
	Denied     int64 // requests denied (connections closed)
	Unparsable int64 // connections whose bytes did not frame
}

// New returns a Factory for cfg, with the protocol already resolved.
func New(p *parser.Protocol, cfg Config) (*Factory, error) {
	if p == nil || p.Split == nil || p.Request == nil {
		return nil, fmt.Errorf("deny: protocol without framing or request parser")
	}
	if cfg.Attribute == "" {
		return nil, fmt.Errorf("attribute is required")
	}
	if len(cfg.Values) == 0 {
		return nil, fmt.Errorf("values: at least one value is required")
	}
	f := &Factory{proto: p, attr: cfg.Attribute, ignoreCase: cfg.IgnoreCase, reply: []byte(cfg.Reply)}
	switch cfg.Match {
	case "", "exact":
	case "prefix":
		f.prefix = true
	case "word":
		f.word = true
	default:
		return nil, fmt.Errorf("match must be \"exact\", \"prefix\" or \"word\", got %q", cfg.Match)
	}
	switch cfg.OnParseError {
	case "", "close":
	case "allow":
		f.allowBad = true
	default:
		return nil, fmt.Errorf("on_parse_error must be \"close\" or \"allow\", got %q", cfg.OnParseError)
	}
	for _, v := range cfg.Values {
		if v == "" {
			return nil, fmt.Errorf("values: empty value")
		}
		f.values = append(f.values, v)
	}
	return f, nil
}

// NewCreator returns the Creator of the filter, resolving Config.Protocol
// among known.
func NewCreator(known ...*parser.Protocol) filter.Creator {
	return func(raw json.RawMessage) (filter.Factory, error) {
		var cfg Config
		if err := filter.DecodeConfig(raw, &cfg); err != nil {
			return nil, err
		}
		var names []string
		for _, p := range known {
			if p.Name == cfg.Protocol {
				return New(p, cfg)
			}
			names = append(names, p.Name)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("unknown protocol %q (known: %s)", cfg.Protocol, strings.Join(names, ", "))
	}
}

// Stats returns the counters.
func (f *Factory) Stats() Stats {
	return Stats{Checked: f.checked.Load(), Denied: f.denied.Load(), Unparsable: f.unparsable.Load()}
}

// Install adds the per-connection checker to the read chain.
func (f *Factory) Install(c *filter.Conn) error {
	cf := &connFilter{f: f}
	if f.proto.NewState != nil {
		cf.state = f.proto.NewState()
	}
	cf.split = f.proto.Split(cf.state, parser.Request)
	cf.cb = c.AddReadFilter(cf)
	return nil
}

// DeniedError is the close reason of a denied request.
type DeniedError struct {
	Attribute, Value string
}

// Error says which attribute value was denied.
func (e *DeniedError) Error() string {
	return fmt.Sprintf("deny: %s %q denied", e.Attribute, e.Value)
}

// Unwrap makes errors.Is(err, filter.ErrDenied) true.
func (e *DeniedError) Unwrap() error { return filter.ErrDenied }

func (f *Factory) deniedValue(v string) bool {
	if f.word {
		for len(v) > 0 {
			i := strings.IndexByte(v, ' ')
			if i < 0 {
				i = len(v)
			}
			if w := v[:i]; w != "" && f.deniedWord(w) {
				return true
			}
			v = v[min(i+1, len(v)):]
		}
		return false
	}
	return f.deniedWord(v)
}

// deniedWord compares v with the denied values, exactly or by prefix.
func (f *Factory) deniedWord(v string) bool {
	for _, d := range f.values {
		switch {
		case f.prefix && f.ignoreCase:
			if len(v) >= len(d) && strings.EqualFold(v[:len(d)], d) {
				return true
			}
		case f.prefix:
			if strings.HasPrefix(v, d) {
				return true
			}
		case f.ignoreCase:
			if strings.EqualFold(v, d) {
				return true
			}
		case v == d:
			return true
		}
	}
	return false
}

type connFilter struct {
	f       *Factory
	cb      *filter.ReadCallbacks
	state   any
	split   bufio.SplitFunc
	msg     parser.Message
	checked int64 // stream offset up to which requests were allowed
	pass    bool  // stopped checking (on_parse_error allow, protocol switch)
	scratch []byte
}

func (cf *connFilter) OnNewConnection() filter.Status { return filter.Continue }

func (cf *connFilter) OnData(b *filter.Buffer) filter.Status {
	if cf.pass {
		return filter.Continue
	}
	data := b.Bytes()
	p := int(cf.checked - b.Offset())
	if p < 0 { // an earlier filter drained past what was checked
		p = 0
		cf.checked = b.Offset()
	}
	for p < len(data) {
		adv, tok, err := cf.split(data[p:], false)
		if err != nil {
			return cf.bad(err)
		}
		if adv == 0 {
			// An incomplete request: hold it until it is whole, and let
			// the whole requests before it through.
			b.Pass(p)
			return filter.Stop
		}
		if tok != nil {
			cf.f.checked.Add(1)
			cf.f.proto.ParseRequest(&cf.msg, tok, cf.state)
			if v, ok := cf.msg.Attrs.Get(cf.f.attr); ok {
				if s := cf.text(v); cf.f.deniedValue(s) {
					return cf.deny(s)
				}
			}
		}
		p += adv
		cf.checked += int64(adv)
	}
	return filter.Continue
}

// text returns the value compared with the denied values: strings and
// bytes as they are, integers in decimal (kafka.api_key, http.status_code),
// booleans as "true"/"false". It does not allocate.
func (cf *connFilter) text(v parser.Value) string {
	switch v.Kind() {
	case parser.KindInt:
		cf.scratch = strconv.AppendInt(cf.scratch[:0], v.Int(), 10)
		return parser.UnsafeString(cf.scratch)
	case parser.KindBool:
		return strconv.FormatBool(v.Bool())
	}
	return v.UnsafeStr()
}

func (cf *connFilter) bad(err error) filter.Status {
	if cf.f.allowBad || errors.Is(err, parser.ErrUpgraded) {
		cf.pass = true
		return filter.Continue
	}
	cf.f.unparsable.Add(1)
	cf.cb.Conn().Close(fmt.Errorf("%w: %v", ErrUnparsable, err))
	return filter.Stop
}

func (cf *connFilter) deny(v string) filter.Status {
	cf.f.denied.Add(1)
	c := cf.cb.Conn()
	if len(cf.f.reply) > 0 {
		_ = c.Inject(filter.WritePath, cf.f.reply) // best effort: the connection closes next
	}
	c.Close(&DeniedError{Attribute: cf.f.attr, Value: strings.Clone(v)})
	return filter.Stop
}
