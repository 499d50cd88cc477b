package reassembly

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// pcapng block types.
const (
	ngSectionHeader    = 0x0a0d0d0a
	ngInterfaceDesc    = 1
	ngObsoletePacket   = 2
	ngSimplePacket     = 3
	ngEnhancedPacket   = 6
	ngByteOrderMagic   = 0x1a2b3c4d
	ngMaxBlock         = MaxPcapRecord + 1<<16 // a record plus generous room for options
	ngOptEnd           = 0
	ngOptTSResolution  = 9
	ngOptTSOffset      = 14
	ngDefaultTSPerSec  = 1000000
	ngInvalidInterface = LinkType(^uint32(0))
)

type ngInterface struct {
	link    LinkType
	snaplen uint32
	perSec  uint64 // timestamp units per second
	offset  int64  // seconds added to every timestamp
}

// pcapngReader reads pcapng packet blocks in place from a bufio.Reader,
// like pcapReader. Every length is checked against the block that holds it
// and blocks are capped at ngMaxBlock, so a corrupt or hostile file gives
// ErrMalformed, never a panic or a large allocation. (gopacket's
// pcapgo.NgReader v1.1.19, which a test checks this against on valid files,
// allocates whatever captured length a block claims and divides by zero on
// an if_tsresol of 2^-64; see TestPcapngHostileInputs.)
type pcapngReader struct {
	br      peeker
	order   binary.ByteOrder
	ifaces  []ngInterface
	discard int
	big     []byte
}

func newPcapngReader(br peeker) *pcapngReader {
	return &pcapngReader{br: br, order: binary.LittleEndian}
}

// block returns the next whole block (header and trailer included).
func (p *pcapngReader) block() ([]byte, error) {
	if p.discard > 0 {
		if _, err := p.br.Discard(p.discard); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		p.discard = 0
	}
	h, err := p.br.Peek(12)
	if err != nil {
		if err == io.EOF && len(h) == 0 {
			return nil, io.EOF
		}
		return nil, io.ErrUnexpectedEOF
	}
	if binary.LittleEndian.Uint32(h) == ngSectionHeader {
		switch binary.LittleEndian.Uint32(h[8:]) {
		case ngByteOrderMagic:
			p.order = binary.LittleEndian
		case 0x4d3c2b1a:
			p.order = binary.BigEndian
		default:
			return nil, fmt.Errorf("pcapng byte-order magic: %w", ErrMalformed)
		}
	}
	n := int(p.order.Uint32(h[4:]))
	if n < 12 || n%4 != 0 || n > ngMaxBlock {
		return nil, fmt.Errorf("pcapng block length %d: %w", n, ErrMalformed)
	}
	if n <= p.br.Size() {
		b, err := p.br.Peek(n)
		if err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		p.discard = n
		return b, nil
	}
	if cap(p.big) < n {
		p.big = make([]byte, n)
	}
	p.big = p.big[:n]
	if _, err := io.ReadFull(p.br, p.big); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return p.big, nil
}

// next returns the next packet's data, link type and capture time; io.EOF
// at a clean end. A packet naming an interface that was not described gets
// an invalid link type, so DecodePacket counts it as malformed.
func (p *pcapngReader) next() ([]byte, LinkType, time.Time, error) {
	for {
		b, err := p.block()
		if err != nil {
			return nil, 0, time.Time{}, err
		}
		typ := p.order.Uint32(b)
		body := b[8 : len(b)-4]
		switch typ {
		case ngSectionHeader:
			p.ifaces = p.ifaces[:0]
		case ngInterfaceDesc:
			if len(body) < 8 {
				return nil, 0, time.Time{}, fmt.Errorf("pcapng interface block: %w", ErrMalformed)
			}
			p.ifaces = append(p.ifaces, p.interfaceDesc(body))
		case ngEnhancedPacket, ngObsoletePacket:
			if len(body) < 20 {
				return nil, 0, time.Time{}, fmt.Errorf("pcapng packet block: %w", ErrMalformed)
			}
			id := int(p.order.Uint32(body))
			if typ == ngObsoletePacket {
				id = int(p.order.Uint16(body))
			}
			caplen := p.order.Uint32(body[12:])
			if uint64(caplen) > uint64(len(body)-20) {
				return nil, 0, time.Time{}, fmt.Errorf("pcapng captured length %d: %w", caplen, ErrMalformed)
			}
			data := body[20 : 20+caplen]
			ts := uint64(p.order.Uint32(body[4:]))<<32 | uint64(p.order.Uint32(body[8:]))
			if id < 0 || id >= len(p.ifaces) {
				return data, ngInvalidInterface, time.Time{}, nil
			}
			iface := &p.ifaces[id]
			return data, iface.link, iface.time(ts), nil
		case ngSimplePacket:
			if len(body) < 4 {
				return nil, 0, time.Time{}, fmt.Errorf("pcapng simple packet block: %w", ErrMalformed)
			}
			n := min(uint64(p.order.Uint32(body)), uint64(len(body)-4))
			data := body[4 : 4+n]
			if len(p.ifaces) == 0 {
				return data, ngInvalidInterface, time.Time{}, nil
			}
			if s := uint64(p.ifaces[0].snaplen); s != 0 && n > s {
				data = data[:s]
			}
			return data, p.ifaces[0].link, time.Time{}, nil // simple packets carry no time
		}
	}
}

func (p *pcapngReader) interfaceDesc(body []byte) ngInterface {
	iface := ngInterface{
		link:    LinkType(p.order.Uint16(body)),
		snaplen: p.order.Uint32(body[4:]),
		perSec:  ngDefaultTSPerSec,
	}
	opts := body[8:]
	for len(opts) >= 4 {
		code, n := p.order.Uint16(opts), int(p.order.Uint16(opts[2:]))
		padded := (n + 3) &^ 3
		if code == ngOptEnd || 4+padded > len(opts) {
			break
		}
		v := opts[4 : 4+n]
		switch {
		case code == ngOptTSResolution && n >= 1:
			r := v[0]
			if r&0x80 != 0 {
				if e := r & 0x7f; e < 64 {
					iface.perSec = 1 << e
				}
			} else if r <= 19 {
				iface.perSec = 1
				for i := byte(0); i < r; i++ {
					iface.perSec *= 10
				}
			}
		case code == ngOptTSOffset && n >= 8:
			iface.offset = int64(p.order.Uint64(v))
		}
		opts = opts[4+padded:]
	}
	return iface
}

func (i *ngInterface) time(ts uint64) time.Time {
	sec, frac := ts/i.perSec, ts%i.perSec
	hi, lo := bits.Mul64(frac, 1e9)
	nsec, _ := bits.Div64(hi, lo, i.perSec) // frac < perSec, so hi < perSec
	return time.Unix(int64(sec)+i.offset, int64(nsec)).UTC()
}
