package kafka

import "encoding/binary"

// SaslHandshake (17, v0-1, never flexible), SaslAuthenticate (36, v0-2,
// flexible v2), ApiVersions (18, v0-5, flexible from v3; its response
// always has header v0).
//
//	SaslHandshakeRequest: Mechanism string
//	SaslHandshakeResponse: ErrorCode int16, SupportedMechanisms [string]
//	SaslAuthenticateRequest: SASLAuthBytes bytes
//	SaslAuthenticateResponse: ErrorCode int16, ErrorMessage nullable-string,
//	  SASLAuthBytes bytes, SessionLifetimeMillis int64 (v1+)
//	ApiVersionsRequest: ClientSoftwareName and ClientSoftwareVersion string
//	  (v3+), ClusterID nullable-string and NodeID int32 (v5+)
//	ApiVersionsResponse: ErrorCode int16, ApiKeys [ApiKey int16, MinVersion
//	  int16, MaxVersion int16], ThrottleMillis int32 (v1+)
//
// A broker that does not support the ApiVersions version asked for answers
// UNSUPPORTED_VERSION (35) with a v0 body, whatever the version, so that
// any client can read it; the decoder follows the broker.
//
// After a SaslHandshake v0 the SASL tokens travel without Kafka headers;
// those frames are not Kafka requests and come out as undecoded.

func (d *decoder) saslHandshakeRequest() {
	b, _ := d.str()
	addBytes(&d.m.Attrs, AttrSASLMechanism, b)
}

func (d *decoder) saslHandshakeResponse() {
	d.errorCode()
	d.skipStrings()
}

func (d *decoder) saslAuthenticateRequest() {
	d.bytes()
	d.tags()
}

func (d *decoder) saslAuthenticateResponse() {
	d.errorCode()
	d.skipStr()
	d.bytes()
	if d.v >= 1 {
		d.Skip(8)
	}
	d.tags()
}

func (d *decoder) apiVersionsRequest() {
	if d.v >= 3 {
		d.skipStr()
		d.skipStr()
	}
	if d.v >= 5 {
		d.skipStr()
		d.Skip(4)
	}
	d.tags()
}

// errUnsupportedVersion is UNSUPPORTED_VERSION.
const errUnsupportedVersion = 35

func (d *decoder) apiVersionsResponse() {
	if p := d.Peek(2); d.v > 0 && p != nil {
		if int16(binary.BigEndian.Uint16(p)) == errUnsupportedVersion {
			d.v, d.flex = 0, false
		}
	}
	d.errorCode()
	n := d.array()
	for i := 0; i < n && d.ok(); i++ {
		d.Skip(6)
		d.tags()
	}
	if d.v >= 1 {
		d.throttleTime()
	}
	d.tags()
}
