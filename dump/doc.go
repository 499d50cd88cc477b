// Package dump records samples of proxied traffic without slowing the proxy
// down: a sampled, load-gated traffic-dump writer that never blocks its
// caller. It is the primitive behind a "tcpcopy" filter in a proxy or
// sidecar: decide cheaply on every read whether the bytes should be
// recorded, and record them asynchronously in formats people can open
// (pcapng for Wireshark/tshark, JSON Lines for scripts, or a Sink of your
// own).
//
// # Model
//
// A Dumper is created with New(Config) and runs between Start and Close; it
// holds no package-level state, so several can run in one process. Its
// policy is a Strategy, field for field Layotto's tcpcopy JSON
// (ParseStrategy reads it strictly; UpdateStrategy swaps it at run time):
//
//		{"switch": "ON", "interval": 30, "duration": 10, "cpu_max_rate": 80, "mem_max_rate": 80}
//
//	  - Windows: every interval a window of duration opens, with a fresh id
//	    (Dumper.Window) recorded with every item captured in it. Nothing is
//	    recorded outside windows.
//	  - Load gate: a Probe (default SystemProbe: process, host and cgroup
//	    v2/v1 CPU and memory) is sampled every Config.MonitorPeriod; the gate
//	    closes while CPU or memory is above its ceiling and reopens only
//	    Config.Hysteresis points below it.
//	  - Connection sampling: Config.ConnSampleRate records a fraction of
//	    connections, decided by a hash of the connection id, so a sampled
//	    connection is recorded whole.
//
// The control goroutine folds switch, window, gate and window id into one
// atomic word, so Dumper.Sampling and the first step of Conn.Flow are a
// single atomic load: no system call, no lock, no allocation.
//
// # Submitting
//
// Register a connection with Dumper.Open, then call Conn.Flow(dir, offset,
// data) on each read, where offset is the stream offset of data[0] in that
// direction. Bytes below what was already recorded are skipped, so a proxy
// that shows its unconsumed buffer again records every byte exactly once.
// Accepted bytes are copied (under a per-worker lock, into an arena reused
// in steady state) and the call returns; if the queue is full the bytes are
// dropped and counted, never waited for. Dumper.Record stores user-defined
// records (Layotto's "portrait data") and Dumper.Snapshot configuration
// snapshots, written again only when their content hash changes.
//
// # Writing
//
// Workers (Config.Workers, items sharded by connection so each connection
// stays in order) hand batches to the sinks: NewPcapngFileSink,
// NewJSONLFileSink (rotation by size and age, a cap on total bytes), the
// io.Writer variants, or any Sink. A sink failure (I/O error, full disk) is
// counted per item, the sink is skipped for a back-off and then retried;
// file sinks truncate a failed file back to its last complete batch, so
// files stay readable, and start a new file when space returns. Close
// drains everything accepted.
//
// In pcapng output every flow chunk becomes a synthesized Ethernet/IP/TCP
// packet whose sequence number is ISN+1+offset, with a handshake for
// connections seen from offset 0 and FINs at Conn.Close, so Wireshark and
// tshark reassemble and dissect the recorded protocol (decode-as by port as
// usual); each packet's comment carries window, connection, direction and
// offset, and the first one the addresses. Records and snapshots are
// packets on a second interface (link type USER0).
//
// # Accounting
//
// Stats: Accepted, Written, WrittenPartial, DroppedGate, DroppedQueueFull,
// DroppedWriteError (items and bytes), DuplicateBytes, windows, gate
// closings, probe errors and per-sink counters (items and bytes written and
// failed, errors, down). Written counts items at least one sink wrote and
// DroppedWriteError items no sink wrote, so one failing sink does not hide
// what a healthy one wrote (WrittenPartial counts the items only some sinks
// wrote). Once drained, Accepted = Written + DroppedWriteError: nothing is
// lost silently.
//
// # Limits and what happens at each
//
//   - Config.QueueSize items per worker queue, Config.MaxQueuedBytes of
//     payload: a submission that does not fit returns DroppedQueueFull and
//     is counted (Stats.DroppedQueueFull, DroppedQueueFullBytes). A
//     connection's close item is queued even over QueueSize, so a pcapng
//     has the FIN of every connection it has data for.
//   - Config.MaxRecordSize: Record and Snapshot return ErrTooLarge.
//   - A failing sink: its batch counts in SinkStats.Failed and, if no sink
//     wrote it, Stats.DroppedWriteError; the sink is skipped for
//     Config.RetryBackoff (doubling to MaxRetryBackoff) and retried.
//   - FileOptions.MaxFileBytes, MaxFileAge: the file rotates;
//     MaxTotalBytes: the oldest files are deleted (FileSinkStats.Removed).
//
// # Files
//
// Dump files hold full payloads, passwords included: file sinks create
// their directories with mode 0700 and their files with mode 0600. They
// are not redacted: neither encoding writes a parsed attribute (the JSON
// Lines "data" member is the raw payload in base64, pcapng packets carry
// it as sent), so there is nothing a redact.Policy could mask short of
// the payload itself; what is redacted is wirekit's parsed output (the
// sniff filter's exchanges and access log, package export). Keep dumps
// on the machine, or ship them to a topic only readable by those who may
// read the traffic (dump/kafkasink).
//
// # Timestamps
//
// Capture timestamps come from Config.Clock (time.Now by default). Where
// time.Now is slow (some virtual machines: 90-180 ns on the machine these
// benchmarks ran on) a CoarseClock takes it off the submission path at the
// price of its resolution.
package dump
