//go:build linux

package capture

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/reassembly"
)

var (
	benchRequests = flag.Int("capture.requests", 200000, "redis-benchmark requests per live benchmark run")
	benchClients  = flag.Int("capture.clients", 50, "redis-benchmark connections")
)

// threadCPU measures the CPU time of the calling (locked) worker thread
// from its first call to the end.
type threadCPU struct {
	start time.Duration
	began bool
	total *atomic.Int64
}

func cpuNow() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *threadCPU) mark() {
	if !c.began {
		c.began, c.start = true, cpuNow()
	}
}

func (c *threadCPU) done() { c.total.Add(int64(cpuNow() - c.start)) }

// countConsumer counts frames and measures its worker thread's CPU.
type countConsumer struct {
	cpu    threadCPU
	frames int
	sink   *atomic.Int64
}

func (c *countConsumer) Packet(p *Packet) { c.cpu.mark(); c.frames++ }
func (c *countConsumer) Idle(time.Time)   { c.cpu.mark() }
func (c *countConsumer) Close()           { c.cpu.done(); c.sink.Add(int64(c.frames)) }

// tcpdump runs libpcap's tcpdump -w /dev/null on the same traffic.
type tcpdump struct {
	cmd    *exec.Cmd
	stderr *strings.Builder
}

