package dubbo2

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/wirekit/wirekit/parser"
)

// The optional part of body decoding (Options.DecodeArguments and
// DecodeAttachments): the argument values and the attachments map.
//
// Everything here first steps over the bytes with the package's walker,
// which checks every count against the bytes left and every class, type
// and reference index against the definitions seen. Only bytes that passed
// it are handed to dubbo-go-hessian2, so the library never sizes an
// allocation from a hostile count.
//
// Attachments are almost always string keys with string or number values:
// those are read by the walker's reader without the library. A map holding
// anything else (objects, lists, references) is decoded by the library.

// requestExtras steps over the arguments at b[off:] and decodes what the
// options ask for.
func (c *codec) requestExtras(m *parser.Message, b []byte, off, argc int) error {
	w := new(walker)
	w.reset(b, c.opts.MaxDepth)
	w.r.Skip(off)
	for i := 0; i < argc && w.r.Ok(); i++ {
		w.value()
	}
	if err := w.r.Err(); err != nil {
		return err
	}
	end := w.r.Offset()
	if c.opts.DecodeArguments {
		if end-off > c.opts.MaxArgumentBytes {
			m.Attrs.SetInt(AttrArgumentsSkipped, int64(end-off))
		} else if err := c.decodeArguments(m, b[:end], off, argc); err != nil {
			return err
		}
	}
	if c.opts.DecodeAttachments {
		return c.attachments(m, w, b, off, argc)
	}
	return nil
}

// decodeArguments decodes argc values at b[off:] with dubbo-go-hessian2
// and sets AttrArguments to them as a JSON array.
func (c *codec) decodeArguments(m *parser.Message, b []byte, off, argc int) error {
	d := hessian.NewDecoderSize(b[off:], 512)
	args := make([]any, 0, argc)
	for i := 0; i < argc; i++ {
		v, err := d.Decode()
		if err != nil {
			return fmt.Errorf("%w: argument %d: %v", ErrMalformed, i, err)
		}
		args = append(args, jsonable(v, c.opts.MaxDepth))
	}
	out, err := json.Marshal(args)
	if err != nil {
		out = []byte(strconv.Quote(fmt.Sprint(args)))
	}
	m.Attrs.SetBytesString(AttrArguments, out)
	return nil
}

// attachment is one attachment read without the library.
type attachment struct {
	key  []byte
	str  []byte
	num  int64
	kind parser.Kind // KindString, KindInt, KindBool, or KindNone for null
}

// attachments reads the attachments map at the walker's position. values
// is how many values (arguments or the result) precede it from b[off:],
// for the library fallback, which must decode them to learn their class
// definitions.
func (c *codec) attachments(m *parser.Message, w *walker, b []byte, off, values int) error {
	r := &w.r
	start := r.Offset()
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
	var buf [16]attachment
	list := buf[:0]
	simple := true
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
		if !simple || !isStringTag(p[0]) {
			simple = false
			w.value()
			w.value()
			continue
		}
		a := attachment{key: readString(r)}
		tag := r.Uint8()
		switch {
		case !r.Ok():
		case isStringTag(tag):
			a.kind, a.str = parser.KindString, readStringTag(r, tag)
		case isIntTag(tag):
			a.kind, a.num = parser.KindInt, readIntTag(r, tag)
		case tag == 'T' || tag == 'F':
			a.kind = parser.KindBool
			if tag == 'T' {
				a.num = 1
			}
		case tag == 'N':
		default:
			simple = false
			w.valueTag(tag)
		}
		list = append(list, a)
	}
	if err := r.Err(); err != nil {
		return err
	}
	if !simple {
		return c.libraryAttachments(m, b[off:r.Offset()], values, w.maxDepth)
	}
	_ = start
	sort.Slice(list, func(i, j int) bool { return string(list[i].key) < string(list[j].key) })
	out := make([]byte, 0, 2+len(b)-start)
	out = append(out, '{')
	for i := range list {
		a := &list[i]
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, a.key)
		out = append(out, ':')
		key := parser.UnsafeString(a.key)
		switch {
		case c.sensitive(key):
			out = append(out, `"`+MaskedValue+`"`...)
		case a.kind == parser.KindString:
			out = appendJSONString(out, a.str)
		case a.kind == parser.KindInt:
			out = strconv.AppendInt(out, a.num, 10)
		case a.kind == parser.KindBool:
			out = strconv.AppendBool(out, a.num != 0)
		default:
			out = append(out, "null"...)
		}
		c.wellKnown(m, key, a)
	}
	out = append(out, '}')
	m.Attrs.SetBytesString(AttrAttachments, out)
	return nil
}

