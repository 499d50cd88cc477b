package httpx

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/wirekit/wirekit/internal/ascii"
	"github.com/wirekit/wirekit/parser"
)

// Version is an HTTP/1.x version as 10 + minor: Version10 is HTTP/1.0,
// Version11 HTTP/1.1. Other HTTP/1.x minors are accepted (RFC 9110
// section 2.5: a 1.x recipient treats them as the highest 1.x it knows,
// which is 1.1 here).
type Version uint8

// HTTP versions.
const (
	Version10 Version = 10
	Version11 Version = 11
)

var versionStrings = [10]string{"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9"}

// String returns "1.0", "1.1", ... ("" for the zero Version).
func (v Version) String() string {
	if v < 10 || v > 19 {
		return ""
	}
	return versionStrings[v-10]
}

// AtLeast11 reports whether v has HTTP/1.1 semantics (persistent
// connections by default, Transfer-Encoding allowed).
func (v Version) AtLeast11() bool { return v >= Version11 }

// Header holds what requests and responses share: the header fields this
// package interprets, and the selected extra headers. Byte slices alias
// the parsed input and are valid as long as it is. The zero Header is
// ready to be decoded into; the decoders reset it first.
type Header struct {
	// Len is the length of the start line and header block, including
	// the empty line that ends it: the body starts at Len.
	Len int
	// Fields is the number of header fields.
	Fields int
	// ContentLength is the Content-Length value, -1 when absent.
	ContentLength int64
	// ContentType, TransferEncoding, Connection and Upgrade are the
	// values of the first field of that name (nil when absent).
	ContentType, TransferEncoding, Connection, Upgrade []byte
	// HasTransferEncoding reports a Transfer-Encoding field (possibly empty).
	HasTransferEncoding bool
	// Chunked reports that the final transfer coding is chunked.
	Chunked bool
	// ConnClose and ConnKeepAlive report the close and keep-alive
	// options of the Connection fields.
	ConnClose, ConnKeepAlive bool
	// KeepAlive reports whether the connection persists after this
	// message: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
	// "Connection: keep-alive" (RFC 9112 section 9.3).
	KeepAlive bool
	// Expect100 reports "Expect: 100-continue" (requests).
	Expect100 bool

	teBad bool // chunked applied twice, or not last
	// Extra header values as offsets into base (the parsed input): kept
	// small because decoders reset the whole Header per message.
	base  []byte
	extra [MaxExtraHeaders]struct{ off, n uint32 }
	found uint16 // bit i: extra[i] was seen (an extra may be present and empty)
}

// Extra returns the value of the i-th header of Options.ExtraHeaders, and
// whether it was present.
func (h *Header) Extra(i int) ([]byte, bool) {
	if i < 0 || i >= MaxExtraHeaders || h.found&(1<<i) == 0 {
		return nil, false
	}
	e := h.extra[i]
	return h.base[e.off : e.off+e.n : e.off+e.n], true
}

// Request is a decoded request head. Decode into a reused value with
// Parser.ParseRequest; byte slices alias the input.
type Request struct {
	Header
	// Method is the request method, case kept (methods are case-sensitive).
	Method []byte
	// Target is the request-target exactly as sent (origin-form with its
	// query, absolute-form, authority-form for CONNECT, or "*").
	Target []byte
	// Host is the Host field value; HasHost says whether there was one.
	Host    []byte
	HasHost bool
	// Version is the request's HTTP version.
	Version Version
}

// Response is a decoded response head. Decode into a reused value with
// Parser.ParseResponse; byte slices alias the input.
type Response struct {
	Header
	// Version is the response's HTTP version.
	Version Version
	// StatusCode is the three-digit status code (100-999).
	StatusCode int
	// Reason is the reason phrase (possibly empty).
	Reason []byte
}

// ParseRequest decodes the request head at the start of b into req.
// It returns nil when the head is complete (req.Len is where the body
// starts), parser.ErrShort when b ends inside the head (need more bytes;
// req then holds the start line and the complete fields read so far), or
// an error wrapping parser.ErrMalformed, ErrTooLarge or ErrNotProtocol.
// It does not look at the body; framing is Split's job. It never
// allocates on success.
//
// Each byte of the head is looked at once: the scan that finds a line's
// end is the one that validates it (eight bytes per step for values).
func (p *Parser) ParseRequest(req *Request, b []byte) error {
	*req = Request{Header: Header{ContentLength: -1}}
	return p.parseRequest(req, b)
}

