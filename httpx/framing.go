package httpx

import "bytes"

// Framing says where a message's body ends (RFC 9112 section 6.3).
type Framing uint8

// Framings.
const (
	// FramingNone: no body; the message ends with its head.
	FramingNone Framing = iota
	// FramingLength: Header.ContentLength bytes of body.
	FramingLength
	// FramingChunked: a chunked body, its last chunk and trailer section.
	FramingChunked
	// FramingUntilClose: a response body that runs until the server
	// closes the connection (no Content-Length, not chunked).
	FramingUntilClose
	// FramingTunnel: the message ends with its head and the connection
	// stops carrying HTTP (101 Switching Protocols, 2xx to CONNECT).
	FramingTunnel
)

var framingNames = [...]string{"none", "length", "chunked", "until-close", "tunnel"}

// String names the framing.
func (f Framing) String() string {
	if int(f) < len(framingNames) {
		return framingNames[f]
	}
	return "unknown"
}

// Request method kinds the response framing depends on, recorded per
// pending request in State.
const (
	kindOther   uint8 = 0
	kindHead    uint8 = 1 << 0
	kindConnect uint8 = 1 << 1
	kindUpgrade uint8 = 1 << 2 // request carries Upgrade: a 101 may follow
)

// methodKind classifies a request method (case-sensitive, RFC 9110 section 9.1).
func methodKind(m []byte) uint8 {
	switch string(m) { // no allocation: the compiler compares in place
	case "HEAD":
		return kindHead
	case "CONNECT":
		return kindConnect
	}
	return kindOther
}

// methodKindString is methodKind for a method held as a string attribute.
func methodKindString(m string) uint8 {
	switch m {
	case "HEAD":
		return kindHead
	case "CONNECT":
		return kindConnect
	}
	return kindOther
}

// RequestFraming returns how req's body is framed (RFC 9112 section 6.3,
// rules 3, 4, 5 and 6 for requests): Transfer-Encoding overrides
// Content-Length and must end with chunked; Content-Length gives the
// length; otherwise there is no body. A Content-Length over
// Options.MaxBodyBytes is ErrBodyTooLarge.
func (p *Parser) RequestFraming(req *Request) (Framing, error) {
	if req.HasTransferEncoding {
		if !req.Version.AtLeast11() || !req.Chunked || req.teBad {
			return FramingNone, errAt("transfer-encoding", 0, ErrBadTransferEncoding)
		}
		return FramingChunked, nil
	}
	if req.ContentLength > 0 {
		if req.ContentLength > p.maxBody {
			return FramingNone, errAt("content-length", 0, ErrBodyTooLarge)
		}
		return FramingLength, nil
	}
	return FramingNone, nil
}

// ResponseFraming returns how resp's body is framed, given the method of
// the request it answers (nil when unknown, treated like GET). RFC 9112
// section 6.3: a response to HEAD, and every 1xx, 204 and 304 response,
// ends with its head; 101 and a 2xx answer to CONNECT turn the connection
// into a tunnel; then Transfer-Encoding (chunked if final, else the body
// runs until close), then Content-Length, else until close.
func (p *Parser) ResponseFraming(resp *Response, method []byte) (Framing, error) {
	return p.responseFraming(resp, methodKind(method))
}

func (p *Parser) responseFraming(resp *Response, kind uint8) (Framing, error) {
	code := resp.StatusCode
	switch {
	case code == 101:
		return FramingTunnel, nil
	case kind&kindConnect != 0 && code >= 200 && code < 300:
		return FramingTunnel, nil
	case code < 200, code == 204, code == 304, kind&kindHead != 0:
		return FramingNone, nil
	}
	if resp.HasTransferEncoding {
		if !resp.Version.AtLeast11() || resp.teBad {
			return FramingNone, errAt("transfer-encoding", 0, ErrBadTransferEncoding)
		}
		if resp.Chunked {
			return FramingChunked, nil
		}
		return FramingUntilClose, nil
	}
	if resp.ContentLength >= 0 {
		if resp.ContentLength > p.maxBody {
			return FramingNone, errAt("content-length", 0, ErrBodyTooLarge)
		}
		if resp.ContentLength == 0 {
			return FramingNone, nil
		}
		return FramingLength, nil
	}
	return FramingUntilClose, nil
}

