package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/wirekit/wirekit/parser"
)

var (
	bigOnce    sync.Once
	bigCapture []byte
)

// bigSample builds an in-memory capture of at least minBytes from the
// embedded sample (real Redis, HTTP, Kafka and Dubbo2 traffic): copies of it
// whose client addresses are rewritten (127.x.y.z), so every copy is a new
// set of connections, interleaved packet by packet so that all copies' connections
// are open at once.
func bigSample(tb testing.TB, minBytes int) []byte {
	bigOnce.Do(func() {
		r, err := pcapgo.NewReader(bytes.NewReader(sample))
		if err != nil {
			tb.Fatal(err)
		}
		type pkt struct {
			ci   gopacket.CaptureInfo
			data []byte
		}
		var pkts []pkt
		for {
			data, ci, err := r.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			pkts = append(pkts, pkt{ci, data})
		}
		copies := minBytes/len(sample) + 1
		var buf bytes.Buffer
		buf.Grow(copies*len(sample) + 1<<20)
		w := pcapgo.NewWriter(&buf)
		if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			tb.Fatal(err)
		}
		frame := make([]byte, 0, 1<<17)
		for _, p := range pkts {
			for c := 0; c < copies; c++ {
				frame = append(frame[:0], p.data...)
				// Ethernet(14) + IPv4: the sample's client side is the
				// peer whose port is not a server port.
				ip := frame[14:]
				ihl := int(ip[0]&0x0f) * 4
				tcp := ip[ihl:]
				src := binary.BigEndian.Uint16(tcp[0:2])
				addr := ip[12:16] // source is the client
				if src < 32768 {
					addr = ip[16:20] // packet from the server: the destination is the client
				}
				addr[1], addr[2], addr[3] = byte(c>>16)+1, byte(c>>8), byte(c)
				ci := p.ci
				ci.Timestamp = ci.Timestamp.Add(time.Duration(c) * time.Microsecond)
				if err := w.WritePacket(ci, frame); err != nil {
					tb.Fatal(err)
				}
			}
		}
		bigCapture = buf.Bytes()
	})
	return bigCapture
}

// BenchmarkDecodeCapture is the whole path of pcapdecode without printing:
// an in-memory capture of over 100 MB of real multi-protocol traffic →
// packet decoding → TCP reassembly → detection → framing → parsing →
// pairing. It reports MB/s, exchanges per second and allocations per
// exchange.
func BenchmarkDecodeCapture(b *testing.B) {
	capture := bigSample(b, 100<<20)
	b.SetBytes(int64(len(capture)))
	b.ReportAllocs()
	var exchanges int
	for b.Loop() {
		exchanges = 0
		d := NewDecoder(builtinProtocols(), nil, func(r *Record) {
			if r.Kind != parser.Push {
				exchanges++
			}
		})
		if err := d.Read(bytes.NewReader(capture)); err != nil {
			b.Fatal(err)
		}
		d.Finish()
	}
	b.StopTimer()
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(exchanges)/perOp, "exchanges/s")
	b.ReportMetric(float64(exchanges), "exchanges/op")
	b.ReportMetric(float64(len(capture))/1e6, "MB/capture")
}

// TestBigSampleIsValid checks the generator: the copies decode to as many
// exchanges as the sample times the copies, with nothing unparsed.
func TestBigSampleIsValid(t *testing.T) {
	if testing.Short() || os.Getenv("WIREKIT_BIG") == "" {
		t.Skip("set WIREKIT_BIG=1 to build the 100 MB capture")
	}
	capture := bigSample(t, 100<<20)
	var one, many int
	d := NewDecoder(builtinProtocols(), nil, func(r *Record) { one++ })
	if err := d.Read(bytes.NewReader(sample)); err != nil {
		t.Fatal(err)
	}
	d.Finish()
	d = NewDecoder(builtinProtocols(), nil, func(r *Record) { many++ })
	if err := d.Read(bytes.NewReader(capture)); err != nil {
		t.Fatal(err)
	}
	d.Finish()
	copies := 100<<20/len(sample) + 1
	if many != one*copies {
		t.Fatalf("%d exchanges from %d copies, want %d", many, copies, one*copies)
	}
}
