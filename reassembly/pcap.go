package reassembly

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// PcapStats counts the records ReadPcap read and what became of them.
type PcapStats struct {
	Packets   uint64 // records read
	TCP       uint64 // TCP segments given to the Assembler
	NotTCP    uint64 // not TCP over IPv4/IPv6
	Fragments uint64 // IP fragments (not reassembled, so not delivered)
	Malformed uint64 // short or malformed headers
	// OtherLink counts records of interfaces whose link type DecodePacket
	// does not decode: not errors, just not packets, such as the records
	// and configuration snapshots package dump writes on a USER0
	// interface next to the traffic.
	OtherLink uint64
}

func (st *PcapStats) count(err error) {
	switch {
	case errors.Is(err, ErrNotTCP):
		st.NotTCP++
	case errors.Is(err, ErrFragment):
		st.Fragments++
	case errors.Is(err, ErrLinkType):
		st.OtherLink++
	default:
		st.Malformed++
	}
}

// pcapng section header block type, the first four bytes of a pcapng file.
const pcapngMagic = 0x0a0d0d0a

// ReadPcap reads a pcap or pcapng capture, either possibly gzip-compressed
// (told apart by their magic numbers), from r and gives every TCP segment
// in it to a, in file order. It decodes headers with [DecodePacket].
// Records are decoded in place in the read buffer, with every length in
// the file checked (the tests compare the readers with gopacket's pcapgo,
// which copies every record and, for pcapng, trusts lengths). It does not
// flush a at the end, so several files can be fed in sequence: call
// [Assembler.FlushAll] when done.
// A file cut short in the middle of a record returns the records before it
// and io.ErrUnexpectedEOF.
func ReadPcap(r io.Reader, a *Assembler) (PcapStats, error) {
	var st PcapStats
	br := bufio.NewReaderSize(r, readBufferSize(r))
	magic, err := br.Peek(4)
	if err != nil {
		return st, fmt.Errorf("reassembly: reading capture header: %w", err)
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return st, fmt.Errorf("reassembly: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	return readRecords(br, a)
}

// ReadPcapBytes is ReadPcap for a capture already in memory (or mapped):
// records are decoded straight from data, without a read buffer.
func ReadPcapBytes(data []byte, a *Assembler) (PcapStats, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return ReadPcap(bytes.NewReader(data), a)
	}
	return readRecords(&sliceReader{b: data}, a)
}

// peeker is what the record readers need from their input: a
// *bufio.Reader, or a sliceReader over a capture in memory.
type peeker interface {
	io.Reader
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	Size() int
}

// sliceReader reads a byte slice with the peeker methods of bufio.Reader.
type sliceReader struct {
	b   []byte
	off int
}

func (r *sliceReader) Peek(n int) ([]byte, error) {
	if rest := r.b[r.off:]; len(rest) < n {
		return rest, io.EOF
	}
	return r.b[r.off : r.off+n], nil
}

func (r *sliceReader) Discard(n int) (int, error) {
	if rest := len(r.b) - r.off; rest < n {
		r.off = len(r.b)
		return rest, io.EOF
	}
	r.off += n
	return n, nil
}

func (r *sliceReader) Size() int { return len(r.b) }

func (r *sliceReader) Read(p []byte) (int, error) {
	if r.off == len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func readRecords(br peeker, a *Assembler) (PcapStats, error) {
	var st PcapStats
	magic, err := br.Peek(4)
	if err != nil {
		return st, fmt.Errorf("reassembly: reading capture header: %w", err)
	}
	var seg Segment
	if binary.LittleEndian.Uint32(magic) != pcapngMagic {
		pr, err := newPcapReader(br)
		if err != nil {
			return st, err
		}
		for {
			data, ts, err := pr.next()
			if err != nil {
				if err == io.EOF {
					return st, nil
				}
				return st, fmt.Errorf("reassembly: record %d: %w", st.Packets+1, err)
			}
			st.Packets++
			if err := DecodePacket(pr.link, data, &seg); err != nil {
				st.count(err)
				continue
			}
			st.TCP++
			seg.Timestamp = ts
			a.Assemble(&seg)
		}
	}
	ng := newPcapngReader(br)
	for {
		data, lt, ts, err := ng.next()
		if err != nil {
			if err == io.EOF {
				return st, nil
			}
			return st, fmt.Errorf("reassembly: block after record %d: %w", st.Packets, err)
		}
		st.Packets++
		if lt == ngInvalidInterface { // a packet of an interface never described
			st.Malformed++
			continue
		}
		if err := DecodePacket(lt, data, &seg); err != nil {
			st.count(err)
			continue
		}
		st.TCP++
		seg.Timestamp = ts
		a.Assemble(&seg)
	}
}

// readBufferSize is 1 MiB, or less for an input known to be smaller: most
// records are then read in place, and a small capture does not cost a
// large buffer.
func readBufferSize(r io.Reader) int {
	const max = 1 << 20
	n := max
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		n = v.Len() + 1
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < max {
			n = int(fi.Size()) + 1
		}
	}
	return min(max, n)
}

// ReadFile opens a pcap or pcapng file and feeds it to a with [ReadPcap].
func ReadFile(path string, a *Assembler) (PcapStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return PcapStats{}, err
	}
	defer f.Close()
	return ReadPcap(f, a)
}
