package redis

import "github.com/wirekit/wirekit/parser"

// pushKind classifies the first element of a pub/sub array or RESP3 push.
type pushKind uint8

const (
	pushNone    pushKind = iota
	pushMessage          // message, pmessage, smessage: data for a subscriber
	pushSubscribe
	pushPSubscribe
	pushSSubscribe
	pushUnsubscribe
	pushPUnsubscribe
	pushSUnsubscribe
	pushOther // any other RESP3 push (invalidate, tracking-redir-broken ...)
)

// classifyPush names the kind of a push whose first element is w, and the
// element count a RESP2 array of that kind has.
func classifyPush(w []byte) (k pushKind, elems int) {
	switch string(w) { // no allocation: the conversion is only compared
	case "message", "smessage":
		return pushMessage, 3
	case "pmessage":
		return pushMessage, 4
	case "subscribe":
		return pushSubscribe, 3
	case "psubscribe":
		return pushPSubscribe, 3
	case "ssubscribe":
		return pushSSubscribe, 3
	case "unsubscribe":
		return pushUnsubscribe, 3
	case "punsubscribe":
		return pushPUnsubscribe, 3
	case "sunsubscribe":
		return pushSUnsubscribe, 3
	}
	return pushOther, 0
}

// confirms is the request command a (un)subscribe confirmation answers.
func (k pushKind) confirms() string {
	switch k {
	case pushSubscribe:
		return "SUBSCRIBE"
	case pushPSubscribe:
		return "PSUBSCRIBE"
	case pushSSubscribe:
		return "SSUBSCRIBE"
	case pushUnsubscribe:
		return "UNSUBSCRIBE"
	case pushPUnsubscribe:
		return "PUNSUBSCRIBE"
	case pushSUnsubscribe:
		return "SUNSUBSCRIBE"
	}
	return ""
}

// isPubSubCommand reports whether cmd is one of the (un)subscribe commands,
// whose replies are pub/sub arrays even in RESP2.
func isPubSubCommand(cmd string) bool {
	switch cmd {
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
		return true
	}
	return false
}

// fastFailResponse rules out bytes that cannot start a reply.
func fastFailResponse(m *parser.Message) bool {
	return len(m.Data) == 0 || !isValueStart(m.Data[0])
}

// parseResponse is the response tree's node. It reads the reply's type and
// its head (error text and prefix, integer, boolean, length, element count),
// validates the whole value, and decides whether it answers the pending
// request or is an unsolicited pub/sub message or push.
func (p *proto) parseResponse(m *parser.Message) (ok, complete bool) {
	return p.response(m, false)
}

