package bench

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/parser"
)

// The same 1 KiB reads recorded two ways:
//   - wirekit: dump.Dumper (submit, async worker) into a pcapng file;
//   - layotto: what Layotto's tcpcopy persistence does per read, a log line
//     "[window][port]% x" (space-separated hex, 3 bytes per payload byte)
//     with mosn's timestamp prefix, through a buffered file writer.
// file-bytes/payload-byte is the size on disk per recorded byte; ns/op over
// 1 KiB is the CPU per MB (times 1024).

func dumpPayload() []byte {
	p := make([]byte, 1024)
	for i := range p {
		p[i] = byte(i*31 + 7)
	}
	return p
}

func BenchmarkDumpWrite1K_wirekit(b *testing.B) {
	dir := b.TempDir()
	fs, err := dump.NewPcapngFileSink(dump.FileOptions{Dir: dir, MaxFileBytes: 1 << 30, MaxTotalBytes: 8 << 30})
	if err != nil {
		b.Fatal(err)
	}
	s, _ := dump.ParseStrategy([]byte(`{"switch":"ON","interval":3600,"duration":3600,"cpu_max_rate":100,"mem_max_rate":100}`))
	d, err := dump.New(dump.Config{Strategy: s, Sinks: []dump.Sink{fs}, MonitorPeriod: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	c := d.Open(dump.ConnInfo{ID: 1, Client: netip.MustParseAddrPort("127.0.0.1:40000"), Server: netip.MustParseAddrPort("127.0.0.1:6379")})
	p := dumpPayload()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for i%128 == 0 && d.Stats().Queued > 2<<20 { // stay lossless: measure writing, not dropping
			runtime.Gosched()
		}
		c.Append(parser.Direction(i&1), p)
	}
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	st := d.Stats()
	if st.Written != st.Accepted || st.DroppedQueueFull != 0 {
		b.Fatalf("lost: %+v", st)
	}
	b.ReportMetric(float64(fs.FileStats().Bytes)/float64(st.WrittenBytes), "file-bytes/payload-byte")
}

func BenchmarkDumpWrite1K_layotto(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "dump_tcp_copy.log"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	p := dumpPayload()
	window := "6f1e2d3c4b5a6978"
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts := time.Now().Format("2006-01-02 15:04:05,000")
		fmt.Fprintf(w, "%s [INFO] [%s][%s]% x\n", ts, window, "6379", p)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ReportMetric(float64(fi.Size())/float64(b.N*len(p)), "file-bytes/payload-byte")
}
