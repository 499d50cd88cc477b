package dubbo2

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/wirekit/wirekit/parser"
)

// The optional part of body decoding (Options.DecodeArguments and
// DecodeAttachments): argument values and the attachments map, rendered
// as JSON by the walker (json.go explains why not by dubbo-go-hessian2).
// Every count is checked against the bytes left and every index against
// the definitions seen before anything is rendered, so the output is
// bounded by a small multiple of the input.

// requestExtras steps over the arguments at b[off:] and decodes what the
// options ask for.
func (c *codec) requestExtras(m *parser.Message, b []byte, off, argc int) error {
	var w walker
	w.reset(b, c.opts.MaxDepth)
	w.r.Skip(off)
	if c.opts.DecodeArguments {
		if err := c.arguments(m, &w, b, off, argc); err != nil {
			return err
		}
	} else {
		for i := 0; i < argc && w.r.Ok(); i++ {
			w.value()
		}
	}
	if err := w.r.Err(); err != nil {
		return err
	}
	if c.opts.DecodeAttachments {
		return c.attachments(m, &w)
	}
	return nil
}

// arguments renders argc values at b[off:] as a JSON array, or, when they
// take more than MaxArgumentBytes, steps over them and counts their size
// in AttrArgumentsSkipped.
func (c *codec) arguments(m *parser.Message, w *walker, b []byte, off, argc int) error {
	// Step over first: the size decides, and rendering only validated
	// bytes keeps the output bounded by the input.
	for i := 0; i < argc && w.r.Ok(); i++ {
		w.value()
	}
	if err := w.r.Err(); err != nil {
		return err
	}
	end := w.r.Offset()
	if end-off > c.opts.MaxArgumentBytes {
		m.Attrs.SetInt(AttrArgumentsSkipped, int64(end-off))
		return nil
	}
	var j walker
	j.reset(b[:end], c.opts.MaxDepth)
	j.r.Skip(off)
	j.out = make([]byte, 0, 2*(end-off)+2)
	j.out = append(j.out, '[')
	for i := 0; i < argc && j.r.Ok(); i++ {
		if i > 0 {
			j.out = append(j.out, ',')
		}
		j.jsonValue()
	}
	j.out = append(j.out, ']')
	if err := j.r.Err(); err != nil {
		return err
	}
	m.Attrs.SetBytesString(AttrArguments, j.out)
	// The attachments that follow may refer to classes the arguments
	// defined.
	w.defs, w.types = j.defs, j.types
	return nil
}

// entry is one attachment: its key and where its JSON value is in the
// walker's output.
type entry struct {
	key        []byte
	start, end int
}

