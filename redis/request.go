package redis

import (
	"bytes"
	"encoding/binary"

	"github.com/wirekit/wirekit/internal/ascii"
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
	if a != nil { // (only a framer without State passes none)
		if n, ok := l.shortRequestLen(b, a); ok {
			return n, false, nil
		}
	}
	return l.anyRequestLen(b, a, nil)
}

// reqScan is where the scan of an incomplete request array stopped: at
// argument i, whose header starts at pos, of count; need is the length b
// must reach before that argument can be complete (the bytes before it
// are payload no scan looks at).
type reqScan struct {
	active              bool
	i, pos, count, need int
}

// anyRequestLen is requestLen for every request shortRequestLen declines.
// With rs it resumes the array scan rs recorded (a holding what that scan
// found) and, when b ends first again, records where it stopped.
func (l *limits) anyRequestLen(b []byte, a *argList, rs *reqScan) (n int, skip bool, err error) {
	if rs != nil && rs.active {
		if a != nil {
			a.msg = b
		}
		return l.arrayFrom(b, a, rs, rs.i, rs.pos, rs.count)
	}
	if a != nil {
		a.msg, a.l, a.n, a.avail, a.plain, a.inline = b, l, 0, 0, 0, false
	}
	if len(b) == 0 {
		return 1, false, errShort
	}
	if b[0] != byte(TypeArray) {
		if a != nil {
			a.inline = true
		}
		e, err := l.inlineEnd(b)
		if err == errShort {
			return len(b) + 1, false, err
		} else if err != nil {
			return l.maxInline, false, err
		}
		return e, isBlank(b[:e]), nil
	}
	count, pos, err := l.readLen(b, 1, false)
	if err == errShort {
		return len(b) + 1, false, err
	} else if err != nil {
		return 1, false, err // where the count is: the same offset whatever the chunking
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
	return l.arrayFrom(b, a, rs, 0, pos, count)
}

// arrayFrom scans a request array's arguments from argument i0 at pos.
func (l *limits) arrayFrom(b []byte, a *argList, rs *reqScan, i0, pos, count int) (n int, skip bool, err error) {
	for i := i0; i < count; i++ {
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
					a.plain++
				} else if i == argCache {
					a.curIdx, a.curPos = argCache, pos
				}
				a.avail++
			}
		}
		if err == errShort {
			if rs != nil {
				// Resume at this argument; until b reaches its end no
				// byte to check can have arrived.
				*rs = reqScan{active: true, i: i, pos: pos, count: count, need: max(next, len(b)+1)}
			}
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

// shortRequestLen frames, in one tight pass, the request clients send
// nearly always: an array of 1 to 9 bulk strings of under 100 bytes each,
// wholly in b, within the limits, with its arguments recorded in a (not
// nil) as requestLen records them. It reports false for anything else,
// and requestLen then frames b the general way, which finds the same
// length and arguments for what this accepts, and the right error or
// "need more" for the rest; FuzzShortRequestLen checks that they agree.
//
// CRLFs are checked as 16-bit words; a header is "$", one or two digits,
// CRLF. (Loading a whole header as one word measured slower: it lengthens
// the chain of loads from one argument's position to the next.)
func (l *limits) shortRequestLen(b []byte, a *argList) (int, bool) {
	if len(b) < 4 || b[0] != '*' || binary.LittleEndian.Uint16(b[2:4]) != crlf {
		return 0, false
	}
	count := int(b[1]) - '0'
	if uint(count-1) > 8 /* 1 to 9 */ || count > l.maxElements || l.maxBulk < 99 {
		return 0, false
	}
	pos := 4
	for i := 0; i < count; i++ {
		if pos+4 > len(b) || b[pos] != '$' {
			return 0, false
		}
		size, start := int(b[pos+1])-'0', pos+4
		if uint(size) > 9 {
			return 0, false
		}
		if binary.LittleEndian.Uint16(b[pos+2:pos+4]) != crlf {
			d := int(b[pos+2]) - '0'
			if pos+5 > len(b) || binary.LittleEndian.Uint16(b[pos+3:pos+5]) != crlf || uint(d) > 9 {
				return 0, false
			}
			size, start = size*10+d, pos+5
		}
		end := start + size
		if end+2 > len(b) || binary.LittleEndian.Uint16(b[end:end+2]) != crlf {
			return 0, false
		}
		a.cache[i&(argCache-1)] = span{start: int32(start), end: int32(end)}
		pos = end + 2
	}
	if pos > l.maxMessage {
		return 0, false
	}
	a.msg, a.l, a.n, a.avail, a.plain, a.inline = b, l, count, count, count, false
	return pos, true
}

// inlineFrom is requestLen for an inline request of which data[:from]
// is known to hold no LF: it searches on from there. It answers what
// requestLen does (it defers to it when the line may be over MaxInline).
func (l *limits) inlineFrom(b []byte, from int, a *argList) (n int, skip bool, err error) {
	if len(b) >= l.maxInline || from >= len(b) {
		return l.requestLen(b, a)
	}
	if a != nil {
		a.msg, a.l, a.n, a.avail, a.plain, a.inline = b, l, 0, 0, 0, true
	}
	i := bytes.IndexByte(b[from:], '\n')
	if i < 0 {
		return len(b) + 1, false, errShort
	}
	e := from + i + 1
	return e, isBlank(b[:e]), nil
}

// crlf is "\r\n" read as a little-endian 16-bit word.
const crlf = '\n'<<8 | '\r'

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

// span is an argument's payload within the message: msg[start:end], or,
// for an inline token with quotes or escapes, which arg decodes
// (allocating), msg[start:^end]. The flag rides in end's sign so that a
// span is one 8-byte word, which the framer stores once per argument.
type span struct{ start, end int32 }

// inlineSpan is the span of an inline token.
func inlineSpan(start, end int, decode bool) span {
	if decode {
		return span{int32(start), ^int32(end)}
	}
	return span{int32(start), int32(end)}
}

// decodes reports whether the span is an inline token needing decoding.
func (s span) decodes() bool { return s.end < 0 }

// stop is the end of the span's bytes.
func (s span) stop() int {
	if s.end < 0 {
		return int(^s.end)
	}
	return int(s.end)
}

// argList gives the request parser and the key finder random access to the
// arguments of one request without allocating: the first argCache
// positions are cached, later ones are found by walking forward.
type argList struct {
	msg    []byte
	l      *limits
	n      int // argument count, the command name included
	avail  int // arguments wholly present (less than n for a truncated message)
	plain  int // arguments cache holds that need no decoding: all of an array's
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
	if b, ok := a.cached(i); ok {
		return b
	}
	if i < 0 || i >= a.avail {
		return nil
	}
	var s span
	if i < argCache {
		s = a.cache[i]
	} else {
		if i < a.curIdx {
			a.curIdx, a.curPos = argCache, a.cache[argCache-1].stop()
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
	if s.decodes() {
		return decodeInline(a.msg[s.start:s.stop()])
	}
	return a.msg[s.start:s.end]
}

// cached is arg for the arguments nearly every request asks for: those in
// the cache that need no decoding. It is small enough to be inlined, which
// arg is not, so the request parser's hot path calls it first; ok is false
// for the other arguments.
//
// The slice's capacity runs to the end of the message's bytes, no further
// (nameWord reads within it).
func (a *argList) cached(i int) (b []byte, ok bool) {
	if uint(i) < uint(a.plain) {
		s := a.cache[i&(argCache-1)]
		return a.msg[s.start:s.end:len(a.msg)], true
	}
	return nil, false
}

// next reads the argument at pos (already validated by load).
func (a *argList) next(pos int) (span, int, bool) {
	if a.inline {
		start, end, next, decode, err := inlineToken(a.msg, pos)
		if err != nil || start == end && next == pos {
			return span{}, pos, false
		}
		return inlineSpan(start, end, decode), next, true
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
	a.msg, a.l, a.n, a.avail, a.plain, a.inline = msg, l, 0, 0, 0, true
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
			a.cache[a.n] = inlineSpan(start, end, decode)
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
					if i+2 < len(b) && ascii.IsHex(b[i+1]) && ascii.IsHex(b[i+2]) {
						out = append(out, ascii.Unhex(b[i+1])<<4|ascii.Unhex(b[i+2]))
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
	st, _ := m.State.(*State)
	return p.loadRequest(m, m.Rest(), st)
}

// loadRequest scans a request the framer did not hand over.
func (p *proto) loadRequest(m *parser.Message, msg []byte, st *State) (ok, complete bool) {
	var a argList
	err := a.load(&p.l, msg)
	return p.request(m, msg, st, &a, err)
}

// request sets the attributes of a scanned request. It is the hot path of
// every request, so what most requests skip (errors, containers, commands
// that change the connection's state, unknown names) is out of line.
func (p *proto) request(m *parser.Message, msg []byte, st *State, a *argList, err error) (ok, complete bool) {
	if err != nil || a.n == 0 {
		if ok, done := oddRequest(m, msg, a, err); done {
			return ok, ok
		}
	}
	requestAttrs(m, st, a)
	m.Advance(len(msg))
	return true, true
}

// requestAttrs sets the attributes of a request whose arguments a holds
// and applies what it does to the connection's state (st, may be nil).
func requestAttrs(m *parser.Message, st *State, a *argList) {
	name, ok := a.cached(0)
	if !ok {
		name = a.arg(0)
	}
	// Pipelines repeat commands, most often spelled the same way: try the
	// last one before the hash lookup.
	var cmd *cmdInfo
	if w, ok := nameWord(name); ok && st != nil && len(name) == st.lastNameLen && w == st.lastName {
		cmd = st.lastCmd
	} else if st != nil && st.lastCmd != nil && equalFold(st.lastCmd.name, name) {
		cmd = st.lastCmd
		st.lastName, st.lastNameLen = w, len(name)*btoi(ok)
	} else if cmd = st.command(name); cmd == nil {
		unknownCommand(m, a)
		st.reply(m)
		return
	}
	// Each key is set once per message by this single node: Add, not Set.
	m.Attrs.Add(AttrCommand, parser.StringValue(cmd.name))
	m.Attrs.Add(AttrArgs, parser.IntValue(int64(a.n-1)))
	if cmd.flags&(flagContainer|flagConnState) != 0 || a.inline {
		st.special(m, cmd, a)
	}
	k := 0
	if st != nil && st.lastKeyArgc == a.n && st.lastCmd == cmd {
		k = st.lastKey // same command, same argument count: same key position
	} else {
		k = st.keyPos(cmd, a)
	}
	if k > 0 && k < a.avail {
		key, ok := a.cached(k)
		if !ok {
			key = a.arg(k)
		}
		m.Attrs.Add(AttrKey, parser.UnsafeStringValue(key))
	}
	if st != nil && (st.skip > 0 || st.replyOff) {
		st.reply(m)
	}
}

// reply marks m OneWay when the server will not answer it (CLIENT REPLY).
func (s *State) reply(m *parser.Message) {
	if s != nil && s.noReply() {
		m.Flags |= parser.OneWay
	}
}

// oddRequest handles a request that did not scan whole or has no command.
// done reports whether that settles it (with ok), else the request goes on
// as a truncated one.
func oddRequest(m *parser.Message, msg []byte, a *argList, err error) (ok, done bool) {
	switch {
	case err == errShort:
		if a.avail == 0 {
			m.Fail(wrap("request", len(msg), parser.ErrShort))
			return false, true
		}
		m.Flags |= parser.Truncated
		m.Err = wrap("request", len(msg), parser.ErrShort)
		return true, false
	case err != nil:
		m.Fail(wrap("request", 0, err))
		return false, true
	}
	// "*0", "*-1" or a blank line: the server ignores it and sends
	// nothing back.
	m.Flags |= parser.OneWay
	m.Advance(len(msg))
	return true, true
}

// unknownCommand sets the attributes of a request whose name is no
// command redis-server knows.
func unknownCommand(m *parser.Message, a *argList) {
	setUpper(&m.Attrs, AttrCommand, a.arg(0))
	m.Attrs.Add(AttrArgs, parser.IntValue(int64(a.n-1)))
	if a.inline {
		m.Attrs.Add(AttrInline, parser.BoolValue(true))
	}
}

// command looks up the command named name (nil when unknown) and makes it
// the last command.
func (s *State) command(name []byte) *cmdInfo {
	cmd := lookupCommand(name)
	if s != nil && cmd != nil {
		s.lastCmd, s.lastKeyArgc = cmd, 0
		w, ok := nameWord(name)
		s.lastName, s.lastNameLen = w, len(name)*btoi(ok)
	}
	return cmd
}

// nameWord packs a command name of 1 to 8 bytes into a word, reading the
// 8 bytes at its start (the bytes after it are masked off): ok is false
// when the name is longer, empty, or its slice's capacity ends before 8
// bytes (a command alone at the end of a buffer). The name comes from
// argList.cached, whose capacity ends with the message's bytes, so the
// bytes read are the caller's, never memory beyond what it handed over.
func nameWord(b []byte) (w uint64, ok bool) {
	if len(b) == 0 || len(b) > 8 || cap(b) < 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:8]) & (^uint64(0) >> (64 - 8*len(b))), true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// keyPos returns the position of cmd's first key in a (see keyPosFixed),
// remembered for the next request with the same command and argument
// count when it depends on nothing else.
func (s *State) keyPos(cmd *cmdInfo, a *argList) int {
	k, fixed := keyPosFixed(cmd, a)
	if s != nil && fixed && s.lastCmd == cmd {
		s.lastKey, s.lastKeyArgc = k, a.n
	}
	return k
}

// special sets what only some requests have: the inline flag, the
// subcommand of a container command, and the connection state a command
// changes.
func (s *State) special(m *parser.Message, cmd *cmdInfo, a *argList) {
	if a.inline {
		m.Attrs.Add(AttrInline, parser.BoolValue(true))
	}
	if cmd.flags&flagContainer != 0 && a.avail > 1 {
		sub := a.arg(1)
		if c := cmd.lookupSub(sub); c != nil {
			m.Attrs.Add(AttrSubcommand, parser.StringValue(c.name))
		} else {
			setUpper(&m.Attrs, AttrSubcommand, sub)
		}
	}
	if s != nil && cmd.flags&flagConnState != 0 {
		switch cmd.name {
		case "CLIENT":
			s.clientReply(a)
		case "RESET":
			s.replyOff, s.skip = false, 0 // RESET turns CLIENT REPLY back on
			s.modeRequests++
		case "MONITOR":
			s.modeRequests++
		}
	}
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
