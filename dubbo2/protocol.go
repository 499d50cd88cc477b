package dubbo2

import (
	"bufio"
	"encoding/binary"
	"strings"

	"github.com/wirekit/wirekit/internal/limit"
	"github.com/wirekit/wirekit/parser"
)

// Name is the protocol's name (parser.Protocol.Name, Exchange.Protocol).
const Name = "dubbo2"

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
	// ErrBodyTooLarge beyond it, and so do the parsers). Default
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
	o.MaxBodySize = limit.Or(o.MaxBodySize, DefaultMaxBodySize)
	o.MaxDepth = limit.Or(o.MaxDepth, DefaultMaxDepth)
	o.MaxArgumentBytes = limit.Or(o.MaxArgumentBytes, DefaultMaxArgumentBytes)
	o.MaxAttachments = limit.Or(o.MaxAttachments, DefaultMaxAttachments)
	if o.SensitiveAttachments == nil {
		o.SensitiveAttachments = DefaultSensitiveAttachments()
	}
}

// codec holds the options the parsers read; it is immutable once
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
// Each direction's tree is a single node, as redis's and httpx's are: it
// reads the header and then the body the header announces, an event (heartbeat, any serialization), a hessian2
// request or response, or a body in another serialization (reported by
// header only). One node instead of a header node with a child per kind of
// body saves the walk a child dispatch per message; since the body's
// attributes are set only once its leading fields were read (see
// request), a body that fails still leaves exactly the header's
// attributes, as a failing child did.
func NewProtocol(opts Options) *parser.Protocol {
	c := newCodec(opts)
	opts = c.opts
	split := splitFunc(opts.MaxBodySize)
	return &parser.Protocol{
		Name:     Name,
		Request:  parser.NewPkgParser("dubbo2.request", c.requestFastFail, c.parseRequest),
		Response: parser.NewPkgParser("dubbo2.response", c.responseFastFail, c.parseResponse),
		Split:    func(any, parser.Direction) bufio.SplitFunc { return split },
		Pairing:  parser.PairByKey,
		Key:      Key,
		Ports:    []uint16{20880},
	}
}

// requestFastFail rules out anything that does not start like a request
// header: magic, request bit and a serialization id (0 is none). Prefixes
// too short to hold a field pass it. (A body length over the limit is left
// to Split and the parser, which say so with ErrBodyTooLarge.)
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

// header reads the 16 header bytes common to both directions and sets
// their attributes. It marks the message truncated when the bytes end
// before the announced body does, so that the body parsers read what is
// there and still complete.
//
// The header's keys are each set once per message, so they are appended
// with Attributes.Add (no look-up of an earlier value).
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
	a := &m.Attrs
	a.Add(AttrRequestID, parser.IntValue(int64(binary.BigEndian.Uint64(d[4:12]))))
	ser := SerializationID(d[2] & serialMask)
	a.Add(AttrSerializationID, parser.IntValue(int64(ser)))
	a.Add(AttrSerialization, parser.StringValue(ser.String()))
	a.Add(AttrEvent, parser.BoolValue(d[2]&FlagEvent != 0))
	if len(d) < HeaderLen+int(n) {
		m.Flags |= parser.Truncated
	}
	if m.Flags&parser.Truncated != 0 {
		a.Add(AttrTruncated, parser.BoolValue(true))
	}
	m.Offset = HeaderLen
	return true
}

// parseRequest is the request tree's node: the header, then the body by
// its kind.
func (c *codec) parseRequest(m *parser.Message) (ok, complete bool) {
	if !c.header(m) {
		return false, false
	}
	flags := m.Data[2]
	if flags&FlagRequest == 0 {
		return m.Fail(ErrNotRequest)
	}
	twoWay := flags&FlagTwoWay != 0
	m.Attrs.Add(AttrTwoWay, parser.BoolValue(twoWay))
	if !twoWay {
		m.Flags |= parser.OneWay
	}
	switch {
	case flags&FlagEvent != 0:
		return c.event(m)
	case SerializationID(flags&serialMask) == Hessian2:
		return c.request(m)
	}
	return headerOnly(m)
}

// parseResponse is the response tree's node: the header and status, then
// the body by its kind.
func (c *codec) parseResponse(m *parser.Message) (ok, complete bool) {
	if !c.header(m) {
		return false, false
	}
	flags := m.Data[2]
	if flags&FlagRequest != 0 {
		return m.Fail(ErrNotResponse)
	}
	st := Status(m.Data[3])
	m.Attrs.Add(AttrStatus, parser.IntValue(int64(st)))
	name := st.name()
	if name == "" {
		name = st.String()
	}
	m.Attrs.Add(AttrStatusName, parser.StringValue(name))
	switch {
	case flags&FlagEvent != 0:
		return c.event(m)
	case SerializationID(flags&serialMask) == Hessian2:
		return c.response(m)
	}
	return headerOnly(m)
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
		m.Attrs.Add(AttrHeartbeat, parser.BoolValue(b[0] == 'N'))
	}
	return true, true
}
