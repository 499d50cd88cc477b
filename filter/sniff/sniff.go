// Package sniff is a filter that finds out which protocol each connection
// speaks, parses both directions with wirekit's parsers and hands every
// request/response exchange (attributes, sizes, latency) to a callback: the
// raw material of access logs and metrics for a proxy that otherwise only
// copies bytes.
//
// The filter observes and never holds: it returns Continue on every call,
// reads only Buffer.Unseen (each byte once) and copies only what the
// parsers must keep (the first bytes until the protocol is known, the tail
// of a message split across reads). It is registered under Name with a
// Creator from NewCreator:
//
//	{"type": "sniff", "config": {"protocols": ["redis", "http"]}}
//
// Place it after filters that drain bytes, so it parses what is forwarded.
//
// # Redaction
//
// Every exchange's attributes are redacted before the Handler (and the
// Kafka export) sees them, strictly by default (package redact): values of
// sensitive header fields, Dubbo attachments and argument members are
// masked "***", every query value of an HTTP request-target is masked
// (names kept: GET /login?token=***&page=***), the quoted echoes in Redis
// errors and whole exception messages are masked. Options.Redact (JSON
// "redact": "off", "default" or "strict") chooses the level; "default"
// masks only what a sensitive name marks (token=***&page=2). The
// attributes are rewritten in place into per-connection buffers: a
// Handler that must see values as parsed sets "off". A filter placed
// after sniff in the chain (deny) parses with its own parser and sees the
// values as sent.
//
// # Kafka export
//
// With Options.Kafka (JSON "kafka": a kafkasink.Config), every exchange is
// also exported as one record of package export's JSON encoding (key: the
// connection id; value: export.Encoder.AppendJSON, already redacted with
// the filter's policy, not redacted again):
//
//	{"type": "sniff", "config": {"protocols": ["redis"], "redact": "strict",
//	  "kafka": {"brokers": ["10.0.0.1:9092"], "topic": "exchanges", "compression": "lz4",
//	            "agent": "edge-1", "sasl": {"mechanism": "SCRAM-SHA-512", "user": "u", "password_env": "KAFKA_PASS"}}}}
//
// The export never blocks the traffic path: the exchange is encoded
// under one short lock (no allocation), and the producer
// (kafkasink.Producer) copies the record and returns without waiting; a record over the producer's bounds, stale with
// the brokers gone, refused by them or still pending at Close is dropped
// and counted in Stats.Export by reason (Offered = Acked + Dropped* +
// Pending). A Factory made from a configuration owns its exporter: Close
// the Factory at exit to flush it.
package sniff

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// Name is the filter type name sniff is registered under.
const Name = "sniff"

// Handler receives each exchange of a connection. It runs on the proxy's
// goroutine of the direction that completed the exchange, under the
// connection's sniff lock, so it must be quick (log, count, enqueue). ex
// and its attributes are reused after it returns: Clone to keep them. The
// attributes are redacted with the Factory's policy (strict by default).
type Handler func(c *filter.Conn, ex *parser.Exchange)

// Config is the JSON configuration of the filter.
type Config struct {
	// Protocols are the names of the candidate protocols, tried in this
	// order ("redis", "http", ...). Default: every protocol the creator
	// knows.
	Protocols []string `json:"protocols"`
	// MaxDetectBytes, MaxBuffer and MaxPending are the parser.Sniffer and
	// parser.Conn limits (SnifferOptions.MaxDetectBytes,
	// ConnOptions.MaxBuffer, ConnOptions.MaxPending); zero takes the
	// parser's defaults. A deeply pipelining client (redis-benchmark -P,
	// bulk loaders) can have more than the default 1024 requests in flight
	// across the socket buffers: raise MaxPending for such listeners, or
	// the oldest requests are reported Unanswered (Reason
	// parser.ErrEvicted) and counted, instead of paired.
	MaxDetectBytes int `json:"max_detect_bytes"`
	MaxBuffer      int `json:"max_buffer"`
	MaxPending     int `json:"max_pending"`
	// HTTPHeaders are header fields the "http" protocol captures as
	// http.header.<name> attributes (httpx.Options.ExtraHeaders, at most
	// httpx.MaxExtraHeaders): with them, the "http" protocol known to the
	// creator is replaced by httpx's with default options and these
	// headers. Sensitive ones (Authorization, Cookie, ...) are masked by
	// the redaction.
	HTTPHeaders []string `json:"http_headers"`
	// Redact is the redaction level of the attributes handed on: "off",
	// "default" or "strict". Default (omitted): strict.
	Redact *redact.Level `json:"redact"`
	// Kafka, when set, exports every exchange to a topic (see the package
	// doc); the Factory owns the exporter.
	Kafka *kafkasink.Config `json:"kafka"`
}

