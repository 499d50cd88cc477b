package kafkasink_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/parser"
)

// The benchmarks of this file compare, on the same records:
//
//   - the Sink (Sink.Write of a dump.Item: encode with AppendItem into a
//     pooled record, bounds and accounting, kgo TryProduce) with a bare
//     kgo producer loop (encode the same item with AppendItem into a new
//     buffer, a new kgo.Record with the same key (from a table) and the
//     same three headers (one slice shared by all records),
//     TryProduce with a counting promise), both lz4-compressed, into a
//     kfake broker (3 partitions), every record acknowledged;
//   - the traffic side of a Dumper (Conn.Flow, what the tcpcopy filter
//     calls on every read) with the Kafka sink attached and with a pcapng
//     file sink, and the process CPU per item until everything is written.
//
// Records: flow items of 8 connections (IPv4 addresses), 120 payload bytes
// of pipelined Redis SET commands, 180 bytes encoded. The broker runs in
// a child process (see newBroker), so the CPU time measured (getrusage of
// this process: user + system, garbage collection included) is the
// producer's alone; the broker's is reported beside it.

const (
	benchPayload = 120
	benchConns   = 8
	benchTopic   = "bench"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchItems returns n distinct flow items (RESP SET commands cut to
// benchPayload bytes) over benchConns connections, offsets advancing.
func benchItems(n int) []dump.Item {
	conns := make([]dump.ConnInfo, benchConns)
	for i := range conns {
		conns[i] = dump.ConnInfo{ID: uint64(1000 + i),
			Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), uint16(40000+i)),
			Server: netip.MustParseAddrPort("10.0.1.1:6379")}
	}
	var stream strings.Builder
	for i := 0; stream.Len() < n*benchPayload+benchPayload; i++ {
		v := fmt.Sprintf("value-%d-%x", i, i*2654435761)
		fmt.Fprintf(&stream, "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%06d\r\n$%d\r\n%s\r\n", len(fmt.Sprintf("key:%06d", i)), i, len(v), v)
	}
	s := stream.String()
	items := make([]dump.Item, n)
	offs := make([]uint64, benchConns)
	t0 := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	for i := range items {
		c := i % benchConns
		items[i] = dump.Item{Kind: dump.KindFlow, Window: 0x1122334455667788, Time: t0.Add(time.Duration(i) * time.Microsecond),
			Conn: &conns[c], Dir: parser.Request, Offset: offs[c], Data: []byte(s[i*benchPayload : (i+1)*benchPayload])}
		offs[c] += benchPayload
	}
	return items
}

// broker is the kfake cluster (3 partitions of benchTopic) a benchmark
// side produces into. By default it runs in a child process (this test
// binary re-run as TestBenchBroker), so the benchmark's own process CPU is
// the producer's alone and the broker's is read from the child
// (getrusage there, on request over its stdin); with
// KAFKASINK_BENCH_INPROC=1 it runs in this process, as kfake usually
// does in tests, and its CPU counts in the producer's.
type broker struct {
	addr string
	c    *kfake.Cluster // in process
	cmd  *exec.Cmd      // child process
	in   io.WriteCloser
	out  *bufio.Scanner
}

const brokerEnv = "KAFKASINK_BENCH_BROKER"

