package dubbo2

import (
	"bufio"
	"encoding/binary"
	"strings"

	"github.com/wirekit/wirekit/parser"
)

// Attribute keys this package sets. Names and value types match the
// corpus truth files (dubbo2.request_id is an int, dubbo2.two_way a bool...).
const (
	// Header, both directions.
	AttrRequestID       = "dubbo2.request_id"       // int: header bytes 4..12
	AttrSerializationID = "dubbo2.serialization_id" // int: low 5 bits of byte 2
	AttrSerialization   = "dubbo2.serialization"    // string: its name ("hessian2", "kryo", ...)
	AttrEvent           = "dubbo2.event"            // bool: event (heartbeat) flag
	AttrTruncated       = "dubbo2.truncated"        // bool: set (true) when the bytes end before the body does
	AttrHeartbeat       = "dubbo2.heartbeat"        // bool: an event whose body is null, i.e. a heartbeat
	AttrDecodeError     = "dubbo2.decode_error"     // string: why the optional part of a body (arguments, attachments, exception) could not be read

	// Requests.
	AttrTwoWay         = "dubbo2.two_way"         // bool: a response is expected
	AttrDubboVersion   = "dubbo2.dubbo_version"   // string: protocol version in the body ("2.0.2")
	AttrService        = "dubbo2.service"         // string: service path (interface name)
	AttrVersion        = "dubbo2.version"         // string: service version, "" when none
	AttrMethod         = "dubbo2.method"          // string: method name
	AttrParameterTypes = "dubbo2.parameter_types" // string: JVM descriptor of the parameters, see ArgumentTypes
	AttrArgumentCount  = "dubbo2.argument_count"  // int: number of parameter types in the descriptor

	// Requests, with Options.DecodeArguments.
	AttrArguments        = "dubbo2.arguments"         // string: JSON array of the decoded argument values
	AttrArgumentsSkipped = "dubbo2.arguments_skipped" // int: bytes of arguments not decoded (over MaxArgumentBytes)

	// Attachments (requests and responses), with Options.DecodeAttachments.
	// Values of sensitive keys are replaced by MaskedValue.
	AttrAttachments = "dubbo2.attachments" // string: JSON object of all attachments, keys sorted
	AttrGroup       = "dubbo2.group"       // string: the "group" attachment
	AttrInterface   = "dubbo2.interface"   // string: the "interface" attachment
	AttrTimeout     = "dubbo2.timeout"     // int: the "timeout" attachment (ms), or string when not a number

	// Responses.
	AttrStatus           = "dubbo2.status"            // int: header status byte (20 = OK)
	AttrStatusName       = "dubbo2.status_name"       // string: OK, SERVICE_NOT_FOUND, ...
	AttrResponseType     = "dubbo2.response_type"     // string: value, null, exception (+ "_with_attachments")
	AttrError            = "dubbo2.error"             // string: error text of a non-OK status
	AttrExceptionClass   = "dubbo2.exception_class"   // string: Java class of an exception result
	AttrExceptionMessage = "dubbo2.exception_message" // string: its detailMessage
)

// Default option values.
const (
	DefaultMaxDepth         = 32
	DefaultMaxArgumentBytes = 64 << 10
	DefaultMaxAttachments   = 64
	// MaskedValue replaces the value of a sensitive attachment.
	MaskedValue = "***"
)

// DefaultSensitiveAttachments returns the attachment key substrings whose
// values are masked when Options.SensitiveAttachments is nil: token,
// password, passwd, secret, authorization, credential, cookie, session,
// signature, private, apikey, api-key, api_key, access_key, accesskey. A
// key is sensitive when it contains one of them, ignoring case
// ("accessToken" contains "token"). Each call returns a new slice.
func DefaultSensitiveAttachments() []string {
	return []string{
		"token", "password", "passwd", "secret", "authorization", "credential",
		"cookie", "session", "signature", "private", "apikey", "api-key", "api_key", "access_key", "accesskey",
	}
}