// parseRequest is ParseRequest into a zero Request whose ContentLength
// is -1 (the parser tree's fresh stack value: no second clearing).
func (p *Parser) parseRequest(req *Request, b []byte) error {
	win, capped := p.window(b)
	// method SP request-target SP HTTP-version CRLF (RFC 9112 section 3)
	i := 0
	for i < len(win) && tcharTable[win[i]] {
		i++
	}
	if i == len(win) {
		return p.short(capped, 0)
	}
	if i == 0 || win[i] != ' ' {
		return errAt("request line", 0, ErrBadRequestLine)
	}
	ts := i + 1
	te := firstNotVisible(win, ts)
	if te == len(win) {
		return p.short(capped, 0)
	}
	if te == ts || win[te] != ' ' {
		return errAt("request target", ts, ErrBadRequestLine)
	}
	v, next, err := versionEOL(win, te+1)
	if err != nil {
		if err == parser.ErrShort {
			return p.short(capped, 0)
		}
		return err
	}
	req.Method, req.Target, req.Version, req.base = win[:i:i], win[ts:te:te], v, win
	end, err := p.scanFields(&req.Header, win, next, req)
	if err != nil {
		if err == parser.ErrShort {
			return p.short(capped, end)
		}
		return err
	}
	req.finish(req.Version, end)
	return nil
}

// ParseResponse decodes the response head at the start of b into resp,
// with the same results as ParseRequest.
func (p *Parser) ParseResponse(resp *Response, b []byte) error {
	*resp = Response{Header: Header{ContentLength: -1}}
	return p.parseResponse(resp, b)
}

// parseResponse is ParseResponse into a fresh Response (see parseRequest).
func (p *Parser) parseResponse(resp *Response, b []byte) error {
	win, capped := p.window(b)
	// HTTP-version SP 3DIGIT SP [reason-phrase] CRLF (RFC 9112 section 4);
	// the SP before an empty reason is optional, as in net/http (many
	// servers omit it).
	if len(win) < 13 {
		if len(win) >= 8 {
			if _, err := parseVersion(win[:8], 0); err != nil {
				return err
			}
		}
		return p.short(capped, 0)
	}
	v, err := parseVersion(win[:8], 0)
	if err != nil {
		return err
	}
	d0, d1, d2 := win[9]-'0', win[10]-'0', win[11]-'0'
	if win[8] != ' ' || d0 < 1 || d0 > 9 || d1 > 9 || d2 > 9 {
		return errAt("status line", 8, ErrBadStatusLine)
	}
	var reason []byte
	next := 0
	switch win[12] {
	case ' ':
		end, n, st := lineEnd(win, 13)
		switch st {
		case lineShort:
			return p.short(capped, 0)
		case lineBad:
			return errAt("reason phrase", end, ErrBadStatusLine)
		}
		reason, next = win[13:end:end], n
	case '\n':
		next = 13
	case '\r':
		if len(win) < 14 {
			return p.short(capped, 0)
		}
		if win[13] != '\n' {
			return errAt("status line", 12, ErrBadStatusLine)
		}
		next = 14
	default:
		return errAt("status line", 12, ErrBadStatusLine)
	}
	resp.Version, resp.StatusCode, resp.Reason, resp.base = v, int(d0)*100+int(d1)*10+int(d2), reason, win
	end, err := p.scanFields(&resp.Header, win, next, nil)
	if err != nil {
		if err == parser.ErrShort {
			return p.short(capped, end)
		}
		return err
	}
	resp.finish(resp.Version, end)
	return nil
}

// versionEOL parses "HTTP/1.<digit>" and the line end at b[i:], returning
// the offset after the line.
func versionEOL(b []byte, i int) (Version, int, error) {
	if len(b)-i < 9 {
		if len(b)-i >= 8 {
			if _, err := parseVersion(b[i:i+8], i); err != nil {
				return 0, 0, err
			}
		}
		return 0, 0, parser.ErrShort
	}
	v, err := parseVersion(b[i:i+8], i)
	if err != nil {
		return 0, 0, err
	}
	switch b[i+8] {
	case '\n':
		return v, i + 9, nil
	case '\r':
		if len(b)-i < 10 {
			return 0, 0, parser.ErrShort
		}
		if b[i+9] == '\n' {
			return v, i + 10, nil
		}
	}
	return 0, 0, errAt("version", i, ErrUnsupportedVersion)
}

