// Package filter is a network filter chain for proxies: MOSN's read and
// write filter model, in Go, for people who embed wirekit in their own L4
// proxy. examples/tcpproxy is a complete proxy built on it.
//
// # Model
//
// A listener has a Chain, built once from configuration by a Registry. For
// every accepted connection the Chain makes a Conn, which holds one
// instance of each filter and a Buffer per direction:
//
//   - the read path (ReadPath): bytes read from the downstream (the
//     client), shown to the ReadFilters in order, then forwarded upstream;
//   - the write path (WritePath): bytes from the upstream, shown to the
//     WriteFilters in order, then written to the client.
//
// The owner of the sockets drives a Conn: Start once (every read filter's
// OnNewConnection), then Conn.ReadFrom in one goroutine per direction, and
// Release at the end. ReadFrom reads straight into the direction's buffer,
// runs the chain and forwards what passes, so the chain itself copies
// nothing and allocates nothing per read.
//
// # Semantics
//
// Each filter returns Continue or Stop.
//
//   - Continue hands the buffer to the next filter; after the last filter
//     the whole buffer is forwarded.
//   - Stop ends this run. The buffered bytes are held: neither forwarded nor
//     dropped. The next read appends to them and runs the chain again from
//     the first filter, which sees the held bytes again followed by the new
//     ones (Buffer.Unseen gives a filter only the bytes it has not been
//     shown). A filter that stopped resumes the chain after itself with
//     ReadCallbacks.ContinueReading (WriteCallbacks.ContinueWriting on the
//     write path), from any goroutine.
//   - A filter that stops can still let a prefix through: Buffer.Pass(n)
//     before returning Stop shows the later filters only the first n bytes
//     and forwards them, holding the rest. A filter that checks whole
//     messages (the deny filter) passes the messages it approved while it
//     waits for the end of a partial one, so a pipelining client is never
//     held back by the bytes of its next request.
//   - A filter consumes bytes with Buffer.Drain: they leave the stream and
//     are counted in Stats.Drained. Bytes it leaves are forwarded when the
//     chain completes, or held with the rest when a filter stops.
//   - On the write path Stop means the same: the bytes are held in the write
//     buffer, never discarded. Holding more than ConnOptions.MaxBuffer
//     closes the connection with ErrBufferFull, an error, not a drop.
//   - Conn.Close(reason) ends the connection: the run stops, nothing more is
//     forwarded, the owner's OnClose runs. Conn.Inject writes bytes to either
//     peer, bypassing the filters (a filter answering a request itself).
//   - Filters read the connection's ConnInfo (id, listener, addresses,
//     start time) and share values with later filters through
//     Conn.SetValue and Conn.Value. A filter implementing CloseHook hears
//     about the end of its connection.
//
// This is MOSN's filter manager (a stopped chain is re-run from the first
// filter on new data; ContinueReading resumes after the caller), with three
// additions: write filters hold and resume instead of silently dropping the
// write, Buffer.Unseen so observers do not count bytes twice, and
// Buffer.Pass so a stopping filter need not hold back what it approved.
//
// # Configuration
//
// Filter types are registered by name with a Creator that turns the
// filter's JSON config into a Factory. A chain is configured MOSN style:
//
//	{"filters": [
//	  {"type": "connection_limit", "config": {"max_connections": 1000}},
//	  {"type": "sniff", "config": {"protocols": ["redis", "http"]}}
//	]}
//
// Registry.NewChainJSON (or NewChainMaps for map[string]any) creates every
// factory up front: an unknown type (the error lists the registered ones),
// an unknown config field, a wrong type or an out-of-range value is an
// error when the chain is built, never at the first connection.
//
// Use a Registry of your own (NewRegistry) or the package's Default through
// Register. Nothing registers itself on import: package
// github.com/wirekit/wirekit/filter/builtin registers the built-in filters
// into a registry you pass it. The connection limiter (ConnLimit,
// "connection_limit") lives in this package; the others, which need the
// protocol parsers or the dump package, live in their own packages
// (filter/sniff, filter/tcpcopy, filter/deny) so this one depends on
// nothing but the standard library.
package filter
