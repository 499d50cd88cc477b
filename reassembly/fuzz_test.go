package reassembly

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
	"time"
)

// fuzzHandler checks the callback invariants: per direction, data and gaps
// arrive back to back at the offsets the Stream reports, and nothing comes
// after Close.
type fuzzHandler struct {
	t      *testing.T
	seen   [2]uint64
	closed bool
	// totals over all streams: bytes delivered, bytes reported as gaps
	total *[2]uint64
}

func (h *fuzzHandler) Data(s *Stream, dir Dir, data []byte, _ time.Time) {
	if h.closed || len(data) == 0 {
		h.t.Fatalf("data after close or empty data")
	}
	h.seen[dir] += uint64(len(data))
	if h.total != nil {
		h.total[0] += uint64(len(data))
	}
	if h.seen[dir] != s.Offset(dir) {
		h.t.Fatalf("offset %d, delivered %d", s.Offset(dir), h.seen[dir])
	}
}

func (h *fuzzHandler) Gap(s *Stream, dir Dir, off uint64, n int) {
	if h.closed || n <= 0 || off != h.seen[dir] {
		h.t.Fatalf("bad gap @%d+%d after %d bytes", off, n, h.seen[dir])
	}
	h.seen[dir] += uint64(n)
	if h.total != nil {
		h.total[1] += uint64(n)
	}
}

func (h *fuzzHandler) Close(*Stream, CloseReason) {
	if h.closed {
		h.t.Fatalf("closed twice")
	}
	h.closed = true
}

// Fuzz input format, one record after another:
//
//	byte 0: bit 0 direction, bits 1-3 connection (0..7), bit 4 SYN, bit 5 FIN,
//	        bit 6 RST, bit 7 truncated (the next byte is the truncated count)
//	bytes 1-2: sequence offset (big-endian int16) from the direction's base
//	byte 3: time step in milliseconds (x 16)
//	byte 4: payload length, then the payload
func encodeFuzzRecord(dst []byte, dir, conn int, f Flags, seqOff int16, step byte, payload []byte) []byte {
	ctl := byte(dir&1) | byte(conn&7)<<1
	if f&FlagSYN != 0 {
		ctl |= 1 << 4
	}
	if f&FlagFIN != 0 {
		ctl |= 1 << 5
	}
	if f&FlagRST != 0 {
		ctl |= 1 << 6
	}
	if len(payload) > 255 {
		payload = payload[:255]
	}
	dst = append(dst, ctl, byte(uint16(seqOff)>>8), byte(seqOff), step, byte(len(payload)))
	return append(dst, payload...)
}

func FuzzAssembler(f *testing.F) {
	// Seeds: the first packets of real captures, and the table scenarios.
	for _, file := range []string{corpus("redis_cli_session.pcap"), corpus("http_gonet_pipelined.pcap")} {
		lt, pkts := readPackets(f, file)
		var rec []byte
		var base [2]uint32
		var client netip.AddrPort
		for i, p := range pkts {
			var seg Segment
			if DecodePacket(lt, p.data, &seg) != nil {
				continue
			}
			if i == 0 {
				client = seg.Src
			}
			dir := 0
			if seg.Src != client {
				dir = 1
			}
			if base[dir] == 0 {
				base[dir] = seg.Seq
			}
			rec = encodeFuzzRecord(rec, dir, 0, seg.Flags, int16(seg.Seq-base[dir]), 1, seg.Payload)
			if len(rec) > 2000 {
				break
			}
		}
		f.Add(rec)
	}
	var rec []byte
	rec = encodeFuzzRecord(rec, 0, 1, FlagSYN, 0, 0, nil)
	rec = encodeFuzzRecord(rec, 0, 1, 0, 10, 1, []byte("later"))
	rec = encodeFuzzRecord(rec, 0, 1, 0, 1, 1, []byte("first....x"))
	rec = encodeFuzzRecord(rec, 1, 1, FlagRST, 0, 1, nil)
	f.Add(rec)

	f.Fuzz(fuzzAssemblerBody)
}

