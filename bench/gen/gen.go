// Package gen writes deterministic synthetic pcap captures of many
// concurrent HTTP-like TCP connections, with reordering and retransmission,
// for the reassembly benchmarks and their differential checks.
package gen

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"
)

// Config describes a capture.
type Config struct {
	Conns      int     // connections, all open at the same time
	Exchanges  int     // request/response pairs per connection
	MinResp    int     // smallest response body in bytes
	MaxResp    int     // largest response body in bytes
	MSS        int     // largest TCP payload per segment
	Reorder    float64 // probability that a data segment is swapped with the next one of its direction
	Retransmit float64 // probability that a data segment is sent again a few segments later
	MidStream  bool    // leave out each connection's handshake, as if the capture began mid-flight
	Seed       uint64
}

// Default is the benchmark capture: 2000 concurrent connections, about
// 1.8% reordering and 1% retransmission, about 40 MB.
var Default = Config{Conns: 2000, Exchanges: 5, MinResp: 200, MaxResp: 6500, MSS: 1448, Reorder: 0.018, Retransmit: 0.01, Seed: 1}

// Stats describes a generated capture.
type Stats struct {
	Packets      int
	PayloadBytes int         // payload bytes of the first transmission of every segment
	Reordered    int         // segments swapped
	Retransmits  int         // extra copies
	Streams      [][2][]byte // per connection, the bytes of each direction (client, server)
}

type packet struct {
	fromServer bool
	seq, ack   uint32
	flags      byte
	payload    []byte
}

const (
	fin = 0x01
	syn = 0x02
	rst = 0x04
	psh = 0x08
	ack = 0x10
)

// Capture returns the capture as a pcap file (Ethernet link type) and what
// it holds. The same Config always gives the same bytes.
func Capture(cfg Config) ([]byte, Stats) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	var st Stats
	queues := make([][]packet, cfg.Conns)
	for c := range queues {
		q, streams := connection(cfg, rng, &st)
		queues[c] = q
		st.Streams = append(st.Streams, streams)
	}
	out := make([]byte, 0, 48<<20)
	out = binary.LittleEndian.AppendUint32(out, 0xa1b2c3d4)
	out = binary.LittleEndian.AppendUint16(out, 2)
	out = binary.LittleEndian.AppendUint16(out, 4)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 262144)
	out = binary.LittleEndian.AppendUint32(out, 1) // Ethernet

	// Interleave: each step sends the next packet of a random live connection.
	live := make([]int, cfg.Conns)
	for i := range live {
		live[i] = i
	}
	pos := make([]int, cfg.Conns)
	ts := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for len(live) > 0 {
		k := rng.IntN(len(live))
		c := live[k]
		p := queues[c][pos[c]]
		pos[c]++
		if pos[c] == len(queues[c]) {
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		ts = ts.Add(5 * time.Microsecond)
		out = appendFrame(out, c, p, ts)
		st.Packets++
	}
	return out, st
}

// connection builds one connection's packets in sending order and the bytes
// each direction carries.
func connection(cfg Config, rng *rand.Rand, st *Stats) ([]packet, [2][]byte) {
	cisn, sisn := rng.Uint32(), rng.Uint32()
	var q []packet
	var streams [2][]byte
	cseq, sseq := cisn+1, sisn+1
	if !cfg.MidStream {
		q = append(q,
			packet{seq: cisn, flags: syn},
			packet{fromServer: true, seq: sisn, ack: cisn + 1, flags: syn | ack},
			packet{seq: cseq, ack: sseq, flags: ack})
	}
	send := func(fromServer bool, data []byte) {
		seq, peer := &cseq, &sseq
		if fromServer {
			seq, peer = &sseq, &cseq
		}
		d := 0
		if fromServer {
			d = 1
		}
		streams[d] = append(streams[d], data...)
		start := len(q)
		for len(data) > 0 {
			n := min(len(data), cfg.MSS)
			q = append(q, packet{fromServer: fromServer, seq: *seq, ack: *peer, flags: ack | psh, payload: data[:n]})
			st.PayloadBytes += n
			*seq += uint32(n)
			data = data[n:]
		}
		// Reordering inside this burst: swap neighbours of the same direction.
		for i := start; i+1 < len(q); i++ {
			if rng.Float64() < cfg.Reorder {
				q[i], q[i+1] = q[i+1], q[i]
				st.Reordered++
				i++
			}
		}
		// The receiver acknowledges the burst.
		q = append(q, packet{fromServer: !fromServer, seq: *peer, ack: *seq, flags: ack})
	}
	for e := 0; e < cfg.Exchanges; e++ {
		body := make([]byte, cfg.MinResp+rng.IntN(cfg.MaxResp-cfg.MinResp+1))
		for i := range body {
			body[i] = 'a' + byte(i%26)
		}
		req := fmt.Sprintf("GET /item/%d?page=%d HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: gen/1\r\nAccept: */*\r\n\r\n", rng.IntN(1e6), e)
		send(false, []byte(req))
		resp := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(body))
		send(true, append(resp, body...))
	}
	// Retransmissions: a copy of a data segment a few packets later.
	for i := 0; i < len(q); i++ {
		if len(q[i].payload) == 0 || rng.Float64() >= cfg.Retransmit {
			continue
		}
		at := min(len(q), i+2+rng.IntN(4))
		q = append(q[:at], append([]packet{q[i]}, q[at:]...)...)
		st.Retransmits++
	}
	q = append(q,
		packet{seq: cseq, ack: sseq, flags: fin | ack},
		packet{fromServer: true, seq: sseq, ack: cseq + 1, flags: fin | ack},
		packet{seq: cseq + 1, ack: sseq + 1, flags: ack})
	return q, streams
}

func appendFrame(out []byte, conn int, p packet, ts time.Time) []byte {
	n := 14 + 20 + 20 + len(p.payload)
	out = binary.LittleEndian.AppendUint32(out, uint32(ts.Unix()))
	out = binary.LittleEndian.AppendUint32(out, uint32(ts.Nanosecond()/1000))
	out = binary.LittleEndian.AppendUint32(out, uint32(n))
	out = binary.LittleEndian.AppendUint32(out, uint32(n))
	// Ethernet
	out = append(out, 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00)
	client := [4]byte{10, 1, byte(conn >> 8), byte(conn)}
	server := [4]byte{10, 200, 0, 1}
	cport, sport := uint16(20000+conn%40000), uint16(80)
	src, dst, sp, dp := client, server, cport, sport
	if p.fromServer {
		src, dst, sp, dp = server, client, sport, cport
	}
	// IPv4
	out = append(out, 0x45, 0)
	out = binary.BigEndian.AppendUint16(out, uint16(20+20+len(p.payload)))
	out = append(out, 0, 0, 0x40, 0, 64, 6, 0, 0)
	out = append(out, src[:]...)
	out = append(out, dst[:]...)
	// TCP
	out = binary.BigEndian.AppendUint16(out, sp)
	out = binary.BigEndian.AppendUint16(out, dp)
	out = binary.BigEndian.AppendUint32(out, p.seq)
	out = binary.BigEndian.AppendUint32(out, p.ack)
	out = append(out, 5<<4, p.flags)
	out = binary.BigEndian.AppendUint16(out, 65535)
	out = append(out, 0, 0, 0, 0)
	return append(out, p.payload...)
}