// window caps b at MaxHeaderBytes, so no scan looks further than the
// limit, and reports whether it cut anything.
func (p *Parser) window(b []byte) ([]byte, bool) {
	if len(b) > p.maxHeaderBytes {
		return b[:p.maxHeaderBytes], true
	}
	return b, false
}

// short is the error for a head that did not end inside the window:
// too large when the window was full, need-more otherwise.
func (p *Parser) short(capped bool, off int) error {
	if capped {
		return errAt("header block", off, ErrHeadTooLarge)
	}
	return parser.ErrShort
}

// finish computes the derived fields once the head is complete.
func (h *Header) finish(v Version, end int) {
	h.Len = end
	if v.AtLeast11() {
		h.KeepAlive = !h.ConnClose
	} else {
		h.KeepAlive = h.ConnKeepAlive && !h.ConnClose
	}
}

// parseVersion parses exactly "HTTP/1.<digit>".
func parseVersion(b []byte, off int) (Version, error) {
	if len(b) != 8 || string(b[:5]) != "HTTP/" {
		return 0, errAt("version", off, ErrUnsupportedVersion)
	}
	if b[5] != '1' || b[6] != '.' || b[7] < '0' || b[7] > '9' {
		return 0, errAt("version", off, ErrUnsupportedVersion)
	}
	return Version(10 + b[7] - '0'), nil
}

// scanFields reads header field lines from b[off:] up to and including
// the empty line, filling h (and the Host of req when req is not nil). It
// returns the offset after the empty line, or parser.ErrShort with the
// offset of the first incomplete line. Every field is checked: a name
// must be a token immediately followed by ':', a value may hold no
// control byte but HTAB (a bare CR included), and a line starting with
// whitespace (obs-fold, RFC 9112 section 5.2) is an error.
//
// Each line is read once: the name with the token table up to its ':',
// then the value eight bytes per step, inline (no call, so nothing is
// spilled per line), with a test that stops at the first byte outside
// 0x20-0x7e: the line end, unless it is HTAB or obs-text.
func (p *Parser) scanFields(h *Header, b []byte, off int, req *Request) (int, error) {
	for {
		if off >= len(b) {
			return off, parser.ErrShort
		}
		if c := b[off]; !tcharTable[c] {
			switch c {
			case '\n':
				return off + 1, nil
			case '\r':
				if off+1 == len(b) {
					return off, parser.ErrShort
				}
				if b[off+1] == '\n' {
					return off + 2, nil
				}
				return off, errAt("header", off, ErrBadHeader)
			case ' ', '\t':
				return off, errAt("header", off, ErrObsFold)
			}
			return off, errAt("header name", off, ErrBadHeader)
		}
		i := tokenEnd(b, off+1) // b[off] is a tchar
		if i >= len(b) {
			return off, parser.ErrShort
		}
		if b[i] != ':' {
			return off, errAt("header name", i, ErrBadHeader)
		}
		vs := i + 1
		for vs < len(b) && (b[vs] == ' ' || b[vs] == '\t') {
			vs++
		}
		// The value, to its line end: eight bytes per step until a byte
		// outside 0x20-0x7e, which ends the line (CRLF or LF), passes
		// (HTAB, obs-text) or is refused.
		ve, next := vs, 0
		for {
			if len(b)-ve < 8 {
				var st uint8
				if ve, next, st = lineEnd(b, ve); st == lineShort {
					return off, parser.ErrShort
				} else if st == lineBad {
					return off, errAt("header value", ve, ErrBadHeader)
				}
				break
			}
			m := outMask(binary.LittleEndian.Uint64(b[ve:]))
			if m == 0 {
				ve += 8
				continue
			}
			ve += bits.TrailingZeros64(m) >> 3
			c := b[ve]
			if c == '\r' {
				if ve+1 == len(b) {
					return off, parser.ErrShort
				}
				if b[ve+1] != '\n' {
					return off, errAt("header value", ve, ErrBadHeader)
				}
				next = ve + 2
				break
			}
			if c == '\n' {
				next = ve + 1
				break
			}
			if c != '\t' && c < 0x80 {
				return off, errAt("header value", ve, ErrBadHeader)
			}
			ve++
		}
		for ve > vs && (b[ve-1] == ' ' || b[ve-1] == '\t') {
			ve--
		}
		h.Fields++
		if h.Fields > p.maxHeaders {
			return off, errAt("header", off, ErrTooManyHeaders)
		}
		if code := fieldCode(b[off:i]); code != fieldOther {
			if err := p.field(h, code, b[vs:ve:ve], req); err != nil {
				return off, errAt(string(b[off:i]), off, err)
			}
		}
		if len(p.extraNames) > 0 {
			p.extraField(h, b[off:i], b[vs:ve:ve], vs)
		}
		off = next
	}
}

