package filterexpr_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
	"github.com/wirekit/wirekit/pcaptest"
)

// errorCases are expressions Compile must refuse, with the kind of error
// and where. libpcap agrees for every one marked tcpdumpRejects.
var errorCases = []struct {
	expr           string
	kind           error
	pos            int
	tcpdumpRejects bool
}{
	{"host example.com", filterexpr.ErrUnsupported, 5, true},
	{"port http", filterexpr.ErrUnsupported, 5, false},
	{"gateway 1.2.3.4", filterexpr.ErrUnsupported, 0, true},
	{"mpls", filterexpr.ErrUnsupported, 0, false},
	{"ip broadcast", filterexpr.ErrUnsupported, 3, false},
	{"ether proto 100", filterexpr.ErrUnsupported, 12, false},
	{"tcp host 1.2.3.4", filterexpr.ErrSyntax, 9, true},
	{"ip6 port 80", filterexpr.ErrSyntax, 9, true},
	{"ip port 80", filterexpr.ErrSyntax, 8, true},
	{"port 70000", filterexpr.ErrSyntax, 5, true},
	{"vlan 5000", filterexpr.ErrSyntax, 5, true},
	{"ip[0:3]=1", filterexpr.ErrSyntax, 5, true},
	{"ip[0]/0=1", filterexpr.ErrSyntax, 5, true},
	{"src proto 6", filterexpr.ErrSyntax, 4, true},
	{"tcp proto 6", filterexpr.ErrSyntax, 10, true},
	{"ether 1.2.3.4", filterexpr.ErrSyntax, 0, true},
	{"host", filterexpr.ErrSyntax, 4, true},
	{"port 80 and", filterexpr.ErrSyntax, 11, true},
	{"(tcp", filterexpr.ErrSyntax, 4, true},
	{"tcp)", filterexpr.ErrSyntax, 3, true},
	{"ip[0]", filterexpr.ErrSyntax, 5, true},
	{"tcp or 80", filterexpr.ErrSyntax, 7, true},
	{"1.2.3.4", filterexpr.ErrSyntax, 0, true},
	{"ip6 host 1.2.3.4", filterexpr.ErrSyntax, 9, true},
	{"ip host ::1", filterexpr.ErrSyntax, 8, true},
	{"host fe80::/10", filterexpr.ErrSyntax, 5, true},
	{"net 10.0.0.1/8", filterexpr.ErrSyntax, 4, true},
	{"host ::1 and port ::2", filterexpr.ErrSyntax, 18, true},
	{"ether host 1.2.3.4", filterexpr.ErrSyntax, 11, true},
	{"arp proto 6", filterexpr.ErrSyntax, 10, true},
	{"ether", filterexpr.ErrSyntax, 0, true},
	{"len", filterexpr.ErrSyntax, 3, true},
	{"less", filterexpr.ErrSyntax, 4, true},
	{"udp[0] << 32 = 0", filterexpr.ErrSyntax, 7, true},
	{"net 10.0.0.0/33", filterexpr.ErrSyntax, 13, true},
	{"ip proto \\foo", filterexpr.ErrUnsupported, 9, true},
	{"portrange 10-x", filterexpr.ErrUnsupported, 10, true},
	{"ip proto 300", filterexpr.ErrSyntax, 9, false},
	{"tcp port 80 $", filterexpr.ErrSyntax, 12, true},
	{"\\", filterexpr.ErrSyntax, 0, true},
	{strings.Repeat("(", 300) + "tcp" + strings.Repeat(")", 300), filterexpr.ErrTooLarge, 200, false},
	{strings.Repeat("not ", 300) + "tcp", filterexpr.ErrTooLarge, 796, false},
}

