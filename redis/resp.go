package redis

import (
	"bytes"
	"errors"

	"github.com/wirekit/wirekit/internal/limit"
)

// Type is a RESP value type, identified by its first byte on the wire.
type Type byte

// RESP2 and RESP3 types.
const (
	TypeSimple    Type = '+' // simple string (RESP2)
	TypeError     Type = '-' // simple error (RESP2)
	TypeInteger   Type = ':' // integer (RESP2)
	TypeBulk      Type = '$' // bulk string; "$-1" is the RESP2 null (RESP2)
	TypeArray     Type = '*' // array; "*-1" is the RESP2 null array (RESP2)
	TypeNull      Type = '_' // null (RESP3)
	TypeBool      Type = '#' // boolean, "#t" or "#f" (RESP3)
	TypeDouble    Type = ',' // double (RESP3)
	TypeBigNumber Type = '(' // big number (RESP3)
	TypeBlobError Type = '!' // bulk error (RESP3)
	TypeVerbatim  Type = '=' // verbatim string, "txt:..." (RESP3)
	TypeMap       Type = '%' // map of N key/value pairs (RESP3)
	TypeSet       Type = '~' // set (RESP3)
	TypeAttribute Type = '|' // attribute map preceding a reply (RESP3)
	TypePush      Type = '>' // out-of-band push (RESP3)
	TypeStreamEnd Type = '.' // end of a streamed aggregate (RESP3)
	TypeChunk     Type = ';' // a chunk of a streamed string (RESP3)
)

// Name returns the type's name as used in the redis.type attribute:
// simple, error, integer, bulk, array, null, bool, double, bignum, verbatim,
// map, set, attribute, push; "" for a byte that is not a RESP type. Blob
// errors are named "error" like simple errors: both are error replies.
func (t Type) Name() string {
	switch t {
	case TypeSimple:
		return "simple"
	case TypeError, TypeBlobError:
		return "error"
	case TypeInteger:
		return "integer"
	case TypeBulk:
		return "bulk"
	case TypeArray:
		return "array"
	case TypeNull:
		return "null"
	case TypeBool:
		return "bool"
	case TypeDouble:
		return "double"
	case TypeBigNumber:
		return "bignum"
	case TypeVerbatim:
		return "verbatim"
	case TypeMap:
		return "map"
	case TypeSet:
		return "set"
	case TypeAttribute:
		return "attribute"
	case TypePush:
		return "push"
	}
	return ""
}

// String returns Name, or the byte quoted for an unknown type.
func (t Type) String() string {
	if n := t.Name(); n != "" {
		return n
	}
	return "Type(" + string(rune(t)) + ")"
}

// isValueStart reports whether c starts a RESP value.
func isValueStart(c byte) bool {
	switch Type(c) {
	case TypeSimple, TypeError, TypeInteger, TypeBulk, TypeArray, TypeNull, TypeBool,
		TypeDouble, TypeBigNumber, TypeBlobError, TypeVerbatim, TypeMap, TypeSet,
		TypeAttribute, TypePush:
		return true
	}
	return false
}

// Default limits; see Options.
const (
	DefaultMaxBulk     = 512 << 20 // redis-server's proto-max-bulk-len default
	DefaultMaxElements = 1 << 20
	DefaultMaxLine     = 64 << 10
	DefaultMaxInline   = 64 << 10 // redis-server's PROTO_INLINE_MAX_SIZE
	DefaultMaxMessage  = 1 << 30
	// MaxMessageLimit is the largest Options.MaxMessage: argument positions
	// are kept as 32-bit offsets.
	MaxMessageLimit = 1<<31 - 1
	// MaxStreamDepth is how deeply RESP3 streamed aggregates ("*?") may
	// nest. Counted aggregates nest without limit: they are scanned
	// iteratively with a counter, never recursively.
	MaxStreamDepth = 16
)

