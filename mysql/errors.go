package mysql

import (
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Errors returned by framing and parsing. Each wraps one of the parser
// sentinels, so errors.Is(err, parser.ErrTooLarge) and the like work.
var (
	// ErrMessageTooLarge: a framed message (a command with its
	// continuation packets, a whole response with every result set)
	// grows past Options.MaxMessageSize.
	ErrMessageTooLarge = fmt.Errorf("mysql: message too large: %w", parser.ErrTooLarge)
	// ErrTooManyColumns: a column count over Options.MaxColumns.
	ErrTooManyColumns = fmt.Errorf("mysql: too many columns: %w", parser.ErrTooLarge)
	// ErrBadSequence: a packet whose sequence id cannot start a message
	// (a command must have sequence 0).
	ErrBadSequence = fmt.Errorf("mysql: unexpected sequence id: %w", parser.ErrNotProtocol)
	// ErrEmptyCommand: a command packet without a command byte.
	ErrEmptyCommand = fmt.Errorf("mysql: empty command packet: %w", parser.ErrMalformed)
	// ErrMalformedPacket: a packet does not hold what its kind requires.
	ErrMalformedPacket = fmt.Errorf("mysql: malformed packet: %w", parser.ErrMalformed)
)
