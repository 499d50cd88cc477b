package parser

import (
	"encoding/base64"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Kind is the type of an attribute Value.
type Kind uint8

// Value kinds.
const (
	KindNone   Kind = iota // the zero Value: absent
	KindString             // a string (stable, or aliasing message bytes: see Value)
	KindInt                // an int64
	KindBool               // a bool
	KindBytes              // a byte slice (may alias message bytes)
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "int"
	case KindBool:
		return "bool"
	case KindBytes:
		return "bytes"
	}
	return "none"
}

// Value is a typed attribute value. The zero Value is KindNone.
//
// A Value is two words, so that an Attr (key and value) is four and the
// compiler keeps it in registers: appending one to an attribute list is
// then a few stores rather than a typed memory move, which made attribute
// setting three times faster. p points at a string's or a byte slice's data
// (often the message's own bytes, see UnsafeString), or at a marker naming
// the kind for ints and bools; n is the int, the bool, or the length, with
// bytesFlag set for bytes.
//
// A string value is either stable or aliasing. A stable string (made by
// StringValue: a protocol's table constant such as an interned command
// name, or a string the Go heap owns) stays valid for ever, and String,
// Str and Attributes.String hand it out without copying. An aliasing
// string (made by UnsafeStringValue from message bytes) is valid only while
// those bytes are, which for the Attributes of an Exchange is until the
// callback returns: String, Str and Attributes.String return a copy of it,
// so what a user keeps stays right; the zero-copy UnsafeStr and
// Attributes.UnsafeString are for code that is done with the value before
// the message goes (the library's own hot paths).
//
// Compare Values with Equal, or compare what Any returns: == and
// reflect.DeepEqual compare where a string lives, not what it says.
type Value struct {
	p unsafe.Pointer
	n int64
}

// Kind markers: only their addresses matter.
var (
	intMarker, boolMarker, emptyMarker byte
)

const (
	bytesFlag  = 1 << 62 // n of a KindBytes value
	stableFlag = 1 << 61 // n of a KindString value that does not alias message bytes
	lenMask    = stableFlag - 1
)

// StringValue makes a stable KindString value: s must stay valid and
// unchanged for as long as the value is used, as a constant (an interned
// command name, a status name) or a string of its own on the Go heap does.
// For a string that aliases message bytes use UnsafeStringValue.
func StringValue(s string) Value {
	if len(s) == 0 {
		return Value{p: unsafe.Pointer(&emptyMarker), n: stableFlag}
	}
	return Value{p: unsafe.Pointer(unsafe.StringData(s)), n: int64(len(s)) | stableFlag}
}

// UnsafeStringValue makes a KindString value that aliases b, without
// copying: valid only while b is neither modified nor reused. Readers that
// keep the string get a copy (see Value).
func UnsafeStringValue(b []byte) Value {
	if len(b) == 0 {
		return Value{p: unsafe.Pointer(&emptyMarker), n: stableFlag}
	}
	return Value{p: unsafe.Pointer(unsafe.SliceData(b)), n: int64(len(b))}
}

// UnsafeStringValueOf is UnsafeStringValue for a string that already
// aliases message bytes (one UnsafeString made): the value is marked
// aliasing, so readers that keep it get a copy.
func UnsafeStringValueOf(s string) Value {
	if len(s) == 0 {
		return Value{p: unsafe.Pointer(&emptyMarker), n: stableFlag}
	}
	return Value{p: unsafe.Pointer(unsafe.StringData(s)), n: int64(len(s))}
}

// IntValue makes a KindInt value.
func IntValue(n int64) Value { return Value{p: unsafe.Pointer(&intMarker), n: n} }

// BoolValue makes a KindBool value.
func BoolValue(b bool) Value {
	v := Value{p: unsafe.Pointer(&boolMarker)}
	if b {
		v.n = 1
	}
	return v
}

// BytesValue makes a KindBytes value aliasing b (no copy).
func BytesValue(b []byte) Value {
	if len(b) == 0 {
		return Value{p: unsafe.Pointer(&emptyMarker), n: bytesFlag}
	}
	return Value{p: unsafe.Pointer(unsafe.SliceData(b)), n: int64(len(b)) | bytesFlag}
}

// Kind reports the value's type.
func (v Value) Kind() Kind {
	switch v.p {
	case nil:
		return KindNone
	case unsafe.Pointer(&intMarker):
		return KindInt
	case unsafe.Pointer(&boolMarker):
		return KindBool
	}
	if v.n&bytesFlag != 0 {
		return KindBytes
	}
	return KindString
}