// Options are the limits applied to every length and count read from the
// wire. A zero field takes its default. Nothing is ever allocated from a
// wire length: the limits bound how much a caller is asked to buffer before
// a message is declared too large.
type Options struct {
	// MaxBulk caps a bulk string, blob error, verbatim string or
	// streamed-string chunk. Default DefaultMaxBulk (512 MiB).
	MaxBulk int
	// MaxElements caps the count of one aggregate (array, set, push; for
	// maps and attributes, the number of pairs). Default DefaultMaxElements
	// (1 Mi).
	MaxElements int
	// MaxLine caps simple strings, errors, numbers and length headers,
	// CRLF included. Default DefaultMaxLine (64 KiB).
	MaxLine int
	// MaxInline caps an inline command line. Default DefaultMaxInline (64 KiB).
	MaxInline int
	// MaxMessage caps a whole framed message. Default DefaultMaxMessage
	// (1 GiB); values above MaxMessageLimit are lowered to it.
	MaxMessage int
}

// limits are Options with defaults applied.
type limits struct {
	maxBulk, maxElements, maxLine, maxInline, maxMessage int
}

func (o Options) limits() limits {
	return limits{
		maxBulk:     limit.Or(o.MaxBulk, DefaultMaxBulk),
		maxElements: limit.Or(o.MaxElements, DefaultMaxElements),
		maxLine:     limit.Or(o.MaxLine, DefaultMaxLine),
		maxInline:   limit.Or(o.MaxInline, DefaultMaxInline),
		maxMessage:  min(limit.Or(o.MaxMessage, DefaultMaxMessage), MaxMessageLimit),
	}
}

// lenStreamed is what readLen returns for "?" (RESP3 streamed length).
const lenStreamed = -2

// readLen parses the length line of a header whose type byte is at b[pos-1]:
// "-1", "?" (when streamed allows it) or a non-negative decimal, then CRLF.
// It returns the length and the position after the CRLF.
func (l *limits) readLen(b []byte, pos int, streamed bool) (n, next int, err error) {
	i := pos
	// Fast path: one digit then CRLF, the common case of short arguments.
	if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' && b[i]-'0' <= 9 {
		return int(b[i] - '0'), i + 3, nil
	}
	if i >= len(b) {
		return 0, 0, errShort
	}
	switch b[i] {
	case '-':
		// Only "-1" (the RESP2 null) is a valid negative length.
		if i+1 >= len(b) {
			return 0, 0, errShort
		}
		if b[i+1] != '1' {
			return 0, 0, ErrBadLength
		}
		i += 2
		n = -1
	case '?':
		if !streamed {
			return 0, 0, ErrBadLength
		}
		i++
		n = lenStreamed
	default:
		start := i
		for i < len(b) {
			c := b[i]
			if c < '0' || c > '9' {
				break
			}
			if i-start >= 18 { // > 10^18: over every limit, and no int overflow
				return 0, 0, ErrBadLength
			}
			n = n*10 + int(c-'0')
			i++
		}
		if i == start {
			if i >= len(b) {
				return 0, 0, errShort
			}
			return 0, 0, ErrBadLength
		}
	}
	if i+1 >= len(b) {
		if i-pos > 20 {
			return 0, 0, ErrBadLength
		}
		return 0, 0, errShort
	}
	if b[i] != '\r' || b[i+1] != '\n' {
		return 0, 0, ErrBadLength
	}
	return n, i + 2, nil
}

// lineEnd returns the index of the CR of the CRLF ending the line that
// starts at pos. A lone LF or a CR not followed by LF inside the line is
// malformed.
func (l *limits) lineEnd(b []byte, pos int) (int, error) {
	// Most lines are short ("+OK", ":1", "$5"): look at a few bytes by hand
	// before paying for the IndexByte call.
	lim := pos + min(16, l.maxLine)
	for i := pos; i < len(b) && i < lim; i++ {
		if b[i] == '\n' {
			if i == pos || b[i-1] != '\r' {
				return 0, ErrNoCRLF
			}
			return i - 1, nil
		}
	}
	max := pos + l.maxLine
	rest := b[pos:]
	if len(rest) > l.maxLine {
		rest = rest[:l.maxLine]
	}
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		if len(b) >= max {
			return 0, ErrLineTooLong
		}
		return 0, errShort
	}
	if i == 0 || rest[i-1] != '\r' {
		return 0, ErrNoCRLF
	}
	return pos + i - 1, nil
}