// response is parseResponse, told whether the framer has just validated
// the message (so that its one line or its scan need not be repeated).
func (p *proto) response(m *parser.Message, valid bool) (ok, complete bool) {
	b := m.Rest()
	l := &p.l
	pos := 0
	st, _ := m.State.(*State)
	end := -1 // the value's end, when its head says
	// RESP3 attributes annotate the reply that follows them: skip them.
	for pos < len(b) && b[pos] == byte(TypeAttribute) {
		n, next, err := l.readLen(b, pos+1, false)
		if err == nil && n > l.maxElements {
			err = ErrTooManyElements
		}
		if err == nil && n < 0 {
			err = ErrBadLength
		}
		if err == nil {
			next, err = l.scan(b, next, 2*n)
		}
		if err != nil {
			return p.fail(m, "attribute", pos, err)
		}
		m.Attrs.SetBool(AttrAttribute, true)
		pos = next
	}
	if pos >= len(b) {
		return m.Fail(wrap("reply", pos, parser.ErrShort))
	}
	start := pos
	t := Type(b[pos])
	switch t {
	case TypeSimple, TypeError, TypeInteger, TypeDouble, TypeBigNumber, TypeNull, TypeBool:
		var e int
		if valid && start == 0 {
			e = len(b) - 2 // the framer found this one line to be the whole message
		} else {
			var err error
			if e, err = l.lineEnd(b, pos+1); err != nil {
				return p.fail(m, "line", pos, err)
			}
		}
		line := b[pos+1 : e]
		feed := false // a MONITOR feed line, whose text is not kept
		switch t {
		case TypeSimple:
			if st != nil && (st.monitor || st.modeRequests != 0) {
				feed = p.simpleState(m, st, line)
			}
		case TypeError:
			setError(m, line)
		case TypeInteger:
			v, ok := atoi(line)
			if !ok {
				return m.Fail(wrap("integer", pos, ErrBadValue))
			}
			m.Attrs.SetInt(AttrInteger, v)
		case TypeBool:
			if len(line) != 1 || (line[0] != 't' && line[0] != 'f') {
				return m.Fail(wrap("bool", pos, ErrBadValue))
			}
			m.Attrs.SetBool(AttrBool, line[0] == 't')
		case TypeNull:
			if len(line) != 0 {
				return m.Fail(wrap("null", pos, ErrBadValue))
			}
		}
		m.Attrs.Add(AttrType, parser.StringValue(t.Name()))
		if t == TypeSimple && !feed {
			m.Attrs.Add(AttrSimple, simpleText(line))
		}
		end = e + 2
	case TypeBulk, TypeBlobError, TypeVerbatim:
		n, next, err := l.readLen(b, pos+1, t == TypeBulk)
		if err != nil {
			return p.fail(m, "length", pos, err)
		}
		switch {
		case n == -1 && t == TypeBulk:
			m.Attrs.Add(AttrType, parser.StringValue("null"))
			end = next
		case n == lenStreamed:
			m.Attrs.Add(AttrType, parser.StringValue(t.Name()))
		case n < 0:
			return m.Fail(wrap("length", pos, ErrBadLength))
		default:
			if n > l.maxBulk {
				return m.Fail(wrap("length", pos, ErrBulkTooLarge))
			}
			m.Attrs.Add(AttrType, parser.StringValue(t.Name()))
			m.Attrs.Add(AttrLength, parser.IntValue(int64(n)))
			if t == TypeBlobError {
				end := next + n
				if end > len(b) {
					end = len(b)
				}
				setError(m, b[next:end])
			}
		}
	case TypeArray, TypeSet, TypeMap, TypePush:
		n, next, err := l.readLen(b, pos+1, t != TypePush)
		if err != nil {
			return p.fail(m, "count", pos, err)
		}
		switch {
		case n == -1 && t == TypeArray:
			m.Attrs.Add(AttrType, parser.StringValue("null"))
		case n == lenStreamed:
			m.Attrs.Add(AttrType, parser.StringValue(t.Name()))
		case n < 0:
			return m.Fail(wrap("count", pos, ErrBadLength))
		case n > l.maxElements:
			return m.Fail(wrap("count", pos, ErrTooManyElements))
		default:
			m.Attrs.Add(AttrType, parser.StringValue(t.Name()))
			m.Attrs.Add(AttrElements, parser.IntValue(int64(n)))
			if (t == TypeArray || t == TypePush) && n > 0 {
				p.pubsub(m, t, b, next, n)
			}
		}
	default:
		return m.Fail(wrap("type", pos, ErrBadType))
	}
	switch {
	case valid:
		end = len(b)
	case end < 0:
		var err error
		if end, err = l.scan(b, start, 1); err != nil {
			return p.fail(m, "value", end, err)
		}
	}
	if end != len(b) {
		return m.Fail(wrap("value", end, ErrTrailing))
	}
	m.Advance(end)
	return true, true
}

// fail reports err: a short message whose head was read is kept as a
// Truncated reply (its attributes are what arrived); anything else fails.
func (p *proto) fail(m *parser.Message, field string, off int, err error) (ok, complete bool) {
	if err == errShort {
		if m.Attrs.Has(AttrType) {
			m.Flags |= parser.Truncated
			m.Err = wrap(field, len(m.Rest()), parser.ErrShort)
			m.Advance(len(m.Rest()))
			return true, true
		}
		return m.Fail(wrap(field, len(m.Rest()), parser.ErrShort))
	}
	return m.Fail(wrap(field, off, err))
}

// simpleState follows MONITOR and RESET, whose simple-string replies change
// how later replies pair: after MONITOR's +OK the server streams one line
// per command it executes ("1700000000.123456 [0 127.0.0.1:5000] \"GET\"
// \"k\""), which answer nothing; RESET ends that and pub/sub. It reports
// whether line is such a feed line.
func (p *proto) simpleState(m *parser.Message, st *State, line []byte) (feed bool) {
	if st.monitor && isMonitorLine(line) {
		m.Flags |= parser.Unsolicited
		m.Attrs.SetString(AttrPush, "monitor")
		return true
	}
	if st.modeRequests == 0 || m.Request == nil {
		return false // no MONITOR or RESET waiting for its reply: skip the lookup
	}
	switch cmd, _ := m.Request.UnsafeString(AttrCommand); cmd {
	case "MONITOR":
		st.modeRequests--
		st.monitor = string(line) == "OK"
	case "RESET":
		st.modeRequests--
		st.monitor, st.subscribed, st.extra = false, false, 0
	}
	return false
}