func TestCompileErrors(t *testing.T) {
	tcpdump, _ := exec.LookPath("tcpdump")
	for _, tc := range errorCases {
		prog, err := filterexpr.Compile(tc.expr, filterexpr.LinkEthernet, 65535)
		if err == nil {
			t.Errorf("Compile(%.40q) = %d instructions, want an error", tc.expr, len(prog))
			continue
		}
		var fe *filterexpr.Error
		if !errors.As(err, &fe) {
			t.Errorf("Compile(%.40q): error %T %v is not an *Error", tc.expr, err, err)
			continue
		}
		if !errors.Is(err, tc.kind) || fe.Pos != tc.pos {
			t.Errorf("Compile(%.40q) = %v (pos %d), want %v at %d", tc.expr, err, fe.Pos, tc.kind, tc.pos)
		}
		if tcpdump != "" && tc.tcpdumpRejects {
			if out, err := exec.Command(tcpdump, "-d", "-y", "EN10MB", tc.expr).CombinedOutput(); err == nil {
				t.Errorf("tcpdump accepts %q, which Compile rejects:\n%s", tc.expr, out)
			}
		}
	}
}

// Primitives that have no meaning on a link are errors there, never a
// test that passes everything.
func TestLinkSpecificErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		link filterexpr.Link
	}{
		{"ether host 02:00:00:00:00:01", filterexpr.LinkCooked},
		{"ether host 02:00:00:00:00:01", filterexpr.LinkRaw},
		{"ether[0] = 1", filterexpr.LinkCooked},
		{"ether broadcast", filterexpr.LinkRaw},
		{"multicast", filterexpr.LinkCooked},
		{"vlan", filterexpr.LinkRaw},
		{"inbound", filterexpr.LinkRaw},
		{"tcp", filterexpr.Link(7)},
	} {
		if _, err := filterexpr.Compile(tc.expr, tc.link, 65535); !errors.Is(err, filterexpr.ErrUnsupported) {
			t.Errorf("Compile(%q, %v) = %v, want ErrUnsupported", tc.expr, tc.link, err)
		}
	}
	if _, err := filterexpr.Compile("tcp", filterexpr.LinkEthernet, 0); err == nil {
		t.Error("snaplen 0 accepted: the program would drop every packet")
	}
}

func TestEmptyMatchesAll(t *testing.T) {
	prog := compile(t, "  ", filterexpr.LinkEthernet)
	if len(prog) != 1 || prog[0] != (bpf.RetConstant{Val: 262144}) {
		t.Fatalf("empty expression = %v, want [ret #262144]", prog)
	}
}

// A long alternation puts the match far from the first tests: the
// conditional jumps that do not fit 8 bits must go through trampolines,
// and the program must still decide like libpcap's.
func TestLongJumps(t *testing.T) {
	var parts []string
	for i := 0; i < 60; i++ {
		parts = append(parts, fmt.Sprintf("host 10.9.%d.%d", i/250, i%250+1))
	}
	parts = append(parts, "host 10.0.0.1")
	expr := strings.Join(parts, " or ")
	prog := compile(t, expr, filterexpr.LinkEthernet)
	if len(prog) < 600 {
		t.Fatalf("program has %d instructions; the test needs jumps over 255", len(prog))
	}
	jas := 0
	for _, in := range prog {
		if _, ok := in.(bpf.Jump); ok {
			jas++
		}
	}
	if jas == 0 {
		t.Fatalf("no unconditional jumps in a %d-instruction program", len(prog))
	}
	pkts := syntheticPackets(t)
	yes := 0
	tcpdump, err := exec.LookPath("tcpdump")
	var ref []bpf.Instruction
	if err == nil {
		if ref, err = tcpdumpProgram(t, tcpdump, expr, "EN10MB", false); err != nil {
			t.Fatal(err)
		}
	}
	for _, pk := range pkts {
		m := accepts(t, prog, pk.eth)
		if m {
			yes++
		}
		if ref != nil && m != accepts(t, ref, pk.eth) {
			t.Errorf("packet %s: wirekit %v, libpcap %v", pk.desc, m, !m)
		}
	}
	if yes == 0 {
		t.Error("the last alternative never matched")
	}
	t.Logf("%d instructions, %d trampolines, %d of %d packets match", len(prog), jas, yes, len(pkts))
}

