package reassembly

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"
	"time"
)

func BenchmarkAssembleInOrder(b *testing.B) {
	h := &nopHandler{}
	a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{})
	seg := pkt{dir: c2s, seq: 1, data: string(make([]byte, 1400))}.segment()
	b.ReportAllocs()
	b.SetBytes(int64(len(seg.Payload)))
	for b.Loop() {
		a.Assemble(seg)
		seg.Seq += 1400
		seg.Timestamp = seg.Timestamp.Add(time.Microsecond)
	}
}

func BenchmarkAssembleOutOfOrderPairs(b *testing.B) {
	h := &nopHandler{}
	a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{})
	seg := pkt{dir: c2s, seq: 1, data: "x"}.segment()
	a.Assemble(seg)
	seg.Payload = make([]byte, 1400)
	next := uint32(2)
	b.ReportAllocs()
	b.SetBytes(2 * 1400)
	for b.Loop() {
		seg.Seq = next + 1400
		a.Assemble(seg)
		seg.Seq = next
		a.Assemble(seg)
		next += 2800
	}
}

func BenchmarkDecodePacket(b *testing.B) {
	lt, pkts := readPackets(b, corpus("http_gonet_goclient.pcap"))
	var seg Segment
	b.ReportAllocs()
	b.SetBytes(int64(len(pkts[len(pkts)/2].data)))
	i := 0
	for b.Loop() {
		_ = DecodePacket(lt, pkts[i].data, &seg)
		i++
		if i == len(pkts) {
			i = 0
		}
	}
}

// BenchmarkReadPcapCorpus: file bytes to reassembled streams for one
// corpus capture (pcapgo reading + DecodePacket + Assembler).
func BenchmarkReadPcapCorpus(b *testing.B) {
	data, err := os.ReadFile(corpus("redis_benchmark_pipeline16.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := &nopHandler{}
		a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{})
		if _, err := ReadPcap(bytes.NewReader(data), a); err != nil {
			b.Fatal(err)
		}
		a.FlushAll()
	}
}

// BenchmarkAssembleManyConns: in-order 1400-byte segments spread over 2000
// connections in a shuffled order, so each segment's connection state is
// cold in the CPU cache, as in a busy capture.
func BenchmarkAssembleManyConns(b *testing.B) {
	h := &nopHandler{}
	a := NewAssembler(FactoryFunc(func(*Stream) Handler { return h }), Options{})
	const conns = 2000
	segs := make([]*Segment, conns)
	for i := range segs {
		segs[i] = pkt{dir: c2s, seq: 1, data: string(make([]byte, 1400))}.segment()
		segs[i].Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), uint16(1024+i))
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(conns)
	b.ReportAllocs()
	b.SetBytes(1400)
	i := 0
	for b.Loop() {
		s := segs[order[i%conns]]
		a.Assemble(s)
		s.Seq += 1400
		s.Timestamp = s.Timestamp.Add(time.Microsecond)
		i++
	}
}