func startTcpdump(b *testing.B, filter string) *tcpdump {
	b.Helper()
	cmd := exec.Command("tcpdump", "-i", "lo", "-n", "-s", "262144", "-B", "16384", "-w", "/dev/null", filter)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	td := &tcpdump{cmd: cmd, stderr: &strings.Builder{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		once := false
		for sc.Scan() {
			td.stderr.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "listening on") {
				once = true
				close(ready)
			}
		}
		if !once {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		b.Fatal("tcpdump did not start")
	}
	return td
}

var tdCount = regexp.MustCompile(`(\d+) packets (captured|received by filter|dropped by kernel)`)

// stop ends tcpdump and returns frames captured, dropped and its CPU time.
func (td *tcpdump) stop(b *testing.B) (captured, dropped int, cpu time.Duration) {
	td.cmd.Process.Signal(syscall.SIGINT)
	td.cmd.Wait()
	time.Sleep(20 * time.Millisecond) // let the stderr reader finish
	for _, m := range tdCount.FindAllStringSubmatch(td.stderr.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		switch m[2] {
		case "captured":
			captured = n
		case "dropped by kernel":
			dropped = n
		}
	}
	return captured, dropped, td.cmd.ProcessState.UserTime() + td.cmd.ProcessState.SystemTime()
}

// sideBySide is a one-worker capture on lo counting frames (and the CPU
// time its worker spends) and a tcpdump -w /dev/null, with one filter.
type sideBySide struct {
	h           *Handle
	frames, cpu atomic.Int64
	done        chan error
	td          *tcpdump
}

func startSideBySide(b *testing.B, filter string) *sideBySide {
	b.Helper()
	h, err := Open(Options{Interface: "lo", Filter: filter, Workers: 1, BlockCount: 32})
	if err != nil {
		b.Fatal(err)
	}
	sb := &sideBySide{h: h, done: make(chan error, 1)}
	go func() {
		sb.done <- h.Run(context.Background(), func(int) Consumer {
			return &countConsumer{cpu: threadCPU{total: &sb.cpu}, sink: &sb.frames}
		})
	}()
	sb.td = startTcpdump(b, filter)
	return sb
}

// stop ends both captures, reports the metrics both benchmarks share
// (drops and CPU per frame of each) and returns the capture's Stats and
// the frames tcpdump captured.
func (sb *sideBySide) stop(b *testing.B) (Stats, int) {
	sb.h.Close()
	<-sb.done
	time.Sleep(200 * time.Millisecond) // as long as tcpdump likes to empty its buffer
	tdFrames, tdDrops, tdCPU := sb.td.stop(b)
	st := sb.h.Stats()
	b.ReportMetric(float64(st.KernelDrops), "drops")
	b.ReportMetric(float64(sb.cpu.Load())/float64(max(st.Packets, 1)), "cpu-ns/frame")
	b.ReportMetric(float64(tdDrops), "tcpdump-drops")
	b.ReportMetric(float64(tdCPU.Nanoseconds())/float64(max(tdFrames, 1)), "tcpdump-cpu-ns/frame")
	return st, tdFrames
}

func redisBenchmark(b *testing.B, port, pipeline int) time.Duration {
	start := time.Now()
	run(b, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-n", strconv.Itoa(*benchRequests),
		"-c", strconv.Itoa(*benchClients), "-P", strconv.Itoa(pipeline), "-t", "set,get", "-q")
	return time.Since(start)
}

// BenchmarkLiveCapture: the same redis-benchmark traffic on lo captured
// side by side by wirekit's ring (frames only, 1 worker) and by
// tcpdump -w /dev/null. Reports frames/s, kernel drops and CPU per frame
// for both. Both see each lo packet once: wirekit drops the outgoing copy
// in the kernel filter, libpcap in user space.
func BenchmarkLiveCapture(b *testing.B) {
	needRoot(b)
	needTool(b, "redis-server", "redis-benchmark", "tcpdump")
	for _, pl := range []int{1, 16} {
		b.Run(fmt.Sprintf("P%d", pl), func(b *testing.B) {
			port := freePort(b)
			startRedis(b, "127.0.0.1", port)
			filter := fmt.Sprintf("tcp port %d", port)
			for i := 0; i < b.N; i++ {
				sb := startSideBySide(b, filter)
				wall := redisBenchmark(b, port, pl)
				st, tdFrames := sb.stop(b)
				b.ReportMetric(float64(st.Packets)/wall.Seconds(), "frames/s")
				b.ReportMetric(float64(tdFrames)/wall.Seconds(), "tcpdump-frames/s")
			}
		})
	}
}

// BenchmarkLivePipeline: redis-benchmark through lo into the full
// pipeline (decode, reassemble, detect, parse, pair) with 1 and 2
// workers; exchanges/s over the benchmark's wall time, and exchanges
// missing against the server's INFO commandstats.
func BenchmarkLivePipeline(b *testing.B) {
	needRoot(b)
	needTool(b, "redis-server", "redis-cli", "redis-benchmark")
	for _, pl := range []int{1, 16} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("P%d/workers=%d", pl, workers), func(b *testing.B) {
				port := freePort(b)
				startRedis(b, "127.0.0.1", port)
				for i := 0; i < b.N; i++ {
					before := commandStats(b, "127.0.0.1", port)
					h, err := Open(Options{Interface: "lo", Filter: fmt.Sprintf("tcp port %d", port), Workers: workers, BlockCount: 32})
					if err != nil {
						b.Fatal(err)
					}
					var got, cpu atomic.Int64
					done := make(chan error, 1)
					go func() {
						opts := ExchangeOptions{}.withDefaults()
						done <- h.Run(context.Background(), func(w int) Consumer {
							n := new(int64)
							tc := &threadCPU{total: &cpu}
							pc := h.newPipeline(w, opts, func(s *reassembly.Stream, e *parser.Exchange) {
								if e.Kind == parser.Complete {
									*n++
								}
							})
							return &timedPipeline{pipeline: pc, cpu: tc, n: n, sink: &got}
						})
					}()
					wall := redisBenchmark(b, port, pl)
					h.Close()
					<-done
					want := delta(before, commandStats(b, "127.0.0.1", port))
					delete(want, "info")
					st := h.Stats()
					b.ReportMetric(float64(got.Load())/wall.Seconds(), "exchanges/s")
					b.ReportMetric(float64(st.Packets)/wall.Seconds(), "frames/s")
					b.ReportMetric(float64(sum(want))-float64(got.Load()), "lost")
					b.ReportMetric(float64(st.KernelDrops), "drops")
					b.ReportMetric(float64(cpu.Load())/float64(max(st.Packets, 1)), "cpu-ns/frame")
				}
			})
		}
	}
}

