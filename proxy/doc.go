// Package proxy is an importable L4 proxy built on wirekit's filter chain:
// listeners that accept connections, run each through the listener's
// filter chain (connection limits, protocol sniffing with access logs,
// sampled traffic dumps, deny lists, or filters of your own), dial an
// upstream host and copy both directions, with half-close, idle and
// connect timeouts and graceful shutdown. A proxy of your own is a
// configuration and a few lines:
//
//	cfg, err := proxy.LoadConfig("proxy.json")   // MOSN-shaped JSON, see Config
//	reg, closeFilters, err := proxy.NewRegistry(log) // the built-in filters, access log to log
//	defer closeFilters()
//	p, err := proxy.New(cfg, reg, log)
//	err = p.Run(ctx) // serves until ctx is done, then shuts down gracefully
//
// Use filter.NewRegistry and builtin.Register (or your own Register calls)
// instead of NewRegistry to choose the filters and where their output goes.
// examples/tcpproxy is the command built this way.
//
// # The socket side
//
// Each connection gets one goroutine per direction. Each calls
// filter.Conn.ReadFrom, which reads straight into the connection's pooled
// buffer, runs the chain and forwards what passes: no allocation per read
// with an empty chain. EOF on one side is forwarded as a FIN (CloseWrite)
// to the other, and the connection ends when both directions have.
// connect_timeout bounds dialing an upstream host (round robin over a
// cluster's hosts). idle_timeout closes a connection on which neither side
// sent anything for that long, and the same value bounds each write, so a
// peer that stops reading cannot pin a connection. Shutdown stops
// accepting, waits for open connections until its context is done, then
// closes the rest (ErrShutdown).
//
// # Concurrency contract
//
// The two directions of a connection run on two goroutines at once, so
// the chain's filters see OnData (request path) and OnWrite (response
// path) concurrently. The filter package serialises each direction, and
// anything a filter shares between the directions must be safe for that.
// The built-in filters are: sniff feeds its parser.Sniffer (one per
// connection, shared by both directions) under its own lock, tcpcopy's
// dump.Conn is safe for concurrent use, deny reads only the request path.
// A filter of your own that keeps one parser.Conn or Sniffer for both
// directions must take a lock around Feed, Gap and Close, as sniff does;
// the race detector finds one that does not (the tests run under -race).
//
// # What is logged
//
// Every connection that ends with an error logs one "closed" line with
// the reason: the filter chain's close reason (a deny, a filter buffer
// overflow: a request larger than tcp_proxy's max_buffer held by a filter
// closes the connection with filter.ErrBufferFull), the upstream dial
// error, ErrIdle or ErrShutdown, with the bytes forwarded each way and any
// bytes a filter still held (not forwarded). NewRegistry's sniff handler
// logs one "exchange" line per request/response pair, with the parsed
// attributes redacted by the sniff filter: strictly by default (a request
// GET /login?token=abc&page=2 logs http.path "/login?token=***&page=***",
// an Authorization header captured with "http_headers" logs "***", a
// Redis error echoing a refused command's arguments logs them as '***');
// "redact": "default" in the sniff config masks only what sensitive names
// mark (token=***&page=2), "off" logs values as sent. Payload dumps
// (tcpcopy) are not redacted: they are the traffic itself, written 0600.
// At exit, NewRegistry's close function logs each sniff and tcpcopy
// filter's counters, and for those with a "kafka" object the producer's
// delivery account ("sniff kafka export", "tcpcopy kafka sink": offered,
// acked, dropped by reason, last error).
package proxy
