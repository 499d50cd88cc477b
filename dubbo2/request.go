package dubbo2

import (
	"errors"

	"github.com/wirekit/wirekit/parser"
)

// A hessian2 request body is, in order:
//
//	string  Dubbo protocol version ("2.0.2")
//	string  service path (interface name)
//	string  service version ("" when none)
//	string  method name
//	string  parameter types, a JVM descriptor ("Ljava/lang/String;I")
//	value*  one argument per parameter type
//	map     attachments (path, interface, version, group, timeout, ...)
//
// The five strings are read here with the package's own reader, without
// allocating: they alias the message bytes. What follows is only stepped
// over or decoded when Options ask for it (see extras.go).

// requestFields are the attribute keys of the leading strings, in body order.
var requestFields = [...]string{AttrDubboVersion, AttrService, AttrVersion, AttrMethod, AttrParameterTypes}

var requestFieldNames = [...]string{"dubbo version", "service", "service version", "method", "parameter types"}

// request parses a hessian2 request body (not an event).
//
// The five strings are read first and their attributes set after, so that
// a body that fails leaves none of them (only the header's): the tree is
// one node, and the walk rolls back nothing of a node that fails. A short
// read in a truncated message is not a failure: the strings read whole are
// set. Each key is set once per message, hence Attributes.Add.
func (c *codec) request(m *parser.Message) (ok, complete bool) {
	b := body(m)
	r := parser.NewReader(b)
	var f [len(requestFields)][]byte
	for i := range f {
		f[i] = leadingString(&r)
		if !r.Ok() {
			if m.Flags&parser.Truncated != 0 && errors.Is(r.Err(), parser.ErrShort) {
				for j := range i {
					m.Attrs.Add(requestFields[j], bytesValue(f[j]))
				}
				return true, true
			}
			return c.bodyError(m, requestFieldNames[i], HeaderLen+r.Offset(), r.Err())
		}
	}
	a := &m.Attrs
	a.Add(AttrDubboVersion, bytesValue(f[0]))
	a.Add(AttrService, bytesValue(f[1]))
	a.Add(AttrVersion, bytesValue(f[2]))
	a.Add(AttrMethod, bytesValue(f[3]))
	a.Add(AttrParameterTypes, bytesValue(f[4]))
	desc := f[4]
	argc, valid := countParams(desc)
	if valid {
		a.Add(AttrArgumentCount, parser.IntValue(int64(argc)))
	}
	if c.opts.DecodeArguments || c.opts.DecodeAttachments {
		if !valid {
			// Without the argument count the attachments cannot be found.
			return c.extraError(m, "parameter types", HeaderLen+r.Offset()-len(desc), ErrMalformed)
		}
		if err := c.requestExtras(m, b, r.Offset(), argc); err != nil {
			return c.extraError(m, "arguments or attachments", HeaderLen+r.Offset(), err)
		}
	}
	return true, true
}

// bytesValue is a string attribute value aliasing message bytes.
func bytesValue(b []byte) parser.Value { return parser.UnsafeStringValue(b) }

// extraError ends the parse of a body whose leading fields were read but
// whose optional part (arguments, attachments, exception) could not be: the
// message completes, so that what was read stays, and the error is
// reported in AttrDecodeError. A short read in a truncated message is no error.
func (c *codec) extraError(m *parser.Message, field string, off int, err error) (ok, complete bool) {
	if m.Flags&parser.Truncated != 0 && errors.Is(err, parser.ErrShort) {
		return true, true
	}
	if errors.Is(err, parser.ErrShort) {
		err = ErrMalformed
	}
	e := &parser.Error{Protocol: "dubbo2", Field: field, Offset: off, Err: err}
	m.Attrs.SetString(AttrDecodeError, e.Error())
	return true, true
}

// bodyError ends the parse of a body: a short read in a truncated message
// is the expected end of what was captured (the message completes with
// what was read); anything else fails it with a located error.
func (c *codec) bodyError(m *parser.Message, field string, off int, err error) (ok, complete bool) {
	if m.Flags&parser.Truncated != 0 && errors.Is(err, parser.ErrShort) {
		return true, true
	}
	if errors.Is(err, parser.ErrShort) {
		// The body is complete per its header, yet a field runs past it.
		err = ErrMalformed
	}
	return m.Fail(&parser.Error{Protocol: "dubbo2", Field: field, Offset: off, Err: err})
}