// isText reports whether v is a string or bytes value.
func (v Value) isText() bool {
	return v.p != nil && v.p != unsafe.Pointer(&intMarker) && v.p != unsafe.Pointer(&boolMarker)
}

// textLen is the length of a string or bytes value.
func (v Value) textLen() int { return int(v.n & lenMask) }

// stable reports whether a text value does not alias message bytes.
func (v Value) stable() bool { return v.n&stableFlag != 0 && v.n&bytesFlag == 0 }

// str returns the bytes of a string or bytes value as a string, without
// copying.
func (v Value) str() string {
	n := v.textLen()
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(v.p), n)
}

// kept returns the text of v as a string the caller may keep: the value's
// own string when it is stable, else a copy.
func (v Value) kept() string {
	if v.stable() {
		return v.str()
	}
	return strings.Clone(v.str())
}

// Str returns the string of a KindString or KindBytes value, else "". The
// result stays valid after the message is gone: a stable string is
// returned as it is, an aliasing one is copied (see Value).
func (v Value) Str() string {
	if v.isText() {
		return v.kept()
	}
	return ""
}

// UnsafeStr is Str without the copy: the result may alias the message's
// bytes and is valid only as long as they are (for an Exchange's
// attributes, until the callback returns). For code that is done with the
// string before then.
func (v Value) UnsafeStr() string {
	if v.isText() {
		return v.str()
	}
	return ""
}

// Stable reports whether a string value does not alias message bytes, so
// that UnsafeStr's result stays valid. It is false for the other kinds.
func (v Value) Stable() bool { return v.isText() && v.stable() }

// Int returns the integer of a KindInt value, else 0.
func (v Value) Int() int64 {
	if v.p == unsafe.Pointer(&intMarker) {
		return v.n
	}
	return 0
}

// Bool returns the boolean of a KindBool value, else false.
func (v Value) Bool() bool { return v.p == unsafe.Pointer(&boolMarker) && v.n != 0 }

// Bytes returns the bytes of a KindBytes or KindString value, without
// copying. The result aliases the value's memory: it must not be modified,
// and for an aliasing value it is valid only as long as the message bytes
// are (for an Exchange's attributes, until the callback returns); copy it
// to keep it.
func (v Value) Bytes() []byte {
	if v.isText() && v.textLen() > 0 {
		return unsafe.Slice((*byte)(v.p), v.textLen())
	}
	return nil
}

// Any returns the value as a plain Go value (string, int64, bool, []byte or
// nil) that stays valid after the message is gone (strings and bytes that
// alias the message are copied).
func (v Value) Any() any {
	switch v.Kind() {
	case KindString:
		return v.kept()
	case KindInt:
		return v.n
	case KindBool:
		return v.n != 0
	case KindBytes:
		return []byte(v.str())
	}
	return nil
}

// String formats the value for humans. The result stays valid after the
// message is gone.
func (v Value) String() string {
	switch v.Kind() {
	case KindString:
		return v.kept()
	case KindInt:
		return strconv.FormatInt(v.n, 10)
	case KindBool:
		return strconv.FormatBool(v.n != 0)
	case KindBytes:
		return strconv.Quote(v.str())
	}
	return ""
}

// AppendJSON appends the value as JSON: strings as strings, ints as numbers,
// bools as true/false, bytes as base64 strings.
func (v Value) AppendJSON(dst []byte) []byte {
	switch v.Kind() {
	case KindString:
		return AppendJSONString(dst, v.str())
	case KindInt:
		return strconv.AppendInt(dst, v.n, 10)
	case KindBool:
		return strconv.AppendBool(dst, v.n != 0)
	case KindBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes())
		return append(dst, '"')
	}
	return append(dst, "null"...)
}

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// AppendJSONString appends s as a JSON string, without allocating:
// quotes, backslashes and control characters are escaped, and invalid
// UTF-8 becomes \ufffd, as encoding/json does (which also escapes <, >
// and &; there is no need to here). Protocol packages rendering JSON use
// it so that every rendering quotes alike.
func AppendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// Equal reports whether two values have the same kind and content.
func (v Value) Equal(w Value) bool {
	k := v.Kind()
	if k != w.Kind() {
		return false
	}
	if k == KindString || k == KindBytes {
		return v.str() == w.str()
	}
	return v.n == w.n
}

// Attr is one key/value pair.
type Attr struct {
	Key   string
	Value Value
}

