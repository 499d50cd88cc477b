//go:build linux

package capture

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// netnsPair creates two network namespaces joined by a veth pair, with
// addresses 10.231.X.1/30 (in a) and .2 (in b) that exist only inside
// them, and deletes both when the test ends.
func netnsPair(t *testing.T) (a, b, devA, ipA, ipB string) {
	t.Helper()
	needTool(t, "ip")
	id := os.Getpid() % 100000
	a, b = fmt.Sprintf("wkcap%da", id), fmt.Sprintf("wkcap%db", id)
	devA, devB := fmt.Sprintf("wkc%da", id), fmt.Sprintf("wkc%db", id)
	third := 1 + id%250
	ipA, ipB = fmt.Sprintf("10.231.%d.1", third), fmt.Sprintf("10.231.%d.2", third)
	if out, err := exec.Command("ip", "netns", "add", a).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ip netns add: %v\n%s", err, out)
		}
		t.Skipf("network namespaces not permitted here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", a).Run() })
	run(t, "ip", "netns", "add", b)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", b).Run() })
	run(t, "ip", "link", "add", devA, "netns", a, "type", "veth", "peer", "name", devB, "netns", b)
	run(t, "ip", "-n", a, "addr", "add", ipA+"/30", "dev", devA)
	run(t, "ip", "-n", b, "addr", "add", ipB+"/30", "dev", devB)
	for _, c := range [][]string{{a, devA}, {b, devB}, {a, "lo"}, {b, "lo"}} {
		run(t, "ip", "-n", c[0], "link", "set", c[1], "up")
	}
	return a, b, devA, ipA, ipB
}

// openIn opens a Handle from inside network namespace ns: the sockets stay
// in the namespace they were created in, so only Open runs there.
func openIn(t *testing.T, ns string, opts Options) *Handle {
	t.Helper()
	type result struct {
		h   *Handle
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread() // not unlocked if the thread cannot go back: it then exits with the goroutine
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			ch <- result{err: err}
			return
		}
		h, err := Open(opts)
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{h, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.h
}

// TestNetnsVeth: redis-benchmark in one namespace against redis-server in
// another, over a veth pair; captured on the veth device (Ethernet
// framing, promiscuous, 2 workers) and on "any" (cooked framing) in the
// client's namespace, both report the server's INFO commandstats deltas.
func TestNetnsVeth(t *testing.T) {
	needRoot(t)
	needTool(t, "redis-server", "redis-cli", "redis-benchmark")
	nsA, nsB, devA, _, ipB := netnsPair(t)
	inB := []string{"ip", "netns", "exec", nsB}
	const port = 6379 // the namespaces are ours alone
	startRedis(t, ipB, port, inB...)
	before := commandStats(t, ipB, port, inB...)

	filter := fmt.Sprintf("tcp port %d", port)
	veth, anyc := newRedisCounter(), newRedisCounter()
	hv := openIn(t, nsA, Options{Interface: devA, Filter: filter, Promiscuous: true, Workers: 2, BlockSize: testBlock, BlockCount: testBlocks, FrameTimeout: testTimeout})
	ha := openIn(t, nsA, Options{Interface: "any", Filter: filter, Workers: 1, BlockSize: testBlock, BlockCount: testBlocks, FrameTimeout: testTimeout})
	if hv.LinkType() != 1 || ha.LinkType() != 113 {
		t.Errorf("link types %d (veth) and %d (any), want Ethernet (1) and Linux cooked (113)", hv.LinkType(), ha.LinkType())
	}
	dv, da := make(chan error, 1), make(chan error, 1)
	go func() { dv <- hv.Exchanges(context.Background(), ExchangeOptions{}, veth.forWorker) }()
	go func() { da <- ha.Exchanges(context.Background(), ExchangeOptions{}, anyc.forWorker) }()
	run(t, "ip", "netns", "exec", nsA, "redis-benchmark", "-h", ipB, "-p", strconv.Itoa(port),
		"-n", "2000", "-c", "4", "-P", "4", "-t", "set,get,lpush", "-q")
	run(t, "ip", "netns", "exec", nsA, "redis-cli", "-h", ipB, "-p", strconv.Itoa(port), "mset", "a", "1", "b", "2")
	for _, c := range []struct {
		h    *Handle
		done chan error
	}{{hv, dv}, {ha, da}} {
		if err := c.h.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-c.done; err != nil {
			t.Fatal(err)
		}
	}
	want := delta(before, commandStats(t, ipB, port, inB...))
	delete(want, "info")
	for name, c := range map[string]*redisCounter{devA: veth, "any": anyc} {
		if !maps.Equal(c.calls, want) {
			t.Errorf("%s: exchanges per command\n got  %v\n want %v", name, c.calls, want)
		}
	}
	for name, h := range map[string]*Handle{devA: hv, "any": ha} {
		st := h.Stats()
		if st.KernelDrops != 0 || st.Assembler.BytesLost != 0 || st.DecodeErrors != 0 || st.Outgoing != 0 {
			t.Errorf("%s: %+v", name, st)
		}
		t.Logf("%s: %d frames, %d exchanges", name, st.Packets, sum(want))
	}
}
