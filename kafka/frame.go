package kafka

import (
	"bufio"
	"encoding/binary"

	"github.com/wirekit/wirekit/parser"
)

// Smallest size prefixes: a request header v0 is api key, api version and
// correlation id (8 bytes); a response header v0 is the correlation id.
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
func (c *config) split(_ any, dir parser.Direction) bufio.SplitFunc {
	minSize := minRequestSize
	if dir == parser.Response {
		minSize = minResponseSize
	}
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
		case size < int64(minSize):
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
