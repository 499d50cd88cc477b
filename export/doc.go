// Package export turns parsed exchanges into records that leave the
// machine: a documented, versioned JSON encoding (one object per line,
// JSON Lines compatible; see Encoder.AppendJSON for the members) and a
// Kafka producer for it (Kafka) with kafkasink's bounds, watchdog and
// per-reason drop counters, so a fleet of agents ships exchanges into one
// topic without ever blocking the traffic path. Each exchange is encoded
// once, into its pooled record, and not copied.
//
// Use it from a filter/sniff Handler (export.MetaFromAddrs(c.ID(),
// info.RemoteAddr, info.LocalAddr) gives the Meta), from a parser.Conn
// callback in a capture pipeline, or from pcapdecode (-kafka brokers
// -topic T).
//
// # Redaction
//
// Exports are redacted, strictly by default (Options.Redactor nil means
// redact.New(redact.Strict), see package redact): values of named
// attributes (header fields, attachments) whose name contains a sensitive
// part (token, password, auth, key, cookie, session, ...) are masked
// "***", every query value of a request-target is masked (names kept),
// Dubbo argument and attachment renderings keep their structure with
// sensitive members masked, and free-text messages are masked whole.
// redact.New(redact.Default) masks only what sensitive names mark;
// Options.NoRedaction exports values as parsed. Any Redactor can be
// plugged in.
//
// # Encoding
//
// Only JSON is offered: an Encoder writes a Redis exchange in about a
// microsecond without allocating (BenchmarkAppendJSON), well under what
// the producer costs per record, so a binary encoding would not be
// measurably faster end to end. The "v" member is the version; readers
// must ignore members they do not know.
package export
