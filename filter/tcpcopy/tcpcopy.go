// Package tcpcopy is a filter that records samples of the traffic crossing a
// proxy, Layotto's tcpcopy filter on wirekit's dump package: a switch, a
// sampling window every interval, CPU and memory ceilings above which
// nothing is recorded, and an asynchronous writer to rotating pcapng (or
// JSON Lines) files that open in Wireshark.
//
// The configuration is Layotto's, with the output added:
//
//	{"type": "tcpcopy", "config": {
//	  "strategy": {"switch": "ON", "interval": 30, "duration": 10, "cpu_max_rate": 80, "mem_max_rate": 80},
//	  "conn_sample_rate": 0.1,
//	  "output": {"dir": "/var/log/proxy/tcpcopy", "format": "pcapng"}
//	}}
//
// Instead of the files, or next to them, the records can go to a Kafka
// topic through dump/kafkasink (one record per item; package playback
// reads the topic back into pcapng and the decoders):
//
//	{"type": "tcpcopy", "config": {
//	  "strategy": {"switch": "ON", "interval": 30, "duration": 10},
//	  "kafka": {"brokers": ["10.0.0.1:9093"], "topic": "tcpcopy", "compression": "lz4",
//	            "tls": {"ca_file": "/etc/kafka/ca.pem"},
//	            "sasl": {"mechanism": "SCRAM-SHA-256", "user": "agent", "password_env": "KAFKA_PASS"}}
//	}}
//
// "kafka" is a kafkasink.Config (TLS and SASL PLAIN/SCRAM passed to kgo).
// The sink never blocks the Dumper's workers: records over its bounds,
// stale with the brokers gone or refused by them are dropped and counted
// in Factory.KafkaStats by reason, not in the Dumper's Stats (which count
// them written: handed to the producer). Records hold the payload as
// sent, passwords included: they are not redacted.
//
// The filter observes and never holds: both directions are handed to
// dump.Conn.Flow with their stream offsets, which copies the bytes only
// when the connection is being sampled (one atomic load otherwise), never
// blocks, and counts what it drops. A Factory owns a started dump.Dumper;
// Close it when the proxy exits so the files are complete.
//
// Limits and what happens at each, all from package dump (see its doc):
// a full queue drops the bytes (Stats.DroppedQueueFull, the connection's
// close item is still kept), a closed load gate drops them
// (Stats.DroppedGate), a failing disk counts them per sink and in
// Stats.DroppedWriteError when no sink wrote them, and the files rotate at
// max_file_bytes and are deleted oldest first beyond max_total_bytes. Dump
// files are created with mode 0600 in directories created with mode 0700,
// since they hold full payloads (passwords included). A configuration
// with neither an output directory nor a kafka sink, or with an unknown
// format, is refused by
// NewFromConfig with an error wrapping dump.ErrInvalidConfig, a strategy
// that does not parse with one wrapping dump.ErrInvalidStrategy.
package tcpcopy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/parser"
)

// Name is the filter type name tcpcopy is registered under.
const Name = "tcpcopy"

// Config is the JSON configuration of the filter.
type Config struct {
	// Strategy is Layotto's tcpcopy strategy object (see dump.Strategy);
	// omitted fields take dump.DefaultStrategy's values (switched OFF).
	Strategy json.RawMessage `json:"strategy"`
	// ConnSampleRate is the fraction of connections recorded, in (0, 1],
	// default 1 (dump.Config.ConnSampleRate).
	ConnSampleRate float64 `json:"conn_sample_rate"`
	// Output says where the records go: files in Output.Dir.
	Output OutputConfig `json:"output"`
	// Kafka, when set, produces the records to a topic as well (or only,
	// with no Output.Dir).
	Kafka *kafkasink.Config `json:"kafka"`
}

// OutputConfig configures the file sink.
type OutputConfig struct {
	// Dir is the directory of the dump files. Required unless Config.Kafka
	// is set.
	Dir string `json:"dir"`
	// Format is "pcapng" (default) or "jsonl".
	Format string `json:"format"`
	// Prefix, MaxFileBytes and MaxTotalBytes are dump.FileOptions fields;
	// zero takes their defaults.
	Prefix        string `json:"prefix"`
	MaxFileBytes  int64  `json:"max_file_bytes"`
	MaxTotalBytes int64  `json:"max_total_bytes"`
}

// Factory is the tcpcopy filter's filter.Factory. It owns a dump.Dumper.
type Factory struct {
	d     *dump.Dumper
	kafka *kafkasink.Sink
}

// New returns a Factory recording into d, which the caller starts and
// closes (use it to share one Dumper between listeners, or to add sinks).
func New(d *dump.Dumper) *Factory { return &Factory{d: d} }