// scan returns the position just after `pending` whole RESP values starting
// at pos (an attribute does not count as a value: it is followed by the one
// it annotates). When b ends first it returns errShort and, instead of a
// position, a lower bound on the length b must reach before the values can
// be complete (every value still expected takes at least 3 bytes), which
// lets a stream framer skip rescanning until that many bytes are buffered.
// Any other error is a protocol violation or a limit, returned with the
// offset where it was found. It never allocates: counted aggregates only
// add to a counter, streamed aggregates push the outer counter on a fixed
// stack of MaxStreamDepth.
func (l *limits) scan(b []byte, pos int, pending int) (int, error) {
	n, err := l.scanWith(b, pos, pending, nil, 0, nil)
	if err == errStreamed {
		// Rare: a RESP3 streamed aggregate. Scan again with a stack (kept
		// off the common path, which would otherwise zero it every call).
		var stack [MaxStreamDepth]int
		n, err = l.scanWith(b, pos, pending, &stack, 0, nil)
	}
	return n, err
}

// scanState is where a scan stopped short: the first value not yet
// complete (at pos), the values still expected counting it, and the
// streamed aggregates open around it.
type scanState struct {
	pos, pending, sp int
	// need is the length b must reach before the value at pos can be
	// complete: until then no byte that a scan checks can have arrived
	// (a bulk string's payload is not checked).
	need  int
	stack [MaxStreamDepth]int
}

// resumeScan is scan going on from s, the point where an earlier scan of
// a shorter b (the same bytes, fewer of them) stopped; when b ends first
// again it moves s to where this scan stopped. Each byte before s.pos is
// never looked at again, so scanning a message that arrives in many
// pieces costs about one scan of it. Its answers are scan's.
func (l *limits) resumeScan(b []byte, s *scanState) (int, error) {
	return l.scanWith(b, s.pos, s.pending, &s.stack, s.sp, s)
}

// errStreamed asks scan to retry with a stack for streamed aggregates.
var errStreamed = errors.New("redis: streamed aggregate")