// splitField checks one non-empty field line (at offset off, for errors)
// and splits it into name and trimmed value. A name must be a token
// immediately followed by ':'; a value may hold no control byte but HTAB;
// a line starting with whitespace is obs-fold (RFC 9112 section 5.2) and
// is refused, never unfolded.
func splitField(line []byte, off int) (name, value []byte, err error) {
	if line[0] == ' ' || line[0] == '\t' {
		return nil, nil, errAt("header", off, ErrObsFold)
	}
	i := 0
	for i < len(line) && tcharTable[line[i]] {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return nil, nil, errAt("header name", off, ErrBadHeader)
	}
	value = trimOWS(line[i+1:])
	if !validValue(value) {
		return nil, nil, errAt("header value", off+i+1, ErrBadHeader)
	}
	return line[:i], value, nil
}

// Header fields the decoder interprets (fieldCode).
const (
	fieldOther uint8 = iota
	fieldHost
	fieldExpect
	fieldUpgrade
	fieldConnection
	fieldContentType
	fieldContentLength
	fieldTransferEncoding
)

// fieldCode identifies the field names the decoder interprets, ignoring
// ASCII case: by length, then with a word compare or two in which letters
// are folded (x|0x20 equals a lower-case letter only for that letter's
// two cases) and other bytes compared exactly.
func fieldCode(name []byte) uint8 {
	const f = lsb * 0x20
	switch len(name) {
	case 4:
		if binary.LittleEndian.Uint32(name)|0x20202020 == le32("host") {
			return fieldHost
		}
	case 6:
		if binary.LittleEndian.Uint32(name)|0x20202020 == le32("expe") &&
			binary.LittleEndian.Uint16(name[4:])|0x2020 == uint16(le32("ct\x00\x00")) {
			return fieldExpect
		}
	case 7:
		if binary.LittleEndian.Uint32(name)|0x20202020 == le32("upgr") &&
			binary.LittleEndian.Uint32(name[3:])|0x20202020 == le32("rade") {
			return fieldUpgrade
		}
	case 10:
		if binary.LittleEndian.Uint64(name)|f == le64("connecti") &&
			binary.LittleEndian.Uint16(name[8:])|0x2020 == uint16(le32("on\x00\x00")) {
			return fieldConnection
		}
	case 12:
		if binary.LittleEndian.Uint64(name)|contentMask == le64("content-") &&
			binary.LittleEndian.Uint32(name[8:])|0x20202020 == le32("type") {
			return fieldContentType
		}
	case 14:
		if binary.LittleEndian.Uint64(name)|contentMask == le64("content-") &&
			binary.LittleEndian.Uint64(name[6:])|lengthMask == le64("t-length") {
			return fieldContentLength
		}
	case 17:
		if binary.LittleEndian.Uint64(name)|f == le64("transfer") &&
			binary.LittleEndian.Uint64(name[8:])|encodinMask == le64("-encodin") && name[16]|0x20 == 'g' {
			return fieldTransferEncoding
		}
	}
	return fieldOther
}

// Fold masks for the words of fieldCode with a '-' (compared exactly).
const (
	contentMask = lsb * 0x20 &^ (0x20 << 56) // "content-"
	lengthMask  = lsb * 0x20 &^ (0x20 << 8)  // "t-length"
	encodinMask = lsb * 0x20 &^ 0x20         // "-encodin"
	keepAliMask = lsb * 0x20 &^ (0x20 << 32) // "keep-ali"
)

