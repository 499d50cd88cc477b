package parser

import (
	"errors"
	"strconv"
)

// Sentinel errors shared by every protocol package. Protocol packages wrap
// them in an *Error (or their own sentinels wrapping these), so callers test
// with errors.Is.
var (
	// ErrShort means the input ended before the message did. While streaming
	// this is "need more"; on a message known to be complete it is a
	// truncation.
	ErrShort = errors.New("parser: short input")
	// ErrMalformed means the bytes violate the protocol.
	ErrMalformed = errors.New("parser: malformed input")
	// ErrTooLarge means a length or count read from the wire exceeds a
	// documented limit; nothing was allocated for it.
	ErrTooLarge = errors.New("parser: length exceeds limit")
	// ErrNotProtocol means the bytes are not this protocol at all.
	ErrNotProtocol = errors.New("parser: not this protocol")
	// ErrNoMatch means the parser tree walked to the end without a node
	// completing the message.
	ErrNoMatch = errors.New("parser: no parser matched")
	// ErrUpgraded means the stream switched to another protocol (for example
	// after an HTTP 101 response) and is no longer parsed.
	ErrUpgraded = errors.New("parser: stream switched protocols")
)

// Error is a decoding error with its location. It wraps one of the sentinel
// errors above (or a protocol package's own), so errors.Is works through it.
type Error struct {
	Protocol string // "redis", "kafka", ...
	Field    string // the field being read, e.g. "bulk length"
	Offset   int    // byte offset in the message where it failed
	Err      error  // the cause, usually a sentinel
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Protocol + ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Err.Error() + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
