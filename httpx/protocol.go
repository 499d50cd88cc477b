package httpx

import (
	"bufio"

	"github.com/wirekit/wirekit/parser"
)

// Protocol returns the HTTP/1.x protocol with default Options: parser
// trees for both directions, per-connection framing state, in-order
// pairing. Each call builds a new value; build it once and share it.
func Protocol() *parser.Protocol { return defaultParser.Protocol() }

// NewProtocol returns the HTTP/1.x protocol configured by opts (see
// NewParser for the errors).
func NewProtocol(opts Options) (*parser.Protocol, error) {
	p, err := NewParser(opts)
	if err != nil {
		return nil, err
	}
	return p.Protocol(), nil
}

// Protocol returns the parser.Protocol backed by p.
//
// Each tree is a single node that decodes the whole head (start line and
// header fields, checked once) and sets the attributes; it then checks
// that the body is all there (setting parser.Truncated when it is not).
// The response node marks 1xx responses other than 101 parser.Interim and
// reads the request method from Message.Request to know that a response
// to HEAD has no body.
func (p *Parser) Protocol() *parser.Protocol {
	return &parser.Protocol{
		Name:     Name,
		Request:  parser.NewPkgParser("http.request", RequestFastFail, p.parseRequestNode),
		Response: parser.NewPkgParser("http.response", ResponseFastFail, p.parseResponseNode),
		NewState: func() any { return p.NewState() },
		Split:    p.split,
		Decode:   p.decode,
		Pairing:  parser.PairInOrder,
		Ports:    []uint16{80, 8000, 8080, 8888},
	}
}

// split implements parser.Protocol.Split. state should come from
// Protocol.NewState; any other value gets a fresh State of its own (a
// caller framing one direction alone, without pairing).
func (p *Parser) split(state any, dir parser.Direction) bufio.SplitFunc {
	s, ok := state.(*State)
	if !ok || s == nil || s.p != p {
		s = p.NewState()
	}
	if dir == parser.Response {
		return s.splitResp
	}
	return s.splitReq
}

// decode implements parser.Protocol.Decode: the one path from bytes to a
// parsed message. It frames with the State's Split and parses the token
// with the tree's node, which, when Split decoded the token's head in the
// same call, takes that head instead of decoding it again.
func (p *Parser) decode(state any, dir parser.Direction) parser.DecodeFunc {
	s, ok := state.(*State)
	if !ok || s == nil || s.p != p {
		s = p.NewState()
	}
	if dir == parser.Response {
		return func(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
			adv, tok, err := s.SplitResponse(data, atEOF)
			if tok == nil {
				return adv, false, false, err
			}
			m.Start(tok, parser.Response, state)
			var matched bool
			if s.fresh[parser.Response] && !ResponseFastFail(m) {
				p.setResponse(m, &s.resHead)
				m.Advance(len(tok))
				matched = true
			} else {
				matched = walk(m, ResponseFastFail, p.parseResponseNode)
			}
			return adv, true, matched, nil
		}
	}
	return func(m *parser.Message, data []byte, atEOF bool) (int, bool, bool, error) {
		adv, tok, err := s.SplitRequest(data, atEOF)
		if tok == nil {
			return adv, false, false, err
		}
		m.Start(tok, parser.Request, state)
		var matched bool
		if s.fresh[parser.Request] && !RequestFastFail(m) {
			p.setRequest(&m.Attrs, &s.reqHead)
			m.Advance(len(tok))
			matched = true
		} else {
			matched = walk(m, RequestFastFail, p.parseRequestNode)
		}
		return adv, true, matched, nil
	}
}

// walk is the one-node tree's walk: fastFail, then the node's parse,
// a failure saying why.
func walk(m *parser.Message, fastFail func(*parser.Message) bool, parse func(*parser.Message) (bool, bool)) bool {
	ok := !fastFail(m)
	if ok {
		ok, _ = parse(m)
	}
	if !ok && m.Err == nil {
		m.Err = parser.ErrNoMatch
	}
	return ok
}

// methodByte marks the bytes that may start a request: upper-case
// letters, plus '-' and '_' that occur in extension methods.
var methodByte = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	t['-'], t['_'] = true, true
	return t
}()

// RequestFastFail reports that m certainly does not start an HTTP/1.x
// request: its first byte is not an upper-case letter, or one of its next
// three bytes is neither a method byte nor the space after a short method
// (GET, PUT). Methods are case-sensitive and registered ones are
// upper-case; lower-case extension methods are not detected. Shorter
// input is judged on the bytes present.
func RequestFastFail(m *parser.Message) bool {
	b := m.Data[m.Offset:]
	if len(b) == 0 || b[0] < 'A' || b[0] > 'Z' {
		return true
	}
	if len(b) >= 4 {
		return !methodByte[b[1]] || !methodByte[b[2]] || !(methodByte[b[3]] || b[3] == ' ')
	}
	for _, c := range b[1:] {
		if !methodByte[c] && c != ' ' {
			return true
		}
	}
	return false
}

// ResponseFastFail reports that m certainly does not start an HTTP/1.x
// response: it does not begin with "HTTP/1." (or a prefix of it, for
// shorter input).
func ResponseFastFail(m *parser.Message) bool {
	b := m.Data[m.Offset:]
	const prefix = "HTTP/1."
	if len(b) >= len(prefix) {
		return string(b[:len(prefix)]) != prefix
	}
	return len(b) == 0 || string(b) != prefix[:len(b)]
}