// le32 and le64 are the little-endian words of a 4- or 8-byte string
// (constant-folded by the compiler).
func le32(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func le64(s string) uint64 {
	return uint64(le32(s[:4])) | uint64(le32(s[4:8]))<<32
}

// field interprets one header field whose name fieldCode identified as
// code.
func (p *Parser) field(h *Header, code uint8, value []byte, req *Request) error {
	switch code {
	case fieldHost:
		if req != nil {
			if req.HasHost {
				return ErrDuplicateHost
			}
			req.Host, req.HasHost = value, true
		}
	case fieldExpect:
		if equalFold(value, "100-continue") {
			h.Expect100 = true
		}
	case fieldUpgrade:
		if h.Upgrade == nil {
			h.Upgrade = value
		}
	case fieldConnection:
		if h.Connection == nil {
			h.Connection = value
		}
		// The usual values, a single option, without the list walk.
		switch {
		case len(value) == 10 && binary.LittleEndian.Uint64(value)|keepAliMask == le64("keep-ali") &&
			binary.LittleEndian.Uint16(value[8:])|0x2020 == uint16(le32("ve\x00\x00")):
			h.ConnKeepAlive = true
			return nil
		case len(value) == 5 && binary.LittleEndian.Uint32(value)|0x20202020 == le32("clos") && value[4]|0x20 == 'e':
			h.ConnClose = true
			return nil
		}
		for rest := value; len(rest) > 0; {
			var e []byte
			e, rest = nextElem(rest)
			switch {
			case equalFold(e, "close"):
				h.ConnClose = true
			case equalFold(e, "keep-alive"):
				h.ConnKeepAlive = true
			}
		}
	case fieldContentType:
		if h.ContentType == nil {
			h.ContentType = value
		}
	case fieldContentLength:
		n, ok := ascii.ParseDigits(value) // 1*DIGIT, at most 18 digits
		if !ok || (h.ContentLength >= 0 && n != h.ContentLength) {
			return ErrBadContentLength
		}
		h.ContentLength = n
	case fieldTransferEncoding:
		if !h.HasTransferEncoding {
			h.TransferEncoding = value
			h.HasTransferEncoding = true
		}
		// The codings of every Transfer-Encoding field form one list,
		// in order; only its final coding decides the framing.
		for rest := value; len(rest) > 0; {
			var e []byte
			e, rest = nextElem(rest)
			if len(e) == 0 {
				continue
			}
			if j := bytes.IndexByte(e, ';'); j >= 0 {
				e = trimOWS(e[:j])
			}
			if h.Chunked {
				h.teBad = true // a coding after chunked
			}
			h.Chunked = equalFold(e, "chunked")
		}
	}
	return nil
}

// extraField records the field when its name is one of the extra headers
// (first occurrence).
func (p *Parser) extraField(h *Header, name, value []byte, voff int) {
	for i, n := range p.extraNames {
		if h.found&(1<<i) == 0 && equalFold(name, n) {
			h.extra[i].off, h.extra[i].n = uint32(voff), uint32(len(value))
			h.found |= 1 << i
		}
	}
}

// rootPath is what Path returns for an absolute-form target without a
// path; never written.
var rootPath = [1]byte{'/'}

// Path returns the path of the request-target without its query: for
// origin-form ("/a/b?q") the part before '?', for absolute-form
// ("http://h/a?q") the part after the authority ("/" when empty), "*" for
// asterisk-form, and nil for authority-form (CONNECT). It aliases Target
// (or a shared "/"); do not modify it.
func (r *Request) Path() []byte {
	t := r.Target
	switch {
	case len(t) == 0:
		return nil
	case t[0] == '/' || (len(t) == 1 && t[0] == '*'):
	case bytes.Contains(t, []byte("://")):
		rest := t[bytes.Index(t, []byte("://"))+3:]
		i := bytes.IndexAny(rest, "/?#")
		if i < 0 || rest[i] != '/' {
			return rootPath[:1:1]
		}
		t = rest[i:]
	default:
		return nil // authority-form
	}
	if i := bytes.IndexAny(t, "?#"); i >= 0 {
		t = t[:i]
	}
	return t[:len(t):len(t)]
}

// Query returns the query of the request-target (after '?', before any
// '#'), or nil when there is none. It aliases Target.
func (r *Request) Query() []byte {
	i := bytes.IndexByte(r.Target, '?')
	if i < 0 {
		return nil
	}
	q := r.Target[i+1:]
	if j := bytes.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	return q[:len(q):len(q)]
}
