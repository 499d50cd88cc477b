package dump

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// corpusSegment is one TCP payload of a corpus capture.
type corpusSegment struct {
	ts     time.Time
	conn   int // index into corpusCapture.conns
	dir    parser.Direction
	offset uint64
	data   []byte
	fin    bool
}

type corpusConn struct {
	client, server netip.AddrPort
	isn            [2]uint32
	haveISN        [2]bool
	stream         [2][]byte // every payload byte in stream order
}

type corpusCapture struct {
	segs  []corpusSegment
	conns []*corpusConn
}

// readCorpus splits a corpus capture (loopback, no loss) into per-connection
// segments with stream offsets derived from the TCP sequence numbers.
func readCorpus(t testing.TB, name string, serverPort uint16) *corpusCapture {
	t.Helper()
	f, err := os.Open(pcaptest.Corpus(name))
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	cc := &corpusCapture{}
	byClient := map[netip.AddrPort]int{}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		tl, client, server := tcpSegment(gopacket.NewPacket(data, r.LinkType(), gopacket.Default))
		if tl == nil {
			continue
		}
		dir := parser.Request
		if uint16(tl.SrcPort) == serverPort {
			dir = parser.Response
			client, server = server, client
		}
		idx, ok := byClient[client]
		if !ok {
			idx = len(cc.conns)
			byClient[client] = idx
			cc.conns = append(cc.conns, &corpusConn{client: client, server: server})
		}
		c := cc.conns[idx]
		if tl.SYN {
			c.isn[dir], c.haveISN[dir] = tl.Seq, true
			continue
		}
		if !c.haveISN[dir] { // joined mid-stream: first seen byte is offset 0
			c.isn[dir], c.haveISN[dir] = tl.Seq-1, true
		}
		off := uint64(tl.Seq - c.isn[dir] - 1)
		if len(tl.Payload) > 0 {
			require.Equal(t, uint64(len(c.stream[dir])), off, "%s: corpus captures have no loss", name)
			c.stream[dir] = append(c.stream[dir], tl.Payload...)
		}
		cc.segs = append(cc.segs, corpusSegment{ts: ci.Timestamp, conn: idx, dir: dir, offset: off,
			data: append([]byte(nil), tl.Payload...), fin: tl.FIN || tl.RST})
	}
	require.NotEmpty(t, cc.conns)
	return cc
}

// dumpCorpus feeds a capture through a Dumper with a pcapng file sink and a
// JSON Lines file sink, the way a proxy would: per read, with the previous
// read's last bytes shown again. It returns the written files.
func dumpCorpus(t *testing.T, cc *corpusCapture) (pcapngFile, jsonlFile string, d *Dumper) {
	t.Helper()
	dir := t.TempDir()
	clk := &fakeClock{now: cc.segs[0].ts}
	pc, err := NewPcapngFileSink(FileOptions{Dir: dir, Clock: clk})
	require.NoError(t, err)
	js, err := NewJSONLFileSink(FileOptions{Dir: dir, Clock: clk})
	require.NoError(t, err)
	probe := &fakeProbe{}
	d, err = New(Config{Strategy: Strategy{Switch: SwitchOn, Interval: 3600, Duration: 3600, CPUMaxRate: 90, MemMaxRate: 90},
		Sinks: []Sink{pc, js}, Clock: clk, Probe: probe, MonitorPeriod: time.Hour, QueueSize: 1 << 16, MaxQueuedBytes: 1 << 30})
	require.NoError(t, err)
	require.NoError(t, d.Start())
	conns := make([]*Conn, len(cc.conns))
	for i, c := range cc.conns {
		conns[i] = d.Open(ConnInfo{ID: uint64(1000 + i), Client: c.client, Server: c.server})
	}
	for _, s := range cc.segs {
		clk.mu.Lock()
		if s.ts.After(clk.now) {
			clk.now = s.ts
		}
		clk.mu.Unlock()
		c := conns[s.conn]
		if len(s.data) > 0 {
			// Show up to 7 already-recorded bytes again in front.
			back := min(s.offset, 7)
			full := cc.conns[s.conn].stream[s.dir][s.offset-back : s.offset+uint64(len(s.data))]
			v := c.Flow(s.dir, s.offset-back, full)
			require.Equal(t, Accepted, v)
			require.Equal(t, Duplicate, c.Flow(s.dir, s.offset, s.data), "same bytes again")
		}
		if s.fin {
			c.Close()
		}
	}
	require.NoError(t, d.Close())
	st := d.Stats()
	require.Equal(t, st.Accepted, st.Written)
	require.Zero(t, st.DroppedQueueFull+st.DroppedWriteError+st.DroppedGate)
	require.Len(t, pc.Files(), 1)
	require.Len(t, js.Files(), 1)
	return pc.Files()[0], js.Files()[0], d
}