// Options configure a Factory beyond its protocols.
type Options struct {
	// Sniffer are the detection and parsing limits.
	Sniffer parser.SnifferOptions
	// Redact masks the attributes of every exchange before the Handler and
	// the export see them. nil means redact.New(redact.Strict);
	// redact.New(redact.Off) hands them on as parsed.
	Redact *redact.Policy
	// Kafka, when set, receives every exchange after the redaction. Make
	// it with export.Options{NoRedaction: true} (the attributes are
	// already redacted); the caller closes it, after the proxy stopped.
	Kafka *export.Kafka
}

// Factory is the sniff filter's filter.Factory.
type Factory struct {
	protos  []*parser.Protocol
	opts    parser.SnifferOptions
	handler Handler
	policy  *redact.Policy
	kafka   *export.Kafka
	owned   bool // kafka was made from a Config: Close closes it

	conns, undetected, exchanges atomic.Int64
	mu                           sync.Mutex
	detected                     map[string]int64
	parse                        ParseStats
}

// ParseStats add up, over the connections that ended, what the parsers
// could not turn into exchanges (see parser.ConnStats): nothing is dropped
// without being counted here.
type ParseStats struct {
	SkippedBytes  uint64 // bytes not parsed: undetected connections, resynchronisation, stopped directions
	ParseErrors   uint64 // framed messages whose parser tree did not match
	FramingErrors uint64 // framing errors
	Truncated     uint64 // messages cut short by the end of the connection
	Unanswered    uint64 // requests without a response (of which Evicted by MaxPending)
	Evicted       uint64
	Unmatched     uint64 // responses without a request
}

// Stats are a Factory's counters over all its connections.
type Stats struct {
	Connections int64            // connections that ended
	Undetected  int64            // of which no protocol was recognised
	Detected    map[string]int64 // per protocol name
	Exchanges   int64            // exchanges handed to the Handler
	Parse       ParseStats
	// Export is the Kafka exporter's delivery account (nil without one):
	// every exchange is Offered once, then acknowledged or dropped by
	// reason.
	Export *kafkasink.Stats
}

// New returns a Factory parsing with protos (tried in order) and reporting
// to h, with attributes redacted strictly (NewWithOptions chooses).
func New(protos []*parser.Protocol, opts parser.SnifferOptions, h Handler) (*Factory, error) {
	return NewWithOptions(protos, Options{Sniffer: opts}, h)
}

// NewWithOptions returns a Factory parsing with protos (tried in order),
// redacting with o.Redact and reporting to h and o.Kafka. h may be nil
// when o.Kafka is set.
func NewWithOptions(protos []*parser.Protocol, o Options, h Handler) (*Factory, error) {
	if len(protos) == 0 {
		return nil, fmt.Errorf("sniff: no protocols")
	}
	if h == nil && o.Kafka == nil {
		return nil, fmt.Errorf("sniff: nil handler")
	}
	opts := o.Sniffer
	if opts.MaxDetectBytes < 0 || opts.Conn.MaxBuffer < 0 || opts.Conn.MaxPending < 0 {
		return nil, fmt.Errorf("sniff: negative limit")
	}
	p := o.Redact
	if p == nil {
		p = redact.New(redact.Strict)
	}
	if p.Level == redact.Off {
		p = nil
	}
	return &Factory{protos: protos, opts: opts, handler: h, policy: p, kafka: o.Kafka, detected: map[string]int64{}}, nil
}

