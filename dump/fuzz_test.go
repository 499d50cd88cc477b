package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/gopacket/pcapgo"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/reassembly"
)

// FuzzParseStrategy: any input either parses into a strategy that
// validates and survives a JSON round trip unchanged, or fails with
// ErrInvalidStrategy; never a panic.
func FuzzParseStrategy(f *testing.F) {
	for _, s := range []string{
		`{"switch":"ON","interval":30,"duration":10,"cpu_max_rate":80,"mem_max_rate":80}`,
		`{"switch":"OFF"}`, `{}`, `{"interval":1,"duration":1}`, `{"switch":"ON","interval":0}`,
		`{"cpu_max_rate":1e308}`, `{"switch":"ON"} {}`, `[]`, `{"bogus":1}`, `{"interval":1.5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ParseStrategy(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalidStrategy) {
				t.Fatalf("error %v does not wrap ErrInvalidStrategy", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("parsed strategy does not validate: %v", err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseStrategy(b)
		if err != nil || s2 != s {
			t.Fatalf("round trip: %+v -> %s -> %+v, %v", s, b, s2, err)
		}
	})
}

// fuzzItems turns fuzz input into a sequence of items the Dumper could
// hand a sink: per record, a control byte (bits 0-1 kind: flow, close,
// record, snapshot; bits 2-3 connection; bit 4 direction), a length and
// that many bytes. Flow offsets run on per connection and direction, and
// a closed connection gets no more items, as from a real Dumper. want is
// each connection's bytes per direction.
func fuzzItems(in []byte) (items []Item, want map[uint64]*[2][]byte) {
	conns := [4]ConnInfo{
		{ID: 1, Client: netip.MustParseAddrPort("192.0.2.1:40000"), Server: netip.MustParseAddrPort("192.0.2.2:6379")},
		{ID: 2}, // addresses synthesized
		{ID: 3, Client: netip.MustParseAddrPort("[2001:db8::1]:5000"), Server: netip.MustParseAddrPort("[2001:db8::2]:80")},
		{ID: 4, Client: netip.MustParseAddrPort("192.0.2.9:1"), Server: netip.MustParseAddrPort("[2001:db8::9]:9")},
	}
	want = map[uint64]*[2][]byte{}
	var closed [4]bool
	ts := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for len(in) >= 2 {
		ctl, n := in[0], int(in[1])
		in = in[2:]
		n = min(n, len(in))
		data := in[:n]
		in = in[n:]
		c := int(ctl >> 2 & 3)
		dir := parser.Direction(ctl >> 4 & 1)
		ts = ts.Add(time.Microsecond)
		it := Item{Window: uint64(ctl) << 8, Time: ts}
		switch ctl & 3 {
		case 0, 1:
			if closed[c] {
				continue
			}
			it.Conn = &conns[c]
			if ctl&3 == 1 {
				it.Kind = KindClose
				closed[c] = true
				break
			}
			w := want[conns[c].ID]
			if w == nil {
				w = &[2][]byte{}
				want[conns[c].ID] = w
			}
			it.Kind, it.Dir, it.Offset, it.Data = KindFlow, dir, uint64(len(w[dir])), data
			w[dir] = append(w[dir], data...)
		case 2:
			it.Kind, it.Type, it.Data = KindRecord, string(data[:n/2]), data[n/2:]
		case 3:
			it.Kind, it.Type, it.Data = KindSnapshot, string(data[:n/2]), data[n/2:]
		}
		items = append(items, it)
	}
	return items, want
}

func fuzzEncoderSeeds(f *testing.F) {
	f.Add([]byte{0x00, 5, 'h', 'e', 'l', 'l', 'o', 0x10, 2, 'o', 'k', 0x01, 0})
	f.Add([]byte{0x02, 6, 't', 'y', 'p', 'i', 'd', '=', 0x03, 4, 'c', 'f', '{', '}', 0x04, 3, 0xff, 0, '"'})
	// Real traffic: the first payloads of a corpus capture, both directions.
	streams, err := pcaptest.ReadFile(pcaptest.Corpus("redis_cli_session.pcap"))
	if err != nil {
		f.Fatal(err)
	}
	var in []byte
	for _, s := range streams {
		for _, k := range s.Chunks {
			b := k.Bytes(s)
			if len(b) > 255 {
				b = b[:255]
			}
			in = append(in, byte(k.Dir)<<4, byte(len(b)))
			in = append(in, b...)
			if len(in) > 3000 {
				break
			}
		}
	}
	f.Add(append(in, 0x01, 0))
}

// FuzzJSONLEncoder: every item becomes one line of valid JSON whose fields
// give back the item (kind, connection, direction, offset, type, data).
func FuzzJSONLEncoder(f *testing.F) {
	fuzzEncoderSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		items, _ := fuzzItems(in)
		var enc jsonlEncoder
		out := enc.begin(nil)
		for i := range items {
			out = enc.encode(out, &items[i])
		}
		lines := bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
		if len(items) == 0 {
			if len(out) != 0 {
				t.Fatalf("output %q for no items", out)
			}
			return
		}
		if len(lines) != len(items) {
			t.Fatalf("%d lines for %d items", len(lines), len(items))
		}
		for i, l := range lines {
			var v struct {
				Kind   string  `json:"kind"`
				Conn   *uint64 `json:"conn"`
				Dir    string  `json:"dir"`
				Offset uint64  `json:"offset"`
				Type   *string `json:"type"`
				Name   *string `json:"name"`
				Len    int     `json:"len"`
				Data   []byte  `json:"data"`
			}
			if err := json.Unmarshal(l, &v); err != nil {
				t.Fatalf("line %d %q: %v", i, l, err)
			}
			it := &items[i]
			if v.Kind != it.Kind.String() || (it.Conn != nil) != (v.Conn != nil) || (v.Conn != nil && *v.Conn != it.Conn.ID) {
				t.Fatalf("line %d %q for %+v", i, l, it)
			}
			switch it.Kind {
			case KindFlow:
				if v.Dir != dirName(it.Dir) || v.Offset != it.Offset {
					t.Fatalf("line %d %q: dir/offset", i, l)
				}
			case KindRecord:
				if v.Type == nil || *v.Type != validUTF8(it.Type) {
					t.Fatalf("line %d %q: type %q", i, l, it.Type)
				}
			case KindSnapshot:
				if v.Name == nil || *v.Name != validUTF8(it.Type) {
					t.Fatalf("line %d %q: name %q", i, l, it.Type)
				}
			}
			if it.Kind != KindClose && (v.Len != len(it.Data) || !bytes.Equal(v.Data, it.Data)) {
				t.Fatalf("line %d: data %q, want %q", i, v.Data, it.Data)
			}
		}
	})
}

// FuzzPcapngEncoder: the pcapng output reads back with gopacket's pcapng
// reader and with wirekit's, with nothing malformed, and reassembles to
// exactly the flow bytes of every connection and direction.
func FuzzPcapngEncoder(f *testing.F) {
	fuzzEncoderSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		items, want := fuzzItems(in)
		enc := newPcapngEncoder()
		out := enc.begin(nil)
		for i := range items {
			out = enc.encode(out, &items[i])
		}
		r, err := pcapgo.NewNgReader(bytes.NewReader(out), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("gopacket: %v", err)
		}
		for {
			if _, _, err := r.ReadPacketData(); err != nil {
				if err != io.EOF {
					t.Fatalf("gopacket: %v", err)
				}
				break
			}
		}
		got := map[netip.AddrPort]*[2][]byte{}
		gaps := 0
		a := reassembly.NewAssembler(reassembly.FactoryFunc(func(s *reassembly.Stream) reassembly.Handler {
			b := &[2][]byte{}
			got[s.Client()] = b
			return &fuzzCollector{b: b, gaps: &gaps}
		}), reassembly.Options{})
		ps, err := reassembly.ReadPcapBytes(out, a)
		if err != nil || ps.Malformed != 0 || ps.NotTCP != 0 {
			t.Fatalf("wirekit reader: %+v, %v", ps, err)
		}
		a.FlushAll()
		if gaps != 0 {
			t.Fatalf("%d gaps", gaps)
		}
		for id, w := range want {
			pc := enc.conns[id]
			var b *[2][]byte
			if pc != nil {
				b = got[pcClient(pc)]
			} else {
				// closed: the encoder forgot it; find it by its bytes
				for _, g := range got {
					if bytes.Equal(g[0], w[0]) && bytes.Equal(g[1], w[1]) {
						b = g
					}
				}
			}
			if len(w[0])+len(w[1]) == 0 {
				continue
			}
			if b == nil || !bytes.Equal(b[0], w[0]) || !bytes.Equal(b[1], w[1]) {
				t.Fatalf("connection %d: reassembled %q, want %q", id, b, w)
			}
		}
	})
}

func pcClient(pc *pconn) netip.AddrPort {
	a := netip.AddrFrom16(pc.ip[0])
	if !pc.v6 {
		a = a.Unmap()
	}
	return netip.AddrPortFrom(a, pc.port[0])
}

type fuzzCollector struct {
	b    *[2][]byte
	gaps *int
}

func (c *fuzzCollector) Data(_ *reassembly.Stream, dir reassembly.Dir, data []byte, _ time.Time) {
	c.b[dir] = append(c.b[dir], data...)
}
func (c *fuzzCollector) Gap(*reassembly.Stream, reassembly.Dir, uint64, int) { *c.gaps++ }
func (c *fuzzCollector) Close(*reassembly.Stream, reassembly.CloseReason)    {}

// validUTF8 is s as a JSON string carries it: each byte that is not part
// of a valid UTF-8 sequence replaced by U+FFFD (one per byte, as
// encoding/json writes it; strings.ToValidUTF8 replaces a whole run).
func validUTF8(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n <= 1 {
			b.WriteString("\uFFFD")
			s = s[1:]
			continue
		}
		b.WriteString(s[:n])
		s = s[n:]
	}
	return b.String()
}
