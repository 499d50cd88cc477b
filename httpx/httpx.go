package httpx

import (
	"fmt"
	"strings"

	"github.com/wirekit/wirekit/internal/limit"
)

// Name is the protocol name used in attributes and errors.
const Name = "http"

// Attribute keys set by the request and response parser trees. String
// values alias the message bytes (see parser.UnsafeString).
const (
	AttrMethod           = "http.method"            // request method, as sent (string)
	AttrPath             = "http.path"              // request-target exactly as sent, query kept (string)
	AttrHost             = "http.host"              // Host field value; absent when the request has none (string)
	AttrVersion          = "http.version"           // "1.0" or "1.1" (string)
	AttrStatusCode       = "http.status_code"       // response status code (int)
	AttrReason           = "http.reason"            // response reason phrase, may be empty (string)
	AttrContentLength    = "http.content_length"    // Content-Length, when the field is present (int)
	AttrContentType      = "http.content_type"      // Content-Type, when present (string)
	AttrTransferEncoding = "http.transfer_encoding" // Transfer-Encoding as sent in its first field, when present (string)
	AttrKeepAlive        = "http.keep_alive"        // whether the connection persists after this message (bool)
	AttrUpgrade          = "http.upgrade"           // Upgrade field value, when present (string)
	// AttrLengthConflict is set (true) on a message that carries both
	// Transfer-Encoding and Content-Length (bool). RFC 9112 section 6.3:
	// Transfer-Encoding overrides Content-Length, and such a message
	// "ought to be handled as an error" since it is how requests are
	// smuggled past a proxy that reads the other one. wirekit frames it by
	// Transfer-Encoding, as the RFC says a recipient must, flags it and
	// counts it (State.LengthConflicts), so that a monitor sees the attempt
	// rather than silently choosing one reading.
	AttrLengthConflict = "http.length_conflict"

	// AttrHeaderPrefix prefixes the keys of the extra headers selected
	// with Options.ExtraHeaders: "http.header.<lower-cased name>".
	AttrHeaderPrefix = "http.header."
)

// Default limits, used for the zero (or negative) fields of Options.
const (
	DefaultMaxHeaderBytes     = 64 << 10 // start line + header block, and separately a chunked trailer section
	DefaultMaxHeaders         = 128      // header fields per message (and trailer fields)
	DefaultMaxBodyBytes       = 16 << 20 // body bytes Split buffers into one message
	DefaultMaxChunkSizeDigits = 16       // hex digits of one chunk-size
	DefaultMaxChunkLineBytes  = 4096     // a chunk-size line including chunk extensions
	DefaultMaxPipelined       = 128      // requests awaiting a response on one connection
)

// MaxExtraHeaders is how many header names Options.ExtraHeaders may list.
// The values are kept in a fixed array inside Header, which is what lets
// parsing stay allocation-free.
const MaxExtraHeaders = 16

// Options configures a Parser. The zero value selects every default.
// Every length or count taken from the wire is checked against one of
// these limits before anything is buffered for it.
type Options struct {
	// MaxHeaderBytes caps the start line plus header block, including the
	// empty line that ends it. A chunked body's trailer section is capped
	// by the same number. Default DefaultMaxHeaderBytes (64 KiB).
	MaxHeaderBytes int
	// MaxHeaders caps the number of header fields of one message (and of
	// trailer fields). Default DefaultMaxHeaders (128).
	MaxHeaders int
	// MaxBodyBytes caps the body of one message as it appears on the
	// wire (for a chunked body: chunk-size lines, data and CRLFs; the
	// trailer section is capped by MaxHeaderBytes). Split must buffer a
	// whole message to return it as one token, so this is also the
	// buffering cap for read-until-close responses. Default
	// DefaultMaxBodyBytes (16 MiB).
	MaxBodyBytes int64
	// MaxChunkSizeDigits caps the hex digits of a chunk-size (leading
	// zeros included). Default DefaultMaxChunkSizeDigits (16).
	MaxChunkSizeDigits int
	// MaxChunkLineBytes caps a chunk-size line including chunk
	// extensions. Default DefaultMaxChunkLineBytes (4096).
	MaxChunkLineBytes int
	// MaxPipelined caps how many requests may await their response on
	// one connection (the per-connection FIFO of request methods the
	// response framing needs). Default DefaultMaxPipelined (128).
	MaxPipelined int
	// ExtraHeaders lists header names (case-insensitive, at most
	// MaxExtraHeaders) whose values are captured as the attributes
	// "http.header.<lower-cased name>" (first occurrence) and kept in
	// Header.Extra. Default none.
	ExtraHeaders []string
}

// Parser is a compiled Options: limits and the extra header set. It is
// immutable after NewParser and safe for concurrent use; all mutable
// parsing state lives in the caller's Request, Response, State and
// parser.Message values.
type Parser struct {
	maxHeaderBytes int
	maxHeaders     int
	maxBody        int64
	maxChunkDigits int
	maxChunkLine   int
	maxPipelined   int
	extraNames     []string // lower-cased
	extraKeys      []string // AttrHeaderPrefix + lower-cased name
}

// NewParser validates opts and compiles them. It fails when ExtraHeaders
// has more than MaxExtraHeaders names or a name that is not a valid
// header field name (an RFC 9110 token).
func NewParser(opts Options) (*Parser, error) {
	p := &Parser{
		maxHeaderBytes: limit.Or(opts.MaxHeaderBytes, DefaultMaxHeaderBytes),
		maxHeaders:     limit.Or(opts.MaxHeaders, DefaultMaxHeaders),
		maxChunkDigits: limit.Or(opts.MaxChunkSizeDigits, DefaultMaxChunkSizeDigits),
		maxChunkLine:   limit.Or(opts.MaxChunkLineBytes, DefaultMaxChunkLineBytes),
		maxPipelined:   limit.Or(opts.MaxPipelined, DefaultMaxPipelined),
		maxBody:        limit.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes),
	}
	if p.maxChunkDigits > 16 {
		// More than 16 hex digits cannot fit the uint64 the size is read into.
		p.maxChunkDigits = 16
	}
	if len(opts.ExtraHeaders) > MaxExtraHeaders {
		return nil, fmt.Errorf("httpx: %d extra headers, at most %d", len(opts.ExtraHeaders), MaxExtraHeaders)
	}
	for _, h := range opts.ExtraHeaders {
		if h == "" || !isToken([]byte(h)) {
			return nil, fmt.Errorf("httpx: extra header %q is not a valid field name", h)
		}
		l := strings.ToLower(h)
		p.extraNames = append(p.extraNames, l)
		p.extraKeys = append(p.extraKeys, AttrHeaderPrefix+l)
	}
	return p, nil
}

// defaultParser backs Protocol and the package-level helpers. It is never
// modified after initialisation.
var defaultParser, _ = NewParser(Options{})

// DefaultParser returns the Parser with default Options.
func DefaultParser() *Parser { return defaultParser }

// ExtraKey returns the attribute key of the i-th extra header, or "".
func (p *Parser) ExtraKey(i int) string {
	if i < 0 || i >= len(p.extraKeys) {
		return ""
	}
	return p.extraKeys[i]
}