// NewCreator returns the Creator of the filter: it builds a Factory from a
// Config, choosing protocols by name among known, and reporting to h.
func NewCreator(h Handler, known ...*parser.Protocol) filter.Creator {
	return func(raw json.RawMessage) (filter.Factory, error) {
		var cfg Config
		if err := filter.DecodeConfig(raw, &cfg); err != nil {
			return nil, err
		}
		protos, err := pick(cfg.Protocols, known)
		if err != nil {
			return nil, err
		}
		if len(cfg.HTTPHeaders) > 0 {
			if protos, err = withHeaders(protos, cfg.HTTPHeaders); err != nil {
				return nil, err
			}
		}
		o := Options{Sniffer: parser.SnifferOptions{
			MaxDetectBytes: cfg.MaxDetectBytes,
			Conn:           parser.ConnOptions{MaxBuffer: cfg.MaxBuffer, MaxPending: cfg.MaxPending},
		}}
		if cfg.Redact != nil {
			o.Redact = redact.New(*cfg.Redact)
		}
		if o.Sniffer.MaxDetectBytes < 0 || o.Sniffer.Conn.MaxBuffer < 0 || o.Sniffer.Conn.MaxPending < 0 {
			return nil, fmt.Errorf("sniff: negative limit")
		}
		if cfg.Kafka != nil {
			ko, err := cfg.Kafka.Options()
			if err != nil {
				return nil, err
			}
			if o.Kafka, err = export.NewKafka(ko, export.Options{NoRedaction: true}); err != nil {
				return nil, err
			}
		}
		f, err := NewWithOptions(protos, o, h)
		if err != nil {
			if o.Kafka != nil {
				_ = o.Kafka.Close()
			}
			return nil, err
		}
		f.owned = f.kafka != nil
		return f, nil
	}
}

// Close closes the Kafka exporter the Factory made from its
// configuration, waiting up to its close_timeout for the records still
// pending (kafkasink.Producer.Close); Stats().Export has the final
// account. Call it after the proxy stopped: exchanges that come later are
// counted as DroppedClosed. It does nothing for a Factory without an
// exporter of its own.
func (f *Factory) Close() error {
	if !f.owned {
		return nil
	}
	return f.kafka.Close()
}

