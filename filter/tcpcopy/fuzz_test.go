package tcpcopy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/pcaptest"
)

// FuzzRecordsWhatCrosses feeds both directions of a connection through a
// chain holding the tcpcopy filter, in the chunks the input gives (a
// direction-and-length byte pair, then the bytes), and checks that the
// JSON Lines dump holds exactly what crossed, per direction, at the right
// offsets. Seeded with the first chunks of a corpus capture.
func FuzzRecordsWhatCrosses(f *testing.F) {
	f.Add([]byte{0, 3, 'G', 'E', 'T', 1, 2, 'O', 'K', 0, 0, 0, 1, '\n'})
	streams, err := pcaptest.ReadFile(pcaptest.Corpus("redis_cli_session.pcap"))
	if err != nil {
		f.Fatal(err)
	}
	var in []byte
	for _, k := range streams[0].Chunks {
		b := k.Bytes(streams[0])
		if len(b) > 255 {
			b = b[:255]
		}
		in = append(in, byte(k.Dir), byte(len(b)))
		in = append(in, b...)
	}
	f.Add(in)
	f.Fuzz(func(t *testing.T, in []byte) {
		fac, dir := newFactory(t, onStrategy, "jsonl")
		ch := filter.NewChain(fac)
		c, err := ch.NewConn(filter.ConnInfo{
			RemoteAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort("192.0.2.1:40000")),
			LocalAddr:  net.TCPAddrFromAddrPort(netip.MustParseAddrPort("192.0.2.2:6379")),
		}, filter.ConnOptions{Upstream: io.Discard, Downstream: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var want [2][]byte
		for len(in) >= 2 {
			d, n := int(in[0]&1), min(int(in[1]), len(in)-2)
			b := in[2 : 2+n]
			in = in[2+n:]
			if err := c.Feed(d, b); err != nil {
				t.Fatal(err)
			}
			want[d] = append(want[d], b...)
		}
		c.Release()
		if err := fac.Close(); err != nil {
			t.Fatal(err)
		}
		st := fac.Dumper().Stats()
		if st.DroppedQueueFull+st.DroppedGate+st.DroppedWriteError != 0 {
			t.Fatalf("drops: %+v", st)
		}
		var got [2][]byte
		for _, file := range dumpFiles(t, dir, "jsonl") {
			fh, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var v struct {
					Kind   string `json:"kind"`
					Dir    string `json:"dir"`
					Offset int    `json:"offset"`
					Data   []byte `json:"data"`
				}
				if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
					t.Fatalf("%q: %v", sc.Bytes(), err)
				}
				if v.Kind != "flow" {
					continue
				}
				d := 0
				if v.Dir == "s2c" {
					d = 1
				}
				if v.Offset != len(got[d]) {
					t.Fatalf("dir %d: chunk at %d after %d bytes", d, v.Offset, len(got[d]))
				}
				got[d] = append(got[d], v.Data...)
			}
			fh.Close()
		}
		for d := range 2 {
			if !bytes.Equal(got[d], want[d]) {
				t.Fatalf("dir %d: recorded %q, fed %q", d, got[d], want[d])
			}
		}
	})
}
