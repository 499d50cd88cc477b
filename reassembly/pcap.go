package reassembly

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcapgo"
)

// PcapStats counts the records ReadPcap read and what became of them.
type PcapStats struct {
	Packets   uint64 // records read
	TCP       uint64 // TCP segments given to the Assembler
	NotTCP    uint64 // not TCP over IPv4/IPv6
	Fragments uint64 // IP fragments (not reassembled, so not delivered)
	Malformed uint64 // short or malformed headers, unsupported link types
}

func (st *PcapStats) count(err error) {
	switch {
	case errors.Is(err, ErrNotTCP):
		st.NotTCP++
	case errors.Is(err, ErrFragment):
		st.Fragments++
	default:
		st.Malformed++
	}
}

// pcapng section header block type, the first four bytes of a pcapng file.
const pcapngMagic = 0x0a0d0d0a

// ReadPcap reads a pcap or pcapng capture (told apart by the magic number)
// from r and gives every TCP segment in it to a, in file order. It decodes
// headers with [DecodePacket]. It does not flush a at the end, so several
// files can be fed in sequence: call [Assembler.FlushAll] when done.
func ReadPcap(r io.Reader, a *Assembler) (PcapStats, error) {
	var st PcapStats
	br := bufio.NewReaderSize(r, 1<<18)
	magic, err := br.Peek(4)
	if err != nil {
		return st, fmt.Errorf("reassembly: reading capture header: %w", err)
	}
	type source interface {
		ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var (
		src      source
		linkType func(iface int) LinkType
	)
	if binary.LittleEndian.Uint32(magic) == pcapngMagic {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return st, fmt.Errorf("reassembly: %w", err)
		}
		src = ng
		linkType = func(i int) LinkType {
			iface, err := ng.Interface(i)
			if err != nil {
				return LinkType(^uint32(0))
			}
			return LinkType(iface.LinkType)
		}
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return st, fmt.Errorf("reassembly: %w", err)
		}
		src = pr
		lt := LinkType(pr.LinkType())
		linkType = func(int) LinkType { return lt }
	}
	var seg Segment
	for {
		data, ci, err := src.ZeroCopyReadPacketData()
		if err != nil {
			if err == io.EOF {
				return st, nil
			}
			return st, fmt.Errorf("reassembly: record %d: %w", st.Packets+1, err)
		}
		st.Packets++
		if err := DecodePacket(linkType(ci.InterfaceIndex), data, &seg); err != nil {
			st.count(err)
			continue
		}
		st.TCP++
		seg.Timestamp = ci.Timestamp
		a.Assemble(&seg)
	}
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