func TestTooLarge(t *testing.T) {
	var parts []string
	for i := 0; i < 600; i++ {
		parts = append(parts, fmt.Sprintf("10.9.%d.%d", i/250, i%250+1))
	}
	_, err := filterexpr.Compile("host "+strings.Join(parts, " or "), filterexpr.LinkEthernet, 65535)
	if !errors.Is(err, filterexpr.ErrTooLarge) {
		t.Fatalf("600 hosts: %v, want ErrTooLarge", err)
	}
	_, err = filterexpr.Compile(strings.Repeat("tcp or ", filterexpr.MaxExprLen/7+1)+"udp", filterexpr.LinkEthernet, 65535)
	if !errors.Is(err, filterexpr.ErrTooLarge) {
		t.Fatalf("over MaxExprLen: %v, want ErrTooLarge", err)
	}
	_, err = filterexpr.Compile("ip[0] = "+strings.Repeat("ip[1] + (", 20)+"ip[2]"+strings.Repeat(")", 20), filterexpr.LinkEthernet, 65535)
	if !errors.Is(err, filterexpr.ErrTooLarge) {
		t.Fatalf("20 nested loads: %v, want ErrTooLarge (16 scratch slots)", err)
	}
	// A left-associated chain needs one slot however long it is.
	compile(t, "ip[0] = "+strings.Repeat("ip[1] + ", 100)+"ip[2]", filterexpr.LinkEthernet)
}

// metaRun runs prog on data with the kernel's metadata given: x/net/bpf's
// VM has no extensions but the length, so their loads become constants.
func metaRun(t *testing.T, prog []bpf.Instruction, data []byte, present, tci uint32, proto uint16) bool {
	t.Helper()
	out := make([]bpf.Instruction, len(prog))
	for i, in := range prog {
		if le, ok := in.(bpf.LoadExtension); ok {
			switch le.Num {
			case bpf.ExtVLANTagPresent:
				in = bpf.LoadConstant{Dst: bpf.RegA, Val: present}
			case bpf.ExtVLANTag:
				in = bpf.LoadConstant{Dst: bpf.RegA, Val: tci}
			case bpf.ExtProto:
				in = bpf.LoadConstant{Dst: bpf.RegA, Val: uint32(proto)}
			}
		}
		out[i] = in
	}
	return accepts(t, out, data)
}

// On a cooked socket "vlan" reads the kernel's tag metadata.
func TestCookedVLANMetadata(t *testing.T) {
	prog := compile(t, "vlan 10 and ip", filterexpr.LinkCooked)
	for _, tc := range []struct {
		present, tci uint32
		proto        uint16
		want         bool
	}{
		{1, 10, 0x0800, true},
		{1, 0x200a, 0x0800, true}, // priority bits are not the ID
		{1, 11, 0x0800, false},
		{0, 10, 0x0800, false},
		{1, 10, 0x86dd, false},
	} {
		if got := metaRun(t, prog, make([]byte, 40), tc.present, tc.tci, tc.proto); got != tc.want {
			t.Errorf("present=%d tci=%#x proto=%#x: %v, want %v", tc.present, tc.tci, tc.proto, got, tc.want)
		}
	}
	if _, err := filterexpr.Compile("vlan and vlan", filterexpr.LinkCooked, 65535); !errors.Is(err, filterexpr.ErrUnsupported) {
		t.Errorf("inner vlan on cooked: %v, want ErrUnsupported", err)
	}
}

