package reassembly

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPcapReaderMatchesPcapgo reads every corpus file with the in-place
// reader and with pcapgo.Reader: same link type, records and timestamps.
func TestPcapReaderMatchesPcapgo(t *testing.T) {
	for _, file := range corpusFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			lt, want := readPackets(t, file)
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			// A small buffer so that large records take the copying path too.
			pr, err := newPcapReader(bufio.NewReaderSize(f, 4096))
			require.NoError(t, err)
			assert.Equal(t, lt, pr.link)
			for i, w := range want {
				data, ts, err := pr.next()
				require.NoError(t, err, "record %d", i)
				require.Equal(t, w.data, data, "record %d", i)
				require.True(t, w.ci.Timestamp.Equal(ts), "record %d: %v vs %v", i, w.ci.Timestamp, ts)
			}
			_, _, err = pr.next()
			assert.Equal(t, io.EOF, err)
		})
	}
}

type streamCounts struct {
	st    Stats
	ps    PcapStats
	bytes directionBytes
}

func readAll(t *testing.T, data []byte) (streamCounts, error) {
	out := directionBytes{}
	a := NewAssembler(&dirCollector{out: out}, Options{})
	ps, err := ReadPcap(bytes.NewReader(data), a)
	a.FlushAll()
	return streamCounts{a.Stats(), ps, out}, err
}

// TestReadPcapFormats: the same traffic as classic pcap (micro- and
// nanosecond, little- and big-endian), pcapng and gzip gives the same
// streams.
func TestReadPcapFormats(t *testing.T) {
	orig, err := os.ReadFile(corpus("http_gonet_goclient.pcap"))
	require.NoError(t, err)
	lt, pkts := readPackets(t, corpus("http_gonet_goclient.pcap"))
	want, err := readAll(t, orig)
	require.NoError(t, err)
	require.NotZero(t, want.st.Bytes)

	var nanos bytes.Buffer
	w := pcapgo.NewWriterNanos(&nanos)
	require.NoError(t, w.WriteFileHeader(262144, layers.LinkType(lt)))
	for _, p := range pkts {
		require.NoError(t, w.WritePacket(p.ci, p.data))
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(orig)
	require.NoError(t, zw.Close())

	tests := map[string][]byte{
		"nanosecond": nanos.Bytes(),
		"big-endian": bigEndianPcap(t, orig),
		"pcapng":     corpusAsPcapng(t, corpus("http_gonet_goclient.pcap")),
		"gzip":       gz.Bytes(),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := readAll(t, data)
			require.NoError(t, err)
			assert.Equal(t, want.ps, got.ps)
			assert.Equal(t, want.st, got.st)
			assertSameStreams(t, want.bytes, got.bytes)
		})
	}
}

// bigEndianPcap rewrites a little-endian microsecond pcap big-endian.
func bigEndianPcap(t *testing.T, le []byte) []byte {
	out := make([]byte, 0, len(le))
	out = binary.BigEndian.AppendUint32(out, pcapMagicMicro)
	for i := 4; i < 24; i += 4 {
		if i == 4 {
			out = binary.BigEndian.AppendUint16(out, binary.LittleEndian.Uint16(le[4:]))
			out = binary.BigEndian.AppendUint16(out, binary.LittleEndian.Uint16(le[6:]))
			continue
		}
		out = binary.BigEndian.AppendUint32(out, binary.LittleEndian.Uint32(le[i:]))
	}
	for p := 24; p < len(le); {
		n := int(binary.LittleEndian.Uint32(le[p+8:]))
		for i := 0; i < 16; i += 4 {
			out = binary.BigEndian.AppendUint32(out, binary.LittleEndian.Uint32(le[p+i:]))
		}
		out = append(out, le[p+16:p+16+n]...)
		p += 16 + n
	}
	require.Len(t, out, len(le))
	return out
}

func TestReadPcapBadInput(t *testing.T) {
	orig, err := os.ReadFile(corpus("redis_cli_session.pcap"))
	require.NoError(t, err)
	full, err := readAll(t, orig)
	require.NoError(t, err)

	// Cut in the middle of a record: the records before it, then an error.
	cut, err := readAll(t, orig[:len(orig)-10])
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, full.ps.Packets-1, cut.ps.Packets)

	_, err = readAll(t, []byte("not a capture file at all"))
	require.ErrorIs(t, err, ErrMalformed)

	// A record length no capture has.
	bad := append([]byte(nil), orig[:24+16]...)
	binary.LittleEndian.PutUint32(bad[24+8:], MaxPcapRecord+1)
	_, err = readAll(t, bad)
	require.ErrorIs(t, err, ErrMalformed)

	_, err = readAll(t, nil)
	require.Error(t, err)
}

func corpusAsPcapng(t testing.TB, file string) []byte {
	lt, pkts := readPackets(t, file)
	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&ng, layers.LinkType(lt))
	require.NoError(t, err)
	for _, p := range pkts {
		require.NoError(t, nw.WritePacket(p.ci, p.data))
	}
	require.NoError(t, nw.Flush())
	return ng.Bytes()
}

