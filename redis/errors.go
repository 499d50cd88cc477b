package redis

import (
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Errors returned by framing and parsing. Each wraps one of the parser
// sentinels, so errors.Is(err, parser.ErrTooLarge) and the like work; they
// usually reach the caller inside a *parser.Error carrying the field and
// offset.
var (
	// ErrBulkTooLarge: a bulk string, blob error, verbatim string or
	// streamed-string chunk claims more than Options.MaxBulk bytes.
	ErrBulkTooLarge = fmt.Errorf("redis: bulk string too large: %w", parser.ErrTooLarge)
	// ErrTooManyElements: an aggregate (array, map, set, push, attribute)
	// claims more than Options.MaxElements elements.
	ErrTooManyElements = fmt.Errorf("redis: aggregate too large: %w", parser.ErrTooLarge)
	// ErrLineTooLong: a line (simple string, error, number, header, inline
	// command) runs past Options.MaxLine (Options.MaxInline for inline
	// commands) without its CRLF.
	ErrLineTooLong = fmt.Errorf("redis: line too long: %w", parser.ErrTooLarge)
	// ErrMessageTooLarge: a message grows past Options.MaxMessage.
	ErrMessageTooLarge = fmt.Errorf("redis: message too large: %w", parser.ErrTooLarge)
	// ErrTooDeep: streamed aggregates nested deeper than MaxStreamDepth.
	ErrTooDeep = fmt.Errorf("redis: streamed aggregates nested too deep: %w", parser.ErrTooLarge)
	// ErrBadLength: a length or count is not a valid decimal number, or is
	// negative where RESP allows no negative value.
	ErrBadLength = fmt.Errorf("redis: bad length: %w", parser.ErrMalformed)
	// ErrBadType: a byte that starts no RESP value where a value must start
	// (or, in a request array, anything but a bulk string).
	ErrBadType = fmt.Errorf("redis: unexpected type byte: %w", parser.ErrMalformed)
	// ErrNoCRLF: a value is not terminated by CRLF where RESP requires it.
	ErrNoCRLF = fmt.Errorf("redis: missing CRLF: %w", parser.ErrMalformed)
	// ErrBadValue: a simple value is not what its type allows (an integer
	// that is not one, a boolean other than t/f, a null with a payload, a
	// verbatim string without its format prefix).
	ErrBadValue = fmt.Errorf("redis: bad value: %w", parser.ErrMalformed)
	// ErrTrailing: bytes follow the value in a message that should hold one
	// value only.
	ErrTrailing = fmt.Errorf("redis: trailing bytes after value: %w", parser.ErrMalformed)
	// ErrUnbalancedQuotes: an inline command with an unterminated quote, as
	// redis-server rejects it.
	ErrUnbalancedQuotes = fmt.Errorf("redis: unbalanced quotes in inline command: %w", parser.ErrMalformed)
)

// errShort is the internal "need more bytes" result of the scanners.
var errShort = parser.ErrShort

// wrap attaches location to an error for the caller.
func wrap(field string, off int, err error) error {
	return &parser.Error{Protocol: "redis", Field: field, Offset: off, Err: err}
}
