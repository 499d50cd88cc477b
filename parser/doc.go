// Package parser is the core of wirekit: the pieces every protocol package
// (redis, httpx, kafka, dubbo2, mysql, postgres) is built from, and the
// pieces that turn byte streams into request/response exchanges.
//
// # Messages and attributes
//
// A Message is one framed protocol message being parsed: its bytes, a read
// Offset and an Attributes map. Attribute keys are dotted names declared as
// constants by each protocol package (redis.command, http.status_code,
// kafka.api_key, dubbo2.service ...); values are typed (string, int64, bool,
// bytes). Messages and their attributes are reused after Reset, so parsing
// in steady state allocates nothing. String values alias the message bytes
// (see UnsafeString); Attributes.CopyFrom makes an owned copy.
//
// # Parser trees
//
// A protocol is parsed by a tree of PkgParser nodes, after Kindling's
// collector: every node has a cheap fastFail and a parse that returns
// (ok, complete). A node that parsed its part but not the whole message
// hands the message, offset moved on, to its children; the first child that
// completes it wins, and a child that fails is rolled back (offset and
// attributes) before the next one runs. Kafka's tree is the example: the
// request header at the root, a branch per API key, a branch per version.
//
// Node code reads with Reader, a bounds-checked big-endian reader with a
// sticky error, so decoders read straight down the spec and check once.
//
// # Protocols, framing, pairing, detection
//
// A Protocol bundles a name, the request and response trees, a framing
// function per direction with the contract of bufio.SplitFunc (so it can
// also drive a bufio.Scanner), and how responses pair with requests: in
// order or by a key.
//
// Decoder frames and parses in one call, for code that reads a stream
// itself: each call takes the bytes buffered so far and answers like the
// SplitFunc (consumed N, need more, or an error), with the message it
// framed already parsed into a reused Message. A protocol may provide its
// own single-pass Decode (redis does, for the arrays clients pipeline);
// Decoder otherwise composes Split and the tree, so every protocol has one,
// with the same answers either way.
//
// Conn drives one protocol over the two directions of a connection
// (through Decoder, except for keyed responses, which are framed first so
// that their request can be found): it buffers partial messages, frames, parses, pairs, and
// reports each Exchange (including one-way requests, requests left without
// a response, responses without a request and unsolicited pushes, so
// nothing is lost silently). Detector picks the candidate protocols for a
// new stream from its first bytes.
//
// # Errors
//
// Decoding errors are values: ErrShort, ErrMalformed, ErrTooLarge,
// ErrNotProtocol, ErrNoMatch, ErrUpgraded, wrapped with location in *Error.
// A protocol's own status codes are attributes, never Go errors.
//
// # Adding a protocol
//
// A new protocol is a package that returns one Protocol: a Split per
// direction, a Request and a Response tree, NewState and Pairing, and one
// line in protocols.All. CONTRIBUTING.md at the module root
// (https://github.com/wirekit/wirekit/blob/main/CONTRIBUTING.md, section
// "Adding a protocol") walks through it with package postgres as the worked
// example: the nine concepts to learn, the files to create, the registry
// entry and the tests every protocol has (corpus truth through pcaptest,
// FuzzParse, FuzzChunking with pcaptest.CheckChunking, a 0-alloc budget,
// hostile lengths).
package parser
