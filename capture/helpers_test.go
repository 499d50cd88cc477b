//go:build linux

package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/reassembly"
	"github.com/wirekit/wirekit/redis"
)

// needRoot skips a test that opens AF_PACKET sockets when not root, except
// in CI (CI=true), where it must run.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("live capture tests must run as root in CI")
	}
	t.Skip("live capture needs root (CAP_NET_RAW); CI runs this as root")
}

// needTool fails in CI and skips elsewhere when a program is missing.
func needTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (.ci/run installs it)", n)
			}
			t.Skipf("%s is not installed", n)
		}
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis runs a redis-server on 127.0.0.1:port until the test ends.
// prefix runs it through another command (e.g. ip netns exec NS).
func startRedis(t testing.TB, bind string, port int, prefix ...string) {
	t.Helper()
	args := append(prefix, "redis-server", "--port", strconv.Itoa(port), "--bind", bind,
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	cli := append(append([]string{}, prefix...), "redis-cli", "-h", bind, "-p", strconv.Itoa(port), "ping")
	for i := 0; i < 100; i++ {
		if out, err := exec.Command(cli[0], cli[1:]...).Output(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
}

// commandStats reads INFO commandstats, as calls per command (subcommands
// of container commands added to their command: config|get -> config).
func commandStats(t testing.TB, bind string, port int, prefix ...string) map[string]int {
	t.Helper()
	args := append(append([]string{}, prefix...), "redis-cli", "-h", bind, "-p", strconv.Itoa(port), "info", "commandstats")
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		name, _, _ = strings.Cut(name, "|")
		calls, _, _ := strings.Cut(rest, ",")
		n, err := strconv.Atoi(calls)
		if err != nil {
			t.Fatalf("commandstats line %q", line)
		}
		m[name] += n
	}
	return m
}

func delta(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range after {
		if v-before[k] != 0 {
			d[k] = v - before[k]
		}
	}
	return d
}

// run executes a command and fails the test with its output on error.
func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tcpPortBPF is a hand-written "ip and tcp port P" program for Ethernet
// frames, independent of the filter compiler.
func tcpPortBPF(port int, snaplen uint32) []bpf.Instruction {
	p := uint32(port)
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: 8},
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 6, SkipTrue: 6},
		bpf.LoadMemShift{Off: 14},
		bpf.LoadIndirect{Off: 14, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 2},
		bpf.LoadIndirect{Off: 16, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: p, SkipTrue: 1},
		bpf.RetConstant{Val: snaplen},
		bpf.RetConstant{Val: 0},
	}
}

// redisCounter counts complete redis exchanges per lower-cased command and
// remembers which worker saw each connection.
type redisCounter struct {
	mu       sync.Mutex
	calls    map[string]int
	byWorker map[string]map[int]int // client endpoint -> worker -> exchanges
	other    int                    // exchanges not Complete
}

func newRedisCounter() *redisCounter {
	return &redisCounter{calls: map[string]int{}, byWorker: map[string]map[int]int{}}
}

func (c *redisCounter) forWorker(w int) ExchangeFunc {
	return func(s *reassembly.Stream, e *parser.Exchange) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if e.Protocol != "redis" {
			return
		}
		if e.Kind != parser.Complete {
			c.other++
			return
		}
		cmd, _ := e.Request.String(redis.AttrCommand)
		c.calls[strings.ToLower(cmd)]++
		k := s.Client().String()
		if c.byWorker[k] == nil {
			c.byWorker[k] = map[int]int{}
		}
		c.byWorker[k][w]++
	}
}

func fmtMap(m map[string]int) string { return fmt.Sprint(m) }

// Ring sizes for the live tests that must see every frame: 16 MiB per
// worker, more than any of them sends in total, and blocks retired every
// 50ms, so even a consumer slowed down by the race detector on a loaded
// host cannot make the ring overflow (TestTinyRingDrops is the test that
// does that on purpose).
const (
	testBlock   = 1 << 18
	testBlocks  = 64
	testTimeout = 50 * time.Millisecond
)
