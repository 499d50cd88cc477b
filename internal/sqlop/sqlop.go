// Package sqlop is the SQL text handling the mysql and postgres packages
// share; each dialect plugs in what is its own (comments, quotes,
// literals, the bytes of a word) and this package does the walking:
//
//   - Dialect lists the leading keyword of each statement (the
//     mysql.operation and postgres.operation attributes), upper-cased,
//     each once, in order, at most MaxOperations keywords of at most
//     MaxKeyword bytes (a longer word is no keyword, later statements
//     are not listed);
//   - Redactor replaces literals by '?' (Options.RedactLiterals);
//   - Masker replaces the string literals after a password word by
//     '***' (always);
//   - Scrub and Reporter add the statement attributes from these into a
//     connection's Buffers, reused (new ones for a message parsed without
//     a connection State);
//   - Statements is the bounded prepared-statement cache: past its count
//     or byte bound a statement is forgotten and counted, never grown.
//
// Every walk is one pass over the text (the keyword list: two when the
// text has a backslash, whose reading depends on a session setting the
// traffic does not show) and allocates nothing beyond the buffer it
// appends to.
package sqlop

import (
	"strings"

	"github.com/wirekit/wirekit/parser"
)

// Bounds of a list: at most MaxOperations keywords, each at most
// MaxKeyword bytes (a longer word is not a keyword).
const (
	MaxOperations = 16
	MaxKeyword    = 32
)

// Dialect is how one SQL dialect reads statements. The walk is this
// package's: before a keyword it skips white space, '(' and ';' and
// whatever Noise says; after it, it finds the next ';' outside what Skip
// says, and stops at once when no ';' is left (no other statement can
// follow, whatever its quotes).
type Dialect struct {
	// Noise returns the index after the comment (or other text read as
	// no keyword) that starts at sql[i], or i when none does.
	Noise func(sql string, i int) int
	// Skip returns the index after the literal, quoted identifier or
	// comment that starts at sql[i] (a byte marked in Special), or i+1
	// when none does, reading a backslash in a quoted literal as an
	// escape or not.
	Skip func(sql string, i int, backslash bool) int
	// Special marks the bytes (other than ';') that may start what Skip
	// steps over: the rest are stepped over with one table look-up.
	Special [256]bool
	// BackslashFirst is the reading tried first (and alone when the text
	// has no backslash): MySQL's default sql_mode escapes, PostgreSQL's
	// standard_conforming_strings does not.
	BackslashFirst bool
}

// Bytes is a byte set for Dialect.Special.
func Bytes(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return t
}

// Append appends to dst the leading keyword of each statement of sql,
// upper-cased, each once, space-separated, in order, at most
// MaxOperations. Whether a backslash escapes a quote depends on a session
// setting the traffic does not show: when sql has a backslash it is split
// both ways and the keywords of both are listed, so that no statement
// hides behind a quote read the other way.
func (d *Dialect) Append(dst []byte, sql string) []byte {
	start := len(dst)
	dst, n := d.appendMode(dst, start, 0, sql, d.BackslashFirst)
	if strings.IndexByte(sql, '\\') >= 0 { // else both readings are the same
		dst, _ = d.appendMode(dst, start, n, sql, !d.BackslashFirst)
	}
	return dst
}

func (d *Dialect) appendMode(dst []byte, start, n int, sql string, backslash bool) ([]byte, int) {
	for i := 0; i < len(sql) && n < MaxOperations; {
		i = d.skipNoise(sql, i)
		j := i
		for j < len(sql) && keywordByte(sql[j]) {
			j++
		}
		if j > i && j-i <= MaxKeyword {
			var added bool
			if dst, added = addKeyword(dst, start, sql[i:j]); added {
				n++
			}
		}
		i = d.nextStatement(sql, j, backslash)
	}
	return dst, n
}

// skipNoise returns where the keyword of the statement at sql[i:] starts.
func (d *Dialect) skipNoise(sql string, i int) int {
	for i < len(sql) {
		switch c := sql[i]; c {
		case ' ', '\t', '\n', '\r', '\f', '\v', '(', ';':
			i++
		default:
			j := d.Noise(sql, i)
			if j == i {
				return i
			}
			i = j
		}
	}
	return i
}

// nextStatement returns the index after the next ';' at or after sql[i]
// outside what Skip steps over, or len(sql).
func (d *Dialect) nextStatement(sql string, i int, backslash bool) int {
	if i >= len(sql) || strings.IndexByte(sql[i:], ';') < 0 {
		return len(sql) // no ';' left: no other statement, whatever quotes follow
	}
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ';':
			return i + 1
		case d.Special[c]:
			i = d.Skip(sql, i, backslash)
		default:
			i++
		}
	}
	return i
}

