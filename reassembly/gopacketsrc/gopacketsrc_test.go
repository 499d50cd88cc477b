package gopacketsrc_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/reassembly"
	"github.com/wirekit/wirekit/reassembly/gopacketsrc"
)

// TestDecodePacketMatchesGopacket decodes every packet of the corpus with
// reassembly.DecodePacket and with gopacket's layers through LayerDecoder
// and compares every field of the segments.
func TestDecodePacketMatchesGopacket(t *testing.T) {
	names := pcaptest.CorpusCaptures("")
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(pcaptest.Corpus(name + ".pcap"))
			require.NoError(t, err)
			defer f.Close()
			r, err := pcapgo.NewReader(f)
			require.NoError(t, err)
			lt := reassembly.LinkType(r.LinkType())
			ld := gopacketsrc.NewLayerDecoder(lt)
			n := 0
			for i := 0; ; i++ {
				data, ci, err := r.ReadPacketData()
				if err != nil {
					break
				}
				var fast, ref reassembly.Segment
				errFast := reassembly.DecodePacket(lt, data, &fast)
				errRef := ld.Decode(data, ci, &ref)
				require.Equal(t, errRef == nil, errFast == nil, "packet %d: %v vs %v", i, errFast, errRef)
				if errFast != nil {
					continue
				}
				fast.Timestamp = ci.Timestamp
				require.Equal(t, ref, fast, "packet %d", i)
				require.NotZero(t, ref.Src.Port())
				n++
			}
			assert.Greater(t, n, 10)
		})
	}
}

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...))
	return buf.Bytes()
}

// A frame cut by the snaplen: both decoders report the same kept payload
// and the same missing byte count; fragments and other link types are
// refused with reassembly's errors.
func TestLayerDecoderTruncatedAndErrors(t *testing.T) {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{1, 1, 1, 1}, DstIP: net.IP{2, 2, 2, 2}}
	tcp := &layers.TCP{SrcPort: 1, DstPort: 2, Seq: 7, DataOffset: 5, ACK: true, PSH: true}
	require.NoError(t, tcp.SetNetworkLayerForChecksum(ip))
	frame := serialize(t, ip, tcp, gopacket.Payload(bytes.Repeat([]byte("a"), 100)))

	var seg, ref reassembly.Segment
	require.NoError(t, reassembly.DecodePacket(reassembly.LinkRaw, frame[:60], &seg))
	require.NoError(t, gopacketsrc.NewLayerDecoder(reassembly.LinkRaw).Decode(frame[:60], gopacket.CaptureInfo{}, &ref))
	assert.Equal(t, seg, ref)
	assert.Len(t, ref.Payload, 20)
	assert.Equal(t, 80, ref.Truncated)
	assert.Equal(t, reassembly.FlagACK|reassembly.FlagPSH, ref.Flags)
	assert.Equal(t, uint32(7), ref.Seq)

	ip.Flags = layers.IPv4MoreFragments
	frag := serialize(t, ip, tcp, gopacket.Payload("x"))
	assert.ErrorIs(t, gopacketsrc.NewLayerDecoder(reassembly.LinkRaw).Decode(frag, gopacket.CaptureInfo{}, &ref), reassembly.ErrFragment)
	assert.ErrorIs(t, gopacketsrc.NewLayerDecoder(9999).Decode(frame, gopacket.CaptureInfo{}, &ref), reassembly.ErrLinkType)
}

// Example: feeding gopacket-decoded frames of a capture to an Assembler.
func Example() {
	f, err := os.Open(pcaptest.Corpus("redis_cli_session.pcap"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		panic(err)
	}
	bytesIn := 0
	a := reassembly.NewAssembler(reassembly.FactoryFunc(func(*reassembly.Stream) reassembly.Handler { return &counter{n: &bytesIn} }), reassembly.Options{})
	d := gopacketsrc.NewLayerDecoder(reassembly.LinkType(r.LinkType()))
	var seg reassembly.Segment
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if d.Decode(data, ci, &seg) == nil {
			a.Assemble(&seg)
		}
	}
	a.FlushAll()
	st := a.Stats()
	fmt.Println("connections", st.ConnsOpened, "gaps", st.Gaps, "handler saw every delivered byte:", st.DeliveredBytes == uint64(bytesIn))
	// Output: connections 1 gaps 0 handler saw every delivered byte: true
}

// counter counts the bytes delivered to it.
type counter struct{ n *int }

func (c *counter) Data(_ *reassembly.Stream, _ reassembly.Dir, data []byte, _ time.Time) {
	*c.n += len(data)
}
func (c *counter) Gap(*reassembly.Stream, reassembly.Dir, uint64, int) {}
func (c *counter) Close(*reassembly.Stream, reassembly.CloseReason)    {}
