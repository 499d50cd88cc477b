// Package redact is wirekit's one redaction policy: what is masked, at
// which level, wherever wirekit prints or exports parsed attributes (the
// proxy's access log, pcapdecode, the sniff filter's handler, the
// exchange exporter). Parsers keep every value as it was on the wire, so
// that filters can still decide on it; a Policy masks at output.
//
// # Levels
//
//   - Off masks nothing.
//   - Default masks the values of anything whose NAME is sensitive: query
//     parameters of a request-target (http.path), header fields
//     (http.header.<name>), Dubbo attachments, and members of decoded
//     argument and attachment renderings (dubbo2.arguments,
//     dubbo2.attachments) at any depth, whatever their encoding. This is
//     OpenTelemetry's guidance for url.query. A person analysing their own
//     capture (pcapdecode) gets this level by default.
//   - Strict also masks every query value, the quoted parts of error
//     replies (a Redis error echoes the arguments of the command it
//     refuses: ERR unknown command 'AUTHX', with args beginning with:
//     '...'), and whole exception messages. Output that leaves the
//     machine or is kept (the proxy's access log, exports) uses it by
//     default.
//
// A name is sensitive when it contains one of Policy.Names (DefaultNames
// when nil), ignoring ASCII case: "X-Api-Key", "access_token" and
// "dbPassword" all are. Matching by substring masks some names that are
// not secrets ("monkey" contains "key"); it is meant to err on that side.
//
// Masked values read Mask ("***"). Query parameter names, JSON member
// names and the structure of a value are kept, so a masked line still
// says what was sent.
package redact

import (
	"errors"
	"strings"

	"github.com/wirekit/wirekit/internal/ascii"
	"github.com/wirekit/wirekit/parser"
)

// Level is how much a Policy masks.
type Level uint8

// Levels, from none to most.
const (
	Off Level = iota
	Default
	Strict
)

// String names the level as ParseLevel reads it.
func (l Level) String() string {
	switch l {
	case Off:
		return "off"
	case Default:
		return "default"
	case Strict:
		return "strict"
	}
	return "unknown"
}

// ErrLevel is returned by ParseLevel for an unknown name.
var ErrLevel = errors.New("redact: level must be off, default or strict")

// ParseLevel reads "off", "default" or "strict" (for flags and
// configuration files).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "off", "none":
		return Off, nil
	case "default", "":
		return Default, nil
	case "strict":
		return Strict, nil
	}
	return Default, ErrLevel
}

// UnmarshalText implements encoding.TextUnmarshaler (JSON configuration).
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Mask replaces a masked value.
const Mask = "***"

// DefaultNames are the sensitive name parts of a Policy with no Names.
var DefaultNames = []string{
	"token", "password", "passwd", "pwd", "secret", "auth", "bearer", "jwt",
	"key", "sign", "signature", "credential", "cookie", "session",
}

// Class is how an attribute's value is redacted.
type Class uint8

// Classes.
const (
	// Plain values are never masked (a method, a status code, a command).
	Plain Class = iota
	// Target is a URL or request-target: query values of sensitive
	// parameters are masked (Default), or every query value (Strict). A
	// bare parameter with no '=' (?debug) is kept at Default and given a
	// masked value at Strict.
	Target
	// Named attributes carry a name after their key's prefix
	// (http.header.authorization): the value is masked when that name is
	// sensitive. Keys of three or more dotted parts not otherwise classed
	// are Named by what follows their second dot.
	Named
	// JSON is a JSON rendering of decoded values (Dubbo arguments,
	// attachments): members with sensitive names are masked at any depth.
	// At Strict, a rendering that is not valid JSON is masked whole.
	JSON
	// Reply is free text a peer sent back that may echo what it was sent
	// (a Redis error, a MySQL or PostgreSQL error message): at Strict its
	// quoted parts are masked.
	Reply
	// Message is free text that may hold anything (an exception message):
	// masked whole at Strict.
	Message
	// Secret is masked at Default and Strict.
	Secret
	// Statement is SQL text (mysql.statement, postgres.statement): its
	// literals are replaced by '?' by the masker its protocol registered
	// (RegisterStatement) at Strict, and at Default when the statement
	// carries a credential (PASSWORD, IDENTIFIED BY, SECRET, TOKEN, ...);
	// keywords and identifiers are kept. With no masker registered, it is
	// masked whole at Strict.
	Statement
)

// builtin are the classes of the built-in protocols' attributes (the
// packages' Attr constants; redact_test checks the spellings). Keys ending
// in "." are prefixes.
var builtin = map[string]Class{
	"http.path":                Target,
	"http.header.":             Named,
	"dubbo2.arguments":         JSON,
	"dubbo2.attachments":       JSON,
	"dubbo2.exception_message": Message,
	"dubbo2.error":             Message,
	"dubbo2.decode_error":      Message,
	"redis.error":              Reply,
	"mysql.error_message":      Reply, // Duplicate entry '...' for key ...
	"postgres.error_message":   Reply, // invalid input syntax for type integer: "..."
}

