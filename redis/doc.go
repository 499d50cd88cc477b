// Package redis parses the Redis serialization protocol (RESP2 and RESP3)
// as it travels between clients and redis-server, for observing traffic:
// it frames each direction of a connection, names every command and its
// first key, types every reply, and pairs replies with commands, including
// the cases where that is not one to one (pub/sub pushes, CLIENT REPLY).
//
// Use it with package parser: NewProtocol (or Protocol, for the default
// limits) returns a *parser.Protocol for parser.Conn, which reassembles the
// exchanges of a connection, and for parser.Detector. The framing function
// (Protocol.Split) follows bufio.SplitFunc, so it also drives a
// bufio.Scanner; Protocol.ParseRequest / ParseResponse parse single
// messages; and Protocol.Decoder frames and parses in one call, the way
// redcon's ReadNextCommand reads a pipeline. It is not a client: it never writes, and it keeps no values.
//
// # Requests
//
// A request is a RESP array of bulk strings or an inline command (a text
// line, with redis-cli quoting). Its attributes: redis.command (the command
// upper-cased), redis.subcommand (CLIENT SETNAME, CONFIG GET, XINFO STREAM
// ...), redis.key and redis.args (see the Attr constants).
//
// redis.key is the first key exactly as redis-server's COMMAND GETKEYS
// reports it for the same arguments: the package carries the server's own
// command table (arity, key specifications, subcommands; zcommands.go,
// generated from redis-server 7.0.15 by gen_commands.go) and applies it the
// way the server does. So "SET user GET" has key "user" (not a GET of
// "user"), "EVAL script 2 a b" has key "a", "XREAD COUNT 1 STREAMS s 0" has
// key "s", "OBJECT ENCODING k" has key "k", and PING, PUBLISH, a call with
// the wrong number of arguments or an unknown command have none. A
// differential test against a live server (getkeys_live_test.go, build tag
// redislive) agrees on 81937 of 81937 argument vectors. Commands added
// after redis 7.0 are reported by name, without a key, until the table is
// regenerated (go generate, against a newer server).
//
// # Replies
//
// Every RESP2 and RESP3 type is parsed: simple string, error, integer, bulk
// string, array, null, boolean, double, big number, blob error, verbatim
// string, map, set, push, attributes (skipped, flagged redis.attribute)
// and streamed strings and aggregates. Attributes: redis.type, and per type
// redis.simple (the text of a simple string: OK, QUEUED, PONG ...),
// redis.error and redis.error_prefix, redis.integer, redis.bool,
// redis.length, redis.elements, redis.push.
//
// # Pairing
//
// Replies pair with requests in order (pipelining, MULTI/EXEC, where each
// queued command is answered +QUEUED). The exceptions, tracked in the
// per-connection State:
//
//   - A connection subscribed with (P|S)SUBSCRIBE receives messages that
//     answer nothing: RESP2 arrays ["message", ch, payload], ["pmessage",
//     ...], ["smessage", ...] and RESP3 pushes are flagged
//     parser.Unsolicited. A SUBSCRIBE of N channels is answered by N
//     confirmations: the first is its reply, the others are Unsolicited.
//     An UNSUBSCRIBE without arguments is answered by one confirmation per
//     subscription; the ones after the first are Unsolicited until the count
//     reaches zero, which cannot be told apart from the reply to another
//     UNSUBSCRIBE pipelined right behind it.
//   - After MONITOR's +OK the server streams one line per command it runs:
//     those simple strings are Unsolicited (redis.push "monitor"), while
//     the connection's own commands still pair with their replies.
//   - CLIENT REPLY OFF and SKIP make the server skip replies: those
//     requests are flagged parser.OneWay.
//   - RESET ends subscribed mode, MONITOR and CLIENT REPLY OFF.
//   - Empty requests ("*0", blank inline lines) get no reply; framing skips
//     them and counts them in State.Skipped.
//
// # Limits and bad input
//
// Every length and count read from the wire is checked against Options
// before it is acted on (bulk strings 512 MiB, aggregates 1 Mi elements,
// lines 64 KiB, inline commands 64 KiB, messages 1 GiB by default); nothing
// is ever allocated from a wire length. Counted aggregates nest without
// limit (they are scanned iteratively with a counter); streamed aggregates
// nest up to MaxStreamDepth. While streaming, an incomplete message is
// "need more"; a message known to be complete but cut short is parsed as
// far as it goes, flagged parser.Truncated, with parser.ErrShort in
// Message.Err. Malformed input is an error wrapping parser.ErrMalformed or
// parser.ErrTooLarge (ErrBadLength, ErrBulkTooLarge, ...), never a panic:
// "*1\r\n$-7\r\n", which crashes redcon, is ErrBadLength.
//
// # Performance and lifetime
//
// Steady-state framing and parsing allocate nothing. The only allocations
// are on rare paths: the upper-cased copy of an unknown lower-case command
// or subcommand name, the decoding of a quoted inline argument, and the
// *parser.Error of a message that fails. The framer hands its scan of each
// message to the parser through State, so a message framed and then parsed
// is scanned once. The request Decoder (which parser.Conn uses) goes
// further for the request nearly every client sends, an array of up to 9
// bulk strings under 100 bytes: one tight pass frames it and records its
// arguments, and the command, argument count and first key are set from
// that pass, with the last command's table entry and key position reused
// when the next request repeats them. Framing and parsing 100 pipelined
// SETs that way takes about 18 ns a command, against 20 for redcon's
// ReadNextCommand, which only splits the arguments; the two-call path,
// Split then ParseRequest, takes about 30. String attributes alias the
// message bytes and are valid while those are; parser.Attributes.CopyFrom
// makes an owned copy.
package redis
