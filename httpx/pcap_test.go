package httpx_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// segment is one TCP payload of a captured connection.
type segment struct {
	dir  parser.Direction
	data []byte
	ts   time.Time
}

// tcpConn is one captured TCP connection: its segments in capture order,
// retransmitted bytes removed.
type tcpConn struct {
	client, server string
	segs           []segment
}

// stream returns the concatenated payload of one direction.
func (c *tcpConn) stream(dir parser.Direction) []byte {
	var b []byte
	for _, s := range c.segs {
		if s.dir == dir {
			b = append(b, s.data...)
		}
	}
	return b
}

// readConns reads a pcap of loopback traffic into connections, in the
// order their SYNs appear. The client is the side that sent the SYN.
func readConns(t testing.TB, path string) []*tcpConn {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	type dirKey struct{ src, dst string }
	conns := map[dirKey]*tcpConn{}
	next := map[dirKey]uint32{}
	var order []*tcpConn
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		tcpL, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcpL == nil {
			continue
		}
		var srcIP, dstIP netip.Addr
		if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			srcIP, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dstIP, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			srcIP, _ = netip.AddrFromSlice(ip6.SrcIP)
			dstIP, _ = netip.AddrFromSlice(ip6.DstIP)
		}
		src := netip.AddrPortFrom(srcIP, uint16(tcpL.SrcPort)).String()
		dst := netip.AddrPortFrom(dstIP, uint16(tcpL.DstPort)).String()
		k := dirKey{src, dst}
		if tcpL.SYN && !tcpL.ACK {
			c := &tcpConn{client: src, server: dst}
			conns[k], conns[dirKey{dst, src}] = c, c
			order = append(order, c)
		}
		c := conns[k]
		if c == nil {
			continue
		}
		seq := tcpL.Seq
		if tcpL.SYN {
			next[k] = seq + 1
			continue
		}
		payload := tcpL.Payload
		if n, ok := next[k]; ok && len(payload) > 0 {
			if d := int32(n - seq); d > 0 { // retransmitted bytes
				if int(d) >= len(payload) {
					continue
				}
				payload = payload[d:]
				seq = n
			}
			next[k] = seq + uint32(len(payload))
		}
		if len(payload) == 0 {
			continue
		}
		dir := parser.Request
		if src == c.server {
			dir = parser.Response
		}
		c.segs = append(c.segs, segment{dir: dir, data: append([]byte(nil), payload...), ts: ci.Timestamp})
	}
	return order
}

// payload reads a hex bench payload from testdata.
func payload(t testing.TB, name string) []byte {
	return pcaptest.HexFile(t, filepath.Join("testdata", name+".hex"))
}

// TestChunkedPayload checks the chunked bench payload against net/http:
// the 1 KiB body of http_200_1k_resp in four 256-byte chunks.
func TestChunkedPayload(t *testing.T) {
	full, chunked := payload(t, "http_200_1k_resp"), chunkedResponse(t)
	body := full[bytes.Index(full, []byte("\r\n\r\n"))+4:]
	require.Len(t, body, 1024)
	r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(chunked)), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"chunked"}, r.TransferEncoding)
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	require.Equal(t, body, got)
	// Four "100\r\n" chunks of 256 bytes and CRLF, then "0\r\n\r\n": no trailer.
	framing := chunked[bytes.Index(chunked, []byte("\r\n\r\n"))+4:]
	require.Len(t, framing, 4*(5+256+2)+5)
	require.Equal(t, "100\r\n", string(framing[:5]))
}
