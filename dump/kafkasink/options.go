package kafkasink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// Options configure a Producer (and so a Sink). The zero value of every
// field but Brokers and Topic means "use the documented default".
type Options struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string
	// Topic records are produced to. Required.
	Topic string
	// Agent names this process in every record's HeaderAgent header,
	// default the host name.
	Agent string
	// Compression of record batches: "lz4" (default), "zstd", "snappy",
	// "gzip" or "none".
	Compression string

	// MaxBufferedRecords and MaxBufferedBytes bound what is handed to the
	// client but not yet acknowledged (bytes: key plus value), default
	// 100,000 records and 64 MiB. A record over either bound is dropped
	// and counted (DroppedBufferFull), never waited for.
	MaxBufferedRecords int
	MaxBufferedBytes   int64
	// MaxAge bounds how long a record may wait for its acknowledgement,
	// default 30 s. The watchdog aborts everything buffered once the
	// oldest unacknowledged record is older (DroppedStale), which is what
	// frees the buffer while the brokers are gone. (kgo's own
	// RecordDeliveryTimeout is not used: it counts from the record's
	// timestamp, which here is the capture time, and is evaluated only
	// around produce requests.)
	MaxAge time.Duration
	// WatchdogPeriod is how often the watchdog looks at the oldest record,
	// default MaxAge/10 capped at 1 s (at least 5 ms). Ages are measured
	// with the watchdog's clock, so they are late by up to one period.
	WatchdogPeriod time.Duration
	// Linger is kgo's ProducerLinger (how long a partition's batch waits
	// to fill), default 5 ms.
	Linger time.Duration
	// CloseTimeout bounds the flush in Close, default 10 s; what is still
	// unacknowledged then is aborted and counted (DroppedClosed).
	CloseTimeout time.Duration

	// TLS, when set, dials the brokers with it (kgo.DialTLSConfig).
	TLS *tls.Config
	// SASL mechanisms passed to kgo.SASL (plain, scram, oauth, aws from
	// github.com/twmb/franz-go/pkg/sasl/...).
	SASL []sasl.Mechanism
	// KgoOptions are applied after the sink's own, so they override them
	// (a client ID, a logger, a partitioner, retry tuning). Options that
	// make Produce block or that change the producer's acknowledgement
	// semantics (transactions) are not supported.
	KgoOptions []kgo.Opt
}

// ErrConfig reports invalid Options.
var ErrConfig = errors.New("kafkasink: invalid options")

func (o *Options) applyDefaults() error {
	if len(o.Brokers) == 0 {
		return fmt.Errorf("%w: no Brokers", ErrConfig)
	}
	if o.Topic == "" {
		return fmt.Errorf("%w: no Topic", ErrConfig)
	}
	if o.Agent == "" {
		o.Agent, _ = os.Hostname()
	}
	if o.Compression == "" {
		o.Compression = "lz4"
	}
	if _, err := codec(o.Compression); err != nil {
		return err
	}
	if o.MaxBufferedRecords == 0 {
		o.MaxBufferedRecords = 100_000
	}
	if o.MaxBufferedBytes == 0 {
		o.MaxBufferedBytes = 64 << 20
	}
	if o.MaxAge == 0 {
		o.MaxAge = 30 * time.Second
	}
	if o.WatchdogPeriod == 0 {
		o.WatchdogPeriod = min(o.MaxAge/10, time.Second)
	}
	o.WatchdogPeriod = max(o.WatchdogPeriod, 5*time.Millisecond)
	if o.Linger == 0 {
		o.Linger = 5 * time.Millisecond
	}
	if o.CloseTimeout == 0 {
		o.CloseTimeout = 10 * time.Second
	}
	if o.MaxBufferedRecords < 0 || o.MaxBufferedBytes < 0 || o.MaxAge < 0 || o.CloseTimeout < 0 {
		return fmt.Errorf("%w: negative bound", ErrConfig)
	}
	return nil
}

func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "none":
		return kgo.NoCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("%w: unknown Compression %q", ErrConfig, name)
}

// ClientOptions returns the kgo options for the brokers, TLS and SASL of
// o, for a consumer of the same cluster (package playback uses it).
func (o *Options) ClientOptions() []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(o.Brokers...)}
	if o.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(o.TLS))
	}
	if len(o.SASL) > 0 {
		opts = append(opts, kgo.SASL(o.SASL...))
	}
	return opts
}
