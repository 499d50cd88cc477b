package redis

// Attribute keys set on parser.Message.Attrs. String values alias the
// message bytes (or are constants from the command table) and are valid
// while the message buffer is; parser.Attributes.CopyFrom makes an owned
// copy.
const (
	// AttrCommand (request, string) is the command name, upper-cased:
	// "SET", "CLIENT", "NOTACOMMAND". Known commands use the table's
	// canonical spelling; unknown ones are upper-cased as sent.
	AttrCommand = "redis.command"
	// AttrSubcommand (request, string) is the upper-cased second word of a
	// container command (CLIENT, CONFIG, XINFO, OBJECT, MEMORY, SCRIPT,
	// ACL ...), alone: "SETNAME" for CLIENT SETNAME, "GET" for CONFIG GET.
	// Set whenever the command is a container and has a second argument,
	// even when the server does not know that subcommand.
	AttrSubcommand = "redis.subcommand"
	// AttrKey (request, string) is the first key of the call, as
	// redis-server's COMMAND GETKEYS reports it for those exact arguments:
	// taken from the command's key specification (argv[1] for GET and SET,
	// the argument after numkeys for EVAL, after STREAMS for XREAD, after
	// the subcommand for XINFO STREAM / OBJECT ENCODING / MEMORY USAGE).
	// Absent for commands without keys, unknown commands, calls with the
	// wrong number of arguments and arguments that yield no key.
	AttrKey = "redis.key"
	// AttrArgs (request, int) is the number of arguments after the command
	// name: 2 for SET k v.
	AttrArgs = "redis.args"
	// AttrInline (request, bool) is true for an inline command (a plain
	// text line such as telnet sends) rather than a RESP array.
	AttrInline = "redis.inline"

	// AttrType (response, string) is the reply's RESP type (see Type.Name):
	// simple, error, integer, bulk, array, null, bool, double, bignum,
	// verbatim, map, set, push. RESP2 "$-1" and "*-1" are null. For a reply
	// preceded by a RESP3 attribute it is the type of the reply itself.
	AttrType = "redis.type"
	// AttrSimple (response, string) is a simple-string reply's text,
	// without the leading '+' and the CRLF: "OK", "QUEUED" (a command
	// queued in MULTI), "PONG", "string" (TYPE). OK, QUEUED, PONG, RESET
	// and TYPE's replies are constants, which a reader keeps at no cost;
	// any other text aliases the message bytes. Absent for MONITOR feed
	// lines (flagged parser.Unsolicited, redis.push "monitor"), which echo
	// other clients' commands with their arguments, passwords included.
	AttrSimple = "redis.simple"
	// AttrError (response, string) is an error reply's text without the
	// leading '-' and the CRLF (trailing spaces kept), or a blob error's
	// payload.
	AttrError = "redis.error"
	// AttrErrorPrefix (response, string) is the error code: the first word
	// of the error when it is upper case (ERR, WRONGTYPE, MOVED, NOSCRIPT,
	// BUSYGROUP ...). Absent for errors that do not start with one.
	AttrErrorPrefix = "redis.error_prefix"
	// AttrInteger (response, int) is the value of an integer reply.
	AttrInteger = "redis.integer"
	// AttrBool (response, bool) is the value of a RESP3 boolean reply.
	AttrBool = "redis.bool"
	// AttrElements (response, int) is the element count of an aggregate
	// reply (array, set, push; key/value pairs for a map). Absent for null
	// arrays and for RESP3 streamed aggregates, whose count is not sent.
	AttrElements = "redis.elements"
	// AttrLength (response, int) is the payload length of a bulk string,
	// verbatim string or blob error. Absent for streamed strings.
	AttrLength = "redis.length"
	// AttrPush (response, string) is the kind of a pub/sub or RESP3 push
	// message: its first element, lower-cased as the server sends it
	// ("message", "pmessage", "smessage", "subscribe", "unsubscribe",
	// "invalidate" ...).
	AttrPush = "redis.push"
	// AttrAttribute (response, bool) is true when the reply was preceded by
	// a RESP3 attribute map ('|'), which is skipped.
	AttrAttribute = "redis.attribute"
)