// Attributes is the attribute map a parser fills while decoding a message:
// keys are the dotted names protocol packages declare as constants
// (redis.command, http.status_code, kafka.api_key, ...).
//
// It is an ordered list, not a Go map: messages carry a handful of
// attributes, a linear scan over them beats hashing, and the list is reused
// across messages after Reset so steady-state parsing allocates nothing.
// Iteration order is the order keys were first set.
//
// String and bytes values may alias the bytes of the message they were
// parsed from (see Value): String returns a string that stays valid
// (a copy when the value aliases), UnsafeString the zero-copy one. CopyFrom
// makes an owned copy, backed by an arena the Attributes reuses after Reset.
//
// The readers (Get, Has, String, UnsafeString, Int, Bool, Len, All, Map,
// AppendJSON) are safe on a nil *Attributes, which has no attributes: an
// Exchange's Response is nil for a request that was never answered, and
// e.Response.String(k) then reports ("", false) rather than panicking.
//
// The zero value is ready to use. An Attributes must not be copied after
// first use (copy with CopyFrom instead).
type Attributes struct {
	list  []Attr
	floor int    // keys at index >= floor belong to the parser node running now
	arena []byte // owned string storage for CopyFrom
	// mask has bit keyBit(k) set for every key k that Set (not Add) put at
	// index >= floor, so that Set appends a key it has not seen without
	// scanning the list.
	mask uint64
}

// keyBit is a cheap 1-of-64 hash of a key for Attributes.mask.
func keyBit(k string) uint64 {
	if len(k) == 0 {
		return 1
	}
	return 1 << ((uint(len(k))*7 + uint(k[len(k)-1])) & 63)
}

// Reset empties the map, keeping its storage. Values copied in by CopyFrom
// become invalid.
//
// Stale entries beyond the new length are not cleared: they are
// overwritten by the next message, and clearing them would cost every
// message a memclr for nothing.
func (a *Attributes) Reset() {
	a.list = a.list[:0]
	a.floor = 0
	a.mask = 0
	a.arena = a.arena[:0]
}

// Len is the number of distinct keys.
func (a *Attributes) Len() int {
	if a == nil {
		return 0
	}
	n := 0
	for i := range a.list {
		if a.latest(i) {
			n++
		}
	}
	return n
}

// latest reports whether list[i] is the newest entry for its key.
func (a *Attributes) latest(i int) bool {
	k := a.list[i].Key
	for j := i + 1; j < len(a.list); j++ {
		if a.list[j].Key == k {
			return false
		}
	}
	return true
}

// Set sets key to v. A key set again by the same parser node is overwritten
// in place; a key set by a child node over its parent's value shadows it, so
// that rolling the child back restores the parent's value.
func (a *Attributes) Set(key string, v Value) {
	if bit := keyBit(key); a.mask&bit == 0 {
		a.mask |= bit
		a.list = append(a.list, Attr{Key: key, Value: v})
		return
	}
	for i := len(a.list) - 1; i >= a.floor; i-- {
		if a.list[i].Key == key {
			a.list[i].Value = v
			return
		}
	}
	a.list = append(a.list, Attr{Key: key, Value: v})
}

// Add appends key=v without looking for an earlier value set by the same
// node: the fast path for a node that sets each of its keys once (a header
// node reading fixed fields). If the node did set key before, the later
// value wins for Get and All, and the earlier one stays in the list until
// Reset. Use Set when a key may be set twice.
//
// Add is one append and nothing else (Kafka sets some 26 attributes per
// request and response, so every store counts): it does not record key in
// the mask Set consults, so a later Set of the same key appends a newer
// entry instead of overwriting this one, with the same result for readers.
func (a *Attributes) Add(key string, v Value) {
	a.list = append(a.list, Attr{Key: key, Value: v})
}

// SetString sets a string attribute.
func (a *Attributes) SetString(key, s string) { a.Set(key, StringValue(s)) }

// SetBytesString sets an aliasing string attribute from message bytes,
// without copying (see UnsafeStringValue).
func (a *Attributes) SetBytesString(key string, b []byte) {
	a.Set(key, UnsafeStringValue(b))
}

// SetInt sets an integer attribute.
func (a *Attributes) SetInt(key string, n int64) { a.Set(key, IntValue(n)) }

// SetBool sets a boolean attribute.
func (a *Attributes) SetBool(key string, b bool) { a.Set(key, BoolValue(b)) }

// SetBytes sets a bytes attribute aliasing b.
func (a *Attributes) SetBytes(key string, b []byte) { a.Set(key, BytesValue(b)) }