func fuzzAssemblerBody(t *testing.T, in []byte) {
	{
		opts := Options{MaxConns: 4, MaxBufferedPerConn: 1500, MaxBufferedTotal: 4000,
			HoleTimeout: time.Second, IdleTimeout: 5 * time.Second, CloseWait: time.Second, BufferCacheBytes: 8192}
		if len(in)%2 == 1 { // odd lengths: no tombstones, no hole timeout
			opts.CloseWait, opts.HoleTimeout = -1, -1
		}
		r := newLimitRun(t, opts)
		a := r.a
		now := time.Unix(1e9, 0)
		var seg Segment
		for len(in) >= 5 {
			ctl := in[0]
			seqOff := int16(binary.BigEndian.Uint16(in[1:]))
			now = now.Add(time.Duration(in[3]) * 16 * time.Millisecond)
			n := int(in[4])
			in = in[5:]
			trunc := 0
			if ctl&0x80 != 0 && len(in) > 0 {
				trunc = int(in[0])
				in = in[1:]
			}
			n = min(n, len(in))
			dir, conn := int(ctl&1), int(ctl>>1&7)
			c := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 1}), uint16(1000+conn))
			s := netip.MustParseAddrPort("10.0.0.2:80")
			base := uint32(0xffffff00) // sequence numbers wrap inside the streams
			if dir == 1 {
				c, s = s, c
				base = 7
			}
			seg = Segment{Src: c, Dst: s, Seq: base + uint32(int32(seqOff)), Payload: in[:n], Truncated: trunc, Timestamp: now}
			if ctl&(1<<4) != 0 {
				seg.Flags |= FlagSYN
			}
			if ctl&(1<<5) != 0 {
				seg.Flags |= FlagFIN
			}
			if ctl&(1<<6) != 0 {
				seg.Flags |= FlagRST
			}
			in = in[n:]
			a.Assemble(&seg)
			r.checkLimits()
		}
		r.checkFlushed()
	}
}

// limitRun is an Assembler under fuzzing whose handlers (fuzzHandler)
// check the callback invariants and add up what they are given.
type limitRun struct {
	t       *testing.T
	a       *Assembler
	streams []*Stream
	total   [2]uint64 // bytes delivered, bytes reported as gaps
}

func newLimitRun(t *testing.T, opts Options) *limitRun {
	r := &limitRun{t: t}
	r.a = NewAssembler(FactoryFunc(func(s *Stream) Handler {
		r.streams = append(r.streams, s)
		return &fuzzHandler{t: t, total: &r.total}
	}), opts)
	return r
}

// checkLimits fails the test when the bytes buffered (in total and per
// connection), the connections tracked or the buffer cache are over the
// Assembler's limits.
func (r *limitRun) checkLimits() {
	a, o, t := r.a, r.a.opts, r.t
	st := a.Stats()
	if st.Buffered > o.MaxBufferedTotal || st.Buffered < 0 {
		t.Fatalf("buffered %d over the total limit", st.Buffered)
	}
	if a.conns.len() > o.MaxConns || st.Conns > o.MaxConns {
		t.Fatalf("%d connections tracked", a.conns.len())
	}
	for _, s := range r.streams {
		if s.pendBytes > o.MaxBufferedPerConn {
			t.Fatalf("connection buffers %d", s.pendBytes)
		}
	}
	if a.CachedBufferBytes() > o.BufferCacheBytes {
		t.Fatalf("buffer cache %d", a.CachedBufferBytes())
	}
}

// checkFlushed flushes the Assembler and fails the test unless nothing
// is left buffered or tracked, every connection opened was closed, and
// every byte in is delivered or in a counted category, the handlers
// having seen exactly what Stats says.
func (r *limitRun) checkFlushed() {
	a, t := r.a, r.t
	a.FlushAll()
	st := a.Stats()
	if st.Buffered != 0 || st.Conns != 0 || a.conns.len() != 0 {
		t.Fatalf("after FlushAll: %+v, %d in table", st, a.conns.len())
	}
	if st.ConnsOpened != st.ConnsClosed {
		t.Fatalf("opened %d, closed %d", st.ConnsOpened, st.ConnsClosed)
	}
	if msg := accountingError(st, &accountant{delivered: r.total[0], gapped: r.total[1]}); msg != "" {
		t.Fatal(msg)
	}
}

