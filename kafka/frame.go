package kafka

import (
	"bufio"
	"encoding/binary"

	"github.com/wirekit/wirekit/parser"
)

// Smallest size prefixes of a Kafka message: a request header v0 is api
// key, api version and correlation id (8 bytes); a response header v0 is
// the correlation id. Used by the parser trees' fast-fail tests.
const (
	minRequestSize  = 8
	minResponseSize = 4
)

// split returns the framing function of one direction. Kafka frames every
// message with a 4-byte big-endian size; Java clients may write the prefix
// and the body in separate segments and many requests may share a segment,
// which the bufio.SplitFunc contract absorbs: the function returns "need
// more" until the whole message is buffered and then exactly one message.
// A size over the limit is rejected at once, before anything is buffered.
//
// Sizes too small for a Kafka header are still framed (and then fail to
// parse, which is counted) rather than stopping the stream: the SASL
// tokens that follow a SaslHandshake v0 travel in size-prefixed frames of
// any length, an empty server token included. Only a negative size stops
// framing.
//
// Not inlined: a function literal in a function inlined into its caller
// is compiled without inlining its own calls, and this one runs per message.
//
//go:noinline
func (c *config) split(_ any, dir parser.Direction) bufio.SplitFunc {
	max := c.maxSize
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if len(data) < 4 {
			if atEOF && len(data) > 0 {
				return 0, nil, ErrShort
			}
			return 0, nil, nil
		}
		size := int64(int32(binary.BigEndian.Uint32(data)))
		switch {
		case size < 0:
			return 0, nil, ErrBadSize
		case size > int64(max):
			return 0, nil, ErrTooLarge
		}
		n := 4 + int(size)
		if len(data) < n {
			if atEOF {
				return 0, nil, ErrShort
			}
			return 0, nil, nil
		}
		return n, data[:n:n], nil
	}
}

// Split returns the framing function of one direction with the default
// maximum message size; it is what NewProtocol(Options{}).Split returns.
func Split(dir parser.Direction) bufio.SplitFunc {
	c := config{maxSize: DefaultMaxMessageSize}
	return c.split(nil, dir)
}
