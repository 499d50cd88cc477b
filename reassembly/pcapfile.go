package reassembly

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Classic pcap file magic numbers, as read little-endian.
const (
	pcapMagicMicro   = 0xa1b2c3d4
	pcapMagicNano    = 0xa1b23c4d
	pcapMagicMicroBE = 0xd4c3b2a1
	pcapMagicNanoBE  = 0x4d3cb2a1
)

// MaxPcapRecord is the largest record (captured length) ReadPcap accepts in
// a classic pcap file; a larger length is taken as a corrupt file rather
// than a reason to allocate.
const MaxPcapRecord = 16 << 20

// pcapReader reads classic pcap records straight out of a bufio.Reader's
// buffer: a record is not copied again before it reaches DecodePacket. The
// data returned by next is valid until the following call. It reads what
// pcapgo.Reader reads (a test checks them record by record) and is only
// here because the copy pcapgo makes of every record costs a large part of
// the time of reassembling a capture.
type pcapReader struct {
	br      peeker
	order   binary.ByteOrder
	nanoMul int64
	link    LinkType
	discard int    // bytes of the previous record still to skip
	big     []byte // records larger than br's buffer
}

func newPcapReader(br peeker) (*pcapReader, error) {
	h, err := br.Peek(24)
	if err != nil {
		return nil, fmt.Errorf("reassembly: pcap file header: %w", err)
	}
	p := &pcapReader{br: br}
	switch binary.LittleEndian.Uint32(h) {
	case pcapMagicMicro:
		p.order, p.nanoMul = binary.LittleEndian, 1000
	case pcapMagicNano:
		p.order, p.nanoMul = binary.LittleEndian, 1
	case pcapMagicMicroBE:
		p.order, p.nanoMul = binary.BigEndian, 1000
	case pcapMagicNanoBE:
		p.order, p.nanoMul = binary.BigEndian, 1
	default:
		return nil, fmt.Errorf("reassembly: not a pcap or pcapng file (magic %#x): %w", binary.LittleEndian.Uint32(h), ErrMalformed)
	}
	if v := p.order.Uint16(h[4:]); v != 2 {
		return nil, fmt.Errorf("reassembly: pcap major version %d: %w", v, ErrMalformed)
	}
	// The top bits of the link type field may carry FCS information.
	p.link = LinkType(p.order.Uint32(h[20:]) & 0xffff)
	_, _ = br.Discard(24)
	return p, nil
}

// next returns the next record's data and capture time; io.EOF at a clean
// end of file.
func (p *pcapReader) next() ([]byte, time.Time, error) {
	if p.discard > 0 {
		if _, err := p.br.Discard(p.discard); err != nil {
			return nil, time.Time{}, io.ErrUnexpectedEOF
		}
		p.discard = 0
	}
	h, err := p.br.Peek(16)
	if err != nil {
		if err == io.EOF && len(h) == 0 {
			return nil, time.Time{}, io.EOF
		}
		return nil, time.Time{}, io.ErrUnexpectedEOF
	}
	ts := time.Unix(int64(p.order.Uint32(h)), int64(p.order.Uint32(h[4:]))*p.nanoMul).UTC()
	n := int(p.order.Uint32(h[8:]))
	if n < 0 || n > MaxPcapRecord {
		return nil, ts, fmt.Errorf("captured length %d over MaxPcapRecord: %w", n, ErrMalformed)
	}
	if 16+n <= p.br.Size() {
		rec, err := p.br.Peek(16 + n)
		if err != nil {
			return nil, ts, io.ErrUnexpectedEOF
		}
		p.discard = 16 + n
		return rec[16:], ts, nil
	}
	_, _ = p.br.Discard(16)
	if cap(p.big) < n {
		p.big = make([]byte, n)
	}
	p.big = p.big[:n]
	if _, err := io.ReadFull(p.br, p.big); err != nil {
		return nil, ts, io.ErrUnexpectedEOF
	}
	return p.big, ts, nil
}
