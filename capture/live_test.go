//go:build linux

package capture

import (
	"context"
	"maps"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
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
	st := runPipeline(t, Options{Interface: "lo", BPF: tcpPortBPF(port, DefaultSnaplen), Workers: 1, BlockSize: 1 << 20, BlockCount: 8}, c, func() {
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
