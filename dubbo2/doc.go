// Package dubbo2 parses the Dubbo2 RPC protocol ("dubbo://", the protocol of
// Apache Dubbo 2.x and of dubbo-go's "dubbo" protocol): the 16-byte header
// and, for the hessian2 serialization, the request and response bodies.
//
// Use it to observe Dubbo traffic: a Protocol value plugs into parser.Conn,
// which frames each direction (Split), parses requests and responses with
// the package's parser trees and pairs them by request id, so calls that are
// in flight together and answered out of order are matched correctly;
// heartbeats (events) pair the same way and one-way calls are reported
// without waiting for a response.
//
// # What is decoded
//
// Every message: request id, serialization id and name, event flag (and
// whether an event is a heartbeat); requests: two-way flag (a one-way
// request gets parser.OneWay); responses: status and its name. For
// hessian2 requests, the Dubbo version, service path, service version,
// method and parameter descriptor (the leading strings of the body) are
// read by the package's own bounds-checked hessian2 reader without
// allocating, and the argument count is taken from the descriptor
// (ArgumentTypes names the Java types); for hessian2 responses, the
// response type, the error text of a non-OK status, and the class and
// message of an exception result.
// Bodies in other serializations (fastjson, kryo, protobuf, ...) are named
// but not decoded.
//
// Two more levels are opt-in through Options: DecodeAttachments (the
// attachments map of requests and responses: group, interface, timeout and
// all keys as a JSON object) and DecodeArguments (argument values as a JSON
// array, up to MaxArgumentBytes). An error in these optional parts keeps
// the fields already read and is reported in AttrDecodeError.
//
// The hessian2 decoding is the package's own: a walker that needs no Go
// types. github.com/apache/dubbo-go-hessian2 is the reference the tests
// compare it with, and is not used at run time: it decodes into registered
// Go types by reflection and panics on well-formed input that does not fit
// them (a string where a registered class, such as one of the exception
// classes it registers itself, has an int field, or an int where it has a
// string field; a list or a binary value used as a map key; a null key in
// a typed map, which Java writes for a LinkedHashMap), which a traffic
// parser must survive without recovering from panics. This is a deviation
// from issue #6, which asked for the library at run time:
// TestHessian2LibraryPanicsOnWellFormedInput holds such bodies, checks
// that the library panics on them and that this package reads them, and
// fails when a version of the library stops panicking.
//
// # Sensitive attachments
//
// Attachments may carry credentials (Dubbo's "token" attachment is a
// password). Their values are never exposed: every attachment whose key
// contains one of Options.SensitiveAttachments (default
// DefaultSensitiveAttachments: token, password, secret, authorization, ...;
// case-insensitive) is reported as MaskedValue ("***").
//
// # Hostile input
//
// Body lengths are checked against Options.MaxBodySize before anything is
// buffered. The walker checks every length and count against the bytes
// left, every class, type and reference index against what was defined,
// and the nesting depth against Options.MaxDepth: nothing is allocated from
// a wire count, and what the optional renderings allocate is bounded by a
// small multiple of the bytes they read.
//
// # Truncated messages
//
// A message whose bytes end before its body does (a capture's snaplen, a
// gap) still parses: the header attributes and every leading body string
// that was captured whole are set, the message gets parser.Truncated and
// AttrTruncated, and the tree completes.
//
// # Lifetime
//
// String attributes alias the message bytes (see parser.UnsafeString):
// they are valid until the buffer is reused. Attributes.CopyFrom keeps them.
package dubbo2
