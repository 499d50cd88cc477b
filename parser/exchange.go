package parser

import (
	"errors"
	"time"
)

// ExchangeKind says what an Exchange holds.
type ExchangeKind uint8

const (
	// Complete is a request and the response that answered it.
	Complete ExchangeKind = iota
	// OneWayRequest is a request that expects no response (Flags OneWay).
	OneWayRequest
	// Unanswered is a request that never got its response: the connection
	// closed, a gap made pairing unreliable, or too many were pending.
	// Exchange.Reason says which.
	Unanswered
	// UnmatchedResponse is a response no pending request matched.
	UnmatchedResponse
	// Push is a response that answers no request (Flags Unsolicited), such
	// as a pub/sub message.
	Push
)

// String names the kind.
func (k ExchangeKind) String() string {
	switch k {
	case Complete:
		return "complete"
	case OneWayRequest:
		return "oneway"
	case Unanswered:
		return "unanswered"
	case UnmatchedResponse:
		return "unmatched_response"
	case Push:
		return "push"
	}
	return "unknown"
}

// Reasons a request is reported Unanswered (Exchange.Reason).
var (
	// ErrClosed: the connection closed before the response came.
	ErrClosed = errors.New("parser: connection closed before response")
	// ErrGap: bytes were lost on the connection, so the requests waiting at
	// that point can no longer be paired reliably.
	ErrGap = errors.New("parser: bytes lost on the connection")
	// ErrEvicted: more requests were waiting than ConnOptions.MaxPending.
	ErrEvicted = errors.New("parser: too many requests pending")
)

// Exchange is one request/response pair, or one half of one, as a Conn
// reports it. Every framed message ends up in exactly one Exchange, so
// nothing is lost silently: see Kind.
//
// The Exchange and its Attributes passed to a callback are reused after the
// callback returns; use Clone to keep one.
type Exchange struct {
	// Protocol is the protocol's name.
	Protocol string
	// Kind says which halves are present.
	Kind ExchangeKind
	// Request is the request's attributes (nil for UnmatchedResponse and Push).
	Request *Attributes
	// Response is the response's attributes (nil for OneWayRequest and Unanswered).
	Response *Attributes
	// RequestTime and ResponseTime are the capture times of the first byte
	// of each message (zero when that half is absent).
	RequestTime, ResponseTime time.Time
	// RequestSize and ResponseSize are the framed sizes in bytes.
	RequestSize, ResponseSize int
	// RequestFlags and ResponseFlags are the flags the parsers set.
	RequestFlags, ResponseFlags Flags
	// RequestErr and ResponseErr are parse errors: the message was framed
	// but its parser tree did not match (its attributes are what the root
	// read). nil when parsed.
	RequestErr, ResponseErr error
	// RequestSeq numbers the connection's requests in the order they were
	// sent, from 1 (0 when there is no request). Exchanges are reported as
	// they complete, which for keyed protocols is not request order; sort
	// by RequestSeq to get it back.
	RequestSeq uint64
	// Interim counts interim responses (HTTP 1xx) seen before the final one.
	Interim int
	// Reason says why a request is Unanswered (ErrClosed, ErrGap, ErrEvicted).
	Reason error
}

// Latency is ResponseTime minus RequestTime, or 0 when a half is missing.
func (e *Exchange) Latency() time.Duration {
	if e.Kind != Complete {
		return 0
	}
	return e.ResponseTime.Sub(e.RequestTime)
}

// Clone returns a copy that owns its attributes.
func (e *Exchange) Clone() *Exchange {
	c := *e
	if e.Request != nil {
		c.Request = new(Attributes)
		c.Request.CopyFrom(e.Request)
	}
	if e.Response != nil {
		c.Response = new(Attributes)
		c.Response.CopyFrom(e.Response)
	}
	return &c
}
