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
// header node, then a branch per API key, then a child per version, each
// level reached by a jump (PkgParser.Skip) rather than by trying every
// branch:
//
//	kafka.request ── request.Produce ── request.Produce.v0 … .v13
//	              ├─ request.Fetch   ── request.Fetch.v0 … .v18
//	              ├─ …
//	              └─ request.undecoded
//
// The root node decodes Produce and Fetch bodies itself, the bulk of a
// cluster's traffic, and sends them down the tree only when they do not
// decode (to report why): a tree level costs a message about 10 ns, and
// this keeps a Produce request and its response at about 110 ns.
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
// Attributes (constants Attr*), besides the header's api_key, api_name,
// api_version, correlation_id, client_id and message_size:
//
//	Produce request      topic|topic_id, topic_count, partition_count, acks,
//	                     timeout_ms, transactional_id, record_count,
//	                     record_batches, record_bytes, compression,
//	                     record_magic (acks=0: parser.OneWay)
//	Fetch request        topic|topic_id, topic_count, partition_count, max_wait_ms
//	Fetch response       topic|topic_id, counts, records as for Produce
//	ListOffsets, Metadata, OffsetCommit, OffsetFetch, CreateTopics,
//	DeleteTopics, AddPartitionsToTxn
//	                     topic|topic_id, topic_count, partition_count
//	group APIs           group_id, member_id, generation_id
//	FindCoordinator      coordinator_key, coordinator_type, and group_id or
//	                     transactional_id by type
//	transactions         transactional_id, producer_id, commit (EndTxn)
//	SaslHandshake        sasl_mechanism
//	every response       error_code (first non-zero in wire order, else 0),
//	                     error_name, throttle_time_ms where the version has it
//
// The API name, key and version are the last attributes set (so JSON output
// lists them last): a response is parsed with its request's key and
// version, and Attributes lookups find the newest attributes first.
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
// Not handled: after a SaslHandshake v0 (Kafka before 1.0) the SASL
// tokens travel in size-prefixed frames without a Kafka header; they are
// framed (whatever their length) and counted as messages that do not
// parse, and their responses, which carry no correlation id, do not pair.
//
// Lifetime: string attributes alias the message bytes (and, for topic ids,
// a per-connection scratch buffer): they are valid until the buffer is
// reused. Copy them with parser.Attributes.CopyFrom to keep them.
package kafka
