package reassembly

import (
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ngBlock builds one little-endian pcapng block.
func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

func le32(v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

// TestPcapngBlockKinds: interface options (nanosecond resolution, time
// offset), enhanced, simple and obsolete packet blocks, a packet naming an
// undescribed interface and an unknown block type.
func TestPcapngBlockKinds(t *testing.T) {
	_, pkts := readPackets(t, corpus("redis_cli_session.pcap"))
	frame := pkts[3].data // a TCP data segment
	require.NoError(t, DecodePacket(LinkEthernet, frame, &Segment{}))

	shb := ngBlock(ngSectionHeader, append(le32(ngByteOrderMagic, 1), make([]byte, 8)...)) // version 1.0, unknown section length
	idb := append(le32(uint32(LinkEthernet), 0),                                           // link type, reserved, snaplen 0
		9, 0, 1, 0, 9, 0, 0, 0, // if_tsresol = 9 (nanoseconds)
		14, 0, 8, 0) // if_tsoffset = 100 s
	idb = append(idb, binary.LittleEndian.AppendUint64(nil, 100)...)
	idb = append(idb, 0, 0, 0, 0) // end of options
	ts := uint64(1_700_000_000_123_456_789)
	epb := func(iface uint32) []byte {
		b := le32(iface, uint32(ts>>32), uint32(ts), uint32(len(frame)), uint32(len(frame)))
		return ngBlock(ngEnhancedPacket, append(b, frame...))
	}
	spb := ngBlock(ngSimplePacket, append(le32(uint32(len(frame))), frame...))
	opb := ngBlock(ngObsoletePacket, append(append(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 0), 0),
		le32(uint32(ts>>32), uint32(ts), uint32(len(frame)), uint32(len(frame)))...), frame...))
	isb := ngBlock(5, le32(0, 0, 0)) // interface statistics: skipped

	file := append(append([]byte{}, shb...), ngBlock(ngInterfaceDesc, idb)...)
	file = append(file, epb(0)...)
	file = append(file, isb...)
	file = append(file, spb...)
	file = append(file, opb...)
	file = append(file, epb(7)...) // no interface 7

	p := newPcapngReader(&sliceReader{b: file})
	want := time.Unix(1_700_000_000+100, 123_456_789).UTC()
	for i, kind := range []string{"enhanced", "simple", "obsolete"} {
		data, lt, got, err := p.next()
		require.NoError(t, err, kind)
		assert.Equal(t, frame, data, kind)
		assert.Equal(t, LinkEthernet, lt, kind)
		if i == 1 {
			assert.True(t, got.IsZero(), "simple packet blocks have no time")
		} else {
			assert.True(t, want.Equal(got), "%s: %v", kind, got)
		}
	}
	_, lt, _, err := p.next()
	require.NoError(t, err)
	assert.Equal(t, ngInvalidInterface, lt)
	_, _, _, err = p.next()
	assert.Equal(t, io.EOF, err)

	ps, err := ReadPcapBytes(file, NewAssembler(&nopFactory{}, Options{}))
	require.NoError(t, err)
	assert.Equal(t, PcapStats{Packets: 4, TCP: 3, Malformed: 1}, ps)
}

type nopFactory struct{}

func (nopFactory) New(*Stream) Handler { return &nopHandler{} }

// Two pcapng inputs that break gopacket's pcapgo.NgReader v1.1.19 (checked
// while writing this reader): an if_tsresol of 2^-64 makes it divide by
// zero (a panic), and an enhanced packet block claiming a 1 GiB captured
// length in 32 bytes makes it allocate 1 GiB. Here the first reads with the
// default resolution and the second is ErrMalformed.
func TestPcapngHostileInputs(t *testing.T) {
	shb := ngBlock(ngSectionHeader, append(le32(ngByteOrderMagic, 1), make([]byte, 8)...))
	idbRes := ngBlock(ngInterfaceDesc, append(le32(uint32(LinkEthernet), 0), 9, 0, 1, 0, 0x80|64, 0, 0, 0, 0, 0, 0, 0))
	idb := ngBlock(ngInterfaceDesc, le32(uint32(LinkEthernet), 0))

	file := append(append(append([]byte{}, shb...), idbRes...), ngBlock(ngEnhancedPacket, le32(0, 0, 1_000_000, 0, 0))...)
	p := newPcapngReader(&sliceReader{b: file})
	data, _, ts, err := p.next()
	require.NoError(t, err)
	assert.Empty(t, data)
	assert.True(t, time.Unix(1, 0).Equal(ts), "default microsecond resolution: %v", ts)

	file = append(append(append([]byte{}, shb...), idb...), ngBlock(ngEnhancedPacket, le32(0, 0, 1, 1<<30, 1<<30))...)
	_, err = ReadPcapBytes(file, NewAssembler(nopFactory{}, Options{}))
	require.ErrorIs(t, err, ErrMalformed)
}