// Options configure the parsers. The zero value is the fast default:
// header and the leading body strings only, no hessian2 decoding library.
type Options struct {
	// MaxBodySize is the largest body length accepted (Split fails with
	// ErrBodyTooLarge beyond it, and so does the header node). Default
	// DefaultMaxBodySize (8 MiB).
	MaxBodySize int
	// MaxDepth bounds the nesting of hessian2 values stepped over or
	// decoded. Default DefaultMaxDepth (32).
	MaxDepth int
	// DecodeAttachments reads the attachments map of requests and
	// responses (steps over the arguments or result value to reach it)
	// and sets AttrAttachments, AttrGroup, AttrInterface and AttrTimeout.
	DecodeAttachments bool
	// DecodeArguments renders request argument values as JSON and sets
	// AttrArguments (an array; see json.go for the mapping: objects are
	// maps with their Java class under "_class", back-references are
	// {"$ref": n}). No Go types are needed or used.
	DecodeArguments bool
	// MaxArgumentBytes is the largest arguments section DecodeArguments
	// decodes; a larger one is counted in AttrArgumentsSkipped instead.
	// Default DefaultMaxArgumentBytes (64 KiB).
	MaxArgumentBytes int
	// MaxAttachments bounds the attachments read per message; a map with
	// more is reported in AttrDecodeError (ErrTooManyDefs). Default 64.
	MaxAttachments int
	// SensitiveAttachments lists key substrings (ASCII case-insensitive) whose
	// values are masked. nil means DefaultSensitiveAttachments; an empty
	// non-nil slice masks nothing.
	SensitiveAttachments []string
}

func (o *Options) setDefaults() {
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxArgumentBytes <= 0 {
		o.MaxArgumentBytes = DefaultMaxArgumentBytes
	}
	if o.MaxAttachments <= 0 {
		o.MaxAttachments = DefaultMaxAttachments
	}
	if o.SensitiveAttachments == nil {
		o.SensitiveAttachments = DefaultSensitiveAttachments()
	}
}

// codec holds the options the parser nodes read; it is immutable once
// built, so one tree serves every connection.
type codec struct {
	opts             Options
	sensitiveLower   []string      // SensitiveAttachments in lower case, empty ones dropped
	sensitiveByFirst [256][]string // sensitiveLower by first byte
}

// newCodec applies the defaults to opts and prepares the lookups.
func newCodec(opts Options) *codec {
	opts.setDefaults()
	c := &codec{opts: opts}
	for _, s := range opts.SensitiveAttachments {
		if s != "" {
			l := strings.ToLower(s)
			c.sensitiveLower = append(c.sensitiveLower, l)
			c.sensitiveByFirst[l[0]] = append(c.sensitiveByFirst[l[0]], l)
		}
	}
	return c
}

// Protocol returns the Dubbo2 protocol with default Options: header and
// leading body fields, paired by request id, on port 20880.
func Protocol() *parser.Protocol { return NewProtocol(Options{}) }

// NewProtocol returns the Dubbo2 protocol configured by opts.
//
// The request tree is: header node (magic, flags, id, length), then
// "event" (heartbeats, any serialization), "hessian2" (the request body)
// and "other" (bodies in other serializations, reported by header only).
// The response tree has the same shape, with the status in the header node.
func NewProtocol(opts Options) *parser.Protocol {
	c := newCodec(opts)
	opts = c.opts
	split := splitFunc(opts.MaxBodySize)
	return &parser.Protocol{
		Name:     "dubbo2",
		Request:  c.requestTree(),
		Response: c.responseTree(),
		Split:    func(any, parser.Direction) bufio.SplitFunc { return split },
		Pairing:  parser.PairByKey,
		Key:      Key,
		Ports:    []uint16{20880},
	}
}

// requestTree builds the request parser tree.
func (c *codec) requestTree() *parser.PkgParser {
	return parser.NewPkgParser("dubbo2.request", c.requestFastFail, c.requestHeader).Add(
		parser.NewPkgParser("dubbo2.request.event", notEvent, c.event),
		parser.NewPkgParser("dubbo2.request.hessian2", notHessian2, c.request),
		parser.NewPkgParser("dubbo2.request.other", isHessian2, headerOnly),
	)
}

// responseTree builds the response parser tree.
func (c *codec) responseTree() *parser.PkgParser {
	return parser.NewPkgParser("dubbo2.response", c.responseFastFail, c.responseHeader).Add(
		parser.NewPkgParser("dubbo2.response.event", notEvent, c.event),
		parser.NewPkgParser("dubbo2.response.hessian2", notHessian2, c.response),
		parser.NewPkgParser("dubbo2.response.other", isHessian2, headerOnly),
	)
}