// attachments reads the attachments map at the walker's position (null or
// a map), sets the well-known attributes and AttrAttachments: a JSON
// object, keys sorted, sensitive values masked.
func (c *codec) attachments(m *parser.Message, w *walker) error {
	r := &w.r
	tag := r.Uint8()
	if !r.Ok() {
		return r.Err()
	}
	switch tag {
	case 'N':
		return nil
	case 'H':
	case 'M':
		w.mapType()
	default:
		return ErrMalformed
	}
	var buf [16]entry
	list := buf[:0]
	w.out = make([]byte, 0, 256)
	for r.Ok() {
		p := r.Peek(1)
		if p == nil {
			r.Fail(ErrShort)
			break
		}
		if p[0] == 'Z' {
			r.Skip(1)
			break
		}
		if len(list) >= c.opts.MaxAttachments {
			return ErrTooManyDefs
		}
		var key []byte
		binaryKey := false
		if isStringTag(p[0]) {
			key = readString(r)
		} else {
			start := len(w.out)
			w.jsonValue() // a non-string key: its JSON text is the key
			k := w.out[start:]
			if len(k) >= 2 && k[0] == '"' && bytes.IndexByte(k, '\\') < 0 {
				k = k[1 : len(k)-1] // binary, date: the string without its quotes
				binaryKey = true
			}
			key = append([]byte(nil), k...)
			w.out = w.out[:start]
		}
		e := entry{key: key, start: len(w.out)}
		ks := parser.UnsafeString(key)
		sensitive := c.sensitive(ks) || binaryKey && c.sensitiveBase64(key)
		tag := r.Uint8()
		switch {
		case !r.Ok():
		case sensitive:
			w.valueTag(tag)
			w.out = append(w.out, `"`+MaskedValue+`"`...)
			c.wellKnown(m, ks, nil, 0, true)
		case isStringTag(tag):
			s := readStringTag(r, tag)
			w.out = appendJSONString(w.out, s)
			c.wellKnown(m, ks, s, 0, false)
		case isIntTag(tag):
			n := readIntTag(r, tag)
			w.out = appendInt(w.out, n)
			c.wellKnown(m, ks, nil, n, false)
		default:
			w.jsonTag(tag)
		}
		e.end = len(w.out)
		list = append(list, e)
	}
	if err := r.Err(); err != nil {
		return err
	}
	// Insertion sort: a handful of entries, and no closure to escape.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && bytes.Compare(list[j-1].key, list[j].key) > 0; j-- {
			list[j-1], list[j] = list[j], list[j-1]
		}
	}
	n := 2
	for _, e := range list {
		n += len(e.key)*2 + 4 + e.end - e.start
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, e := range list {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, e.key)
		out = append(out, ':')
		out = append(out, w.out[e.start:e.end]...)
	}
	out = append(out, '}')
	w.out = nil
	m.Attrs.SetBytesString(AttrAttachments, out)
	return nil
}

func appendInt(dst []byte, n int64) []byte {
	var b [20]byte
	i := len(b)
	u := uint64(n)
	if n < 0 {
		u = uint64(-n)
	}
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if n < 0 {
		dst = append(dst, '-')
	}
	return append(dst, b[i:]...)
}

// wellKnown sets the attributes of the attachments every Dubbo call
// carries: group, interface, timeout (an int when numeric). s is a string
// value, or nil for the int n.
func (c *codec) wellKnown(m *parser.Message, key string, s []byte, n int64, masked bool) {
	var attr string
	switch key {
	case "group":
		attr = AttrGroup
	case "interface":
		attr = AttrInterface
	case "timeout":
		attr = AttrTimeout
	default:
		return
	}
	switch {
	case masked:
		m.Attrs.SetString(attr, MaskedValue)
	case s == nil:
		m.Attrs.SetInt(attr, n)
	case attr == AttrTimeout:
		if v, ok := atoi(s); ok {
			m.Attrs.SetInt(attr, v)
			return
		}
		fallthrough
	default:
		m.Attrs.SetBytesString(attr, s)
	}
}

// sensitive reports whether an attachment's value must be masked: its key
// contains one of Options.SensitiveAttachments, ignoring case. The key is
// lowered into a stack buffer, and at each position only the patterns
// starting with that byte are tried.
// sensitiveBase64 reports whether key, the base64 JSON text of a binary
// map key (a Java byte[] "token" reads "dG9rZW4="), decodes to a
// sensitive name. Only short keys are tried; it does not allocate.
func (c *codec) sensitiveBase64(key []byte) bool {
	var buf [48]byte
	if base64.StdEncoding.DecodedLen(len(key)) > len(buf) {
		return false
	}
	n, err := base64.StdEncoding.Decode(buf[:], key)
	return err == nil && n > 0 && c.sensitive(parser.UnsafeString(buf[:n]))
}

func (c *codec) sensitive(key string) bool {
	var buf [64]byte
	if len(key) > len(buf) {
		// Long keys are rare: fold them the slow way.
		for _, s := range c.sensitiveLower {
			if containsFold(key, s) {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(key); i++ {
		ch := key[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	lower := parser.UnsafeString(buf[:len(key)])
	for i := 0; i < len(lower); i++ {
		for _, p := range c.sensitiveByFirst[lower[i]] {
			if strings.HasPrefix(lower[i:], p) {
				return true
			}
		}
	}
	return false
}

// containsFold is strings.Contains ignoring ASCII case, without allocating.
func containsFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return false
	}
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
