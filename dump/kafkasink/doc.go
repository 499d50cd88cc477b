// Package kafkasink ships recorded traffic into Kafka: a dump.Sink that
// produces every item a Dumper accepts (connection payload with direction,
// stream offset and capture time, connection closes, window openings,
// records, snapshots) as one Kafka record, through franz-go's kgo client,
// without ever blocking the traffic path. It is how a fleet of agents
// records into one shared place; package playback reads it back into
// pcapng and the decoders.
//
// # Records
//
// Value: the item in the versioned binary encoding of AppendItem
// (DecodeItem reads it, checking every length). Key: the connection id,
// 8 bytes big-endian, so a connection's items stay in order in one
// partition. Timestamp: the capture time. Headers: HeaderAgent
// (Options.Agent, default the host name), HeaderFormat (FormatItem,
// "dump-item/1") and HeaderWindow (the sampling window id, 16 hex digits).
// Batches are compressed with Options.Compression (lz4 by default, zstd,
// snappy, gzip or none). TLS and SASL are passed through to kgo.
//
// # Bounds and what happens at each
//
//   - Sink.Write never blocks and never fails. It encodes the item into a
//     pooled record's buffer and calls kgo's TryProduce.
//     Acknowledgements arrive asynchronously, so the Dumper's Written
//     counts items handed to the producer; Sink.Stats (Stats) is the
//     delivery account.
//   - Buffer: at most Options.MaxBufferedRecords records (default 100,000)
//     and Options.MaxBufferedBytes key+value bytes (default 64 MiB) are
//     unacknowledged at once. A record over a bound is dropped at once:
//     DroppedBufferFull.
//   - Age: a watchdog (every WatchdogPeriod) measures the oldest
//     unacknowledged record; once it is older than Options.MaxAge
//     (default 30 s) it aborts everything buffered
//     (kgo.Client.AbortBufferedRecords): DroppedStale. This is what empties
//     the buffer while the brokers are gone; kgo's RecordDeliveryTimeout
//     is not enough (it is evaluated only around produce requests: 1,000
//     buffered records were measured still pending after 100 s with a 2 s
//     timeout and no brokers).
//   - Broker refusals that kgo does not retry (record too large,
//     authorization, invalid record): DroppedProduceError, LastError.
//     Retriable errors (leader moved, not enough replicas, a broker
//     restarting) are retried by kgo until MaxAge.
//   - Close: waits up to Options.CloseTimeout (default 10 s) for the
//     pending records, then aborts the rest: DroppedClosed, and Close
//     returns an error wrapping ErrUndelivered with the count.
//
// Nothing is lost silently: after Close,
//
//	Offered = Acked + DroppedBufferFull + DroppedStale + DroppedProduceError + DroppedClosed
//
// It recovers by itself: kgo keeps reconnecting, and records offered after
// the brokers return are produced.
//
// Records carry the payload as it was sent, passwords included: they are
// not redacted (see package dump, "Files"); restrict the topic's readers
// accordingly. Exchanges exported with package export, which are parsed
// attributes, are redacted.
//
// Config is the JSON form of Options (TLS files, SASL PLAIN and SCRAM
// with the password from the environment or a file), used by the sniff
// and tcpcopy filters' configurations.
//
// Producer is the bounded, counted, non-blocking producer under the Sink,
// exported for other records: Produce copies a value, ProduceFunc has the
// caller append it straight into the pooled record (package export
// encodes exchanges that way).
package kafkasink