// pick selects protocols by name.
func pick(names []string, known []*parser.Protocol) ([]*parser.Protocol, error) {
	if len(names) == 0 {
		return known, nil
	}
	var out []*parser.Protocol
	for _, n := range names {
		p := find(n, known)
		if p == nil {
			var all []string
			for _, k := range known {
				all = append(all, k.Name)
			}
			sort.Strings(all)
			return nil, fmt.Errorf("unknown protocol %q (known: %s)", n, strings.Join(all, ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// withHeaders returns protos with the http protocol replaced by one that
// captures headers.
func withHeaders(protos []*parser.Protocol, headers []string) ([]*parser.Protocol, error) {
	h, err := httpx.NewProtocol(httpx.Options{ExtraHeaders: headers})
	if err != nil {
		return nil, err
	}
	out := append([]*parser.Protocol(nil), protos...)
	for i, p := range out {
		if p.Name == h.Name {
			out[i] = h
			return out, nil
		}
	}
	return nil, fmt.Errorf("http_headers without the http protocol")
}

func find(name string, known []*parser.Protocol) *parser.Protocol {
	for _, k := range known {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Install adds the per-connection sniffer to both chains of c.
func (f *Factory) Install(c *filter.Conn) error {
	cf := &connFilter{f: f, c: c}
	c.AddReadFilter(cf)
	c.AddWriteFilter(cf)
	return nil
}

// Stats returns the counters.
func (f *Factory) Stats() Stats {
	s := Stats{Connections: f.conns.Load(), Undetected: f.undetected.Load(), Exchanges: f.exchanges.Load(),
		Detected: map[string]int64{}}
	f.mu.Lock()
	for k, v := range f.detected {
		s.Detected[k] = v
	}
	s.Parse = f.parse
	f.mu.Unlock()
	if f.kafka != nil {
		ks := f.kafka.Stats()
		s.Export = &ks
	}
	return s
}

type protocolKey struct{}

// Protocol returns the protocol sniff detected on c, or nil while
// undecided (or without a sniff filter). Later filters can use it.
func Protocol(c *filter.Conn) *parser.Protocol {
	p, _ := c.Value(protocolKey{}).(*parser.Protocol)
	return p
}

// connFilter is one connection's sniffer, in both chains. Its two
// directions run on different goroutines, hence the lock.
type connFilter struct {
	f         *Factory
	c         *filter.Conn
	mu        sync.Mutex
	s         *parser.Sniffer
	announced bool
	// The redacted values of the exchange being handed on, one buffer per
	// side (Policy.Apply rewrites its buffer from the start).
	reqBuf, rspBuf []byte
	meta           export.Meta
	metaSet        bool
}

func (cf *connFilter) OnNewConnection() filter.Status { return filter.Continue }

func (cf *connFilter) OnData(b *filter.Buffer) filter.Status {
	cf.feed(parser.Request, b.Unseen())
	return filter.Continue
}

func (cf *connFilter) OnWrite(b *filter.Buffer) filter.Status {
	cf.feed(parser.Response, b.Unseen())
	return filter.Continue
}

func (cf *connFilter) feed(dir parser.Direction, data []byte) {
	if len(data) == 0 {
		return
	}
	now := time.Now()
	cf.mu.Lock()
	if cf.s == nil {
		cf.s = parser.NewSniffer(parser.NewDetector(cf.f.protos...), cf.serverPort(), cf.f.opts, cf.emit)
	}
	cf.s.Feed(dir, data, now)
	if !cf.announced {
		cf.announce()
	}
	cf.mu.Unlock()
}

func (cf *connFilter) announce() {
	if p := cf.s.Protocol(); p != nil {
		cf.announced = true
		cf.c.SetValue(protocolKey{}, p)
	}
}

func (cf *connFilter) serverPort() uint16 {
	switch a := cf.c.UpstreamAddr().(type) {
	case *net.TCPAddr:
		return uint16(a.Port)
	case nil:
		return 0
	default:
		_, p, _ := net.SplitHostPort(a.String())
		n, _ := strconv.ParseUint(p, 10, 16)
		return uint16(n)
	}
}

func (cf *connFilter) emit(ex *parser.Exchange) {
	f := cf.f
	f.exchanges.Add(1)
	if f.policy != nil {
		cf.reqBuf = f.policy.Apply(ex.Request, cf.reqBuf)
		cf.rspBuf = f.policy.Apply(ex.Response, cf.rspBuf)
	}
	if f.kafka != nil {
		if !cf.metaSet {
			info := cf.c.Info()
			cf.meta = export.MetaFromAddrs(info.ID, info.RemoteAddr, info.LocalAddr)
			cf.metaSet = true
		}
		f.kafka.Export(cf.meta, ex)
	}
	if f.handler != nil {
		f.handler(cf.c, ex)
	}
}

// OnConnClose flushes the parser: requests still waiting are reported as
// Unanswered, and the connection is counted.
func (cf *connFilter) OnConnClose(error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	cf.f.conns.Add(1)
	if cf.s == nil {
		return
	}
	cf.s.Close(time.Now())
	if !cf.announced {
		cf.announce()
	}
	sk := cf.s.Skipped()
	cf.f.mu.Lock()
	defer cf.f.mu.Unlock()
	ps := &cf.f.parse
	ps.SkippedBytes += sk[0] + sk[1]
	p := cf.s.Protocol()
	if p == nil {
		cf.f.undetected.Add(1)
		return
	}
	cf.f.detected[p.Name]++
	st := cf.s.Conn().Stats()
	for d := 0; d < 2; d++ {
		ps.SkippedBytes += st.SkippedBytes[d]
		ps.ParseErrors += st.ParseErrors[d]
		ps.FramingErrors += st.FramingErrors[d]
		ps.Truncated += st.Truncated[d]
	}
	ps.Unanswered += st.Unanswered
	ps.Evicted += st.Evicted
	ps.Unmatched += st.Unmatched
}