func newBroker(tb testing.TB) *broker {
	tb.Helper()
	if os.Getenv("KAFKASINK_BENCH_INPROC") == "1" {
		c, err := kfake.NewCluster(kfake.SeedTopics(3, benchTopic))
		if err != nil {
			tb.Fatal(err)
		}
		return &broker{addr: c.ListenAddrs()[0], c: c}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchBroker$")
	cmd.Env = append(os.Environ(), brokerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	b := &broker{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	b.addr = b.reply(tb, "addr")
	return b
}

// reply asks the child for a figure ("addr", "cpu") and returns its answer.
func (b *broker) reply(tb testing.TB, what string) string {
	tb.Helper()
	if _, err := fmt.Fprintln(b.in, what); err != nil {
		tb.Fatal(err)
	}
	for b.out.Scan() {
		if v, ok := strings.CutPrefix(b.out.Text(), what+" "); ok {
			return v
		}
	}
	tb.Fatalf("broker child: no %s (%v)", what, b.out.Err())
	return ""
}

// cpu is the broker's CPU time so far (0 in process).
func (b *broker) cpu(tb testing.TB) time.Duration {
	if b.c != nil {
		return 0
	}
	ns, err := strconv.ParseInt(b.reply(tb, "cpu"), 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ns)
}

func (b *broker) close() {
	if b.c != nil {
		b.c.Close()
		return
	}
	b.in.Close()
	_ = b.cmd.Wait()
}

// TestBenchBroker is the benchmarks' broker child; it is skipped unless
// run by newBroker.
func TestBenchBroker(t *testing.T) {
	if os.Getenv(brokerEnv) != "1" {
		t.Skip("the benchmarks' broker process")
	}
	c, err := kfake.NewCluster(kfake.SeedTopics(3, benchTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "addr":
			fmt.Printf("addr %s\n", c.ListenAddrs()[0])
		case "cpu":
			fmt.Printf("cpu %d\n", cpuTime())
		}
	}
}

// profile starts a CPU profile of a measured pass when
// KAFKASINK_BENCH_PROFILE names a file prefix (PREFIX-side-N.prof, N
// counting the passes) and returns what stops it.
func profile(tb testing.TB, side string) (stop func()) {
	prefix := os.Getenv("KAFKASINK_BENCH_PROFILE")
	if prefix == "" {
		return func() {}
	}
	profiles++
	f, err := os.Create(fmt.Sprintf("%s-%s-%d.prof", prefix, side, profiles))
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

var profiles int

// run is one measured side: it produces every item once and returns when
// all are acknowledged.
type run struct {
	wall, cpu time.Duration // cpu: this process (the producer, and the broker in process)
	brokerCPU time.Duration // the broker child's
	records   int
	bytes     int64
}

// sinkRun produces items through a Sink, after a warm-up pass of the
// same items (metadata, connections, and the Sink's pool of records grown
// to what is in flight, as in a long-running process) that is not
// measured; both sides do the same.
func sinkRun(tb testing.TB, br *broker, items []dump.Item) run {
	tb.Helper()
	s, err := kafkasink.New(kafkasink.Options{Brokers: []string{br.addr}, Topic: benchTopic, Agent: "bench",
		Compression: "lz4", MaxBufferedRecords: len(items) + 16, MaxBufferedBytes: 1 << 30})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	cl := s.Producer().Client()
	for i := range items { // warm-up: metadata, connections, the record pool
		_ = s.Write(&items[i])
	}
	if err := cl.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	for s.Stats().Pending > 0 {
		time.Sleep(100 * time.Microsecond)
	}
	bc0 := br.cpu(tb)
	stop := profile(tb, "sink")
	w0, c0 := time.Now(), cpuTime()
	for i := range items {
		_ = s.Write(&items[i])
	}
	if err := cl.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	r := run{wall: time.Since(w0), cpu: cpuTime() - c0, records: len(items)}
	stop()
	r.brokerCPU = br.cpu(tb) - bc0
	for s.Stats().Pending > 0 { // the last promises run after Flush returns
		time.Sleep(100 * time.Microsecond)
	}
	st := s.Stats()
	if st.Acked != uint64(2*len(items)) || st.Dropped() != 0 {
		tb.Fatalf("sink: %+v", st)
	}
	r.bytes = int64(st.AckedBytes) / 2
	return r
}

// kgoRun produces the same records with a bare kgo client, all sharing
// one header slice.
func kgoRun(tb testing.TB, br *broker, items []dump.Item) run { return kgoLoop(tb, br, items, false) }

// kgoHeadersRun is kgoRun building each record's header slice anew, as
// the bare loop of the first measurements did.
func kgoHeadersRun(tb testing.TB, br *broker, items []dump.Item) run {
	return kgoLoop(tb, br, items, true)
}

func kgoLoop(tb testing.TB, br *broker, items []dump.Item, headersPerRecord bool) run {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(br.addr), kgo.DefaultProduceTopic(benchTopic),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(len(items)+1024), kgo.MaxBufferedBytes(1<<30))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	keys := make([][]byte, benchConns)
	for i := range keys {
		keys[i] = binary.BigEndian.AppendUint64(nil, uint64(1000+i))
	}
	agent, format := []byte("bench"), []byte(kafkasink.FormatItem)
	window := []byte("1122334455667788")
	var acked, failed atomic.Int64
	var bytes atomic.Int64
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			failed.Add(1)
			return
		}
		acked.Add(1)
		bytes.Add(int64(len(r.Key) + len(r.Value)))
	}
	// One header slice for every record (all are of one window), as the
	// Sink shares its window's headers.
	headers := []kgo.RecordHeader{{Key: kafkasink.HeaderAgent, Value: agent}, {Key: kafkasink.HeaderFormat, Value: format}, {Key: kafkasink.HeaderWindow, Value: window}}
	produce := func(it *dump.Item) {
		r := &kgo.Record{Key: keys[it.Conn.ID-1000], Timestamp: it.Time, Headers: headers,
			Value: kafkasink.AppendItem(make([]byte, 0, 64+len(it.Data)), it)}
		if headersPerRecord {
			r.Headers = []kgo.RecordHeader{{Key: kafkasink.HeaderAgent, Value: agent}, {Key: kafkasink.HeaderFormat, Value: format}, {Key: kafkasink.HeaderWindow, Value: window}}
		}
		cl.TryProduce(context.Background(), r, promise)
	}
	for i := range items { // the same warm-up
		produce(&items[i])
	}
	if err := cl.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	for acked.Load()+failed.Load() < int64(len(items)) {
		time.Sleep(100 * time.Microsecond)
	}
	acked.Store(0)
	bytes.Store(0)
	bc0 := br.cpu(tb)
	stop := profile(tb, "kgo")
	w0, c0 := time.Now(), cpuTime()
	for i := range items {
		produce(&items[i])
	}
	if err := cl.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	r := run{wall: time.Since(w0), cpu: cpuTime() - c0, records: len(items)}
	stop()
	r.brokerCPU = br.cpu(tb) - bc0
	for acked.Load()+failed.Load() < int64(len(items)) {
		time.Sleep(100 * time.Microsecond)
	}
	if acked.Load() != int64(len(items)) {
		tb.Fatalf("kgo: %d acked, %d failed of %d", acked.Load(), failed.Load(), len(items))
	}
	r.bytes = bytes.Load()
	return r
}

// BenchmarkSink is the Sink alone: b.N records, all acknowledged.
func BenchmarkSink(b *testing.B) {
	br := newBroker(b)
	defer br.close()
	items := benchItems(b.N)
	b.SetBytes(int64(len(kafkasink.AppendItem(nil, &items[0]))))
	b.ResetTimer()
	r := sinkRun(b, br, items)
	b.StopTimer()
	b.ReportMetric(float64(r.cpu)/float64(r.records), "cpu-ns/op")
	b.ReportMetric(float64(r.brokerCPU)/float64(r.records), "broker-cpu-ns/op")
}

// BenchmarkKgo is the bare kgo loop on the same records.
func BenchmarkKgo(b *testing.B) {
	br := newBroker(b)
	defer br.close()
	items := benchItems(b.N)
	b.SetBytes(int64(len(kafkasink.AppendItem(nil, &items[0]))))
	b.ResetTimer()
	r := kgoRun(b, br, items)
	b.StopTimer()
	b.ReportMetric(float64(r.cpu)/float64(r.records), "cpu-ns/op")
	b.ReportMetric(float64(r.brokerCPU)/float64(r.records), "broker-cpu-ns/op")
}

// benchRecords is the records per side and round of the paired
// benchmarks (KAFKASINK_BENCH_RECORDS, default 100,000).
func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("KAFKASINK_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// paired runs b.N rounds of side a and side b, each on a fresh broker, a
// first on odd rounds and b first on even ones, and reports the medians of
// the per-round ratios a/b (wall, the producer's CPU, and the producer's
// and the broker's CPU together) and each side's rates per CPU second of
// the producer.
func paired(b *testing.B, names [2]string, sides [2]func(testing.TB, *broker, []dump.Item) run) {
	items := benchItems(benchRecords())
	var wallRatio, cpuRatio, allRatio []float64
	var sum [2]run
	for round := range b.N {
		var rs [2]run
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			br := newBroker(b)
			rs[i] = sides[i](b, br, items)
			br.close()
			sum[i].wall += rs[i].wall
			sum[i].cpu += rs[i].cpu
			sum[i].brokerCPU += rs[i].brokerCPU
			sum[i].records += rs[i].records
			sum[i].bytes += rs[i].bytes
		}
		wallRatio = append(wallRatio, float64(rs[0].wall)/float64(rs[1].wall))
		cpuRatio = append(cpuRatio, float64(rs[0].cpu)/float64(rs[1].cpu))
		allRatio = append(allRatio, float64(rs[0].cpu+rs[0].brokerCPU)/float64(rs[1].cpu+rs[1].brokerCPU))
		b.Logf("round %d: %s %.0f ms wall %.0f ms cpu (broker %.0f), %s %.0f ms wall %.0f ms cpu (broker %.0f): ratio wall %.3f cpu %.3f with broker %.3f",
			round+1, names[0], ms(rs[0].wall), ms(rs[0].cpu), ms(rs[0].brokerCPU), names[1], ms(rs[1].wall), ms(rs[1].cpu), ms(rs[1].brokerCPU),
			wallRatio[round], cpuRatio[round], allRatio[round])
	}
	for i, s := range sum {
		b.ReportMetric(float64(s.records)/s.cpu.Seconds(), names[i]+"-rec/cpu-s")
		b.ReportMetric(float64(s.bytes)/1e6/s.cpu.Seconds(), names[i]+"-MB/cpu-s")
		b.ReportMetric(float64(s.records)/s.wall.Seconds(), names[i]+"-rec/s")
		b.ReportMetric(float64(s.brokerCPU)/float64(s.records), names[i]+"-broker-cpu-ns/rec")
	}
	b.ReportMetric(median(wallRatio), "wall-ratio")
	b.ReportMetric(median(cpuRatio), "cpu-ratio")
	b.ReportMetric(median(allRatio), "cpu-with-broker-ratio")
	b.Logf("%d records of %d B per side and round; ratios %s/%s wall %v cpu %v with broker %v", len(items),
		len(kafkasink.AppendItem(nil, &items[0])), names[0], names[1], fmtRatios(wallRatio), fmtRatios(cpuRatio), fmtRatios(allRatio))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func fmtRatios(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.FormatFloat(x, 'f', 3, 64))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// BenchmarkSinkVsKgo: one op is one round of the Sink and the bare kgo
// loop producing the same benchRecords records, interleaved; run it with
// -benchtime=Nx for N rounds. wall-ratio and cpu-ratio are the medians of
// sink/kgo per round.
func BenchmarkSinkVsKgo(b *testing.B) {
	paired(b, [2]string{"sink", "kgo"}, [2]func(testing.TB, *broker, []dump.Item) run{sinkRun, kgoRun})
}

// BenchmarkSinkVsKgoHeadersPerRecord is BenchmarkSinkVsKgo against the
// bare loop that builds every record's header slice (kgoHeadersRun).
func BenchmarkSinkVsKgoHeadersPerRecord(b *testing.B) {
	paired(b, [2]string{"sink", "kgo"}, [2]func(testing.TB, *broker, []dump.Item) run{sinkRun, kgoHeadersRun})
}

// dumpResult is one side of a dump-path round.
type dumpResult struct {
	loop      time.Duration // the Flow loop's wall time
	cpu       time.Duration // process CPU from the first Flow to Close's return
	brokerCPU time.Duration // the broker child's over the same time (Kafka)
	p50, p99  time.Duration // single Flow calls
}

// dumpRun drives a Dumper with one sink from the traffic side: Conn.Flow
// of every item's payload on its connection, each call timed, then Close
// (everything written, or acknowledged for Kafka). The queue holds every
// item, so nothing is dropped and Flow's cost is measured, not a drop's.
func dumpRun(tb testing.TB, sink dump.Sink, br *broker, items []dump.Item) dumpResult {
	tb.Helper()
	d, err := dump.New(dump.Config{
		Strategy: dump.Strategy{Switch: dump.SwitchOn, Interval: 3600, Duration: 3600, CPUMaxRate: 100, MemMaxRate: 100},
		Sinks:    []dump.Sink{sink}, Probe: quietProbe{}, MonitorPeriod: time.Hour,
		QueueSize: len(items) + 64, MaxQueuedBytes: 1 << 30,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Start(); err != nil {
		tb.Fatal(err)
	}
	conns := make([]*dump.Conn, benchConns)
	for i := range conns {
		conns[i] = d.Open(*items[i].Conn)
	}
	lat := make([]time.Duration, len(items))
	var bc0 time.Duration
	if br != nil {
		bc0 = br.cpu(tb)
	}
	c0 := cpuTime()
	w0 := time.Now()
	for i := range items {
		it := &items[i]
		t := time.Now()
		conns[i%benchConns].Flow(it.Dir, it.Offset, it.Data)
		lat[i] = time.Since(t)
	}
	r := dumpResult{loop: time.Since(w0)}
	if err := d.Close(); err != nil {
		tb.Fatal(err)
	}
	r.cpu = cpuTime() - c0
	if br != nil {
		r.brokerCPU = br.cpu(tb) - bc0
	}
	st := d.Stats()
	if st.Accepted < uint64(len(items)) || st.Written != st.Accepted || st.DroppedQueueFull != 0 {
		tb.Fatalf("dumper: %+v", st)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	return r
}

// BenchmarkDumpFlowKafkaVsFile: one op is one round of a Dumper with the
// Kafka sink and one with a pcapng file sink, each fed benchRecords flow
// chunks through Conn.Flow (the traffic side) and closed; interleaved.
// flow-p50/p99 are single Flow calls (time.Now around each, the same on
// both sides), flow-mean the loop's wall time per item (with the writer
// running on the other core, or on the same one), cpu-ns/item the process
// CPU per item until all were written (Kafka: acknowledged by the
// broker, whose own CPU is kafka-broker-cpu-ns/item).
func BenchmarkDumpFlowKafkaVsFile(b *testing.B) {
	items := benchItems(benchRecords())
	var p50Ratio, cpuRatio []float64
	var sum [2]dumpResult
	var p50s, p99s [2][]float64
	names := [2]string{"kafka", "file"}
	n := float64(len(items))
	for round := range b.N {
		var rs [2]dumpResult
		order := []int{0, 1}
		if round%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			if i == 0 {
				br := newBroker(b)
				s, err := kafkasink.New(kafkasink.Options{Brokers: []string{br.addr}, Topic: benchTopic, Agent: "bench",
					Compression: "lz4", MaxBufferedRecords: len(items) + 64, MaxBufferedBytes: 1 << 30, CloseTimeout: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				rs[i] = dumpRun(b, s, br, items)
				if st := s.Stats(); st.Acked < uint64(len(items)) || st.Dropped() != 0 {
					b.Fatalf("kafka sink: %+v", st)
				}
				br.close()
			} else {
				fs, err := dump.NewPcapngFileSink(dump.FileOptions{Dir: b.TempDir(), MaxFileBytes: 1 << 30, MaxTotalBytes: 8 << 30})
				if err != nil {
					b.Fatal(err)
				}
				rs[i] = dumpRun(b, fs, nil, items)
			}
			sum[i].loop += rs[i].loop
			sum[i].cpu += rs[i].cpu
			sum[i].brokerCPU += rs[i].brokerCPU
			p50s[i] = append(p50s[i], float64(rs[i].p50))
			p99s[i] = append(p99s[i], float64(rs[i].p99))
		}
		p50Ratio = append(p50Ratio, float64(rs[0].p50)/float64(rs[1].p50))
		cpuRatio = append(cpuRatio, float64(rs[0].cpu)/float64(rs[1].cpu))
		b.Logf("round %d: kafka flow p50 %v p99 %v mean %.0f ns, cpu %.0f ns/item; file flow p50 %v p99 %v mean %.0f ns, cpu %.0f ns/item", round+1,
			rs[0].p50, rs[0].p99, float64(rs[0].loop)/n, float64(rs[0].cpu)/n, rs[1].p50, rs[1].p99, float64(rs[1].loop)/n, float64(rs[1].cpu)/n)
	}
	// What timing one call costs by itself: the clock reads around an
	// empty statement.
	clock := make([]float64, 0, 100_000)
	for range 100_000 {
		t := time.Now()
		clock = append(clock, float64(time.Since(t)))
	}
	b.ReportMetric(median(clock), "clock-p50-ns")
	for i := range names {
		b.ReportMetric(median(p50s[i]), names[i]+"-flow-p50-ns")
		b.ReportMetric(median(p99s[i]), names[i]+"-flow-p99-ns")
		b.ReportMetric(float64(sum[i].loop)/n/float64(b.N), names[i]+"-flow-mean-ns")
		b.ReportMetric(float64(sum[i].cpu)/n/float64(b.N), names[i]+"-cpu-ns/item")
	}
	b.ReportMetric(float64(sum[0].brokerCPU)/n/float64(b.N), "kafka-broker-cpu-ns/item")
	b.ReportMetric(median(p50Ratio), "flow-p50-ratio")
	b.ReportMetric(median(cpuRatio), "cpu-ratio")
	b.Logf("%d items per side and round; kafka/file ratios flow p50 %v cpu %v", len(items), fmtRatios(p50Ratio), fmtRatios(cpuRatio))
}
