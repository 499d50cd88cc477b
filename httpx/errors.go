package httpx

import (
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Errors returned by the head parsers and the framing (Split) functions.
// Each wraps one of the parser package's sentinels, so callers can test
// either the precise cause (errors.Is(err, httpx.ErrObsFold)) or the class
// (errors.Is(err, parser.ErrMalformed)). Errors that carry a location come
// wrapped in a *parser.Error with Protocol "http".
var (
	// ErrHeadTooLarge: the start line and header block (or a chunked
	// body's trailer section) do not end within Options.MaxHeaderBytes.
	ErrHeadTooLarge = fmt.Errorf("httpx: header block exceeds limit: %w", parser.ErrTooLarge)
	// ErrTooManyHeaders: more than Options.MaxHeaders header (or trailer) fields.
	ErrTooManyHeaders = fmt.Errorf("httpx: too many header fields: %w", parser.ErrTooLarge)
	// ErrBodyTooLarge: the body as framed on the wire would exceed
	// Options.MaxBodyBytes; Split refuses to buffer it.
	ErrBodyTooLarge = fmt.Errorf("httpx: body exceeds limit: %w", parser.ErrTooLarge)
	// ErrChunkSizeTooLong: a chunk-size has more than
	// Options.MaxChunkSizeDigits hex digits, or its line (with chunk
	// extensions) is longer than Options.MaxChunkLineBytes.
	ErrChunkSizeTooLong = fmt.Errorf("httpx: chunk size line exceeds limit: %w", parser.ErrTooLarge)
	// ErrTooManyPipelined: more than Options.MaxPipelined requests are
	// waiting for their responses on one connection.
	ErrTooManyPipelined = fmt.Errorf("httpx: too many requests awaiting a response: %w", parser.ErrTooLarge)

	// ErrBadRequestLine: the request-line is not method SP request-target SP HTTP-version.
	ErrBadRequestLine = fmt.Errorf("httpx: malformed request line: %w", parser.ErrMalformed)
	// ErrBadStatusLine: the status-line is not HTTP-version SP 3DIGIT [SP reason].
	ErrBadStatusLine = fmt.Errorf("httpx: malformed status line: %w", parser.ErrMalformed)
	// ErrBadHeader: a header field line has an invalid name, no colon,
	// whitespace before the colon, or a control byte in its value
	// (including a bare CR).
	ErrBadHeader = fmt.Errorf("httpx: malformed header field: %w", parser.ErrMalformed)
	// ErrObsFold: a header line starts with whitespace (obsolete line
	// folding, RFC 9112 section 5.2). It is rejected, never unfolded.
	ErrObsFold = fmt.Errorf("httpx: obsolete line folding: %w", parser.ErrMalformed)
	// ErrBadContentLength: Content-Length is not a decimal number of at
	// most 18 digits, or several Content-Length fields disagree.
	ErrBadContentLength = fmt.Errorf("httpx: invalid Content-Length: %w", parser.ErrMalformed)
	// ErrBadTransferEncoding: Transfer-Encoding in an HTTP/1.0 message, a
	// request whose final transfer coding is not chunked, or chunked
	// applied twice (RFC 9112 section 6.1 and 6.3).
	ErrBadTransferEncoding = fmt.Errorf("httpx: invalid Transfer-Encoding: %w", parser.ErrMalformed)
	// ErrDuplicateHost: a request with more than one Host field (RFC 9112 section 3.2).
	ErrDuplicateHost = fmt.Errorf("httpx: more than one Host field: %w", parser.ErrMalformed)
	// ErrBadChunk: a chunk-size line is not hex digits with optional
	// extensions, or chunk data is not followed by CRLF.
	ErrBadChunk = fmt.Errorf("httpx: malformed chunked body: %w", parser.ErrMalformed)

	// ErrUnsupportedVersion: the HTTP-version is not HTTP/1.x (an HTTP/2
	// connection preface lands here).
	ErrUnsupportedVersion = fmt.Errorf("httpx: not an HTTP/1.x message: %w", parser.ErrNotProtocol)

	// ErrTruncated: the stream ended (atEOF) inside a message.
	ErrTruncated = fmt.Errorf("httpx: stream ended inside a message: %w", parser.ErrShort)
)

// errAt wraps err with the field being read and its byte offset. It
// allocates, which is fine: it only runs on the error path.
func errAt(field string, off int, err error) error {
	return &parser.Error{Protocol: Name, Field: field, Offset: off, Err: err}
}
