package dubbo2

import (
	"bufio"
	"encoding/binary"
	"strconv"

	"github.com/wirekit/wirekit/parser"
)

// HeaderLen is the size of the fixed Dubbo2 header that starts every message.
const HeaderLen = 16

// Magic is the first two bytes of every Dubbo2 message.
const Magic uint16 = 0xdabb

// DefaultMaxBodySize is the largest body length Split and the parsers accept
// when Options.MaxBodySize is zero: 8 MiB, the payload limit of Dubbo itself
// (the `payload` URL parameter's default).
const DefaultMaxBodySize = 8 << 20

// Bits of header byte 2. The low five bits are the serialization id.
const (
	FlagRequest = 0x80 // set on requests, clear on responses
	FlagTwoWay  = 0x40 // the request expects a response
	FlagEvent   = 0x20 // an event (heartbeat) rather than a call
	serialMask  = 0x1f
)

// Header is the decoded 16-byte Dubbo2 header:
//
//	0      2        3       4            12          16
//	+------+--------+-------+------------+-----------+
//	|dabb  | flags  |status | request id | body len  |
//	+------+--------+-------+------------+-----------+
//	flags: 0x80 request, 0x40 two-way, 0x20 event, low 5 bits serialization id
type Header struct {
	Flags         uint8  // byte 2 as sent
	Status        Status // byte 3: the response status (0 in requests)
	RequestID     uint64 // bytes 4..12, pairs a response with its request
	BodyLen       uint32 // bytes 12..16, the body length that follows
	Serialization SerializationID
}

// IsRequest reports whether the request bit is set.
func (h *Header) IsRequest() bool { return h.Flags&FlagRequest != 0 }

// TwoWay reports whether a request expects a response.
func (h *Header) TwoWay() bool { return h.Flags&FlagTwoWay != 0 }

// Event reports whether the message is an event (a heartbeat) rather than a call.
func (h *Header) Event() bool { return h.Flags&FlagEvent != 0 }

// Len is the whole message length, header included.
func (h *Header) Len() int { return HeaderLen + int(h.BodyLen) }

// ParseHeader decodes the header at the start of b. It fails with ErrShort
// when b holds fewer than HeaderLen bytes and ErrBadMagic when b does not
// start with 0xdabb. It does not check the body length against a limit
// (Split and the parsers do).
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShort
	}
	if b[0] != 0xda || b[1] != 0xbb {
		return Header{}, ErrBadMagic
	}
	return Header{
		Flags:         b[2],
		Status:        Status(b[3]),
		RequestID:     binary.BigEndian.Uint64(b[4:12]),
		BodyLen:       binary.BigEndian.Uint32(b[12:16]),
		Serialization: SerializationID(b[2] & serialMask),
	}, nil
}

// SerializationID is the serialization of a message body (low five bits of
// header byte 2). Only Hessian2 bodies are decoded; the others are named so
// that the header attributes of such traffic still say what it is.
type SerializationID uint8

// Serialization ids used by Dubbo (Java) and dubbo-go.
const (
	Hessian2          SerializationID = 2
	Java              SerializationID = 3
	CompactedJava     SerializationID = 4
	FastJSON          SerializationID = 6
	NativeJava        SerializationID = 7
	Kryo              SerializationID = 8
	FST               SerializationID = 9
	NativeHessian     SerializationID = 10
	Avro              SerializationID = 11
	Protostuff        SerializationID = 12
	Gson              SerializationID = 16
	Protobuf          SerializationID = 21 // dubbo-go's "protobuf"; Java Dubbo calls id 21 protobuf-json
	ProtobufBinary    SerializationID = 22
	FastJSON2         SerializationID = 23
	Kryo2             SerializationID = 25
	MsgPack           SerializationID = 27
	Fury              SerializationID = 28
	CustomMessagePack SerializationID = 31
)

const serializationUnknown = "unknown"