// scanWith is scan; with a nil stack it stops at the first streamed
// aggregate with errStreamed.
// It starts inside sp streamed aggregates (on stack), and when b ends
// first records in rec (when not nil) where it stopped (see scanState).
func (l *limits) scanWith(b []byte, pos int, pending int, stack *[MaxStreamDepth]int, sp int, rec *scanState) (int, error) {
	for {
		if pending == 0 {
			if sp == 0 {
				return pos, nil
			}
			// Between the items of a streamed aggregate: either its end
			// marker or one more item.
			if pos+2 >= len(b) {
				rec.stop(pos, 0, sp, len(b)+1)
				return shortNeed(pos+3, 0, stackOf(stack, sp-1)), errShort
			}
			if b[pos] == byte(TypeStreamEnd) {
				if b[pos+1] != '\r' || b[pos+2] != '\n' {
					return pos, ErrNoCRLF
				}
				pos += 3
				sp--
				pending = stack[sp]
				continue
			}
			pending = 1
		}
		if pos >= len(b) {
			rec.stop(pos, pending, sp, len(b)+1)
			return shortNeed(pos+3, pending-1, stackOf(stack, sp)), errShort
		}
		if pos > l.maxMessage {
			return pos, ErrMessageTooLarge
		}
		t := Type(b[pos])
		var next int
		var err error
		switch t {
		case TypeSimple, TypeError, TypeInteger, TypeDouble, TypeBigNumber, TypeNull, TypeBool:
			var e int
			if e, err = l.lineEnd(b, pos+1); err != nil {
				break
			}
			switch t {
			case TypeNull:
				if e != pos+1 {
					return pos, ErrBadValue
				}
			case TypeBool:
				if e != pos+2 || (b[pos+1] != 't' && b[pos+1] != 'f') {
					return pos, ErrBadValue
				}
			case TypeInteger:
				if _, ok := atoi(b[pos+1 : e]); !ok {
					return pos, ErrBadValue
				}
			}
			pos = e + 2
			pending--
			continue
		case TypeBulk, TypeBlobError, TypeVerbatim:
			var n int
			if n, next, err = l.readLen(b, pos+1, t == TypeBulk); err != nil {
				break
			}
			switch {
			case n == -1 && t == TypeBulk:
			case n == lenStreamed:
				next, err = l.scanChunks(b, next)
			case n < 0:
				return pos, ErrBadLength
			default:
				body := next
				next, err = l.skipBlob(b, next, n)
				if err == nil && t == TypeVerbatim && (n < 4 || b[body+3] != ':') {
					return body, ErrBadValue
				}
			}
			if err != nil {
				break
			}
			pos = next
			pending--
			continue
		case TypeArray, TypeSet, TypeMap, TypePush, TypeAttribute:
			var n int
			if n, next, err = l.readLen(b, pos+1, t == TypeArray || t == TypeSet || t == TypeMap); err != nil {
				break
			}
			if n > l.maxElements {
				return pos, ErrTooManyElements
			}
			if t != TypeAttribute {
				pending-- // an attribute precedes the value it annotates
			}
			pos = next
			switch {
			case n == lenStreamed:
				if stack == nil {
					return pos, errStreamed
				}
				if sp == len(stack) {
					return pos, ErrTooDeep
				}
				stack[sp] = pending
				sp++
				pending = 0
			case n == -1:
				if t != TypeArray {
					return pos, ErrBadLength
				}
			case t == TypeMap || t == TypeAttribute:
				pending += 2 * n
			default:
				pending += n
			}
			continue
		default:
			return pos, ErrBadType
		}
		if err != errShort {
			if next < pos {
				next = pos
			}
			return next, err
		}
		// The value at pos is incomplete: next is how far it must reach
		// (skipBlob and scanChunks say; lines and headers need one more byte).
		rec.stop(pos, pending, sp, max(next, len(b)+1))
		return shortNeed(max(next, len(b)+1), pending-1, stackOf(stack, sp)), errShort
	}
}

// stop records where a scan stopped short; the stack is the record's own.
func (s *scanState) stop(pos, pending, sp, need int) {
	if s != nil {
		s.pos, s.pending, s.sp, s.need = pos, pending, sp, need
	}
}

// stackOf returns the first n entries of stack (nil when there is none).
func stackOf(stack *[MaxStreamDepth]int, n int) []int {
	if stack == nil || n <= 0 {
		return nil
	}
	return stack[:n]
}

// shortNeed is the least length a buffer must reach when the value being
// read needs `base` bytes and `after` more values follow it, inside the
// streamed aggregates whose outer counts are on stack.
func shortNeed(base, after int, stack []int) int {
	n := base + 3*max(after, 0)
	for _, p := range stack {
		n += 3 + 3*p // the end marker and the values after the aggregate
	}
	return n
}

// skipBlob skips an n-byte payload at pos and its CRLF.
func (l *limits) skipBlob(b []byte, pos, n int) (int, error) {
	if n > l.maxBulk {
		return pos, ErrBulkTooLarge
	}
	end := pos + n
	if end+2 > l.maxMessage {
		return pos, ErrMessageTooLarge
	}
	if end+2 > len(b) {
		return end + 2, errShort
	}
	if b[end] != '\r' || b[end+1] != '\n' {
		return end, ErrNoCRLF
	}
	return end + 2, nil
}

// scanChunks skips the chunks of a streamed string (";n\r\n" data CRLF ...)
// up to and including the terminating ";0\r\n".
func (l *limits) scanChunks(b []byte, pos int) (int, error) {
	for {
		if pos >= len(b) {
			return pos, errShort
		}
		if b[pos] != byte(TypeChunk) {
			return pos, ErrBadType
		}
		n, next, err := l.readLen(b, pos+1, false)
		if err != nil {
			return pos, err
		}
		if n < 0 {
			return pos, ErrBadLength
		}
		if n == 0 {
			return next, nil
		}
		if pos, err = l.skipBlob(b, next, n); err != nil {
			return pos, err
		}
	}
}
