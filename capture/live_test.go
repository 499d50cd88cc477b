//go:build linux

package capture

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/reassembly"
	"github.com/wirekit/wirekit/redis"
)

// runPipeline opens lo with opts, runs Exchanges into c while traffic()
// runs, then closes and returns the stats.
func runPipeline(t *testing.T, opts Options, c *redisCounter, traffic func()) Stats {
	t.Helper()
	h, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Exchanges(context.Background(), ExchangeOptions{}, c.forWorker) }()
	traffic()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return h.Stats()
}

// TestRedisLive: redis-benchmark and redis-cli against a real redis-server
// on lo; the exchanges the live pipeline reports per command equal the
// server's own INFO commandstats deltas, with no kernel drop.
func TestRedisLive(t *testing.T) {
	needRoot(t)
	needTool(t, "redis-server", "redis-cli", "redis-benchmark")
	port := freePort(t)
	startRedis(t, "127.0.0.1", port)
	before := commandStats(t, "127.0.0.1", port)
	c := newRedisCounter()
	p := strconv.Itoa(port)
	st := runPipeline(t, Options{Interface: "lo", BPF: tcpPortBPF(port, DefaultSnaplen), Workers: 1, BlockSize: testBlock, BlockCount: testBlocks, FrameTimeout: testTimeout}, c, func() {
		run(t, "redis-benchmark", "-h", "127.0.0.1", "-p", p, "-n", "3000", "-c", "4", "-P", "4", "-t", "set,get,incr,lpush,lrange_100", "-q")
		run(t, "redis-cli", "-h", "127.0.0.1", "-p", p, "set", "k", "v")
		run(t, "redis-cli", "-h", "127.0.0.1", "-p", p, "hset", "h", "f", "1")
		run(t, "redis-cli", "-h", "127.0.0.1", "-p", p, "client", "setname", "x")
	})
	after := commandStats(t, "127.0.0.1", port)
	want := delta(before, after)
	delete(want, "info") // the INFO that read "before" ran before the capture
	got := c.calls
	if !maps.Equal(got, want) {
		t.Errorf("exchanges per command\n got  %v\n want %v (INFO commandstats delta)", fmtMap(got), fmtMap(want))
	}
	if c.other != 0 {
		t.Errorf("%d exchanges were not complete", c.other)
	}
	if st.KernelDrops != 0 || st.Assembler.BytesLost != 0 || st.BadBlocks != 0 {
		t.Errorf("loss: %+v", st)
	}
	// A second copy of each lo packet (the outgoing one) would reach the
	// assembler as a retransmission.
	if st.Assembler.Retransmitted != 0 || st.Outgoing != 0 {
		t.Errorf("%d retransmitted segments, %d outgoing copies: lo packets seen twice", st.Assembler.Retransmitted, st.Outgoing)
	}
	if st.Packets == 0 || st.KernelPackets != st.Packets+st.Outgoing {
		t.Errorf("kernel accepted %d frames, %d delivered, %d outgoing dropped", st.KernelPackets, st.Packets, st.Outgoing)
	}
	t.Logf("%d exchanges, stats %+v", sum(got), st)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestCloseLeavesNothing: Open, Run with 2 workers, Close (and context
// cancel) leave no goroutine and no file descriptor behind, and Close
// twice, Run after Close and Close without Run behave.
func TestCloseLeavesNothing(t *testing.T) {
	needRoot(t)
	fds, gor := openFDs(t), runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		h, err := Open(Options{Interface: "lo", Workers: 2, BlockSize: 1 << 16, BlockCount: 4})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.Exchanges(ctx, ExchangeOptions{}, newRedisCounter().forWorker) }()
		time.Sleep(30 * time.Millisecond)
		if i == 1 {
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		if i != 1 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if err := h.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := h.Run(context.Background(), func(int) Consumer { return PacketFunc(func(*Packet) {}) }); err != ErrClosed {
			t.Fatalf("Run after Close: %v, want ErrClosed", err)
		}
	}
	h, err := Open(Options{Interface: "lo", Workers: 3, BlockSize: 1 << 16, BlockCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > gor && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > gor {
		t.Errorf("%d goroutines after Close, %d before", g, gor)
	}
	if n := openFDs(t); n != fds {
		t.Errorf("%d open fds after Close, %d before", n, fds)
	}
}

// TestHTTPLive: curl against a Go net/http server on lo, captured with a
// compiled filter; every request the server handled is one complete
// exchange with its method, path and status, and nothing on another port
// passes the kernel filter.
func TestHTTPLive(t *testing.T) {
	needRoot(t)
	needTool(t, "curl")
	var mu sync.Mutex
	served := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served[r.Method+" "+r.URL.RequestURI()]++
		mu.Unlock()
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.Write(bytes.Repeat([]byte("x"), 3000))
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	h, err := Open(Options{Interface: "lo", Filter: fmt.Sprintf("tcp port %d", port), Workers: 2, BlockSize: testBlock, BlockCount: testBlocks, FrameTimeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	var cmu sync.Mutex
	got := map[string]int{}
	status := map[int64]int{}
	done := make(chan error, 1)
	go func() {
		done <- h.Exchanges(context.Background(), ExchangeOptions{}, func(int) ExchangeFunc {
			return func(s *reassembly.Stream, e *parser.Exchange) {
				cmu.Lock()
				defer cmu.Unlock()
				if e.Protocol != "http" || e.Kind != parser.Complete || s.Server().Port() != uint16(port) {
					got["unexpected "+e.Protocol+" "+e.Kind.String()]++
					return
				}
				m, _ := e.Request.String(httpx.AttrMethod)
				p, _ := e.Request.String(httpx.AttrPath)
				code, _ := e.Response.Int(httpx.AttrStatusCode)
				got[m+" "+p]++
				status[code]++
			}
		})
	}()
	var urls []string
	for i := 0; i < 40; i++ {
		urls = append(urls, fmt.Sprintf("%s/item/%d?q=%d", srv.URL, i%7, i))
	}
	run(t, append([]string{"curl", "-sS", "-o", "/dev/null", "-o", "/dev/null"}, urls...)...)
	run(t, "curl", "-sS", "-o", "/dev/null", srv.URL+"/missing")
	run(t, "curl", "-sS", "-o", "/dev/null", "-d", "a=1&b=2", srv.URL+"/form")
	run(t, "curl", "-sS", "-o", "/dev/null", other.URL+"/elsewhere")
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := h.Stats()
	if !maps.Equal(got, served) {
		t.Errorf("exchanges\n got  %v\n want %v (served)", got, served)
	}
	if status[404] != 1 || status[200] != len(urls)+1 {
		t.Errorf("status codes %v", status)
	}
	if st.KernelDrops != 0 || st.Assembler.BytesLost != 0 || st.NotTCP != 0 {
		t.Errorf("loss or unfiltered frames: %+v", st)
	}
	t.Logf("%d exchanges, %d frames, %d kernel", len(urls)+2, st.Packets, st.KernelPackets)
}

// TestFanoutUnion: the same redis traffic captured at once by a 1-worker
// and a 3-worker handle gives the same exchanges per connection and
// command, and each connection's exchanges all come from one worker.
func TestFanoutUnion(t *testing.T) {
	needRoot(t)
	needTool(t, "redis-server", "redis-cli", "redis-benchmark")
	port := freePort(t)
	startRedis(t, "127.0.0.1", port)
	filter := fmt.Sprintf("tcp port %d", port)
	one, many := newRedisCounter(), newRedisCounter()
	var hs []*Handle
	var errs []chan error
	for _, c := range []struct {
		n   int
		cnt *redisCounter
	}{{1, one}, {3, many}} {
		h, err := Open(Options{Interface: "lo", Filter: filter, Workers: c.n, BlockSize: testBlock, BlockCount: testBlocks, FrameTimeout: testTimeout})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- h.Exchanges(context.Background(), ExchangeOptions{}, c.cnt.forWorker) }()
		hs, errs = append(hs, h), append(errs, done)
	}
	run(t, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-n", "4000", "-c", "12", "-P", "8", "-t", "set,get,incr", "-q")
	for i, h := range hs {
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-errs[i]; err != nil {
			t.Fatal(err)
		}
		if st := h.Stats(); st.KernelDrops != 0 || st.Assembler.BytesLost != 0 {
			t.Errorf("handle %d: loss %+v", i, st)
		}
	}
	if !maps.Equal(one.calls, many.calls) {
		t.Errorf("per command: 1 worker %v, 3 workers %v", one.calls, many.calls)
	}
	workersUsed := map[int]bool{}
	for conn, ws := range many.byWorker {
		if len(ws) != 1 {
			t.Errorf("connection %s split over workers %v", conn, ws)
		}
		for w, n := range ws {
			workersUsed[w] = true
			if n != one.byWorker[conn][0] {
				t.Errorf("connection %s: %d exchanges on 3 workers, %d on 1", conn, n, one.byWorker[conn][0])
			}
		}
	}
	if len(many.byWorker) != len(one.byWorker) || len(one.byWorker) < 12 {
		t.Errorf("%d connections on 3 workers, %d on 1", len(many.byWorker), len(one.byWorker))
	}
	if len(workersUsed) < 2 {
		t.Errorf("12 connections all hashed to workers %v", workersUsed)
	}
	t.Logf("%d exchanges over %d connections; workers used %v", sum(one.calls), len(one.byWorker), workersUsed)
}

// TestTinyRingDrops: a 2-block ring of 4 KiB read by a slow consumer
// overflows; the kernel's drops are counted, and every frame the kernel
// accepted is either delivered or counted as dropped.
func TestTinyRingDrops(t *testing.T) {
	needRoot(t)
	needTool(t, "redis-server", "redis-benchmark")
	port := freePort(t)
	startRedis(t, "127.0.0.1", port)
	h, err := Open(Options{Interface: "lo", Filter: fmt.Sprintf("tcp port %d", port), Workers: 1, BlockSize: 4096, BlockCount: 2, FrameTimeout: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- h.Run(context.Background(), func(int) Consumer {
			return PacketFunc(func(*Packet) { time.Sleep(200 * time.Microsecond) })
		})
	}()
	run(t, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-n", "3000", "-c", "4", "-t", "set", "-d", "400", "-q")
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := h.Stats()
	if st.KernelDrops == 0 {
		t.Errorf("no drops counted from an overflowing ring: %+v", st)
	}
	if st.KernelPackets != st.Packets+st.Outgoing+st.KernelDrops {
		t.Errorf("kernel accepted %d frames; delivered %d + outgoing %d + dropped %d", st.KernelPackets, st.Packets, st.Outgoing, st.KernelDrops)
	}
	t.Logf("kernel %d, delivered %d, dropped %d, freezes %d", st.KernelPackets, st.Packets, st.KernelDrops, st.KernelFreezes)
}

// TestOpenErrors: bad options, an unknown interface and a filter the
// compiler rejects fail Open instead of capturing everything.
func TestOpenErrors(t *testing.T) {
	needRoot(t)
	for _, o := range []Options{
		{},
		{Interface: "lo", BlockSize: 1000},
		{Interface: "lo", Workers: -1},
		{Interface: "no-such-if0"},
		{Interface: "lo", Filter: "tcp port"},
		{Interface: "lo", Filter: "frobnicate 7"},
	} {
		if h, err := Open(o); err == nil {
			h.Close()
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}

// TestCloseReportsPending: a request still waiting for its response when
// the capture is closed (redis-cli blocked in BLPOP) is reported as
// Unanswered by Close's flush, with its command and endpoints.
func TestCloseReportsPending(t *testing.T) {
	needRoot(t)
	needTool(t, "redis-server", "redis-cli")
	port := freePort(t)
	startRedis(t, "127.0.0.1", port)
	h, err := Open(Options{Interface: "lo", Filter: fmt.Sprintf("tcp port %d", port), Workers: 1, BlockSize: 1 << 16, BlockCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	done := make(chan error, 1)
	go func() {
		done <- h.Exchanges(context.Background(), ExchangeOptions{}, func(int) ExchangeFunc {
			return func(s *reassembly.Stream, e *parser.Exchange) {
				cmd, _ := e.Request.String(redis.AttrCommand)
				mu.Lock()
				got = append(got, fmt.Sprintf("%s %s %d", e.Kind, cmd, s.Server().Port()))
				mu.Unlock()
			}
		})
	}()
	cli := exec.Command("redis-cli", "-p", strconv.Itoa(port), "blpop", "never", "0")
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cli.Process.Kill(); cli.Wait() }()
	time.Sleep(300 * time.Millisecond) // the request is on the wire and captured
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s BLPOP %d", parser.Unanswered, port)
	if !slices.Contains(got, want) {
		t.Errorf("exchanges at Close: %q, want %q among them", got, want)
	}
}