// parseRequestNode is the request tree's root. When m holds the request
// the connection's State framed last (parser.Conn parses each token right
// after Split returns it), the head Split decoded is used as it is:
// framing already checked every byte of it and found the whole body, so
// the message is not scanned twice. Otherwise the head is decoded here,
// on the stack: Request is a plain value, so nothing escapes and nothing
// is allocated.
func (p *Parser) parseRequestNode(m *parser.Message) (ok, complete bool) {
	b := m.Rest()
	req := Request{Header: Header{ContentLength: -1}}
	err := p.parseRequest(&req, b)
	if err != nil && (err != parser.ErrShort || req.Method == nil) {
		if err == parser.ErrShort {
			err = errAt("request line", 0, ErrTruncated)
		}
		return m.Fail(err)
	}
	p.setRequest(&m.Attrs, &req)
	if err != nil { // the head itself is cut short
		m.Flags |= parser.Truncated
		m.Advance(len(b))
		return true, true
	}
	f, ferr := p.RequestFraming(&req)
	if ferr != nil {
		return m.Fail(ferr)
	}
	return p.finishBody(m, b, f, &req.Header)
}

// setRequest sets a request's attributes. The root node sets each key
// once, so it appends them (Attributes.Add) without looking for earlier
// values.
func (p *Parser) setRequest(a *parser.Attributes, req *Request) {
	a.Add(AttrMethod, bytesString(req.Method))
	a.Add(AttrPath, bytesString(req.Target))
	if req.HasHost {
		a.Add(AttrHost, bytesString(req.Host))
	}
	a.Add(AttrVersion, parser.StringValue(req.Version.String()))
	p.setCommon(a, &req.Header)
}

// bytesString is the string value aliasing b (see parser.UnsafeString).
func bytesString(b []byte) parser.Value { return parser.UnsafeStringValue(b) }

// parseResponseNode is the response tree's root; like parseRequestNode,
// it uses the head Split decoded when m holds the response the State
// framed last (whose body framing, from the method of the request it
// answers, Split has already applied).
func (p *Parser) parseResponseNode(m *parser.Message) (ok, complete bool) {
	b := m.Rest()
	resp := Response{Header: Header{ContentLength: -1}}
	err := p.parseResponse(&resp, b)
	if err != nil && (err != parser.ErrShort || resp.StatusCode == 0) {
		if err == parser.ErrShort {
			err = errAt("status line", 0, ErrTruncated)
		}
		return m.Fail(err)
	}
	p.setResponse(m, &resp)
	if err != nil {
		m.Flags |= parser.Truncated
		m.Advance(len(b))
		return true, true
	}
	kind := kindOther
	if m.Request != nil {
		if method, ok := m.Request.UnsafeString(AttrMethod); ok {
			kind = methodKindString(method)
		}
	}
	f, ferr := p.responseFraming(&resp, kind)
	if ferr != nil {
		return m.Fail(ferr)
	}
	return p.finishBody(m, b, f, &resp.Header)
}

// setResponse sets a response's attributes and marks 1xx responses other
// than 101 parser.Interim.
func (p *Parser) setResponse(m *parser.Message, resp *Response) {
	a := &m.Attrs
	a.Add(AttrVersion, parser.StringValue(resp.Version.String()))
	a.Add(AttrStatusCode, parser.IntValue(int64(resp.StatusCode)))
	a.Add(AttrReason, bytesString(resp.Reason))
	p.setCommon(a, &resp.Header)
	if resp.StatusCode < 200 && resp.StatusCode != 101 {
		m.Flags |= parser.Interim
	}
}

// setCommon sets the attributes requests and responses share (Add, as
// in setRequest; extra headers with Set, since two configured names may
// be the same).
func (p *Parser) setCommon(a *parser.Attributes, h *Header) {
	if h.ContentLength >= 0 {
		a.Add(AttrContentLength, parser.IntValue(h.ContentLength))
	}
	if h.ContentType != nil {
		a.Add(AttrContentType, bytesString(h.ContentType))
	}
	if h.HasTransferEncoding {
		a.Add(AttrTransferEncoding, bytesString(h.TransferEncoding))
		if h.ContentLength >= 0 {
			a.Add(AttrLengthConflict, parser.BoolValue(true))
		}
	}
	a.Add(AttrKeepAlive, parser.BoolValue(h.KeepAlive))
	if h.Upgrade != nil {
		a.Add(AttrUpgrade, bytesString(h.Upgrade))
	}
	for i, k := range p.extraKeys {
		if v, ok := h.Extra(i); ok {
			a.SetBytesString(k, v)
		}
	}
}

// finishBody checks that the body the framing calls for is all in b and
// moves the offset past the message. A message whose body is cut short is
// still a match, marked parser.Truncated (Conn hands the tree partial
// bytes after a gap). A read-until-close body is whatever b holds.
func (p *Parser) finishBody(m *parser.Message, b []byte, f Framing, h *Header) (ok, complete bool) {
	end := h.Len
	switch f {
	case FramingLength:
		end = h.Len + int(h.ContentLength)
	case FramingChunked:
		var w chunkWalker
		n, err := p.walk(&w, b, h.Len)
		if err != nil {
			return m.Fail(err)
		}
		end = n
		if n == 0 {
			end = len(b) + 1 // incomplete
		}
	case FramingUntilClose:
		end = len(b)
	}
	if end > len(b) {
		m.Flags |= parser.Truncated
		end = len(b)
	}
	m.Advance(end)
	return true, true
}