// Get returns the value of key and whether it is present.
func (a *Attributes) Get(key string) (Value, bool) {
	if a == nil {
		return Value{}, false
	}
	for i := len(a.list) - 1; i >= 0; i-- {
		// Keys are mostly the packages' constants: the same string data
		// is a match without comparing bytes.
		if k := a.list[i].Key; len(k) == len(key) && (unsafe.StringData(k) == unsafe.StringData(key) || k == key) {
			return a.list[i].Value, true
		}
	}
	return Value{}, false
}

// Has reports whether key is present.
func (a *Attributes) Has(key string) bool {
	_, ok := a.Get(key)
	return ok
}

// String returns the string value of key ("" and false when absent or not
// a string). The result stays valid after the message is gone, so it can
// be kept (a map key, a slice element): a stable value is returned as it
// is, at no cost; an aliasing one is copied.
func (a *Attributes) String(key string) (string, bool) {
	v, ok := a.Get(key)
	if !ok || !v.isText() {
		return "", false
	}
	return v.kept(), true
}

// UnsafeString is String without the copy: the result may alias the
// message's bytes and is valid only while they are; for an Exchange's
// attributes, until the callback returns. Use it where the string is
// compared, hashed or written out before then; keep a String instead.
func (a *Attributes) UnsafeString(key string) (string, bool) {
	v, ok := a.Get(key)
	if !ok || !v.isText() {
		return "", false
	}
	return v.str(), true
}

// Int returns the integer value of key (0 and false when absent or not an int).
func (a *Attributes) Int(key string) (int64, bool) {
	if v, _ := a.Get(key); v.p == unsafe.Pointer(&intMarker) { // an absent key's p is nil
		return v.n, true
	}
	return 0, false
}

// Bool returns the boolean value of key (false and false when absent or not a bool).
func (a *Attributes) Bool(key string) (bool, bool) {
	v, _ := a.Get(key)
	ok := v.p == unsafe.Pointer(&boolMarker) // an absent key's p is nil
	return ok && v.n != 0, ok
}

// All iterates over the attributes in the order their keys were first set,
// each key once with its current value.
func (a *Attributes) All() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if a == nil {
			return
		}
		for i := range a.list {
			k := a.list[i].Key
			first := true
			for j := 0; j < i; j++ {
				if a.list[j].Key == k {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			v, _ := a.Get(k)
			if !yield(k, v) {
				return
			}
		}
	}
}

// Map returns the attributes as a new Go map of plain values (see Value.Any).
// It allocates; it is meant for tests, JSON and logging, not hot paths.
func (a *Attributes) Map() map[string]any {
	if a == nil {
		return map[string]any{}
	}
	m := make(map[string]any, len(a.list))
	for k, v := range a.All() {
		m[k] = v.Any()
	}
	return m
}

// AppendJSON appends the attributes as a JSON object.
func (a *Attributes) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range a.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = AppendJSONString(dst, k)
		dst = append(dst, ':')
		dst = v.AppendJSON(dst)
	}
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler.
func (a *Attributes) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// CopyFrom replaces a's contents with an owned copy of src: aliasing string
// and bytes values are copied into a's arena, so they stay valid after the
// message src was parsed from is gone, until a is Reset or copied into
// again; stable strings are shared, not copied.
// Keys are not copied: they are expected to be the protocol packages'
// constants. Steady-state copies allocate nothing.
func (a *Attributes) CopyFrom(src *Attributes) {
	a.Reset()
	need := 0
	for i := range src.list {
		if v := src.list[i].Value; v.isText() && !v.stable() {
			need += v.textLen()
		}
	}
	if cap(a.arena) < need {
		a.arena = make([]byte, 0, need)
	}
	if cap(a.list) < len(src.list) {
		a.list = make([]Attr, 0, len(src.list))
	}
	for i := range src.list {
		at := src.list[i]
		if v := at.Value; v.isText() && v.textLen() > 0 && !v.stable() {
			start := len(a.arena)
			a.arena = append(a.arena, v.Bytes()...)
			at.Value.p = unsafe.Pointer(&a.arena[start])
		}
		a.list = append(a.list, at)
		a.mask |= keyBit(at.Key)
	}
}

// mark returns a restore point for rollback and makes the following Sets
// belong to a new node.
func (a *Attributes) mark() (n, floor int, mask uint64) {
	n, floor, mask = len(a.list), a.floor, a.mask
	a.floor, a.mask = n, 0
	return
}

// rollback undoes every Set since mark (when failed), or merges the node's
// keys into its parent's (when not), and restores the floor.
func (a *Attributes) rollback(n, floor int, mask uint64, failed bool) {
	if failed {
		a.list = a.list[:n]
		a.mask = mask
	} else {
		a.mask |= mask
	}
	a.floor = floor
}