// simpleText is the value of AttrSimple for a simple string's text: a
// stable constant for the replies servers send all the time (so a reader
// keeps it without a copy), the message bytes otherwise.
func simpleText(line []byte) parser.Value {
	switch string(line) { // no allocation: the conversion is only compared
	case "OK":
		return parser.StringValue("OK")
	case "QUEUED":
		return parser.StringValue("QUEUED")
	case "PONG":
		return parser.StringValue("PONG")
	case "RESET":
		return parser.StringValue("RESET")
	case "none": // TYPE's replies
		return parser.StringValue("none")
	case "string":
		return parser.StringValue("string")
	case "list":
		return parser.StringValue("list")
	case "set":
		return parser.StringValue("set")
	case "zset":
		return parser.StringValue("zset")
	case "hash":
		return parser.StringValue("hash")
	case "stream":
		return parser.StringValue("stream")
	}
	return parser.UnsafeStringValue(line)
}

// isMonitorLine reports whether a simple string is a MONITOR feed line:
// "<seconds>.<micros> [".
func isMonitorLine(b []byte) bool {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(b) || b[i] != '.' {
		return false
	}
	i++
	j := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i > j && i+1 < len(b) && b[i] == ' ' && b[i+1] == '['
}

// setError sets the error text and, when the first word is an upper-case
// code, the error prefix.
func setError(m *parser.Message, text []byte) {
	m.Attrs.SetBytesString(AttrError, text)
	i := 0
	for i < len(text) {
		c := text[i]
		if c == ' ' {
			break
		}
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return
		}
		i++
	}
	if i > 0 && text[0] >= 'A' && text[0] <= 'Z' {
		m.Attrs.SetBytesString(AttrErrorPrefix, text[:i])
	}
}

// pubsub decides whether an array or push reply is a pub/sub message or
// confirmation, and whether it answers the pending request.
//
// A RESP3 push ('>') never answers a request, except the (un)subscribe
// confirmation of a pending (UN)SUBSCRIBE. A RESP2 array is a pub/sub
// message only on a connection in subscribed mode (or answering an
// (UN)SUBSCRIBE, or with no request pending): elsewhere ["message", x, y]
// is just the reply to, say, LRANGE. A SUBSCRIBE of N channels gets N
// confirmations: the first answers it, the other N-1 are Unsolicited.
func (p *proto) pubsub(m *parser.Message, t Type, b []byte, pos, n int) {
	st, _ := m.State.(*State)
	reqCmd := ""
	if m.Request != nil {
		reqCmd, _ = m.Request.UnsafeString(AttrCommand)
	}
	if t == TypeArray {
		subscribed := st != nil && st.subscribed
		if !subscribed && !isPubSubCommand(reqCmd) && m.Request != nil {
			return
		}
	}
	first, next, ok := p.l.stringAt(b, pos)
	if !ok {
		if t == TypePush {
			m.Flags |= parser.Unsolicited
		}
		return
	}
	kind, elems := classifyPush(first)
	if t == TypeArray && (kind == pushOther || n != elems) {
		return // an ordinary array reply
	}
	m.Attrs.SetBytesString(AttrPush, first)
	switch kind {
	case pushMessage, pushOther:
		m.Flags |= parser.Unsolicited
		return
	}
	// A confirmation: [kind, channel, subscription count].
	answers := false
	switch {
	case st != nil && st.extra > 0 && st.extraKind == kind:
		st.extra--
	case st != nil && st.extra < 0 && st.extraKind == kind && reqCmd != kind.confirms():
	case reqCmd == kind.confirms():
		answers = true
		if st != nil {
			st.extraKind = kind
			st.extra = 0
			if nargs, ok := m.Request.Int(AttrArgs); ok {
				st.extra = int(nargs) - 1
				if nargs == 0 {
					st.extra = -1 // argless UNSUBSCRIBE: one per current subscription
				}
			}
		}
	}
	if !answers {
		m.Flags |= parser.Unsolicited
	}
	if st != nil && n == 3 {
		// Skip the channel (bulk or null) to reach the subscription count.
		if e, err := p.l.scan(b, next, 1); err == nil && e < len(b) && b[e] == byte(TypeInteger) {
			if le, err := p.l.lineEnd(b, e+1); err == nil {
				if c, ok := atoi(b[e+1 : le]); ok {
					st.subscribed = c > 0
					if c == 0 && st.extra < 0 {
						st.extra = 0
					}
				}
			}
		}
	}
}

// stringAt reads a bulk or simple string at pos, returning its payload and
// the position after it.
func (l *limits) stringAt(b []byte, pos int) ([]byte, int, bool) {
	if pos >= len(b) {
		return nil, pos, false
	}
	switch Type(b[pos]) {
	case TypeBulk:
		n, next, err := l.readLen(b, pos+1, false)
		if err != nil || n < 0 || next+n+2 > len(b) {
			return nil, pos, false
		}
		return b[next : next+n], next + n + 2, true
	case TypeSimple:
		e, err := l.lineEnd(b, pos+1)
		if err != nil {
			return nil, pos, false
		}
		return b[pos+1 : e], e + 2, true
	}
	return nil, pos, false
}