// requestFastFail rules out anything that does not start like a request
// header: magic, request bit and a serialization id (0 is none). Prefixes
// too short to hold a field pass it. (A body length over the limit is left
// to Split and the header node, which say so with ErrBodyTooLarge.)
func (c *codec) requestFastFail(m *parser.Message) bool {
	return c.fastFail(m.Data[m.Offset:], FlagRequest)
}

// responseFastFail is the same for responses (request bit clear).
func (c *codec) responseFastFail(m *parser.Message) bool {
	return c.fastFail(m.Data[m.Offset:], 0)
}

func (c *codec) fastFail(d []byte, request byte) bool {
	switch {
	case len(d) >= 3:
		return d[0] != 0xda || d[1] != 0xbb || d[2]&FlagRequest != request || d[2]&serialMask == 0
	case len(d) == 2:
		return d[0] != 0xda || d[1] != 0xbb
	case len(d) == 1:
		return d[0] != 0xda
	}
	return true
}

func notEvent(m *parser.Message) bool    { return m.Data[2]&FlagEvent == 0 }
func notHessian2(m *parser.Message) bool { return m.Data[2]&serialMask != uint8(Hessian2) }
func isHessian2(m *parser.Message) bool  { return m.Data[2]&serialMask == uint8(Hessian2) }

// header reads the 16 header bytes common to both directions and sets
// their attributes. It marks the message truncated when the bytes end
// before the announced body does, so that the children read what is there
// and still complete.
func (c *codec) header(m *parser.Message) bool {
	d := m.Data
	if len(d) < HeaderLen {
		m.Err = ErrShort
		return false
	}
	if d[0] != 0xda || d[1] != 0xbb {
		m.Err = ErrBadMagic
		return false
	}
	n := binary.BigEndian.Uint32(d[12:16])
	if uint64(n) > uint64(c.opts.MaxBodySize) {
		m.Err = ErrBodyTooLarge
		return false
	}
	m.Attrs.SetInt(AttrRequestID, int64(binary.BigEndian.Uint64(d[4:12])))
	ser := SerializationID(d[2] & serialMask)
	m.Attrs.SetInt(AttrSerializationID, int64(ser))
	m.Attrs.SetString(AttrSerialization, ser.String())
	m.Attrs.SetBool(AttrEvent, d[2]&FlagEvent != 0)
	if len(d) < HeaderLen+int(n) {
		m.Flags |= parser.Truncated
	}
	if m.Flags&parser.Truncated != 0 {
		m.Attrs.SetBool(AttrTruncated, true)
	}
	m.Offset = HeaderLen
	return true
}

func (c *codec) requestHeader(m *parser.Message) (ok, complete bool) {
	if !c.header(m) {
		return false, false
	}
	if m.Data[2]&FlagRequest == 0 {
		return m.Fail(ErrNotRequest)
	}
	twoWay := m.Data[2]&FlagTwoWay != 0
	m.Attrs.SetBool(AttrTwoWay, twoWay)
	if !twoWay {
		m.Flags |= parser.OneWay
	}
	return true, false
}

func (c *codec) responseHeader(m *parser.Message) (ok, complete bool) {
	if !c.header(m) {
		return false, false
	}
	if m.Data[2]&FlagRequest != 0 {
		return m.Fail(ErrNotResponse)
	}
	st := Status(m.Data[3])
	m.Attrs.SetInt(AttrStatus, int64(st))
	if name := st.name(); name != "" {
		m.Attrs.SetString(AttrStatusName, name)
	} else {
		m.Attrs.SetString(AttrStatusName, st.String())
	}
	return true, false
}

// body returns the body bytes present: at most the announced length.
func body(m *parser.Message) []byte {
	n := int(binary.BigEndian.Uint32(m.Data[12:16]))
	b := m.Data[HeaderLen:]
	if len(b) > n {
		b = b[:n]
	}
	return b
}

// headerOnly completes messages whose serialization is not decoded: the
// header attributes (including the serialization's name) are all there is.
func headerOnly(*parser.Message) (ok, complete bool) { return true, true }

// event completes an event (heartbeat). A heartbeat's body is a null in
// its serialization; for hessian2 that is 'N' (dubbo-go answers "NN").
func (c *codec) event(m *parser.Message) (ok, complete bool) {
	b := body(m)
	if m.Data[2]&serialMask == uint8(Hessian2) && len(b) > 0 {
		m.Attrs.SetBool(AttrHeartbeat, b[0] == 'N')
	}
	return true, true
}