type timedPipeline struct {
	*pipeline
	cpu  *threadCPU
	n    *int64
	sink *atomic.Int64
}

func (t *timedPipeline) Packet(p *Packet) { t.cpu.mark(); t.pipeline.Packet(p) }
func (t *timedPipeline) Idle(now time.Time) {
	t.cpu.mark()
	t.pipeline.Idle(now)
}
func (t *timedPipeline) Close() { t.pipeline.Close(); t.cpu.done(); t.sink.Add(*t.n) }

// TestMain doubles as the UDP traffic generator of BenchmarkLiveCaptureUDP:
// run with WIREKIT_CAPTURE_BLAST=ADDR,COUNT,RATE it sends COUNT 64-byte
// datagrams to ADDR at RATE per second (0: as fast as it can) and exits.
func TestMain(m *testing.M) {
	if v := os.Getenv("WIREKIT_CAPTURE_BLAST"); v != "" {
		os.Exit(blast(v))
	}
	os.Exit(m.Run())
}

func blast(spec string) int {
	parts := strings.Split(spec, ",")
	if len(parts) != 3 {
		return 2
	}
	count, _ := strconv.Atoi(parts[1])
	rate, _ := strconv.Atoi(parts[2])
	const senders = 1 // one socket and goroutine each; the rate is split between them (2 was slower on 2 cores)
	errs := make(chan error, senders)
	for g := 0; g < senders; g++ {
		go func() {
			c, err := net.Dial("udp", parts[0])
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			payload := make([]byte, 64)
			start := time.Now()
			for i := 0; i < count/senders; i++ {
				if rate > 0 && i%100 == 0 {
					// pace in bursts of 100: wait until this burst is due
					if due := start.Add(time.Duration(i) * time.Second / time.Duration(rate/senders)); time.Until(due) > 0 {
						time.Sleep(time.Until(due))
					}
				}
				if _, err := c.Write(payload); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < senders; g++ {
		if err := <-errs; err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// BenchmarkLiveCaptureUDP: a child process sends a known number of 64-byte
// UDP datagrams through lo at a set rate (or flat out) to a socket that is
// never read; wirekit's ring (1 worker) and tcpdump -w /dev/null capture
// them side by side. Reports the frames each captured (of those sent), the
// kernel drops, and CPU per frame.
func BenchmarkLiveCaptureUDP(b *testing.B) {
	needRoot(b)
	needTool(b, "tcpdump")
	for _, rate := range []int{100000, 300000, 0} {
		name := fmt.Sprintf("rate=%dk", rate/1000)
		if rate == 0 {
			name = "rate=max"
		}
		b.Run(name, func(b *testing.B) {
			sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer sink.Close()
			port := sink.LocalAddr().(*net.UDPAddr).Port
			count := 1000000
			if rate > 0 {
				count = rate * 2 // two seconds
			}
			filter := fmt.Sprintf("udp port %d", port)
			for i := 0; i < b.N; i++ {
				sb := startSideBySide(b, filter)
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), fmt.Sprintf("WIREKIT_CAPTURE_BLAST=127.0.0.1:%d,%d,%d", port, count, rate))
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				start := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("generator: %v %s", err, out)
				}
				wall := time.Since(start)
				runtime.ReadMemStats(&m1) // the whole process: capture, plus running the generator
				st, tdFrames := sb.stop(b)
				b.ReportMetric(float64(count)/wall.Seconds(), "sent/s")
				b.ReportMetric(float64(st.Packets)/float64(count), "captured/sent")
				b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(max(st.Packets, 1)), "process-allocs/frame")
				b.ReportMetric(float64(tdFrames)/float64(count), "tcpdump-captured/sent")
			}
		})
	}
}