// With VLANMetadata an Ethernet filter sees what a live socket sees: the
// outer tag taken out of the data into metadata, inner tags still in it.
func TestEthernetVLANMetadata(t *testing.T) {
	byDesc := map[string][]byte{}
	for _, pk := range syntheticPackets(t) {
		byDesc[pk.desc] = pk.eth
	}
	get := func(desc string) []byte {
		b := byDesc[desc]
		if b == nil {
			t.Fatalf("no packet %q", desc)
		}
		return b
	}
	untag := func(desc string) []byte { // what the kernel hands a packet socket
		b := get(desc)
		return append(append([]byte(nil), b[:12]...), b[16:]...)
	}
	opts := filterexpr.Options{Link: filterexpr.LinkEthernet, Snaplen: 65535, VLANMetadata: true}
	for _, tc := range []struct {
		expr    string
		data    []byte
		present uint32
		tci     uint32
		want    bool
	}{
		{"vlan 10 and tcp port 6379", untag("vlan 10 tcp4"), 1, 10, true},
		{"vlan 10 and tcp port 6379", untag("vlan 10 tcp4"), 1, 100, false},
		{"vlan 10 and tcp port 6379", get("vlan 10 tcp4"), 0, 0, false}, // in-band only: not matched (documented)
		{"vlan and ip6", untag("vlan 100 udp6"), 1, 100, true},
		{"vlan", get("tcp4 10.0.0.1:6379>10.0.0.2:40000"), 0, 0, false},
		{"vlan 200 and vlan 5 and udp port 53", untag("qinq 200/5 udp4"), 1, 200, true},
		{"vlan 200 and vlan 6 and udp port 53", untag("qinq 200/5 udp4"), 1, 200, false},
	} {
		prog, err := filterexpr.CompileWith(tc.expr, opts)
		if err != nil {
			t.Fatalf("CompileWith(%q): %v", tc.expr, err)
		}
		if got := metaRun(t, prog, tc.data, tc.present, tc.tci, 0); got != tc.want {
			t.Errorf("%q present=%d tci=%d: %v, want %v", tc.expr, tc.present, tc.tci, got, tc.want)
		}
	}
}

// The same decisions as libpcap proper: tcpdump -r FILE -w OUT EXPR on the
// corpus and on a file of the synthetic frames keeps exactly the frames
// this package's program accepts.
func TestTcpdumpReadCrossCheck(t *testing.T) {
	tcpdump := needTcpdump(t)
	dir := t.TempDir()
	synth := filepath.Join(dir, "synthetic.pcap")
	f, err := os.Create(synth)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	var synthPkts [][]byte
	for _, pk := range syntheticPackets(t) {
		if pk.truncated {
			continue
		}
		if err := w.WritePacket(captureInfo(len(pk.eth)), pk.eth); err != nil {
			t.Fatal(err)
		}
		synthPkts = append(synthPkts, pk.eth)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	files := map[string][][]byte{synth: synthPkts}
	for _, name := range []string{"redis_cli_session", "http_gonet_curl"} {
		path := pcaptest.Corpus(name + ".pcap")
		files[path] = readFrames(t, path)
	}
	exprs := []string{"tcp port 6379", "not port 22", "udp", "ip6", "vlan and tcp", "tcp[13] & 2 != 0",
		"host 10.0.0.1 and (port 80 or port 8080)", "portrange 6000-6010", "greater 80", "icmp or arp"}
	for path, frames := range files {
		for _, expr := range exprs {
			prog := compile(t, expr, filterexpr.LinkEthernet)
			want := 0
			for _, fr := range frames {
				if accepts(t, prog, fr) {
					want++
				}
			}
			out := filepath.Join(dir, "out.pcap")
			if b, err := exec.Command(tcpdump, "-r", path, "-w", out, expr).CombinedOutput(); err != nil {
				t.Fatalf("tcpdump -r %s %q: %v\n%s", path, expr, err, b)
			}
			got := len(readFrames(t, out))
			if got != want {
				t.Errorf("%s %q: tcpdump -r keeps %d frames, the program accepts %d", filepath.Base(path), expr, got, want)
			}
		}
	}
}
