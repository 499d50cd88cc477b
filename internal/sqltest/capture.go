package sqltest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirekit/wirekit/pcaptest"
)

// Tcpdump records loopback traffic on port into file until stop is
// called; stop waits for the file to stop growing, stops tcpdump and
// fails the test if tcpdump reports kernel drops.
func Tcpdump(t *testing.T, file string, port int) (stop func()) {
	cmd := exec.Command("tcpdump", "-i", "lo", "-s", "0", "-B", "65536", "-U", "--immediate-mode", "-w", file, fmt.Sprintf("tcp port %d", port))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond) // tcpdump is listening once it said so; give it time
	return func() {
		// Wait until the file stops growing, then stop tcpdump.
		last := int64(-1)
		for range 50 {
			time.Sleep(200 * time.Millisecond)
			st, err := os.Stat(file)
			if err == nil && st.Size() == last {
				break
			}
			if err == nil {
				last = st.Size()
			}
		}
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		t.Logf("tcpdump %s: %s", filepath.Base(file), strings.TrimSpace(stderr.String()))
		if !strings.Contains(stderr.String(), "\n0 packets dropped by kernel") {
			t.Errorf("tcpdump reports drops: %s", stderr.String())
		}
	}
}

// Field is one field of tshark's PDML: its name, shown value and raw
// value (hex).
type Field struct{ Name, Show, Value string }

// Packet is one captured packet as tshark shows it: its frame number,
// TCP stream, addresses (ip:port), TCP payload, whether tshark decoded
// TLS in it, and the fields of each layer of the dissector asked for
// (one layer a protocol message), every nested field in document order.
type Packet struct {
	Frame, Stream int
	Src, Dst      string
	Payload       []byte
	TLS           bool
	Layers        [][]Field
}

// PDML runs tshark over pcap with decodeAs ("tcp.port==13306,mysql")
// and TCP reassembly, and returns each packet with the layers of the
// dissector named proto.
func PDML(t *testing.T, pcap, decodeAs, proto string) []Packet {
	out, err := exec.Command("tshark", "-r", pcap, "-d", decodeAs, "-o", "tcp.desegment_tcp_streams:TRUE", "-T", "pdml").Output()
	if err != nil {
		t.Fatal(err)
	}
	type field struct {
		Name   string  `xml:"name,attr"`
		Show   string  `xml:"show,attr"`
		Value  string  `xml:"value,attr"`
		Fields []field `xml:"field"`
	}
	type layer struct {
		Name   string  `xml:"name,attr"`
		Fields []field `xml:"field"`
	}
	type packet struct {
		Protos []layer `xml:"proto"`
	}
	var walk func(fs []field, f func(field))
	walk = func(fs []field, f func(field)) {
		for _, x := range fs {
			f(x)
			walk(x.Fields, f)
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	var pkts []Packet
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "packet" {
			continue
		}
		var p packet
		if err := dec.DecodeElement(&p, &se); err != nil {
			t.Fatal(err)
		}
		var pk Packet
		var srcIP, dstIP, srcPort, dstPort string
		for _, pr := range p.Protos {
			switch pr.Name {
			case proto:
				var fs []Field
				walk(pr.Fields, func(f field) { fs = append(fs, Field{f.Name, f.Show, f.Value}) })
				pk.Layers = append(pk.Layers, fs)
				continue
			case "tls":
				pk.TLS = true
			}
			walk(pr.Fields, func(f field) {
				switch f.Name {
				case "frame.number":
					pk.Frame, _ = strconv.Atoi(f.Show)
				case "ip.src":
					srcIP = f.Show
				case "ip.dst":
					dstIP = f.Show
				case "tcp.srcport":
					srcPort = f.Show
				case "tcp.dstport":
					dstPort = f.Show
				case "tcp.stream":
					pk.Stream, _ = strconv.Atoi(f.Show)
				case "tcp.payload":
					pk.Payload, _ = hex.DecodeString(f.Value)
				}
			})
		}
		pk.Src, pk.Dst = srcIP+":"+srcPort, dstIP+":"+dstPort
		pkts = append(pkts, pk)
	}
	return pkts
}

// Counts formats how often each key was seen as "k xN, ...", sorted.
func Counts(stats map[string]int) string {
	var s []string
	for k, v := range stats {
		s = append(s, fmt.Sprintf("%s x%d", k, v))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// WriteTruth writes base.truth.jsonl, one row a line, and
// base.xcheck.txt, and logs the cross-check.
func WriteTruth(t *testing.T, base string, rows []pcaptest.TruthRow, xcheck []byte) {
	var out bytes.Buffer
	for _, r := range rows {
		b, _ := json.Marshal(r)
		out.Write(b)
		out.WriteByte('\n')
	}
	if err := os.WriteFile(base+".truth.jsonl", out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".xcheck.txt", xcheck, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s:\n%s", filepath.Base(base), strings.TrimSpace(string(xcheck)))
}

// ItemsStatements are the statements both capture scripts run on their
// items table (id, name, price) after creating it: inserts, a select, an
// update, a duplicate key, a syntax error, a missing table, a rolled back
// delete.
const ItemsStatements = `INSERT INTO items VALUES (1, 'apple', 0.50);
INSERT INTO items VALUES (2, 'pear', 0.75), (3, 'plum', 1.20);
SELECT id, name, price FROM items ORDER BY id;
UPDATE items SET price = price * 2 WHERE id > 1;
INSERT INTO items VALUES (1, 'duplicate', 9.99);
SELEC broken syntax;
SELECT * FROM no_such_table;
BEGIN;
DELETE FROM items WHERE id = 3;
ROLLBACK;
`

// Record captures one corpus session with tcpdump on the server's port:
// it writes testdata/corpus/name.pcap while run drives the clients, then
// name.client.log (what run wrote to its log) and, once settle has let
// the server's log catch up, name.server.log (the server's log since the
// previous Record of s, or since it started).
func Record(t *testing.T, s *Server, name string, settle func(), run func(clientLog *bytes.Buffer)) {
	base := pcaptest.Corpus(name)
	stop := Tcpdump(t, base+".pcap", s.Port)
	var clientLog bytes.Buffer
	run(&clientLog)
	stop()
	if err := os.WriteFile(base+".client.log", clientLog.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	settle()
	log := s.Log()
	if err := os.WriteFile(base+".server.log", log[min(s.recorded, len(log)):], 0o644); err != nil {
		t.Fatal(err)
	}
	s.recorded = len(log)
}