// Policy is a redaction policy. The zero value masks nothing (Level Off);
// New gives the usual ones. A Policy is safe for concurrent use once made
// (its methods do not change it).
type Policy struct {
	// Level is how much is masked.
	Level Level
	// Names are the sensitive name parts, matched as case-insensitive
	// substrings; nil means DefaultNames. Use lower case.
	Names []string
	// Classes adds or overrides the class of attribute keys (a key ending
	// in "." is a prefix), for protocols of your own; the built-in
	// protocols' attributes are known without it.
	Classes map[string]Class
}

// New returns a policy at level with the default names.
func New(level Level) *Policy { return &Policy{Level: level} }

// Sensitive reports whether name contains one of the policy's names,
// ignoring ASCII case. It does not allocate.
func (p *Policy) Sensitive(name string) bool {
	names := p.Names
	if names == nil {
		names = DefaultNames
	}
	for _, n := range names {
		if containsFold(name, n) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains sub (lower case ASCII),
// ignoring ASCII case in s.
func containsFold(s, sub string) bool {
	if len(sub) == 0 {
		return false
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// ClassOf returns the class of attribute key, and for Named the name
// after the prefix.
func (p *Policy) ClassOf(key string) (Class, string) {
	if p.Classes != nil {
		if c, ok := p.Classes[key]; ok {
			return c, ""
		}
	}
	// Most keys are none of the built-in exact keys: their bit in
	// exactKeys rules that out without hashing the key twice.
	if exactKeys&keyBit(key) != 0 {
		if c, ok := builtin[key]; ok {
			return c, ""
		}
		if _, ok := statementMaskers[key]; ok {
			return Statement, ""
		}
	}
	// Built-in prefixes (http.header.) and the Named rule below need two
	// dots; a user's prefixes may have one.
	dots := 0
	for i := 0; i < len(key) && dots < 2; i++ {
		if key[i] == '.' {
			dots++
		}
	}
	if dots < 2 && p.Classes == nil {
		return Plain, ""
	}
	for i := len(key) - 1; i > 0; i-- {
		if key[i] != '.' {
			continue
		}
		prefix := key[:i+1]
		if c, ok := p.Classes[prefix]; ok {
			return c, key[i+1:]
		}
		if c, ok := builtin[prefix]; ok {
			return c, key[i+1:]
		}
	}
	// Any other key of three or more dotted parts (proto.group.name, as a
	// protocol of the user's own may write) is Named by its part after
	// the second dot; two-part keys (redis.key) are protocol fields.
	if i := strings.IndexByte(key, '.'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '.'); j >= 0 {
			return Named, key[i+1+j+1:]
		}
	}
	return Plain, ""
}

// exactKeys has keyBit(k) set for every exact key of builtin and of
// statementMaskers (RegisterStatement adds its key).
var exactKeys = func() (m uint64) {
	for k := range builtin {
		if !strings.HasSuffix(k, ".") {
			m |= keyBit(k)
		}
	}
	return m
}()

// keyBit is a cheap 1-of-64 hash of a key, from its length and last byte.
func keyBit(k string) uint64 {
	if len(k) == 0 {
		return 1
	}
	return 1 << ((uint(len(k))*7 + uint(k[len(k)-1])) & 63)
}

// AppendString appends s, the value of attribute key, redacted.
func (p *Policy) AppendString(dst []byte, key, s string) []byte {
	if p == nil || p.Level == Off {
		return append(dst, s...)
	}
	class, name := p.ClassOf(key)
	switch class {
	case Target:
		return p.appendTarget(dst, s)
	case Named:
		if p.Sensitive(name) {
			return append(dst, Mask...)
		}
	case JSON:
		return p.appendJSONRendering(dst, s)
	case Reply:
		if p.Level >= Strict {
			return appendQuotedMasked(dst, s)
		}
	case Message:
		if p.Level >= Strict {
			return append(dst, Mask...)
		}
	case Secret:
		return append(dst, Mask...)
	case Statement:
		mask := statementMaskers[key]
		switch {
		case mask == nil && p.Level >= Strict:
			return append(dst, Mask...)
		case mask != nil && (p.Level >= Strict || credentialSQL(s)):
			return mask(dst, s)
		}
	}
	return append(dst, s...)
}

// Changes reports whether the policy may change the value of key: false
// lets a writer copy the value as it is.
func (p *Policy) Changes(key string) bool {
	if p == nil || p.Level == Off {
		return false
	}
	c, _ := p.ClassOf(key)
	switch c {
	case Plain:
		return false
	case Reply, Message:
		return p.Level >= Strict
	}
	return true
}

// Value returns v, the value of attribute key, redacted. A value the
// policy changes is rewritten into *scratch (grown as needed), so the
// result is valid until scratch is reused; others are returned as they
// are. Only string and bytes values are ever changed.
func (p *Policy) Value(key string, v parser.Value, scratch *[]byte) parser.Value {
	if k := v.Kind(); (k != parser.KindString && k != parser.KindBytes) || !p.Changes(key) {
		return v
	}
	s := v.UnsafeStr()
	start := len(*scratch)
	*scratch = p.AppendString(*scratch, key, s)
	out := (*scratch)[start:]
	if string(out) == s {
		*scratch = (*scratch)[:start]
		return v
	}
	if v.Kind() == parser.KindBytes {
		return parser.BytesValue(out)
	}
	return parser.UnsafeStringValue(out)
}

// Apply redacts the attributes a in place, for output: each value the
// policy changes is replaced by its redacted form, rewritten into buf,
// which Apply returns grown (pass it back next time to reuse it). The new
// values are valid while buf is; Apply is for attributes about to be
// printed or handed to a callback (an Exchange's), not for ones a parser
// still reads.
func (p *Policy) Apply(a *parser.Attributes, buf []byte) []byte {
	if p == nil || p.Level == Off || a == nil {
		return buf
	}
	// First pass: how much room the rewritten values may need, so that
	// buf does not move under values already rewritten into it.
	need := 0
	for k, v := range a.All() {
		if p.Changes(k) {
			need += 2*len(v.UnsafeStr()) + 16
		}
	}
	if need == 0 {
		return buf
	}
	buf = buf[:0]
	if cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	for k, v := range a.All() {
		if !p.Changes(k) {
			continue
		}
		if w := p.Value(k, v, &buf); !w.Equal(v) {
			a.Set(k, w)
		}
	}
	return buf
}

// AppendJSON appends the attributes as a JSON object, as
// parser.Attributes.AppendJSON does, with values redacted.
func (p *Policy) AppendJSON(dst []byte, a *parser.Attributes) []byte {
	if p == nil || p.Level == Off {
		return a.AppendJSON(dst)
	}
	dst = append(dst, '{')
	first := true
	for k, v := range a.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = parser.AppendJSONString(dst, k)
		dst = append(dst, ':')
		if p.Changes(k) && v.Kind() == parser.KindString {
			// The redacted text is written past the end, quoted after it
			// and moved down: no scratch buffer (one would escape to the
			// heap through the range function's closure).
			start := len(dst)
			dst = p.AppendString(dst, k, v.UnsafeStr())
			raw := dst[start:]
			dst = parser.AppendJSONString(dst, parser.UnsafeString(raw))
			n := copy(dst[start:], dst[start+len(raw):])
			dst = dst[:start+n]
			continue
		}
		dst = v.AppendJSON(dst)
	}
	return append(dst, '}')
}

// appendTarget appends a request-target or URL with its query values
// masked: those of sensitive parameters at Default, all at Strict. The
// path and the parameter names are kept; a fragment is dropped only when
// masked whole at Strict.
func (p *Policy) appendTarget(dst []byte, s string) []byte {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return append(dst, s...)
	}
	dst = append(dst, s[:q+1]...)
	query := s[q+1:]
	frag := ""
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	for i := 0; len(query) > 0; i++ {
		var pair string
		if j := strings.IndexAny(query, "&;"); j >= 0 {
			pair, query = query[:j+1], query[j+1:]
		} else {
			pair, query = query, ""
		}
		sep := ""
		if n := len(pair); n > 0 && (pair[n-1] == '&' || pair[n-1] == ';') {
			pair, sep = pair[:n-1], pair[n-1:]
		}
		name, _, hasValue := strings.Cut(pair, "=")
		switch {
		case !hasValue && p.Level < Strict:
			dst = append(dst, pair...)
		case p.Level >= Strict || p.Sensitive(unescapeName(name)):
			dst = append(dst, name...)
			dst = append(dst, '=')
			dst = append(dst, Mask...)
		default:
			dst = append(dst, pair...)
		}
		dst = append(dst, sep...)
	}
	if frag != "" {
		if p.Level >= Strict {
			return append(dst, "#"+Mask...)
		}
		dst = append(dst, frag...)
	}
	return dst
}

// unescapeName undoes the percent-escapes and '+' of a query parameter
// name for matching (pass%77ord is password); on a malformed escape it
// returns the name as it is.
func unescapeName(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && ascii.IsHex(s[i+1]) && ascii.IsHex(s[i+2]):
			b = append(b, ascii.Unhex(s[i+1])<<4|ascii.Unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// appendQuotedMasked appends s with the inside of every '...' and "..."
// run masked: how a Redis error echoes what it was sent.
func appendQuotedMasked(dst []byte, s string) []byte {
	for len(s) > 0 {
		i := strings.IndexAny(s, `'"`)
		if i < 0 {
			return append(dst, s...)
		}
		q := s[i]
		j := strings.IndexByte(s[i+1:], q)
		if j < 0 { // an unterminated quote: mask to the end
			dst = append(dst, s[:i+1]...)
			return append(dst, Mask...)
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, Mask...)
		dst = append(dst, q)
		s = s[i+1+j+1:]
	}
	return dst
}