// chunkWalker is the progress of a walk over a chunked body, kept between
// calls so that a body arriving in many segments is scanned once: every
// call resumes at the first chunk-size line not yet passed, and only that
// line is re-read while its data is still arriving.
type chunkWalker struct {
	pos          int  // offset of the next chunk-size line, or trailer line
	trailer      bool // the last chunk is passed; reading trailer fields
	trailerStart int
	fields       int
	scan         int // the current line has no LF before scan: search on from there
}

// line returns the line at data[w.pos:] (ending before end), without its
// terminator, and the offset after it. The search for its LF resumes
// where the previous call stopped, so a long line arriving byte by byte
// is scanned once.
func (w *chunkWalker) line(data []byte, end int) (line []byte, next int, ok bool) {
	from := min(max(w.pos, w.scan), end)
	i := bytes.IndexByte(data[from:end], '\n')
	if i < 0 {
		w.scan = end
		return nil, 0, false
	}
	i += from
	w.scan = 0
	line = data[w.pos:i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, i + 1, true
}

// walk resumes the walk of the chunked body that starts at bodyStart in
// data. It returns the offset just past the message when it is complete,
// 0 when more bytes are needed, or an error.
func (p *Parser) walk(w *chunkWalker, data []byte, bodyStart int) (int, error) {
	if w.pos < bodyStart {
		*w = chunkWalker{pos: bodyStart}
	}
	for {
		if w.trailer {
			end := len(data)
			if lim := w.trailerStart + p.maxHeaderBytes; end > lim {
				end = lim
			}
			line, next, ok := w.line(data, end)
			if !ok {
				if end < len(data) || end-w.trailerStart >= p.maxHeaderBytes {
					return 0, errAt("trailer section", w.trailerStart, ErrHeadTooLarge)
				}
				return 0, nil
			}
			if len(line) == 0 {
				return next, nil
			}
			if _, _, err := splitField(line, w.pos); err != nil {
				return 0, err
			}
			w.fields++
			if w.fields > p.maxHeaders {
				return 0, errAt("trailer", w.pos, ErrTooManyHeaders)
			}
			w.pos = next
			continue
		}
		end := len(data)
		if lim := w.pos + p.maxChunkLine + 2; end > lim {
			end = lim
		}
		line, next, ok := w.line(data, end)
		if !ok {
			if end-w.pos >= p.maxChunkLine+2 {
				return 0, errAt("chunk size", w.pos, ErrChunkSizeTooLong)
			}
			return 0, nil
		}
		if len(line) > p.maxChunkLine {
			return 0, errAt("chunk size", w.pos, ErrChunkSizeTooLong)
		}
		size, err := p.chunkSize(line, w.pos)
		if err != nil {
			return 0, err
		}
		if size == 0 {
			w.trailer, w.trailerStart, w.pos = true, next, next
			continue
		}
		// The body on the wire so far, plus this chunk and its CRLF, must
		// fit MaxBodyBytes: checked before waiting for the chunk's bytes.
		if size > uint64(p.maxBody) || int64(next-bodyStart)+int64(size)+2 > p.maxBody {
			return 0, errAt("chunk size", w.pos, ErrBodyTooLarge)
		}
		dataEnd := next + int(size)
		if len(data) <= dataEnd {
			return 0, nil
		}
		switch {
		case data[dataEnd] == '\n':
			w.pos = dataEnd + 1
		case data[dataEnd] == '\r' && len(data) == dataEnd+1:
			return 0, nil
		case data[dataEnd] == '\r' && data[dataEnd+1] == '\n':
			w.pos = dataEnd + 2
		default:
			return 0, errAt("chunk data", dataEnd, ErrBadChunk)
		}
	}
}

// chunkSize parses chunk-size [ chunk-ext ] (RFC 9112 section 7.1.1):
// 1 to MaxChunkSizeDigits hex digits, then optional whitespace and
// ';'-introduced extensions made of field-value bytes.
func (p *Parser) chunkSize(line []byte, off int) (uint64, error) {
	var n uint64
	i := 0
	for i < len(line) && hexTable[line[i]] != 0xff {
		if i == p.maxChunkDigits {
			return 0, errAt("chunk size", off, ErrChunkSizeTooLong)
		}
		n = n<<4 | uint64(hexTable[line[i]])
		i++
	}
	if i == 0 {
		return 0, errAt("chunk size", off, ErrBadChunk)
	}
	ext := trimOWS(line[i:])
	if len(ext) > 0 && (ext[0] != ';' || !validValue(ext)) {
		return 0, errAt("chunk extension", off+i, ErrBadChunk)
	}
	return n, nil
}