// tcpSegment is p's TCP layer (nil when it has none) and its source and
// destination addresses, read with gopacket alone.
func tcpSegment(p gopacket.Packet) (tl *layers.TCP, src, dst netip.AddrPort) {
	tl, _ = p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if tl == nil {
		return nil, src, dst
	}
	var s, d netip.Addr
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		s, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		d, _ = netip.AddrFromSlice(ip.DstIP.To4())
	case *layers.IPv6:
		s, _ = netip.AddrFromSlice(ip.SrcIP)
		d, _ = netip.AddrFromSlice(ip.DstIP)
	}
	return tl, netip.AddrPortFrom(s, uint16(tl.SrcPort)), netip.AddrPortFrom(d, uint16(tl.DstPort))
}

// readDumpedPcapng reassembles the flow packets of a dumped pcapng file per
// connection (client address) and direction, using only pcapgo and
// gopacket layers, and checks the framing Wireshark relies on.
func readDumpedPcapng(t *testing.T, path string) (streams map[netip.AddrPort]*[2][]byte, comments int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	require.NoError(t, err)
	streams = map[netip.AddrPort]*[2][]byte{}
	isn := map[netip.AddrPort]*[2]uint32{}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if ci.InterfaceIndex != 0 {
			continue
		}
		p := gopacket.NewPacket(data, layers.LinkTypeEthernet, gopacket.Default)
		require.Nil(t, p.ErrorLayer(), "synthesized packet decodes cleanly")
		tl, a, b := tcpSegment(p)
		require.NotNil(t, tl, "a flow packet carries TCP")
		// The client is the side with the SYN; corpus servers use low ports.
		client, dir := a, parser.Request
		if a.Port() < b.Port() {
			client, dir = b, parser.Response
		}
		if streams[client] == nil {
			streams[client] = &[2][]byte{}
			isn[client] = &[2]uint32{}
		}
		if tl.SYN {
			isn[client][dir] = tl.Seq
			continue
		}
		if len(tl.Payload) == 0 {
			continue
		}
		off := tl.Seq - isn[client][dir] - 1
		s := &streams[client][dir]
		require.Equal(t, uint32(len(*s)), off, "packets in order, seq = ISN+1+offset")
		*s = append(*s, tl.Payload...)
	}
	return streams, 0
}

var corpusFiles = []struct {
	file string
	port uint16
}{
	{"redis_benchmark_pipeline16.pcap", 16390},
	{"redis_goredis_mixed.pcap", 16390},
	{"http_gonet_curl.pcap", 18080},
	{"http_gonet_pipelined.pcap", 18080},
	{"kafka_kgo_v2_4.pcap", 19092},
	{"kafka_sarama_v0_11.pcap", 19092},
	{"dubbo2_dubbogo_userprovider.pcap", 20880},
}

