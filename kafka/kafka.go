package kafka

//go:generate go run gen_apis.go

import (
	"encoding/binary"
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Attribute keys set by the parser. Names and value kinds follow the corpus
// truth files (kafka.api_key, kafka.api_version, kafka.correlation_id and
// kafka.error_code are ints, kafka.client_id and kafka.topic strings).
const (
	// AttrAPIKey is the request's API key (int). Responses carry it too,
	// copied from the request they answer.
	AttrAPIKey = "kafka.api_key"
	// AttrAPIName is the API's name, e.g. "Produce" (string).
	AttrAPIName = "kafka.api_name"
	// AttrAPIVersion is the API version (int).
	AttrAPIVersion = "kafka.api_version"
	// AttrCorrelationID is the correlation id pairing a response to its request (int).
	AttrCorrelationID = "kafka.correlation_id"
	// AttrClientID is the request header's client id (string; absent when null,
	// for header v0, or when a truncated message ends inside it).
	AttrClientID = "kafka.client_id"
	// AttrMessageSize is the size prefix: the message length without the
	// 4 prefix bytes (int).
	AttrMessageSize = "kafka.message_size"
	// AttrTopic is the first topic name in the body, absent when the body
	// names no topic or names topics by id only (string).
	AttrTopic = "kafka.topic"
	// AttrTopicID is the first topic id of a body that names topics by id
	// (Fetch/Produce v13+, OffsetCommit/OffsetFetch v10, Metadata v10+...),
	// in Kafka's text form: URL-safe base64 without padding, 22 characters
	// (string).
	AttrTopicID = "kafka.topic_id"
	// AttrTopicResolved is the name AttrTopicID resolves to in the topic
	// cache (learnt from earlier Metadata responses), when known (string).
	AttrTopicResolved = "kafka.topic_resolved"
	// AttrTopicCount is the number of topics in the body (int).
	AttrTopicCount = "kafka.topic_count"
	// AttrPartitionCount is the number of topic partitions in the body, over
	// all topics (int).
	AttrPartitionCount = "kafka.partition_count"
	// AttrAcks is a Produce request's acks (int: -1, 0 or 1).
	AttrAcks = "kafka.acks"
	// AttrTimeoutMs is a request's timeout in milliseconds (Produce,
	// CreateTopics, DeleteTopics, ListOffsets v10+, InitProducerId) (int).
	AttrTimeoutMs = "kafka.timeout_ms"
	// AttrMaxWaitMs is a Fetch request's maximum wait in milliseconds (int).
	AttrMaxWaitMs = "kafka.max_wait_ms"
	// AttrGroupID is the consumer group id of group APIs (string).
	AttrGroupID = "kafka.group_id"
	// AttrMemberID is the group member id (string).
	AttrMemberID = "kafka.member_id"
	// AttrGenerationID is the group generation (int).
	AttrGenerationID = "kafka.generation_id"
	// AttrTransactionalID is the transactional id where present (string).
	AttrTransactionalID = "kafka.transactional_id"
	// AttrProducerID is the producer id of InitProducerId responses and
	// transaction requests (int).
	AttrProducerID = "kafka.producer_id"
	// AttrCoordinatorKey is FindCoordinator's (first) key (string).
	AttrCoordinatorKey = "kafka.coordinator_key"
	// AttrCoordinatorType is FindCoordinator's key type: 0 group,
	// 1 transaction, 2 share (int).
	AttrCoordinatorType = "kafka.coordinator_type"
	// AttrSASLMechanism is SaslHandshake's mechanism (string).
	AttrSASLMechanism = "kafka.sasl_mechanism"
	// AttrCommit is EndTxn's commit flag: true commits, false aborts (bool).
	AttrCommit = "kafka.commit"
	// AttrErrorCode is the first non-zero error code of a response in wire
	// order, else 0 (int).
	AttrErrorCode = "kafka.error_code"
	// AttrErrorName is the Kafka name of a non-zero AttrErrorCode, e.g.
	// "UNKNOWN_TOPIC_OR_PARTITION" (string).
	AttrErrorName = "kafka.error_name"
	// AttrThrottleTimeMs is a response's throttle time in milliseconds (int).
	AttrThrottleTimeMs = "kafka.throttle_time_ms"
	// AttrRecordCount is the number of records in a Produce request or a
	// Fetch response, from the record batch headers (v2 batches: the batch's
	// record count; magic v0/v1 message sets: one per message, a compressed
	// wrapper message counting as one since its inner messages are not
	// decompressed) (int).
	AttrRecordCount = "kafka.record_count"
	// AttrRecordBatches is the number of record batches (v2) or top-level
	// messages (v0/v1) (int).
	AttrRecordBatches = "kafka.record_batches"
	// AttrRecordBytes is the total size of the record sets, in bytes (int).
	AttrRecordBytes = "kafka.record_bytes"
	// AttrRecordPartialBytes counts record-set bytes that did not form a
	// whole batch: the partial batch a broker may leave at the end of a
	// Fetch response, or bytes after a batch header that does not parse
	// (int; absent when 0).
	AttrRecordPartialBytes = "kafka.record_partial_bytes"
	// AttrCompression is the codec of the first record batch: none, gzip,
	// snappy, lz4 or zstd (string).
	AttrCompression = "kafka.compression"
	// AttrRecordMagic is the magic (format version 0, 1 or 2) of the first
	// record batch (int).
	AttrRecordMagic = "kafka.record_magic"
	// AttrBodyNotDecoded is true when the body was not decoded: an API key
	// the table does not know, a version newer than it knows, a response
	// to an unknown request, or a body that failed to decode; AttrBodyError
	// says which (bool).
	AttrBodyNotDecoded = "kafka.body_not_decoded"
	// AttrBodyError is why a body was not decoded (string).
	AttrBodyError = "kafka.body_error"
)

// Errors. Each wraps one of parser's sentinels, so errors.Is(err,
// parser.ErrTooLarge) and the like work.
var (
	// ErrTooLarge: a size prefix over Options.MaxMessageSize. The stream is
	// rejected without buffering the message.
	ErrTooLarge = fmt.Errorf("kafka: message size exceeds limit: %w", parser.ErrTooLarge)
	// ErrBadSize: a negative size prefix.
	ErrBadSize = fmt.Errorf("kafka: invalid message size: %w", parser.ErrMalformed)
	// ErrShort: the stream ended inside a message.
	ErrShort = fmt.Errorf("kafka: stream ends inside a message: %w", parser.ErrShort)
	// ErrLength: an array count, string or bytes length larger than the
	// bytes left in the message. Nothing is allocated for it.
	ErrLength = fmt.Errorf("kafka: length exceeds the bytes left: %w", parser.ErrMalformed)
	// ErrTrailing: bytes left after the body of the version being decoded.
	ErrTrailing = fmt.Errorf("kafka: bytes after the body: %w", parser.ErrMalformed)
	// ErrMalformedBody: a body field violates the protocol (e.g. a negative
	// length other than -1).
	ErrMalformedBody = fmt.Errorf("kafka: malformed body: %w", parser.ErrMalformed)
	// ErrUnknownAPI: an API key the parser has no table entry for.
	ErrUnknownAPI = fmt.Errorf("kafka: unknown api key: %w", parser.ErrNoMatch)
	// ErrNotDecoded: a known API whose body this parser does not decode.
	// Every key of the table is decoded now, so the parser no longer
	// reports it; it stays for callers that test for it.
	ErrNotDecoded = fmt.Errorf("kafka: body of this api is not decoded: %w", parser.ErrNoMatch)
	// ErrNewerVersion: an API version newer than the parser's table.
	ErrNewerVersion = fmt.Errorf("kafka: api version newer than the parser knows: %w", parser.ErrNoMatch)
	// ErrTruncated: the message was cut short (parser.Truncated); the
	// attributes are those read before the cut.
	ErrTruncated = fmt.Errorf("kafka: message truncated: %w", parser.ErrShort)
	// ErrUnknownRequest: a response whose request was not seen, so its API
	// key and version (which the response does not carry) are unknown.
	ErrUnknownRequest = fmt.Errorf("kafka: response to an unknown request: %w", parser.ErrNoMatch)
)

// Defaults for Options.
const (
	// DefaultMaxMessageSize is the default largest size prefix accepted:
	// 100 MiB, Kafka's own socket.request.max.bytes is 100 MiB too.
	DefaultMaxMessageSize = 100 << 20
	// DefaultTopicCacheSize is the default number of topic ids the topic
	// cache remembers.
	DefaultTopicCacheSize = 10000
	// DefaultPort is Kafka's well-known broker port.
	DefaultPort = 9092
)

// Options configure NewProtocol. The zero value gives the defaults.
type Options struct {
	// MaxMessageSize is the largest size prefix accepted; a larger one makes
	// Split return ErrTooLarge instead of buffering the message. 0 means
	// DefaultMaxMessageSize.
	MaxMessageSize int
	// TopicCache maps topic ids to names, learnt from Metadata responses and
	// read when a body names topics by id. Share one cache between the
	// protocols of all connections to the same cluster. nil makes a cache
	// of DefaultTopicCacheSize entries owned by the returned Protocol (and
	// so shared by every connection using it).
	TopicCache *TopicCache
	// Ports are the broker ports used as a detection hint. nil means
	// {DefaultPort}.
	Ports []uint16
}

// config is the resolved Options the parser tree closes over.
type config struct {
	maxSize int
	cache   *TopicCache
}

// Name is the protocol's name (parser.Protocol.Name, Exchange.Protocol).
const Name = "kafka"

// connState is the per-connection value (Protocol.NewState): scratch space
// for the text form of topic ids, one per direction, so that formatting an
// id does not allocate. A topic id attribute aliases it and stays valid
// until the next message of the same direction is parsed.
type connState struct {
	idText [2][22]byte
}

// NewProtocol returns the Kafka protocol: framing by the 4-byte size prefix,
// request and response parser trees, and pairing by correlation id.
func NewProtocol(opts Options) *parser.Protocol {
	c := &config{maxSize: opts.MaxMessageSize, cache: opts.TopicCache}
	if c.maxSize <= 0 {
		c.maxSize = DefaultMaxMessageSize
	}
	if c.cache == nil {
		c.cache = NewTopicCache(DefaultTopicCacheSize)
	}
	ports := opts.Ports
	if ports == nil {
		ports = []uint16{DefaultPort}
	}
	return &parser.Protocol{
		Name:     Name,
		Request:  c.requestTree(),
		Response: c.responseTree(),
		NewState: func() any { return new(connState) },
		Split:    c.split,
		Pairing:  parser.PairByKey,
		Key:      Key,
		Ports:    ports,
	}
}

// Protocol returns NewProtocol(Options{}): default limits, its own topic cache.
func Protocol() *parser.Protocol { return NewProtocol(Options{}) }

// Key returns the correlation id of a message from its first bytes (size
// prefix included): bytes 8..12 of a request, 4..8 of a response, when
// they are present and inside the message its size prefix announces. It
// is Protocol.Key.
func Key(dir parser.Direction, msg []byte) (uint64, bool) {
	off := 4
	if dir == parser.Request {
		off = 8
	}
	if len(msg) < off+4 || binary.BigEndian.Uint32(msg) < uint32(off) {
		return 0, false
	}
	return uint64(binary.BigEndian.Uint32(msg[off:])), true
}

// APIName returns the name of an API key ("Produce", "Fetch", ...), or
// "Unknown".
func APIName(key int16) string {
	if key < 0 || int(key) >= len(apis) || apis[key].name == "" {
		return "Unknown"
	}
	return apis[key].name
}

// MaxVersion returns the highest version of an API key the parser's table
// knows, and false for an unknown key.
func MaxVersion(key int16) (int16, bool) {
	if key < 0 || int(key) >= len(apis) || apis[key].name == "" {
		return 0, false
	}
	return apis[key].maxVersion, true
}

// ErrorName returns the Kafka name of an error code ("NONE" for 0,
// "UNKNOWN" for a code the table does not know).
func ErrorName(code int16) string {
	i := int(code) + 1
	if i < 0 || i >= len(errorNames) || errorNames[i] == "" {
		return "UNKNOWN"
	}
	return errorNames[i]
}

// RequestHeaderVersion returns the request header version for an API key
// and version: 2 for flexible versions (client id plus tagged fields), 0
// for ControlledShutdown v0 (no client id), else 1. Versions newer than
// the table are taken as flexible when the API has flexible versions.
func RequestHeaderVersion(key, version int16) int {
	if key == 7 && version == 0 {
		return 0
	}
	if key >= 0 && int(key) < len(apis) && apis[key].flexReq >= 0 && version >= apis[key].flexReq {
		return 2
	}
	return 1
}

// ResponseHeaderVersion returns the response header version: 1 (tagged
// fields after the correlation id) for flexible versions, else 0.
// ApiVersions responses always use header v0, so that a client can read
// them whatever version it asked for.
func ResponseHeaderVersion(key, version int16) int {
	if key == 18 {
		return 0
	}
	if key >= 0 && int(key) < len(apis) && apis[key].flexResp >= 0 && version >= apis[key].flexResp {
		return 1
	}
	return 0
}

func isFlexible(key, version int16, dir parser.Direction) bool {
	if key < 0 || int(key) >= len(apis) {
		return false
	}
	f := apis[key].flexReq
	if dir == parser.Response {
		f = apis[key].flexResp
	}
	return f >= 0 && version >= f
}