// wellKnown sets the attributes of the attachments every Dubbo call
// carries, unless configured as sensitive.
func (c *codec) wellKnown(m *parser.Message, key string, a *attachment) {
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
	if c.sensitive(key) {
		m.Attrs.SetString(attr, MaskedValue)
		return
	}
	switch a.kind {
	case parser.KindString:
		if attr == AttrTimeout {
			if n, ok := atoi(a.str); ok {
				m.Attrs.SetInt(attr, n)
				return
			}
		}
		m.Attrs.SetBytesString(attr, a.str)
	case parser.KindInt:
		m.Attrs.SetInt(attr, a.num)
	case parser.KindBool:
		m.Attrs.SetBool(attr, a.num != 0)
	}
}

// sensitive reports whether an attachment's value must be masked: its key
// contains one of Options.SensitiveAttachments, ignoring ASCII case.
func (c *codec) sensitive(key string) bool {
	for _, s := range c.opts.SensitiveAttachments {
		if containsFold(key, s) {
			return true
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

// libraryAttachments decodes values preceding values and then the
// attachments map from b (already validated by the walker) with
// dubbo-go-hessian2.
func (c *codec) libraryAttachments(m *parser.Message, b []byte, values, maxDepth int) error {
	d := hessian.NewDecoderSize(b, 512)
	for i := 0; i < values; i++ {
		if _, err := d.Decode(); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	v, err := d.Decode()
	if err != nil {
		return fmt.Errorf("%w: attachments: %v", ErrMalformed, err)
	}
	type kv struct {
		key string
		val any
	}
	var list []kv
	switch mv := v.(type) {
	case map[any]any:
		for k, x := range mv {
			list = append(list, kv{fmt.Sprint(jsonable(k, 2)), x})
		}
	case map[string]any:
		for k, x := range mv {
			list = append(list, kv{k, x})
		}
	case nil:
		return nil
	default:
		return fmt.Errorf("%w: attachments are a %T", ErrMalformed, v)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].key < list[j].key })
	out := []byte{'{'}
	for i, e := range list {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, []byte(e.key))
		out = append(out, ':')
		if c.sensitive(e.key) {
			out = append(out, `"`+MaskedValue+`"`...)
		} else {
			j, err := json.Marshal(jsonable(e.val, maxDepth))
			if err != nil {
				j = []byte(strconv.Quote(fmt.Sprint(e.val)))
			}
			out = append(out, j...)
		}
		a := attachment{key: []byte(e.key)}
		switch x := e.val.(type) {
		case string:
			a.kind, a.str = parser.KindString, []byte(x)
		case int32:
			a.kind, a.num = parser.KindInt, int64(x)
		case int64:
			a.kind, a.num = parser.KindInt, x
		case bool:
			a.kind = parser.KindBool
			if x {
				a.num = 1
			}
		}
		c.wellKnown(m, e.key, &a)
	}
	out = append(out, '}')
	m.Attrs.SetBytesString(AttrAttachments, out)
	return nil
}

// appendJSONString appends s as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			dst = append(dst, '\\', ch)
		case ch < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[ch>>4], "0123456789abcdef"[ch&15])
		default:
			dst = append(dst, ch)
		}
	}
	return append(dst, '"')
}

// jsonable turns what dubbo-go-hessian2 decodes into values encoding/json
// accepts: maps with non-string keys get string keys, reflect values and
// reference holders are unwrapped, NaN and infinities become strings, and
// nesting beyond depth is cut to "...".
func jsonable(v any, depth int) any {
	if depth <= 0 {
		return "..."
	}
	v = hessian.EnsureRawAny(v)
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return x
	case float32:
		return jsonFloat(float64(x))
	case float64:
		return jsonFloat(x)
	case json.Marshaler: // time.Time, big numbers: encoding/json knows them
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = jsonable(x[i], depth-1)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(jsonable(k, 2))] = jsonable(e, depth-1)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e, depth-1)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return jsonable(rv.Elem().Interface(), depth-1)
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonable(rv.Index(i).Interface(), depth-1)
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[fmt.Sprint(jsonable(it.Key().Interface(), 2))] = jsonable(it.Value().Interface(), depth-1)
		}
		return out
	case reflect.Struct:
		t := rv.Type()
		out := make(map[string]any, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				out[f.Name] = jsonable(rv.Field(i).Interface(), depth-1)
			}
		}
		return out
	}
	return fmt.Sprint(v)
}

func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}
