package redis

import (
	"bytes"

	"github.com/wirekit/wirekit/parser"
)

// A request is what redis-server reads from a client: a RESP array of bulk
// strings ("*3\r\n$3\r\nSET\r\n..."), or an inline command, a text line
// split on spaces with redis-cli style quoting ("SET k \"a b\"\n").
// Everything else is a protocol error, as it is to the server.

// requestLen frames one request at the start of b. It returns its length;
// skip is true for requests the server ignores without a reply (an empty
// array "*0", "*-1", or a blank inline line), which carry no command. When
// b ends first it returns errShort with a lower bound on the length the
// request needs (see limits.scan). When a is not nil the arguments of an
// array request are recorded in it as they are scanned (see argList), so
// the parser need not scan them again.
func (l *limits) requestLen(b []byte, a *argList) (n int, skip bool, err error) {
	if a != nil {
		a.msg, a.l, a.n, a.avail, a.inline = b, l, 0, 0, false
	}
	if len(b) == 0 {
		return 1, false, errShort
	}
	if b[0] != byte(TypeArray) {
		if a != nil {
			a.inline = true
		}
		e, err := l.inlineEnd(b)
		if err != nil {
			return len(b) + 1, false, err
		}
		return e, isBlank(b[:e]), nil
	}
	count, pos, err := l.readLen(b, 1, false)
	if err != nil {
		return len(b) + 1, false, err
	}
	if count <= 0 {
		return pos, true, nil
	}
	if count > l.maxElements {
		return 0, false, ErrTooManyElements
	}
	if a != nil {
		a.n = count
	}
	for i := 0; i < count; i++ {
		var next, size int
		if pos >= len(b) {
			err = errShort
		} else if b[pos] != byte(TypeBulk) {
			return pos, false, ErrBadType
		} else if pos+3 < len(b) && b[pos+2] == '\r' && b[pos+3] == '\n' && b[pos+1]-'0' <= 9 {
			// "$N\r\n" with one digit, inline: most arguments are short.
			size, next = int(b[pos+1]-'0'), pos+4
		} else {
			size, next, err = l.readLen(b, pos+1, false)
		}
		if err == nil && pos < len(b) {
			if size < 0 {
				return pos, false, ErrBadLength
			}
			start := next
			if next, err = l.skipBlob(b, next, size); err == nil && a != nil {
				if i < argCache {
					a.cache[i] = span{start: int32(start), end: int32(start + size)}
				} else if i == argCache {
					a.curIdx, a.curPos = argCache, pos
				}
				a.avail++
			}
		}
		if err == errShort {
			// Every argument still to come takes at least "$0\r\n\r\n".
			return max(next, len(b)+1) + 6*(count-i-1), false, err
		}
		if err != nil {
			return pos, false, err
		}
		pos = next
	}
	return pos, false, nil
}

// inlineEnd returns the length of the inline command line at the start of
// b, its LF included.
func (l *limits) inlineEnd(b []byte) (int, error) {
	rest := b
	if len(rest) > l.maxInline {
		rest = rest[:l.maxInline]
	}
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		if len(b) >= l.maxInline {
			return 0, ErrLineTooLong
		}
		return 0, errShort
	}
	return i + 1, nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// isSpace is C isspace, which redis's sdssplitargs splits inline commands on.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// argCache is how many argument positions argList remembers; later
// arguments are found by walking on from the last one read.
const argCache = 16

// span is an argument's payload within the message.
type span struct {
	start, end int32
	decode     bool // inline token with quotes or escapes: arg decodes (allocating)
}

// argList gives the request parser and the key finder random access to the
// arguments of one request without allocating: the first argCache
// positions are cached, later ones are found by walking forward.
type argList struct {
	msg    []byte
	l      *limits
	n      int // argument count, the command name included
	avail  int // arguments wholly present (less than n for a truncated message)
	inline bool
	cache  [argCache]span
	// cursor: the argument curIdx starts at curPos (walks beyond the cache)
	curIdx, curPos int
}

// count is the number of arguments, the command name included.
func (a *argList) count() int { return a.n }

// arg returns argument i (0 is the command name), nil when it is absent.
// Inline arguments with quotes or escapes are decoded into a new slice.
func (a *argList) arg(i int) []byte {
	if i < 0 || i >= a.avail {
		return nil
	}
	var s span
	if i < argCache {
		s = a.cache[i]
	} else {
		if i < a.curIdx {
			a.curIdx, a.curPos = argCache, int(a.cache[argCache-1].end)
			if !a.inline {
				a.curPos += 2
			}
		}
		for {
			var ok bool
			s, a.curPos, ok = a.next(a.curPos)
			if !ok {
				return nil
			}
			a.curIdx++
			if a.curIdx-1 == i {
				break
			}
		}
	}
	if s.decode {
		return decodeInline(a.msg[s.start:s.end])
	}
	return a.msg[s.start:s.end]
}

