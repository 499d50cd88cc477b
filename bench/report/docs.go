package main

import "strings"

// caseDocs says, for every side-by-side case, what each side does (from
// the benchmark files' comments, which are the reference): a comparison is
// only as good as the statement of what is compared.
var caseDocs = map[string]string{
	"Dubbo2FastFail":               "wirekit only: the request tree's first check rejecting or accepting the header.",
	"Dubbo2Header":                 "wirekit only: the 16-byte header.",
	"Dubbo2Request":                "wirekit: header, Dubbo version, service, version, method, parameter types into attributes. hessian2 (one Decoder reused with Reset): the same five leading strings of the body, no header.",
	"Dubbo2RequestFull":            "both decode every value of the body (wirekit: with DecodeArguments and DecodeAttachments; hessian2: Decode until the end, reused Decoder).",
	"Dubbo2RequestAttachments":     "wirekit only: the request with its attachments decoded.",
	"Dubbo2Response":               "not the same work: wirekit reads the header, status and response type; hessian2 decodes the type and the value.",
	"Dubbo2ResponseFull":           "both decode every value of the response body (wirekit with DecodeAttachments).",
	"Dubbo2RequestResponse":        "wirekit only: request and response paired.",
	"DumpWrite1K":                  "1 KiB reads recorded: wirekit dump.Dumper into pcapng (async worker) vs Layotto tcpcopy's hex log line per read through a buffered file.",
	"FilterProxyThroughput":        "a loopback L4 proxy moving pipelined 16 KiB Redis SETs: no proxy, io.Copy (splice), a user-space copy, wirekit's filter chain empty, with sniff (Redis parsed both ways), with tcpcopy dumping every connection.",
	"FilterProxyLatency":           "the same proxies, one PING/PONG round trip at a time.",
	"HTTPFastFail":                 "wirekit only: the request tree rejecting a Redis command.",
	"HTTPRequest":                  "a GET with 6 header fields: wirekit frames (Split) and parses into attributes; fasthttp RequestHeader.Read (reused, frames the head too); net/http ReadRequest.",
	"HTTPResponse1K":               "not the same work: wirekit frames head and 1 KiB body and parses; fasthttp and net/http read the head only.",
	"HTTPResponseHeader":           "the same work: find the end of the head and decode the status line and every field (wirekit httpx.Parser.ParseResponse, fasthttp ResponseHeader.Read, net/http ReadResponse); wirekitTree is the attribute tree alone, without framing.",
	"HTTPResponseChunked":          "not the same work: wirekit finds the message end by walking four 256-byte chunks and copies nothing; fasthttp Response.Read and net/http de-chunk the body into a buffer.",
	"HTTPPair":                     "GET + 200 with 1 KiB body; wirekit frames and parses both, pairing them; fasthttp and net/http read both heads.",
	"HTTPSplitPair":                "wirekit only: framing of the pair without the trees.",
	"KafkaProduceV7Request":        "wirekit: header, body and record-batch headers into attributes. kmsg: the header read by hand in the loop (kmsg has no header reader) and ProduceRequest.UnsafeReadFrom (strings alias the input, as wirekit's), records left as bytes.",
	"KafkaProduceV7RequestRecords": "not the same work: kmsg also decodes the record batch and every record (UnsafeReadFrom); wirekit only counts the records from the batch header.",
	"KafkaProduceV7Pair":           "request and response, headers and bodies on both sides (kmsg UnsafeReadFrom).",
	"KafkaProduceV9Pair":           "as ProduceV7Pair, flexible version (tagged fields).",
	"KafkaFetchV11Pair":            "Fetch v11 request and response, headers and bodies on both sides.",
	"KafkaFetchV12Pair":            "Fetch v12 (flexible) request and response, headers and bodies on both sides.",
	"MySQLQueryOK":                 "wirekit only (no usable peer: go-mysql-org/go-mysql is not served by the module proxy here, go-sql-driver/mysql's packet code is unexported, vitess go/mysql parses rows only inside a connected Conn): COM_QUERY INSERT and its OK framed and parsed both ways after a real login (wirekitConn: through parser.Conn).",
	"MySQLRows100":                 "wirekit only (no usable peer, see MySQLQueryOK): COM_QUERY and a 100-row text result set (2 columns), framed and parsed, rows counted not decoded.",
	"MySQLStmtExecute100":          "wirekit only (no usable peer, see MySQLQueryOK): STMT_EXECUTE of a statement prepared before the loop (text resolved by id) and its 100-row binary result set.",
	"PostgresQuery":                "a simple INSERT and CommandComplete + ReadyForQuery: wirekit frames and parses both with its Decoders (wirekitConn: through parser.Conn, with buffering and pairing); pgproto3 Backend.Receive (Query) and Frontend.Receive up to ReadyForQuery, both reused, keeping the same facts (statement, tag, rows, error code). Differs: pgproto3 copies the bytes into its chunk reader and the Query text into a string; wirekit aliases them, and scans the statement twice (the password check, postgres.operation).",
	"PostgresRows100":              "a simple SELECT and 100 DataRows of (int4, text): as PostgresQuery. Differs: pgproto3 decodes every DataRow into its column slices and the RowDescription fields; wirekit counts DataRows without splitting columns.",
	"PostgresExtended":             "Parse/Bind/Describe/Execute/Sync and ParseComplete, BindComplete, RowDescription, one DataRow, CommandComplete, ReadyForQuery: pgproto3 Backend receives the five frontend messages (Parse's name and query copied into strings, Bind's parameters decoded), Frontend the six backend ones; wirekit frames the run to Sync and the response to ReadyForQuery as one exchange.",
	"ReassemblyPcap":               "a 40 MB generated pcap (2000 concurrent connections, reordering, retransmission) from file bytes to reassembled streams: wirekit ReadPcap + Assembler vs gopacket pcapgo + DecodingLayerParser + reassembly (counting consumer).",
	"ReassemblyPcapBytes":          "the same with the capture in memory (wirekit ReadPcapBytes; gopacket has no in-memory reader).",
	"ReassemblyMidStream":          "the same traffic captured after every handshake (no SYNs).",
	"ReassemblyPcapRatio":          "the Pcap pipelines run alternately on the same capture, fastest run of each.",
	"RedisFastFail":                "wirekit only: the request tree rejecting non-RESP bytes.",
	"RedisSetRequest":              "SET key value: wirekit frames and parses with its Decoder (command table, first key, attributes); redcon ReadNextCommand splits the arguments only.",
	"RedisSetPair":                 "SET + +OK: wirekit frames, parses and pairs both; redcon reads the request only (it has no reply reader).",
	"RedisPipeline100":             "100 pipelined SETs: wirekit Decoder loop vs redcon ReadNextCommand loop (arguments only).",
}

func caseDoc(name string) string {
	if d, ok := caseDocs[name]; ok {
		return d
	}
	// Cases with an implementation-specific suffix share their family's text.
	for k, d := range caseDocs {
		if strings.HasPrefix(name, k) {
			return d
		}
	}
	return ""
}