func FuzzDecodePacket(f *testing.F) {
	for _, file := range []string{corpus("redis_cli_session.pcap"), corpus("http_gonet_curl.pcap")} {
		_, pkts := readPackets(f, file)
		for i, p := range pkts {
			if i%7 == 0 {
				f.Add(uint16(LinkEthernet), p.data)
				f.Add(uint16(LinkRaw), p.data[14:])
			}
		}
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		var seg Segment
		if err := DecodePacket(LinkType(lt), data, &seg); err != nil {
			return
		}
		if len(seg.Payload) > len(data) || seg.Truncated < 0 || seg.Truncated > 1<<16 {
			t.Fatalf("payload %d of %d bytes, truncated %d", len(seg.Payload), len(data), seg.Truncated)
		}
	})
}

// FuzzReadPcap: any file content reads without panicking, and a record
// length never makes ReadPcap allocate past MaxPcapRecord.
func FuzzReadPcap(f *testing.F) {
	for _, file := range []string{corpus("redis_cli_session.pcap"), corpus("kafka_kgo_v2_4.pcap")} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 3000)])
		ng := corpusAsPcapng(f, file)
		f.Add(ng[:min(len(ng), 3000)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := NewAssembler(FactoryFunc(func(*Stream) Handler { return &fuzzHandler{t: t} }), Options{})
		ps, err := ReadPcap(bytes.NewReader(data), a)
		a.FlushAll()
		if ps.TCP > ps.Packets || ps.Packets > uint64(len(data)) {
			t.Fatalf("stats %+v for %d bytes", ps, len(data))
		}
		b := NewAssembler(FactoryFunc(func(*Stream) Handler { return &fuzzHandler{t: t} }), Options{})
		ps2, err2 := ReadPcapBytes(data, b)
		b.FlushAll()
		if ps != ps2 || (err == nil) != (err2 == nil) || a.Stats() != b.Stats() {
			t.Fatalf("ReadPcap %+v %v, ReadPcapBytes %+v %v", ps, err, ps2, err2)
		}
	})
}

// FuzzPacketSequence feeds raw frames (Ethernet, each prefixed by its
// 2-byte big-endian length, with a 1-byte time step) through DecodePacket
// into an Assembler with small limits: no panic, and the buffered bytes,
// tracked connections and buffer cache stay within their limits after every
// packet.
func FuzzPacketSequence(f *testing.F) {
	for _, file := range []string{corpus("redis_cli_session.pcap"), corpus("http_gonet_pipelined.pcap"), corpus("kafka_kgo_v2_4.pcap")} {
		_, pkts := readPackets(f, file)
		var in []byte
		for i, p := range pkts {
			if len(in)+len(p.data) > 8000 {
				break
			}
			in = append(in, byte(i%3), byte(len(p.data)>>8), byte(len(p.data)))
			in = append(in, p.data...)
		}
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		opts := Options{MaxConns: 3, MaxBufferedPerConn: 2000, MaxBufferedTotal: 3000,
			HoleTimeout: 50 * time.Millisecond, IdleTimeout: time.Second, BufferCacheBytes: 4096}
		r := newLimitRun(t, opts)
		now := time.Unix(1e9, 0)
		var seg Segment
		for len(in) >= 3 {
			now = now.Add(time.Duration(in[0]) * 10 * time.Millisecond)
			n := min(int(in[1])<<8|int(in[2]), len(in)-3)
			frame := in[3 : 3+n]
			in = in[3+n:]
			if DecodePacket(LinkEthernet, frame, &seg) != nil {
				continue
			}
			seg.Timestamp = now
			r.a.Assemble(&seg)
			r.checkLimits()
		}
		r.checkFlushed()
	})
}