// TestPcapngRoundTripCorpus: every byte of every connection of the corpus,
// fed through the dumper (with re-shown bytes), comes back identical from
// the pcapng file via pcapgo and from the JSON Lines file.
func TestPcapngRoundTripCorpus(t *testing.T) {
	for _, cf := range corpusFiles {
		t.Run(cf.file, func(t *testing.T) {
			cc := readCorpus(t, cf.file, cf.port)
			pcapngPath, jsonlPath, _ := dumpCorpus(t, cc)
			got, _ := readDumpedPcapng(t, pcapngPath)
			gotJ := readDumpedJSONL(t, jsonlPath)
			for _, c := range cc.conns {
				if len(c.stream[0])+len(c.stream[1]) == 0 {
					require.Nil(t, got[c.client], "connection without payload leaves no trace")
					continue
				}
				for dir := 0; dir < 2; dir++ {
					require.Equal(t, c.stream[dir], got[c.client][dir], "pcapng %s dir %d", c.client, dir)
					require.Equal(t, c.stream[dir], gotJ[c.client][dir], "jsonl %s dir %d", c.client, dir)
				}
			}
		})
	}
}

func readDumpedJSONL(t *testing.T, path string) map[netip.AddrPort]*[2][]byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[netip.AddrPort]*[2][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct {
			Kind   string `json:"kind"`
			Window string `json:"window"`
			Time   time.Time
			Client string `json:"client"`
			Dir    string `json:"dir"`
			Offset uint64 `json:"offset"`
			Len    int    `json:"len"`
			Data   []byte `json:"data"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &row), sc.Text())
		require.Len(t, row.Window, 16)
		if row.Kind != "flow" {
			continue
		}
		require.Len(t, row.Data, row.Len)
		cl := netip.MustParseAddrPort(row.Client)
		if out[cl] == nil {
			out[cl] = &[2][]byte{}
		}
		dir := 0
		if row.Dir == "s2c" {
			dir = 1
		}
		require.Equal(t, uint64(len(out[cl][dir])), row.Offset)
		out[cl][dir] = append(out[cl][dir], row.Data...)
	}
	require.NoError(t, sc.Err())
	return out
}

// tsharkOrSkip returns tshark's path. Without tshark the test is skipped,
// except under CI (CI set), where a missing tshark is a failure.
func tsharkOrSkip(t *testing.T) string {
	p, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark not on PATH under CI: %v", err)
		}
		t.Skip("tshark not on PATH")
	}
	return p
}

// tsharkFields runs tshark on a file and returns, per client port, the
// values of the fields of the frames matching filter, flattened in order
// (a frame carrying several PDUs lists them comma-separated).
func tsharkFields(t *testing.T, tshark, file string, decodeAs, filter string, fields ...string) map[string][]string {
	t.Helper()
	args := []string{"-r", file, "-n", "-o", "tcp.desegment_tcp_streams:TRUE", "-d", decodeAs, "-Y", filter, "-T", "fields", "-e", "tcp.srcport"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(tshark, args...).Output()
	require.NoError(t, err, "tshark %v", args)
	res := map[string][]string{}
	for _, ln := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if ln == "" {
			continue
		}
		cols := strings.Split(ln, "\t")
		per := make([][]string, len(cols)-1)
		n := 0
		for i, c := range cols[1:] {
			per[i] = strings.Split(c, ",")
			n = max(n, len(per[i]))
		}
		for k := 0; k < n; k++ {
			var parts []string
			for i := range per {
				if k < len(per[i]) {
					parts = append(parts, per[i][k])
				} else {
					parts = append(parts, "")
				}
			}
			v := strings.Join(parts, " ")
			if len(v) > 80 { // keep failure messages readable
				v = fmt.Sprintf("%s...(%d)%x", v[:40], len(v), sha256.Sum256([]byte(v)))
			}
			res[cols[0]] = append(res[cols[0]], v)
		}
	}
	return res
}

type truthRow struct {
	Client  string         `json:"client"`
	Request map[string]any `json:"request"`
}

func readTruth(t *testing.T, pcap string) []truthRow {
	b, err := os.ReadFile(pcaptest.Corpus(strings.TrimSuffix(pcap, ".pcap") + ".truth.jsonl"))
	require.NoError(t, err)
	var rows []truthRow
	for _, ln := range bytes.Split(bytes.TrimSpace(b), []byte{'\n'}) {
		var r truthRow
		require.NoError(t, json.Unmarshal(ln, &r))
		rows = append(rows, r)
	}
	return rows
}

// TestPcapngDissectedByTshark: tshark dissects the same requests from the
// dumped pcapng as from the original capture, and they agree with the
// corpus truth; and no synthesized IP or TCP checksum is wrong.
func TestPcapngDissectedByTshark(t *testing.T) {
	tshark := tsharkOrSkip(t)
	cases := []struct {
		file, decodeAs, filter string
		fields                 []string
		truth                  func(truthRow) string // expected value per request, "" to skip the truth check
	}{
		{"redis_benchmark_pipeline16.pcap", "tcp.port==16390,resp", "resp && tcp.dstport==16390", []string{"resp.bulk_string.value"}, nil},
		{"redis_goredis_mixed.pcap", "tcp.port==16390,resp", "resp && tcp.dstport==16390", []string{"resp.bulk_string.value"}, nil},
		{"http_gonet_curl.pcap", "tcp.port==18080,http", "http.request", []string{"http.request.method", "http.request.uri"},
			func(r truthRow) string { return fmt.Sprint(r.Request["http.method"], " ", r.Request["http.path"]) }},
		{"http_gonet_pipelined.pcap", "tcp.port==18080,http", "http.request", []string{"http.request.method", "http.request.uri"},
			func(r truthRow) string { return fmt.Sprint(r.Request["http.method"], " ", r.Request["http.path"]) }},
		{"kafka_kgo_v2_4.pcap", "tcp.port==19092,kafka", "kafka && tcp.dstport==19092", []string{"kafka.api_key", "kafka.correlation_id"},
			func(r truthRow) string {
				return fmt.Sprint(r.Request["kafka.api_key"], " ", r.Request["kafka.correlation_id"])
			}},
		{"kafka_sarama_v0_11.pcap", "tcp.port==19092,kafka", "kafka && tcp.dstport==19092", []string{"kafka.api_key", "kafka.correlation_id"},
			func(r truthRow) string {
				return fmt.Sprint(r.Request["kafka.api_key"], " ", r.Request["kafka.correlation_id"])
			}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			port, _ := strconv.Atoi(strings.Split(strings.Split(tc.decodeAs, "==")[1], ",")[0])
			cc := readCorpus(t, tc.file, uint16(port))
			dumped, _, _ := dumpCorpus(t, cc)
			want := tsharkFields(t, tshark, pcaptest.Corpus(tc.file), tc.decodeAs, tc.filter, tc.fields...)
			got := tsharkFields(t, tshark, dumped, tc.decodeAs, tc.filter, tc.fields...)
			require.NotEmpty(t, want)
			require.Equal(t, want, got, "tshark sees the same requests in the dump as in the capture")
			total := 0
			for _, v := range got {
				total += len(v)
			}
			t.Logf("%s: %d request field rows dissected identically in %d connections", tc.file, total, len(got))
			if tc.truth != nil {
				exp := map[string][]string{}
				for _, r := range readTruth(t, tc.file) {
					p := netip.MustParseAddrPort(r.Client).Port()
					exp[strconv.Itoa(int(p))] = append(exp[strconv.Itoa(int(p))], tc.truth(r))
				}
				require.Equal(t, exp, got, "requests agree with the corpus truth")
			}
			// Checksums as a receiver would check them: every IP and TCP
			// checksum verifies (status 1 = good), and tshark's TCP analysis
			// finds no lost or retransmitted segment.
			out, err := exec.Command(tshark, "-r", dumped, "-n", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
				"-Y", "tcp", "-T", "fields", "-e", "ip.checksum.status", "-e", "tcp.checksum.status").Output()
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			require.NotEmpty(t, lines)
			for i, ln := range lines {
				require.Equal(t, "1\t1", ln, "frame %d checksum status", i+1)
			}
			out, err = exec.Command(tshark, "-r", dumped, "-n", "-Y", "tcp.analysis.lost_segment || tcp.analysis.retransmission || tcp.analysis.out_of_order",
				"-T", "fields", "-e", "frame.number").Output()
			require.NoError(t, err)
			require.Empty(t, strings.TrimSpace(string(out)), "frames flagged by TCP analysis")
		})
	}
}
