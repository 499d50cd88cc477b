package capture

import (
	"encoding/binary"
	"io"
	"sync"

	"github.com/wirekit/wirekit/reassembly"
)

// recorder writes captured frames to a pcapng stream: a section header and
// one interface description (link type, snaplen, name, nanosecond
// timestamps) first, then an enhanced packet block per frame. Each worker
// appends to its own buffer and writes it under the lock once per ring
// block, so the lock is taken per block, not per frame.
type recorder struct {
	mu      sync.Mutex
	w       io.Writer
	err     error
	written uint64
	wbuf    [][]byte // one buffer per worker, indexed by Packet.Worker
	pending []uint64 // frames in each worker's buffer
	header  []byte
}

func newRecorder(w io.Writer, link reassembly.LinkType, snaplen int, ifname string) *recorder {
	r := &recorder{w: w}
	r.header = appendSHB(nil)
	r.header = appendIDB(r.header, uint16(link), uint32(snaplen), ifname)
	return r
}

// worker buffers are created lazily by add, on the worker's goroutine, but
// the slice of them is sized up front by setWorkers.
func (r *recorder) setWorkers(n int) {
	r.wbuf = make([][]byte, n)
	r.pending = make([]uint64, n)
}

func (r *recorder) add(p *Packet) {
	b := r.wbuf[p.Worker]
	b = appendEPB(b, p)
	r.wbuf[p.Worker] = b
	r.pending[p.Worker]++
}

// flush writes worker w's buffer.
func (r *recorder) flush(w int) {
	b := r.wbuf[w]
	if len(b) == 0 {
		return
	}
	n := r.pending[w]
	r.wbuf[w], r.pending[w] = b[:0], 0
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	if r.header != nil {
		if _, r.err = r.w.Write(r.header); r.err != nil {
			return
		}
		r.header = nil
	}
	if _, r.err = r.w.Write(b); r.err == nil {
		r.written += n
	}
}

// start writes the header even when no frame is captured, so that a
// recording is always a valid pcapng file.
func (r *recorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.header != nil && r.err == nil {
		_, r.err = r.w.Write(r.header)
		r.header = nil
	}
}

func (r *recorder) error() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *recorder) counts() (written, errs uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		errs = 1
	}
	return r.written, errs
}

var le32 = binary.LittleEndian.AppendUint32
var le16 = binary.LittleEndian.AppendUint16

func appendSHB(b []byte) []byte {
	b = le32(b, 0x0a0d0d0a)
	b = le32(b, 28)
	b = le32(b, 0x1a2b3c4d)
	b = le16(b, 1) // version 1.0
	b = le16(b, 0)
	b = binary.LittleEndian.AppendUint64(b, ^uint64(0)) // section length unknown
	return le32(b, 28)
}

func appendIDB(b []byte, link uint16, snaplen uint32, name string) []byte {
	if len(name) > 255 {
		name = name[:255]
	}
	start := len(b)
	b = le32(b, 1)
	b = le32(b, 0) // length, set below
	b = le16(b, link)
	b = le16(b, 0)
	b = le32(b, snaplen)
	b = le16(b, 2) // if_name
	b = le16(b, uint16(len(name)))
	b = append(b, name...)
	b = pad4(b, len(name))
	b = le16(b, 9) // if_tsresol: 10^-9
	b = le16(b, 1)
	b = append(b, 9, 0, 0, 0)
	b = le32(b, 0) // opt_endofopt
	b = le32(b, uint32(len(b)-start+4))
	binary.LittleEndian.PutUint32(b[start+4:], uint32(len(b)-start))
	return b
}

func pad4(b []byte, n int) []byte {
	for ; n%4 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// appendEPB appends an enhanced packet block for p on interface 0.
func appendEPB(b []byte, p *Packet) []byte {
	n := len(p.Data)
	total := 32 + (n+3)&^3
	ts := uint64(p.Timestamp.UnixNano())
	b = le32(b, 6)
	b = le32(b, uint32(total))
	b = le32(b, 0)
	b = le32(b, uint32(ts>>32))
	b = le32(b, uint32(ts))
	b = le32(b, uint32(n))
	b = le32(b, uint32(p.Length))
	b = append(b, p.Data...)
	b = pad4(b, n)
	return le32(b, uint32(total))
}
