package dump

import (
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// discardSink accepts everything and keeps nothing.
type discardSink struct{ n int }

func (s *discardSink) Name() string         { return "discard" }
func (s *discardSink) Write(it *Item) error { s.n += len(it.Data); return nil }
func (s *discardSink) Flush() error         { return nil }
func (s *discardSink) Close() error         { return nil }

func benchDumper(b *testing.B, s Strategy, sinks ...Sink) *Dumper {
	b.Helper()
	if len(sinks) == 0 {
		sinks = []Sink{&discardSink{}}
	}
	d, err := New(Config{Strategy: s, Sinks: sinks, Probe: &fakeProbe{}, MonitorPeriod: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

var sinkBool bool

// BenchmarkGateOff is the check a proxy makes on every read when dumping is
// switched off (or outside a window): one atomic load.
func BenchmarkGateOff(b *testing.B) {
	d := benchDumper(b, DefaultStrategy())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkBool = d.Sampling(uint64(i))
	}
}

// BenchmarkGateOffFlow is Conn.Flow itself with sampling off.
func BenchmarkGateOffFlow(b *testing.B) {
	d := benchDumper(b, DefaultStrategy())
	c := d.Open(ConnInfo{ID: 1})
	data := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		c.Flow(parser.Request, 0, data)
	}
}

// BenchmarkGateOn is the check with sampling on and per-connection
// sampling active.
func BenchmarkGateOn(b *testing.B) {
	d := benchDumper(b, always)
	if err := d.SetConnSampleRate(0.5); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkBool = d.Sampling(uint64(i))
	}
}

// BenchmarkSubmit1K: Conn.Append of 1 KiB with sampling on (copy into a
// pooled buffer, queue). The worker drains concurrently into a discarding
// sink; drops (queue full) are reported as a metric.
func BenchmarkSubmit1K(b *testing.B) {
	d := benchDumper(b, always)
	c := d.Open(ConnInfo{ID: 1, Client: netip.MustParseAddrPort("127.0.0.1:5000"), Server: netip.MustParseAddrPort("127.0.0.1:80")})
	data := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		c.Append(parser.Request, data)
	}
	b.StopTimer()
	st := d.Stats()
	b.ReportMetric(float64(st.DroppedQueueFull)/float64(b.N), "drops/op")
}

// BenchmarkSubmit1KCoarseClock: the same with a CoarseClock, which takes
// the (on this VM very slow) time.Now off the submission path.
func BenchmarkSubmit1KCoarseClock(b *testing.B) {
	var clk CoarseClock
	clk.Start()
	defer clk.Stop()
	d, err := New(Config{Strategy: always, Sinks: []Sink{&discardSink{}}, Probe: &fakeProbe{}, MonitorPeriod: time.Hour,
		Clock: &clk})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	c := d.Open(ConnInfo{ID: 1})
	data := make([]byte, 1024)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		c.Append(parser.Request, data)
	}
	b.StopTimer()
	b.ReportMetric(float64(d.Stats().DroppedQueueFull)/float64(b.N), "drops/op")
}

// BenchmarkTimeNow is the cost of time.Now on this host, for reading the
// submission figures.
func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		benchTime = time.Now()
	}
}

var benchTime time.Time

// BenchmarkSubmit1KParallel: the same from GOMAXPROCS goroutines, one
// connection each.
func BenchmarkSubmit1KParallel(b *testing.B) {
	d := benchDumper(b, always)
	data := make([]byte, 1024)
	var id atomic.Uint64
	b.SetBytes(1024)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := d.Open(ConnInfo{ID: id.Add(1)})
		for pb.Next() {
			c.Append(parser.Request, data)
		}
	})
	b.StopTimer()
	st := d.Stats()
	b.ReportMetric(float64(st.DroppedQueueFull)/float64(b.N), "drops/op")
}

// benchPipelineFile measures sustained throughput from submission to a file
// on disk: the submitter yields while more than 2 MiB are queued, so nothing
// is dropped, and the time includes draining at Close.
func benchPipelineFile(b *testing.B, mk func(FileOptions) (*FileSink, error)) {
	fs, err := mk(FileOptions{Dir: b.TempDir(), MaxFileBytes: 256 << 20, MaxTotalBytes: 4 << 30})
	if err != nil {
		b.Fatal(err)
	}
	d := benchDumper(b, always, fs)
	conns := make([]*Conn, 64)
	for i := range conns {
		conns[i] = d.Open(ConnInfo{ID: uint64(i), Client: netip.MustParseAddrPort("10.1.2.3:40000"), Server: netip.MustParseAddrPort("10.9.8.7:6379")})
	}
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(i)
	}
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for i%256 == 0 && d.queuedBytes() > 2<<20 {
			runtime.Gosched()
		}
		conns[i%len(conns)].Append(parser.Direction(i&1), data)
	}
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	st := d.Stats()
	if st.Written != st.Accepted || st.DroppedQueueFull != 0 {
		b.Fatalf("lost items: %+v", st)
	}
	b.ReportMetric(float64(fs.FileStats().Bytes)/float64(st.WrittenBytes), "file-bytes/payload-byte")
}

// BenchmarkWriterPcapngFile: sustained MB/s of 1 KiB reads to a pcapng file.
func BenchmarkWriterPcapngFile(b *testing.B) { benchPipelineFile(b, NewPcapngFileSink) }

// BenchmarkWriterJSONLFile: the same to a JSON Lines file.
func BenchmarkWriterJSONLFile(b *testing.B) { benchPipelineFile(b, NewJSONLFileSink) }

// BenchmarkEncodePcapng1K: the sink-side cost of one 1 KiB flow item.
func BenchmarkEncodePcapng1K(b *testing.B) {
	e := newPcapngEncoder()
	ci := &ConnInfo{ID: 1, Client: netip.MustParseAddrPort("10.1.2.3:40000"), Server: netip.MustParseAddrPort("10.9.8.7:6379")}
	it := Item{Kind: KindFlow, Conn: ci, Data: make([]byte, 1024), Time: time.Now()}
	buf := e.begin(nil)
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = e.encode(buf[:0], &it)
		it.Offset += 1024
	}
}

// BenchmarkEncodeJSONL1K: the same for JSON Lines.
func BenchmarkEncodeJSONL1K(b *testing.B) {
	e := jsonlEncoder{}
	ci := &ConnInfo{ID: 1, Client: netip.MustParseAddrPort("10.1.2.3:40000"), Server: netip.MustParseAddrPort("10.9.8.7:6379")}
	it := Item{Kind: KindFlow, Conn: ci, Data: make([]byte, 1024), Time: time.Now()}
	var buf []byte
	b.SetBytes(1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = e.encode(buf[:0], &it)
	}
}

// BenchmarkLoadMonitor: one SystemProbe sample of the running system (what
// the control goroutine does every MonitorPeriod).
func BenchmarkLoadMonitor(b *testing.B) {
	p := NewSystemProbe(SystemProbeOptions{})
	if _, err := p.Sample(); err != nil {
		b.Skip("no procfs:", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Sample(); err != nil {
			b.Fatal(err)
		}
	}
}
