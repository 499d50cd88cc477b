// Package httpx parses HTTP/1.0 and HTTP/1.1 requests and responses as
// they travel on a TCP connection: for traffic analysis, capture tools and
// proxies that observe HTTP rather than serve it. Use net/http to serve or
// to make requests; use httpx to take captured byte streams apart into
// messages and attributes without allocating.
//
// # Layers
//
// Parser.ParseRequest and Parser.ParseResponse decode a message head (start
// line and header fields) into a caller-owned Request or Response, reused
// from message to message. Every header line is checked once: names must
// be tokens followed directly by ':', values may not hold control bytes
// (a bare CR included), and a line starting with whitespace (obsolete line
// folding) is an error, never unfolded. Header names are matched ignoring
// ASCII case, in place. Byte slices alias the input.
//
// State frames a connection's two byte streams into whole messages, as
// bufio.SplitFunc functions (SplitRequest, SplitResponse), with the
// message-end rules of RFC 9112 section 6.3: Content-Length, chunked
// (with trailers), no body for responses to HEAD and for 1xx, 204 and 304,
// a tunnel after a 101 or a 2xx response to CONNECT (then Split returns
// parser.ErrUpgraded: the stream is no longer HTTP), and read-until-close
// responses. A 100 Continue before the final response is framed as a
// message of its own. Pipelined requests are supported: the State keeps
// the methods of requests awaiting a response in a bounded FIFO, because
// where a response ends depends on the request it answers.
//
// Protocol (or NewProtocol) bundles the two for the parser package: parser
// trees that set attributes (http.method, http.path, http.host,
// http.status_code, ... see the Attr constants), per-connection State,
// in-order pairing. parser.Conn drives it over a captured connection and
// reports request/response exchanges; 1xx responses are marked
// parser.Interim and counted, not paired. A message is decoded once: when
// a tree is handed the token its connection's State has just framed (as
// parser.Conn does), it sets the attributes from the head Split decoded.
//
// # Limits
//
// Everything whose size comes from the wire is checked against Options
// before it is buffered: the header block size (MaxHeaderBytes), the
// number of fields (MaxHeaders), chunk-size digits and line length, the
// body size Split buffers into one message (MaxBodyBytes, which also caps
// a read-until-close body), and the number of pipelined requests
// (MaxPipelined). Exceeding one is an error wrapping parser.ErrTooLarge.
// Malformed input is an error wrapping parser.ErrMalformed; input that
// ends inside a message is "need more" while streaming and ErrTruncated
// (parser.ErrShort) at EOF.
//
// # What is not interpreted
//
// Bodies are framed, not decoded: no decompression, no form or JSON
// parsing. HTTP/2 and HTTP/3 are other protocols (an HTTP/2 connection
// preface fails with ErrUnsupportedVersion).
package httpx