// LineEnd returns the index of the line break ending the line comment at
// sql[i], or len(sql).
func LineEnd(sql string, i int) int {
	if j := strings.IndexByte(sql[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(sql)
}

func keywordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// addKeyword appends kw upper-cased to the list dst[start:] unless it is
// in it already.
func addKeyword(dst []byte, start int, kw string) ([]byte, bool) {
	list := dst[start:]
	for k := 0; k < len(list); {
		e := k
		for e < len(list) && list[e] != ' ' {
			e++
		}
		if equalUpper(list[k:e], kw) {
			return dst, false
		}
		k = e + 1
	}
	if len(list) > 0 {
		dst = append(dst, ' ')
	}
	for i := 0; i < len(kw); i++ {
		c := kw[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// equalUpper reports whether upper, an upper-case keyword of the list,
// is kw in any case.
func equalUpper(upper []byte, kw string) bool {
	if len(upper) != len(kw) {
		return false
	}
	for i := range len(kw) {
		c := kw[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

// Anchored reports whether word (lower case) occurs in sql in any ASCII
// case with its byte at offset off being c: a search for a word by one of
// its bytes that is rare in SQL (strings.IndexByte), for the cheap tests
// the dialects run before masking passwords.
func Anchored(sql string, c byte, off int, word string) bool {
	for i := 0; i < len(sql); {
		j := strings.IndexByte(sql[i:], c)
		if j < 0 {
			return false
		}
		j += i
		if j >= off && HasPrefixFold(sql[j-off:], word) {
			return true
		}
		i = j + 1
	}
	return false
}

// HasPrefixFold reports whether s starts with lower-case ASCII prefix,
// ignoring ASCII case in s.
func HasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// QuoteEnd returns the index after the quoted text at sql[i] (its quote
// doubled inside stands for itself; with backslash, a backslash escapes
// the next byte), or len(sql) when it is not closed.
func QuoteEnd(sql string, i int, backslash bool) int {
	q := sql[i]
	for j := i + 1; j < len(sql); j++ {
		switch {
		case backslash && sql[j] == '\\':
			j++
		case sql[j] == q:
			if j+1 < len(sql) && sql[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(sql)
}

// ContainsFold reports whether s contains lower-case ASCII word,
// ignoring ASCII case in s.
func ContainsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if HasPrefixFold(s[i:], word) {
			return true
		}
	}
	return false
}

// IdentEnd returns the index of the quote closing the quoted identifier
// at sql[i] (the next byte equal to sql[i]), or len(sql).
func IdentEnd(sql string, i int) int {
	if j := strings.IndexByte(sql[i+1:], sql[i]); j >= 0 {
		return i + 1 + j
	}
	return len(sql)
}

// Masker masks the string literals that follow a word arming it, up to
// the end of the statement: the password masking of the dialects. It
// copies everything else as it is: comments, quoted identifiers (whose
// text may arm it, as a word does), words and other bytes; a ';' outside
// them disarms it.
type Masker struct {
	// Literal returns the index after the string literal at sql[i], or
	// i when none starts there.
	Literal func(sql string, i int) int
	// Comment returns the index after the comment at sql[i], or i when
	// none starts there.
	Comment func(sql string, i int) int
	// IdentQuote quotes identifiers (` in MySQL, " in PostgreSQL).
	IdentQuote byte
	// Word reports whether c is a byte of a word (an identifier or a
	// keyword).
	Word func(c byte) bool
	// Arms reports whether a word, or a quoted identifier's text, arms
	// the masking.
	Arms func(word string) bool
}

// Append appends sql to dst with every string literal after an arming
// word, in the same statement, replaced by '***'.
func (m *Masker) Append(dst []byte, sql string) []byte {
	armed := false
	for i := 0; i < len(sql); {
		if j := m.Literal(sql, i); j > i {
			if armed {
				dst = append(dst, "'***'"...)
			} else {
				dst = append(dst, sql[i:j]...)
			}
			i = j
			continue
		}
		c := sql[i]
		switch {
		case c == m.IdentQuote:
			j := IdentEnd(sql, i)
			if m.Arms(sql[i+1 : j]) {
				armed = true
			}
			j = min(j+1, len(sql))
			dst = append(dst, sql[i:j]...)
			i = j
		case c == ';':
			armed = false
			dst = append(dst, c)
			i++
		case m.Word(c):
			j := i
			for j < len(sql) && m.Word(sql[j]) {
				j++
			}
			if m.Arms(sql[i:j]) {
				armed = true
			}
			dst = append(dst, sql[i:j]...)
			i = j
		default:
			j := m.Comment(sql, i)
			if j == i {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		}
	}
	return dst
}

// Scrub is how a dialect reports statement text (the mysql.statement and
// postgres.statement attributes): as sent, with its literals redacted,
// or with its password literals masked.
type Scrub struct {
	Redact, Mask    func(dst []byte, sql string) []byte
	MayHoldPassword func(sql string) bool
}

// Value returns text as an attribute value: text itself unless redact is
// set (Redact's output) or it may hold a password (Mask's), built in *buf
// (a connection's scratch buffer, reused; when buf is nil, a new one)
// and aliasing it until the next call with the same buffer.
func (s *Scrub) Value(buf *[]byte, redact bool, text string) parser.Value {
	if !redact && !s.MayHoldPassword(text) {
		return parser.UnsafeStringValueOf(text)
	}
	if buf == nil {
		buf = new([]byte)
	}
	if redact {
		*buf = s.Redact((*buf)[:0], text)
	} else {
		*buf = s.Mask((*buf)[:0], text)
	}
	return parser.UnsafeStringValue(*buf)
}

// Value returns the keyword list of sql (Append) as an attribute value,
// built in *buf (a connection's scratch buffer, reused; when buf is nil,
// a new one) and aliasing it until the next call with the same buffer.
func (d *Dialect) Value(buf *[]byte, sql string) parser.Value {
	if buf == nil {
		buf = new([]byte)
	}
	*buf = d.Append((*buf)[:0], sql)
	return parser.UnsafeStringValue(*buf)
}

// Buffers are a connection's scratch space for the values Reporter
// builds.
type Buffers struct{ stmt, op []byte }

// Reporter adds a dialect's statement attributes: the text (Scrub) and
// its keywords (Ops).
type Reporter struct {
	Statement, Operation string // the attribute keys
	Scrub                Scrub
	Ops                  *Dialect
}

// Add adds text's Statement value (Scrub.Value; a text the connection
// owns, a remembered statement's, as an owned string when it needs no
// change) and its Operation keywords to a, built in bufs (a connection's,
// reused; when nil, new ones) and aliasing them until the next Add with
// the same buffers.
func (r *Reporter) Add(a *parser.Attributes, bufs *Buffers, redact bool, text string, owned bool) {
	if bufs == nil {
		bufs = new(Buffers)
	}
	if owned && !redact && !r.Scrub.MayHoldPassword(text) {
		a.Add(r.Statement, parser.StringValue(text))
	} else {
		a.Add(r.Statement, r.Scrub.Value(&bufs.stmt, redact, text))
	}
	a.Add(r.Operation, r.Ops.Value(&bufs.op, text))
}

// Redactor replaces a dialect's literals in SQL text by '?': string
// literals (with the letter that prefixes one, X'..', E'..'), numbers
// that do not continue a word; it keeps the rest as it is.
type Redactor struct {
	// Special marks the bytes that may start what Literal or Keep
	// steps over: the rest are stepped over with one table look-up.
	Special [256]bool
	// Literal returns the index after the string literal at sql[i], or
	// i when none starts there; prefixed when a letter before it may be
	// its prefix.
	Literal func(sql string, i int) (end int, prefixed bool)
	// Keep returns the index after what starts at sql[i] and is kept as
	// it is (quoted identifiers, comments, parameters), or i.
	Keep func(sql string, i int) int
	// Prefix marks the letters that prefix a literal; Word the bytes of
	// an identifier (a digit after one continues it); Number the bytes
	// that continue a number.
	Prefix, Word, Number [256]bool
}

// Table is the byte set of the bytes for which in is true.
func Table(in func(c byte) bool) (t [256]bool) {
	for c := range 256 {
		t[c] = in(byte(c))
	}
	return t
}

// Append appends sql to dst with its literals redacted.
func (r *Redactor) Append(dst []byte, sql string) []byte {
	for i := 0; i < len(sql); {
		c := sql[i]
		if r.Special[c] {
			if j, prefixed := r.Literal(sql, i); j > i {
				if n := len(dst); prefixed && n > 0 && r.Prefix[dst[n-1]] && (n == 1 || !r.Word[dst[n-2]]) {
					dst = dst[:n-1]
				}
				dst = append(dst, '?')
				i = j
				continue
			}
			if j := r.Keep(sql, i); j > i {
				dst = append(dst, sql[i:j]...)
				i = j
				continue
			}
		}
		if c >= '0' && c <= '9' && (len(dst) == 0 || !r.Word[dst[len(dst)-1]]) {
			j := i + 1
			for j < len(sql) && r.Number[sql[j]] {
				j++
			}
			dst = append(dst, '?')
			i = j
			continue
		}
		dst = append(dst, c)
		i++
	}
	return dst
}