// NewFromConfig builds and starts a Dumper from cfg. Close the Factory to
// stop it.
func NewFromConfig(cfg Config) (*Factory, error) {
	st := dump.DefaultStrategy()
	if len(cfg.Strategy) > 0 {
		var err error
		if st, err = dump.ParseStrategy(cfg.Strategy); err != nil {
			return nil, err
		}
	}
	if cfg.Output.Dir == "" && cfg.Kafka == nil {
		return nil, fmt.Errorf("%w: output.dir or kafka is required", dump.ErrInvalidConfig)
	}
	var sinks []dump.Sink
	closeAll := func() {
		for _, s := range sinks {
			_ = s.Close()
		}
	}
	if cfg.Output.Dir != "" {
		fo := dump.FileOptions{Dir: cfg.Output.Dir, Prefix: cfg.Output.Prefix,
			MaxFileBytes: cfg.Output.MaxFileBytes, MaxTotalBytes: cfg.Output.MaxTotalBytes}
		var sink *dump.FileSink
		var err error
		switch cfg.Output.Format {
		case "", "pcapng":
			sink, err = dump.NewPcapngFileSink(fo)
		case "jsonl":
			sink, err = dump.NewJSONLFileSink(fo)
		default:
			return nil, fmt.Errorf("%w: output.format must be \"pcapng\" or \"jsonl\", got %q", dump.ErrInvalidConfig, cfg.Output.Format)
		}
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, sink)
	}
	var ks *kafkasink.Sink
	if cfg.Kafka != nil {
		o, err := cfg.Kafka.Options()
		if err == nil {
			ks, err = kafkasink.New(o)
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("%w: kafka: %v", dump.ErrInvalidConfig, err)
		}
		sinks = append(sinks, ks)
	}
	d, err := dump.New(dump.Config{Strategy: st, ConnSampleRate: cfg.ConnSampleRate, Sinks: sinks})
	if err != nil {
		closeAll()
		return nil, err
	}
	if err := d.Start(); err != nil {
		closeAll()
		return nil, err
	}
	return &Factory{d: d, kafka: ks}, nil
}

// KafkaStats returns the delivery account of the configuration's Kafka
// sink (false without one): every item the Dumper wrote to it is Offered,
// then acknowledged or dropped by reason. Final after Close.
func (f *Factory) KafkaStats() (kafkasink.Stats, bool) {
	if f.kafka == nil {
		return kafkasink.Stats{}, false
	}
	return f.kafka.Stats(), true
}

// NewCreator returns the Creator of the filter. Every Factory it creates
// owns a running Dumper and is passed to created (when not nil), so the
// program can Close it at exit.
func NewCreator(created func(*Factory)) filter.Creator {
	return func(raw json.RawMessage) (filter.Factory, error) {
		var cfg Config
		if err := filter.DecodeConfig(raw, &cfg); err != nil {
			return nil, err
		}
		f, err := NewFromConfig(cfg)
		if err != nil {
			return nil, err
		}
		if created != nil {
			created(f)
		}
		return f, nil
	}
}

// Dumper returns the Factory's Dumper (to read its Stats, change the
// strategy at run time with UpdateStrategy, add records).
func (f *Factory) Dumper() *dump.Dumper { return f.d }

// Close stops the Dumper, writing out everything accepted (the Kafka
// sink waits up to its close_timeout for acknowledgements).
func (f *Factory) Close() error { return f.d.Close() }

// Install adds the recorder to both chains of c.
func (f *Factory) Install(c *filter.Conn) error {
	info := c.Info()
	r := &recorder{dc: f.d.Open(dump.ConnInfo{ID: info.ID, Client: addrPort(info.RemoteAddr), Server: addrPort(info.LocalAddr)})}
	c.AddReadFilter(r)
	c.AddWriteFilter(r)
	return nil
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok && t != nil {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// recorder is one connection's recorder. dump.Conn is safe for concurrent
// use, so the two directions need no lock.
type recorder struct {
	dc *dump.Conn
}

func (r *recorder) OnNewConnection() filter.Status { return filter.Continue }

func (r *recorder) OnData(b *filter.Buffer) filter.Status {
	r.flow(parser.Request, b)
	return filter.Continue
}

func (r *recorder) OnWrite(b *filter.Buffer) filter.Status {
	r.flow(parser.Response, b)
	return filter.Continue
}

func (r *recorder) flow(dir parser.Direction, b *filter.Buffer) {
	u := b.Unseen()
	if len(u) == 0 {
		return
	}
	off := b.Offset() + int64(b.Len()-len(u))
	r.dc.Flow(dir, uint64(off), u)
}

func (r *recorder) OnConnClose(error) { r.dc.Close() }
