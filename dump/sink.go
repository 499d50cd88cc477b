package dump

// Sink receives recorded items. A Dumper serializes the calls to each sink
// (one goroutine at a time) and hands items in batches: zero or more Write
// calls, then one Flush. Per connection and direction, items arrive in
// capture order.
//
// Accounting is per batch: if Write or Flush returns an error, every item of
// the batch counts as a write error for that sink (so a sink that buffers
// must either persist the whole batch in Flush or nothing, as the file sinks
// do by truncating a failed file back to its last complete batch). After an
// error the Dumper stops calling the sink for Config.RetryBackoff (doubling
// up to Config.MaxRetryBackoff), counts the items meanwhile as write errors,
// then tries again; a sink recovers by succeeding.
//
// Item.Data is only valid until Flush returns.
type Sink interface {
	// Name identifies the sink in Stats.
	Name() string
	Write(it *Item) error
	Flush() error
	// Close flushes and releases the sink; the Dumper calls it once from
	// Dumper.Close after the last batch.
	Close() error
}

// SinkStats are the counters of one sink.
type SinkStats struct {
	Name string
	// Written items (in batches that flushed successfully).
	Written uint64
	// Failed items: in a batch whose Write or Flush failed, or routed to the
	// sink while it was down.
	Failed uint64
	// WrittenBytes and FailedBytes are the payload bytes of those items.
	WrittenBytes, FailedBytes uint64
	// Errors is the number of failed batches.
	Errors uint64
	// Down is true while the sink is in its retry back-off.
	Down bool
	// LastError is the most recent error, nil if none.
	LastError error
}