var serializationNames = [32]string{
	Hessian2:          "hessian2",
	Java:              "java",
	CompactedJava:     "compactedjava",
	FastJSON:          "fastjson",
	NativeJava:        "nativejava",
	Kryo:              "kryo",
	FST:               "fst",
	NativeHessian:     "native-hessian",
	Avro:              "avro",
	Protostuff:        "protostuff",
	Gson:              "gson",
	Protobuf:          "protobuf",
	ProtobufBinary:    "protobuf-binary",
	FastJSON2:         "fastjson2",
	Kryo2:             "kryo2",
	MsgPack:           "msgpack",
	Fury:              "fury",
	CustomMessagePack: "custom-msgpack",
}

// String names the serialization ("hessian2", "fastjson", "kryo",
// "protobuf", ...), or "unknown".
func (s SerializationID) String() string {
	if int(s) < len(serializationNames) && serializationNames[s] != "" {
		return serializationNames[s]
	}
	return serializationUnknown
}

// Status is the response status byte. Only StatusOK carries a result
// value; the others carry an error string. Note that an OK response may
// still carry an exception value (a failed call).
type Status uint8

// Response statuses.
const (
	StatusOK                             Status = 20
	StatusClientTimeout                  Status = 30
	StatusServerTimeout                  Status = 31
	StatusBadRequest                     Status = 40
	StatusBadResponse                    Status = 50
	StatusServiceNotFound                Status = 60
	StatusServiceError                   Status = 70
	StatusServerError                    Status = 80
	StatusClientError                    Status = 90
	StatusServerThreadpoolExhaustedError Status = 100
)

// String returns the status name as Dubbo spells it (OK, CLIENT_TIMEOUT,
// SERVICE_NOT_FOUND, ...), or UNKNOWN_<n>.
func (s Status) String() string {
	if n := s.name(); n != "" {
		return n
	}
	return "UNKNOWN_" + strconv.Itoa(int(s))
}

func (s Status) name() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusClientTimeout:
		return "CLIENT_TIMEOUT"
	case StatusServerTimeout:
		return "SERVER_TIMEOUT"
	case StatusBadRequest:
		return "BAD_REQUEST"
	case StatusBadResponse:
		return "BAD_RESPONSE"
	case StatusServiceNotFound:
		return "SERVICE_NOT_FOUND"
	case StatusServiceError:
		return "SERVICE_ERROR"
	case StatusServerError:
		return "SERVER_ERROR"
	case StatusClientError:
		return "CLIENT_ERROR"
	case StatusServerThreadpoolExhaustedError:
		return "SERVER_THREADPOOL_EXHAUSTED_ERROR"
	}
	return ""
}

// splitFunc frames Dubbo2 messages: a 16-byte header, then the body length
// it announces. It is direction-agnostic (Dubbo callbacks send requests
// server to client on the same connection).
//
// Not inlined: a function literal in a function inlined into its caller
// is compiled without inlining its own calls, and this one runs per message.
//
//go:noinline
func splitFunc(maxBody int) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (advance int, token []byte, err error) {
		if len(data) == 0 {
			return 0, nil, nil
		}
		// Check the magic as soon as its bytes are there, so a stream that
		// is not Dubbo fails on its first byte, not after 16.
		if data[0] != 0xda || (len(data) > 1 && data[1] != 0xbb) {
			return 0, nil, ErrBadMagic
		}
		if len(data) < HeaderLen {
			if atEOF {
				return 0, nil, ErrShort
			}
			return 0, nil, nil
		}
		n := binary.BigEndian.Uint32(data[12:16])
		if uint64(n) > uint64(maxBody) {
			return 0, nil, ErrBodyTooLarge
		}
		total := HeaderLen + int(n)
		if len(data) < total {
			if atEOF {
				return 0, nil, ErrShort
			}
			return 0, nil, nil
		}
		return total, data[:total:total], nil
	}
}

// Key returns the pairing key of a framed message: the request id (header
// bytes 4..12), the same in a request and its response.
func Key(_ parser.Direction, msg []byte) (uint64, bool) {
	if len(msg) < HeaderLen || msg[0] != 0xda || msg[1] != 0xbb {
		return 0, false
	}
	return binary.BigEndian.Uint64(msg[4:12]), true
}