// next reads the argument at pos (already validated by load).
func (a *argList) next(pos int) (span, int, bool) {
	if a.inline {
		start, end, next, decode, err := inlineToken(a.msg, pos)
		if err != nil || start == end && next == pos {
			return span{}, pos, false
		}
		return span{int32(start), int32(end), decode}, next, true
	}
	size, p, err := a.l.readLen(a.msg, pos+1, false)
	if err != nil || p+size+2 > len(a.msg) {
		return span{}, pos, false
	}
	return span{start: int32(p), end: int32(p + size)}, p + size + 2, true
}

// load validates the request in msg and fills a. On errShort a is filled
// with the arguments wholly present (a.n is the announced count for an
// array, a.avail how many arrived).
func (a *argList) load(l *limits, msg []byte) error {
	n, _, err := l.requestLen(msg, a)
	if a.inline {
		if err != nil && err != errShort {
			return err
		}
		a.inline = false
		return a.loadInline(l, msg)
	}
	if err != nil {
		return err
	}
	if n != len(msg) {
		return ErrTrailing
	}
	return nil
}

// loadInline tokenizes an inline command line.
func (a *argList) loadInline(l *limits, msg []byte) error {
	a.msg, a.l, a.n, a.avail, a.inline = msg, l, 0, 0, true
	line := msg
	if len(line) > l.maxInline {
		return ErrLineTooLong
	}
	if i := bytes.IndexByte(line, '\n'); i >= 0 && i != len(line)-1 {
		return ErrTrailing
	}
	pos := 0
	for {
		start, end, next, decode, err := inlineToken(line, pos)
		if err != nil {
			return err
		}
		if next == pos { // only spaces left
			break
		}
		if a.n < argCache {
			a.cache[a.n] = span{int32(start), int32(end), decode}
		}
		if a.n == argCache {
			a.curIdx, a.curPos = argCache, pos
		}
		a.n++
		a.avail++
		pos = next
	}
	if line[len(line)-1] != '\n' {
		return errShort
	}
	return nil
}

// inlineToken finds the next token at or after pos, with the rules of
// redis's sdssplitargs: tokens are separated by spaces; "..." may hold
// escapes (\n, \xHH ...) and '...' may hold \'; a closing quote must be
// followed by a space or the end. It returns the raw token bounds, the
// position after it, and whether the token needs decoding. At the end of
// the line it returns next == pos.
func inlineToken(b []byte, pos int) (start, end, next int, decode bool, err error) {
	i := pos
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) {
		return i, i, pos, false, nil
	}
	start = i
	inq, insq := false, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case inq:
			if c == '\\' && i+1 < len(b) {
				i++
			} else if c == '"' {
				if i+1 < len(b) && !isSpace(b[i+1]) {
					return 0, 0, 0, false, ErrUnbalancedQuotes
				}
				inq = false
			}
		case insq:
			if c == '\\' && i+1 < len(b) && b[i+1] == '\'' {
				i++
			} else if c == '\'' {
				if i+1 < len(b) && !isSpace(b[i+1]) {
					return 0, 0, 0, false, ErrUnbalancedQuotes
				}
				insq = false
			}
		case isSpace(c) || c == 0:
			return start, i, i, decode, nil
		case c == '"':
			inq, decode = true, true
		case c == '\'':
			insq, decode = true, true
		}
	}
	if inq || insq {
		return 0, 0, 0, false, ErrUnbalancedQuotes
	}
	return start, i, i, decode, nil
}

// decodeInline returns the value of a quoted inline token (allocating: the
// rare path of a hand-typed quoted argument).
func decodeInline(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inq, insq := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inq:
			if c == '\\' && i+1 < len(b) {
				i++
				switch e := b[i]; e {
				case 'n':
					out = append(out, '\n')
				case 'r':
					out = append(out, '\r')
				case 't':
					out = append(out, '\t')
				case 'b':
					out = append(out, '\b')
				case 'a':
					out = append(out, '\a')
				case 'x':
					if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
						out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
						i += 2
					} else {
						out = append(out, 'x')
					}
				default:
					out = append(out, e)
				}
			} else if c == '"' {
				inq = false
			} else {
				out = append(out, c)
			}
		case insq:
			if c == '\\' && i+1 < len(b) && b[i+1] == '\'' {
				out = append(out, '\'')
				i++
			} else if c == '\'' {
				insq = false
			} else {
				out = append(out, c)
			}
		case c == '"':
			inq = true
		case c == '\'':
			insq = true
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// setUpper sets key to b with ASCII letters upper-cased (other bytes kept
// as they are, valid UTF-8 or not): aliasing b when it already is upper
// case (the common case), else an upper-cased copy.
func setUpper(attrs *parser.Attributes, key string, b []byte) {
	for _, c := range b {
		if 'a' <= c && c <= 'z' {
			attrs.SetString(key, asciiUpper(b))
			return
		}
	}
	attrs.SetBytesString(key, b)
}

