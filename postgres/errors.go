package postgres

import (
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Errors returned by framing and parsing. Each wraps one of the parser
// sentinels, so errors.Is(err, parser.ErrTooLarge) and the like work.
var (
	// ErrMessageTooLarge: a message's length field, or a request or
	// response run of messages, exceeds Options.MaxMessageSize (startup
	// packets: MaxStartupSize).
	ErrMessageTooLarge = fmt.Errorf("postgres: message too large: %w", parser.ErrTooLarge)
	// ErrBadLength: a length field below the 4 bytes it counts itself.
	ErrBadLength = fmt.Errorf("postgres: bad message length: %w", parser.ErrMalformed)
	// ErrBadType: a message type byte this direction never carries.
	ErrBadType = fmt.Errorf("postgres: unknown message type: %w", parser.ErrNotProtocol)
	// ErrBadStartup: an untyped packet whose protocol code is none of
	// startup (3.x), SSLRequest, GSSENCRequest or CancelRequest.
	ErrBadStartup = fmt.Errorf("postgres: unknown startup packet: %w", parser.ErrNotProtocol)
	// ErrBadSSLAnswer: the answer to SSLRequest/GSSENCRequest is neither
	// 'S', 'G', 'N' nor an ErrorResponse.
	ErrBadSSLAnswer = fmt.Errorf("postgres: bad answer to an encryption request: %w", parser.ErrMalformed)
	// ErrMalformedBody: a message body does not hold what its type
	// requires (a missing NUL terminator, a count past the end).
	ErrMalformedBody = fmt.Errorf("postgres: malformed message body: %w", parser.ErrMalformed)
)
