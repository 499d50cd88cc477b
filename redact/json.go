package redact

import (
	"encoding/json"

	"github.com/wirekit/wirekit/internal/ascii"
)

// maxJSONDepth bounds the nesting the JSON walk follows; deeper input is
// treated as malformed (masked whole).
const maxJSONDepth = 64

// appendJSONRendering appends s, a JSON text, with the value of every
// object member whose name is sensitive replaced by the string Mask, at
// any depth. Input that is not one valid JSON value is masked whole: a
// rendering the walk cannot read is not passed through unread.
func (p *Policy) appendJSONRendering(dst []byte, s string) []byte {
	w := jsonWalk{p: p, s: s, out: dst}
	w.skipSpace()
	if !w.value(0, true) {
		return append(dst, Mask...)
	}
	w.skipSpace()
	if w.i != len(s) {
		return append(dst, Mask...)
	}
	return w.out
}

// jsonWalk copies (or skips) JSON values of s from i, writing to out.
type jsonWalk struct {
	p   *Policy
	s   string
	i   int
	out []byte
}

func (w *jsonWalk) skipSpace() {
	for w.i < len(w.s) {
		switch w.s[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// value reads one value at i; emit says whether it is copied to out.
func (w *jsonWalk) value(depth int, emit bool) bool {
	if depth > maxJSONDepth || w.i >= len(w.s) {
		return false
	}
	switch c := w.s[w.i]; {
	case c == '{':
		return w.object(depth, emit)
	case c == '[':
		return w.array(depth, emit)
	case c == '"':
		start := w.i
		if !w.str() {
			return false
		}
		if emit {
			w.out = append(w.out, w.s[start:w.i]...)
		}
		return true
	default:
		start := w.i
		for w.i < len(w.s) {
			c := w.s[w.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			w.i++
		}
		lit := w.s[start:w.i]
		if lit == "" || !validScalar(lit) {
			return false
		}
		if emit {
			w.out = append(w.out, lit...)
		}
		return true
	}
}

// validScalar checks a literal or number with encoding/json (scalars are
// short; this runs only on them).
func validScalar(lit string) bool {
	switch lit {
	case "true", "false", "null":
		return true
	}
	return json.Valid([]byte(lit))
}

// str moves i past the string starting at i, checking it is a valid JSON
// string (no control characters, known escapes).
func (w *jsonWalk) str() bool {
	w.i++ // opening quote
	for w.i < len(w.s) {
		switch c := w.s[w.i]; {
		case c == '\\':
			if w.i+1 >= len(w.s) {
				return false
			}
			switch w.s[w.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				w.i += 2
			case 'u':
				if w.i+6 > len(w.s) {
					return false
				}
				for _, h := range []byte(w.s[w.i+2 : w.i+6]) {
					if !ascii.IsHex(h) {
						return false
					}
				}
				w.i += 6
			default:
				return false
			}
		case c == '"':
			w.i++
			return true
		case c < 0x20:
			return false
		default:
			w.i++
		}
	}
	return false
}

// put appends c to the output when emit is set.
func (w *jsonWalk) put(emit bool, c byte) {
	if emit {
		w.out = append(w.out, c)
	}
}

// open consumes the opening byte of an object or array (emitted with
// emit) and reports whether it is empty: close follows at once, and is
// consumed and emitted too.
func (w *jsonWalk) open(emit bool, open, close byte) (empty bool) {
	w.i++
	w.put(emit, open)
	w.skipSpace()
	if w.i < len(w.s) && w.s[w.i] == close {
		w.i++
		w.put(emit, close)
		return true
	}
	return false
}

// next reads what follows a member or element: a ',' (more is true) or
// close (the object or array ends); both are consumed and emitted with
// emit. ok is false for anything else.
func (w *jsonWalk) next(emit bool, close byte) (more, ok bool) {
	w.skipSpace()
	if w.i >= len(w.s) {
		return false, false
	}
	c := w.s[w.i]
	if c != ',' && c != close {
		return false, false
	}
	w.i++
	w.put(emit, c)
	return c == ',', true
}

func (w *jsonWalk) object(depth int, emit bool) bool {
	if w.open(emit, '{', '}') {
		return true
	}
	for {
		w.skipSpace()
		if w.i >= len(w.s) || w.s[w.i] != '"' {
			return false
		}
		start := w.i
		if !w.str() {
			return false
		}
		rawName := w.s[start:w.i]
		w.skipSpace()
		if w.i >= len(w.s) || w.s[w.i] != ':' {
			return false
		}
		w.i++
		w.skipSpace()
		name := memberName(rawName)
		masked := w.p.Sensitive(name) || w.p.sensitiveBase64(name)
		if emit {
			w.out = append(w.out, rawName...)
			w.out = append(w.out, ':')
		}
		if !w.value(depth+1, emit && !masked) {
			return false
		}
		if emit && masked {
			w.out = append(w.out, `"`+Mask+`"`...)
		}
		if more, ok := w.next(emit, '}'); !more {
			return ok
		}
	}
}

func (w *jsonWalk) array(depth int, emit bool) bool {
	if w.open(emit, '[', ']') {
		return true
	}
	for {
		w.skipSpace()
		if !w.value(depth+1, emit) {
			return false
		}
		if more, ok := w.next(emit, ']'); !more {
			return ok
		}
	}
}

// memberName returns the decoded name of a quoted JSON member name (with
// its quotes); escaped names, which are rare, are decoded by encoding/json.
func memberName(raw string) string {
	inner := raw[1 : len(raw)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' {
			var s string
			if json.Unmarshal([]byte(raw), &s) == nil {
				return s
			}
			return inner
		}
	}
	return inner
}
