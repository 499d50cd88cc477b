package main

import (
	"strconv"
	"strings"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// redactor is the output's redaction policy (-redact) with a cache of
// which attribute keys the policy may change: the policy's classification
// walks the key's dotted prefixes through maps (about 75 ns a key), while
// an exchange's keys are a few dozen constants of the protocol packages,
// so the table and JSON writers pay one string comparison per string
// attribute instead. A nil *redactor masks nothing (-redact off) and costs a nil
// check.
type redactor struct {
	p       *redact.Policy
	known   map[string]knownKey
	recent  [256]knownKey // direct-mapped in front of known
	scratch []byte
}

// knownKey is one slot of redactor.recent: a key (a copy) and its answer.
type knownKey struct {
	key     string
	changes bool
}

// maxKnownKeys bounds the cache: keys past it (a protocol inventing keys
// per message) are classified each time, never stored.
const maxKnownKeys = 4096

// newRedactor returns the redactor for level, nil for redact.Off.
func newRedactor(level redact.Level) *redactor {
	if level == redact.Off {
		return nil
	}
	return &redactor{p: redact.New(level), known: map[string]knownKey{}}
}

// changes reports whether the policy may change the value of key. A slot
// of recent, chosen by the key's length and three of its bytes (the
// sample's 64 keys take 57 slots of 256), answers
// most calls with one comparison; the map answers the rest (and refills
// the slot with its own copy of the key, so a collision costs a lookup,
// never an allocation).
func (r *redactor) changes(key string) bool {
	if r == nil {
		return false
	}
	n := len(key)
	if n == 0 {
		return r.p.Changes(key)
	}
	slot := &r.recent[(n*31+int(key[n-1])*7+int(key[n/2])*3+int(key[n/3]))&(len(r.recent)-1)]
	if slot.key == key {
		return slot.changes
	}
	k, ok := r.known[key]
	if !ok {
		k = knownKey{key: strings.Clone(key), changes: r.p.Changes(key)} // the key may alias the message
		if len(r.known) >= maxKnownKeys {
			return k.changes
		}
		r.known[k.key] = k
	}
	*slot = k
	return k.changes
}

// appendString appends s, the value of attribute key, redacted.
func (r *redactor) appendString(b []byte, key, s string) []byte {
	if !r.changes(key) {
		return append(b, s...)
	}
	return r.p.AppendString(b, key, s)
}

// appendQuoted appends s, the value of attribute key, redacted and then
// quoted as strconv.AppendQuote does. The redacted text is written past
// the end of b, quoted after it and moved down, so no scratch buffer is
// needed.
func (r *redactor) appendQuoted(b []byte, key, s string) []byte {
	if !r.changes(key) {
		return strconv.AppendQuote(b, s)
	}
	start := len(b)
	b = r.p.AppendString(b, key, s)
	raw := b[start:]
	b = strconv.AppendQuote(b, parser.UnsafeString(raw))
	n := copy(b[start:], b[start+len(raw):])
	return b[:start+n]
}

// appendJSONValue appends v, the value of attribute key, redacted, as
// JSON.
func (r *redactor) appendJSONValue(b []byte, key string, v parser.Value) []byte {
	switch v.Kind() {
	case parser.KindString:
		if !r.changes(key) {
			return appendJSONString(b, v.UnsafeStr())
		}
		start := len(b)
		b = r.p.AppendString(b, key, v.UnsafeStr())
		raw := b[start:]
		b = appendJSONString(b, parser.UnsafeString(raw))
		n := copy(b[start:], b[start+len(raw):])
		return b[:start+n]
	case parser.KindBytes:
		if r.changes(key) {
			r.scratch = r.scratch[:0]
			v = r.p.Value(key, v, &r.scratch)
		}
	}
	return v.AppendJSON(b)
}
