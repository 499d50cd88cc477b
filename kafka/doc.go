// Package kafka parses the Kafka wire protocol for traffic observers: it
// frames a byte stream into size-prefixed messages, decodes request and
// response headers of every API key up to Kafka 4.x, and decodes the bodies
// an observer cares about into attributes (topics, partitions, group and
// member ids, transactional ids, acks and timeouts, the first error code of
// a response, throttle times, record counts and sizes), without allocating
// in steady state and without decoding or decompressing records.
//
// Use it through NewProtocol (or Protocol for the defaults), which plugs
// into package parser: Split frames each direction, the Request and
// Response trees parse, and Key pairs a response with its request by
// correlation id (Kafka responses do not carry their API key and version,
// so a response is parsed with those of its request, from Message.Request).
//
// The parser is a tree of parser.PkgParser nodes, as Kindling's is: a
// header node, then one branch per API key, then one per version:
//
//	kafka.request ── request.Produce ── v13 … v0
//	              ├─ request.Fetch ──── v18 … v0
//	              ├─ …
//	              └─ request.undecoded
//
// Every API key and version in the generated table (zapis.go, from
// franz-go's kmsg) gets its header decoded, with the right header version
// (v2 with tagged fields for flexible versions, v0 for ControlledShutdown
// v0; response header v1 for flexible versions except ApiVersions, which
// is always v0). Bodies are decoded, in every version, for Produce, Fetch,
// ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator,
// JoinGroup, Heartbeat, LeaveGroup, SyncGroup, DescribeGroups, ListGroups,
// SaslHandshake, SaslAuthenticate, ApiVersions, CreateTopics, DeleteTopics,
// InitProducerId, AddPartitionsToTxn and EndTxn (DecodedAPIs). Any other
// key, a version newer than the table, a response to an unseen request, or
// a body that does not decode still yields the header attributes, with
// AttrBodyNotDecoded set and AttrBodyError saying why.
//
// Topic ids: recent versions name topics by 16-byte id only. A TopicCache
// (Options.TopicCache, shared across connections) learns id→name pairs
// from Metadata (v10+) and CreateTopics (v7+) responses; AttrTopicID
// carries the id and AttrTopicResolved the name when known. AttrTopic
// stays what the wire says, so it is absent for id-only bodies.
//
// Limits: a size prefix above Options.MaxMessageSize (default 100 MiB) is
// rejected by Split with ErrTooLarge before anything is buffered. Array
// counts and string or bytes lengths are checked against the bytes left in
// the message before use, and nothing is ever allocated from them.
//
// Lifetime: string attributes alias the message bytes (and, for topic ids,
// a per-connection scratch buffer): they are valid until the buffer is
// reused. Copy them with parser.Attributes.CopyFrom to keep them.
package kafka