// TestPcapngReaderMatchesPcapgo: every corpus capture written as pcapng
// reads the same through the in-place reader and pcapgo.NgReader.
func TestPcapngReaderMatchesPcapgo(t *testing.T) {
	for _, file := range corpusFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data := corpusAsPcapng(t, file)
			ref, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
			require.NoError(t, err)
			ours := newPcapngReader(bufio.NewReaderSize(bytes.NewReader(data), 4096))
			n := 0
			for {
				want, ci, errRef := ref.ReadPacketData()
				got, lt, ts, err := ours.next()
				if errRef == io.EOF {
					require.Equal(t, io.EOF, err)
					break
				}
				require.NoError(t, errRef)
				require.NoError(t, err)
				iface, _ := ref.Interface(ci.InterfaceIndex)
				require.Equal(t, LinkType(iface.LinkType), lt)
				require.Equal(t, want, got, "record %d", n)
				require.True(t, ci.Timestamp.Equal(ts), "record %d: %v vs %v", n, ci.Timestamp, ts)
				n++
			}
			assert.Greater(t, n, 10)
		})
	}
}

func TestPcapngMalformed(t *testing.T) {
	good := corpusAsPcapng(t, corpus("redis_cli_session.pcap"))
	tests := []struct {
		name   string
		mutate func(b []byte) []byte
	}{
		{"block length not a multiple of 4", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 30); return b }},
		{"block length over the cap", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], ngMaxBlock+4); return b }},
		{"bad byte-order magic", func(b []byte) []byte { b[8] ^= 0xff; return b }},
		{"captured length past the block", func(b []byte) []byte {
			// The first enhanced packet block follows the section header and
			// interface description blocks.
			off := int(binary.LittleEndian.Uint32(b[4:]))
			off += int(binary.LittleEndian.Uint32(b[off+4:]))
			require.Equal(t, uint32(ngEnhancedPacket), binary.LittleEndian.Uint32(b[off:]))
			binary.LittleEndian.PutUint32(b[off+8+12:], 1<<30)
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mutate(append([]byte(nil), good...))
			_, err := readAll(t, b)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

// TestReadPcapBytesMatchesReadPcap: the in-memory path reads every format
// the same as the streaming one, including cut files.
func TestReadPcapBytesMatchesReadPcap(t *testing.T) {
	orig, err := os.ReadFile(corpus("redis_goredis_mixed.pcap"))
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(orig)
	require.NoError(t, zw.Close())
	inputs := map[string][]byte{
		"pcap":   orig,
		"pcapng": corpusAsPcapng(t, corpus("redis_goredis_mixed.pcap")),
		"gzip":   gz.Bytes(),
		"cut":    orig[:len(orig)/2],
		"empty":  nil,
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			want, errWant := readAll(t, data)
			out := directionBytes{}
			a := NewAssembler(&dirCollector{out: out}, Options{})
			ps, err := ReadPcapBytes(data, a)
			a.FlushAll()
			assert.Equal(t, errWant == nil, err == nil, "%v / %v", errWant, err)
			if errWant != nil {
				assert.Equal(t, errors.Is(errWant, io.ErrUnexpectedEOF), errors.Is(err, io.ErrUnexpectedEOF))
			}
			assert.Equal(t, want.ps, ps)
			assert.Equal(t, want.st, a.Stats())
			assertSameStreams(t, want.bytes, out)
		})
	}
}

// TestReadPcapCountsSkippedFrames: frames that are not TCP, IP fragments and
// broken frames are counted, not fed.
func TestReadPcapCountsSkippedFrames(t *testing.T) {
	mac1, mac2 := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: et}
	}
	ip := func(proto layers.IPProtocol, flags layers.IPv4Flag) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, Flags: flags,
			SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	}
	tcp := &layers.TCP{SrcPort: 4000, DstPort: 80, Seq: 1, ACK: true, DataOffset: 5}
	frames := [][]byte{
		serialize(t, eth(layers.EthernetTypeIPv4), ip(layers.IPProtocolTCP, 0), tcp, gopacket.Payload("GET /")),
		serialize(t, eth(layers.EthernetTypeIPv4), ip(layers.IPProtocolUDP, 0), &layers.UDP{SrcPort: 53, DstPort: 53}, gopacket.Payload("dns")),
		serialize(t, eth(layers.EthernetTypeIPv4), ip(layers.IPProtocolTCP, layers.IPv4MoreFragments), tcp, gopacket.Payload("frag")),
		{1, 2, 3, 4, 5},
		serialize(t, eth(layers.EthernetTypeIPv6), gopacket.Payload("short")),
	}
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for i, f := range frames {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(f), Length: len(f)}, f))
	}
	r := newRecorder()
	a := NewAssembler(r, Options{})
	ps, err := ReadPcapBytes(buf.Bytes(), a)
	require.NoError(t, err)
	a.FlushAll()
	assert.Equal(t, PcapStats{Packets: 5, TCP: 1, NotTCP: 1, Fragments: 1, Malformed: 2}, ps)
	require.Len(t, r.streams, 1)
	assert.Equal(t, "GET /", r.text(1, ClientToServer))
}
