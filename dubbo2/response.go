package dubbo2

import (
	"github.com/wirekit/wirekit/parser"
)

// A hessian2 response body depends on the header status:
//
//	status OK:     int response type, then per type
//	               0 exception          exception object
//	               1 value              value
//	               2 null               (nothing)
//	               3,4,5 the same, then an attachments map
//	other status:  string error message
//
// dubbo-go writes a trailing null after the body of every response (and
// "NN" for heartbeats); it is ignored.

// ResponseType is the first field of an OK hessian2 response body.
type ResponseType int8

// Response types.
const (
	ResponseException                ResponseType = 0
	ResponseValue                    ResponseType = 1
	ResponseNull                     ResponseType = 2
	ResponseExceptionWithAttachments ResponseType = 3
	ResponseValueWithAttachments     ResponseType = 4
	ResponseNullWithAttachments      ResponseType = 5
)

var responseTypeNames = [...]string{
	"exception", "value", "null",
	"exception_with_attachments", "value_with_attachments", "null_with_attachments",
}

// String names the type as the AttrResponseType attribute does.
func (t ResponseType) String() string {
	if t >= 0 && int(t) < len(responseTypeNames) {
		return responseTypeNames[t]
	}
	return "unknown"
}

// HasAttachments reports whether an attachments map follows the value.
func (t ResponseType) HasAttachments() bool { return t >= 3 && t <= 5 }

// response parses a hessian2 response body (not an event).
func (c *codec) response(m *parser.Message) (ok, complete bool) {
	b := body(m)
	r := parser.NewReader(b)
	if Status(m.Data[3]) != StatusOK {
		s := readString(&r)
		if !r.Ok() {
			return c.bodyError(m, "error message", HeaderLen+r.Offset(), r.Err())
		}
		m.Attrs.Add(AttrError, bytesValue(s))
		return true, true
	}
	t := readInt(&r)
	if !r.Ok() {
		return c.bodyError(m, "response type", HeaderLen+r.Offset(), r.Err())
	}
	if t < 0 || t > 5 {
		return c.bodyError(m, "response type", HeaderLen, ErrMalformed)
	}
	rt := ResponseType(t)
	m.Attrs.Add(AttrResponseType, parser.StringValue(rt.String()))
	switch rt {
	case ResponseException, ResponseExceptionWithAttachments:
		// The exception class and message are what an exception result
		// is about, so they are read in the default path too; stepping
		// over a Throwable allocates nothing.
		if err := c.exception(m, b, r.Offset(), rt.HasAttachments()); err != nil {
			return c.extraError(m, "exception", HeaderLen+r.Offset(), err)
		}
	case ResponseValueWithAttachments, ResponseNullWithAttachments:
		if c.opts.DecodeAttachments {
			if err := c.responseAttachments(m, b, r.Offset(), rt == ResponseValueWithAttachments); err != nil {
				return c.extraError(m, "attachments", HeaderLen+r.Offset(), err)
			}
		}
	}
	return true, true
}

// exception reads the exception value at b[off:], then the attachments when
// asked for and present.
func (c *codec) exception(m *parser.Message, b []byte, off int, attachments bool) error {
	var w walker
	w.reset(b, c.opts.MaxDepth)
	w.r.Skip(off)
	class, msg := w.exception()
	if class != nil {
		m.Attrs.SetBytesString(AttrExceptionClass, class)
	}
	if msg != nil {
		m.Attrs.SetBytesString(AttrExceptionMessage, msg)
	}
	if err := w.r.Err(); err != nil {
		return err
	}
	if attachments && c.opts.DecodeAttachments {
		return c.attachments(m, &w)
	}
	return nil
}

// responseAttachments steps over the value (when there is one) and reads
// the attachments.
func (c *codec) responseAttachments(m *parser.Message, b []byte, off int, hasValue bool) error {
	var w walker
	w.reset(b, c.opts.MaxDepth)
	w.r.Skip(off)
	if hasValue {
		w.value()
		if err := w.r.Err(); err != nil {
			return err
		}
	}
	return c.attachments(m, &w)
}
