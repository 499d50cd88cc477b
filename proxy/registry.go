package proxy

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/filter/builtin"
	"github.com/wirekit/wirekit/filter/sniff"
	"github.com/wirekit/wirekit/filter/tcpcopy"
	"github.com/wirekit/wirekit/parser"
)

// NewRegistry returns the registry of filter types the proxy's
// configuration can name (the built-ins, with sniff writing an access log
// line per exchange, its attributes redacted as the sniff configuration
// says: strict by default), and a function to call at exit: it stops the
// tcpcopy dumpers the configuration created, writing out what they hold,
// flushes the sniff filters' Kafka exports, and logs their counters.
func NewRegistry(log *slog.Logger) (*filter.Registry, func(), error) {
	var mu sync.Mutex
	var dumpers []*tcpcopy.Factory
	var sniffs []*sniff.Factory
	r := filter.NewRegistry()
	err := builtin.Register(r, builtin.Options{
		OnExchange: accessLog(log),
		OnTCPCopy: func(f *tcpcopy.Factory) {
			mu.Lock()
			dumpers = append(dumpers, f)
			mu.Unlock()
		},
		OnSniff: func(f *sniff.Factory) {
			mu.Lock()
			sniffs = append(sniffs, f)
			mu.Unlock()
		},
	})
	if err != nil {
		return nil, nil, err
	}
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		var errs []error
		for _, d := range dumpers {
			st := d.Dumper().Stats()
			errs = append(errs, d.Close())
			log.Info("tcpcopy stopped", "accepted", st.Accepted, "written", st.Written,
				"dropped_gate", st.DroppedGate, "dropped_queue_full", st.DroppedQueueFull,
				"dropped_write_error", st.DroppedWriteError)
			if ks, ok := d.KafkaStats(); ok {
				logKafka(log, "tcpcopy kafka sink", ks)
			}
		}
		dumpers = nil
		for _, f := range sniffs {
			errs = append(errs, f.Close())
			st := f.Stats()
			log.Info("sniff stopped", "connections", st.Connections, "exchanges", st.Exchanges,
				"detected", st.Detected, "undetected", st.Undetected, "skipped_bytes", st.Parse.SkippedBytes,
				"parse_errors", st.Parse.ParseErrors, "framing_errors", st.Parse.FramingErrors,
				"truncated", st.Parse.Truncated, "unanswered", st.Parse.Unanswered, "evicted", st.Parse.Evicted,
				"unmatched", st.Parse.Unmatched)
			if st.Export != nil {
				logKafka(log, "sniff kafka export", *st.Export)
			}
		}
		sniffs = nil
		if err := errors.Join(errs...); err != nil {
			log.Error("filters close", "error", err)
		}
	}
	return r, closeAll, nil
}

// logKafka logs a Kafka producer's delivery account.
func logKafka(log *slog.Logger, msg string, st kafkasink.Stats) {
	args := []any{"offered", st.Offered, "acked", st.Acked, "dropped_buffer_full", st.DroppedBufferFull,
		"dropped_stale", st.DroppedStale, "dropped_produce_error", st.DroppedProduceError,
		"dropped_closed", st.DroppedClosed, "pending", st.Pending}
	if st.LastError != nil {
		args = append(args, "last_error", st.LastError.Error())
	}
	log.Info(msg, args...)
}

// accessLog returns the sniff handler: one "exchange" log line per
// request/response pair (or lone half), with the parsed attributes as the
// sniff filter hands them on (redacted, strictly unless its "redact" says
// otherwise).
func accessLog(log *slog.Logger) func(*filter.Conn, *parser.Exchange) {
	return func(c *filter.Conn, ex *parser.Exchange) {
		info := c.Info()
		args := []any{"listener", info.Listener, "conn", info.ID, "protocol", ex.Protocol, "kind", ex.Kind.String()}
		if ex.Request != nil {
			args = append(args, attrGroup("request", ex.Request), "request_bytes", ex.RequestSize)
		}
		if ex.Response != nil {
			args = append(args, attrGroup("response", ex.Response), "response_bytes", ex.ResponseSize)
		}
		if ex.Kind == parser.Complete {
			args = append(args, "latency", ex.Latency())
		}
		if ex.Reason != nil {
			args = append(args, "reason", ex.Reason.Error())
		}
		if ex.RequestErr != nil {
			args = append(args, "request_error", ex.RequestErr.Error())
		}
		if ex.ResponseErr != nil {
			args = append(args, "response_error", ex.ResponseErr.Error())
		}
		log.Info("exchange", args...)
	}
}

// attrGroup turns parsed attributes into a log group. The handler formats
// it before returning, while the values (which alias parser buffers) are
// valid.
func attrGroup(name string, a *parser.Attributes) slog.Attr {
	var as []any
	for k, v := range a.All() {
		as = append(as, slog.Any(k, v.Any()))
	}
	return slog.Group(name, as...)
}
