package dubbo2

import (
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Errors returned by this package. Each wraps one of the parser package's
// sentinels, so errors.Is(err, parser.ErrShort) and friends work too.
var (
	// ErrShort: the input ends before the header or a field does.
	ErrShort = fmt.Errorf("dubbo2: short message: %w", parser.ErrShort)
	// ErrBadMagic: the bytes do not start with the Dubbo2 magic 0xdabb.
	ErrBadMagic = fmt.Errorf("dubbo2: bad magic: %w", parser.ErrNotProtocol)
	// ErrBodyTooLarge: the header announces a body over Options.MaxBodySize.
	ErrBodyTooLarge = fmt.Errorf("dubbo2: body length over limit: %w", parser.ErrTooLarge)
	// ErrNotRequest / ErrNotResponse: the request bit says the other direction.
	ErrNotRequest  = fmt.Errorf("dubbo2: not a request: %w", parser.ErrMalformed)
	ErrNotResponse = fmt.Errorf("dubbo2: not a response: %w", parser.ErrMalformed)
	// ErrMalformed: the hessian2 body violates the encoding (bad tag, bad
	// UTF-8, a reference to a class or type never defined, a string where
	// the Dubbo body layout wants one and finds something else).
	ErrMalformed = fmt.Errorf("dubbo2: malformed hessian2 body: %w", parser.ErrMalformed)
	// ErrTooDeep: hessian2 values nest deeper than Options.MaxDepth.
	ErrTooDeep = fmt.Errorf("dubbo2: hessian2 nesting too deep: %w", parser.ErrTooLarge)
	// ErrTooManyDefs: more class definitions or type names than the walker
	// keeps (maxClassDefs, maxTypes).
	ErrTooManyDefs = fmt.Errorf("dubbo2: too many hessian2 class or type definitions: %w", parser.ErrTooLarge)
)