// asciiUpper returns b with ASCII letters upper-cased, as a new string.
func asciiUpper(b []byte) string {
	u := make([]byte, len(b))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		u[i] = c
	}
	return string(u)
}

// parseRequest is the request tree's node: it reads the command, its
// subcommand, first key and argument count, and applies CLIENT REPLY.
func (p *proto) parseRequest(m *parser.Message) (ok, complete bool) {
	msg := m.Rest()
	st, _ := m.State.(*State)
	if a := st.framedArgs(msg); a != nil {
		// The framer just scanned this very request: reuse its work.
		return p.request(m, msg, st, a, nil)
	}
	return p.loadRequest(m, msg, st)
}

// loadRequest scans a request the framer did not hand over.
func (p *proto) loadRequest(m *parser.Message, msg []byte, st *State) (ok, complete bool) {
	var a argList
	err := a.load(&p.l, msg)
	return p.request(m, msg, st, &a, err)
}

// request sets the attributes of a scanned request.
func (p *proto) request(m *parser.Message, msg []byte, st *State, a *argList, err error) (ok, complete bool) {
	switch {
	case err == errShort:
		if a.avail == 0 {
			return m.Fail(wrap("request", len(msg), parser.ErrShort))
		}
		m.Flags |= parser.Truncated
		m.Err = wrap("request", len(msg), parser.ErrShort)
	case err != nil:
		return m.Fail(wrap("request", 0, err))
	case a.n == 0:
		// "*0", "*-1" or a blank line: the server ignores it and sends
		// nothing back.
		m.Flags |= parser.OneWay
		m.Advance(len(msg))
		return true, true
	}
	name := a.arg(0)
	var cmd *cmdInfo
	if st != nil && st.lastCmd != nil && equalFold(st.lastCmd.name, name) {
		cmd = st.lastCmd // pipelines repeat commands: skip the hash lookup
	} else if cmd = lookupCommand(name); st != nil && cmd != nil {
		st.lastCmd, st.lastKeyArgc = cmd, 0
	}
	// Each key is set once per message by this single node: Add, not Set.
	if cmd != nil {
		m.Attrs.Add(AttrCommand, parser.StringValue(cmd.name))
	} else {
		setUpper(&m.Attrs, AttrCommand, name)
	}
	m.Attrs.Add(AttrArgs, parser.IntValue(int64(a.n-1)))
	if a.inline {
		m.Attrs.Add(AttrInline, parser.BoolValue(true))
	}
	if cmd != nil {
		if cmd.flags&flagContainer != 0 && a.avail > 1 {
			sub := a.arg(1)
			if s := cmd.lookupSub(sub); s != nil {
				m.Attrs.Add(AttrSubcommand, parser.StringValue(s.name))
			} else {
				setUpper(&m.Attrs, AttrSubcommand, sub)
			}
		}
		var k int
		if st != nil && st.lastKeyArgc == a.n && st.lastCmd == cmd {
			k = st.lastKey // same command, same argument count: same key position
		} else {
			var fixed bool
			k, fixed = keyPosFixed(cmd, a)
			if st != nil && fixed && st.lastCmd == cmd {
				st.lastKey, st.lastKeyArgc = k, a.n
			}
		}
		if k > 0 && k < a.avail {
			m.Attrs.Add(AttrKey, parser.StringValue(parser.UnsafeString(a.arg(k))))
		}
		if st != nil && cmd.flags&flagConnState != 0 {
			switch cmd.name {
			case "CLIENT":
				st.clientReply(a)
			case "RESET":
				st.replyOff, st.skip = false, 0 // RESET turns CLIENT REPLY back on
				st.modeRequests++
			case "MONITOR":
				st.modeRequests++
			}
		}
	}
	if st != nil && st.noReply() {
		m.Flags |= parser.OneWay
	}
	m.Advance(len(msg))
	return true, true
}

// fastFailRequest rules out bytes that cannot start a request: an array
// must be "*" then a digit or '-'; anything else is an inline command,
// which must start with a printable ASCII byte, a space or a tab.
func fastFailRequest(m *parser.Message) bool {
	b := m.Data
	if len(b) == 0 {
		return true
	}
	if b[0] == '*' {
		return len(b) > 1 && (b[1] < '0' || b[1] > '9') && b[1] != '-'
	}
	return (b[0] < ' ' && b[0] != '\t') || b[0] >= 0x7f
}
