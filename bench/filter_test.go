package bench

// Proxy benchmarks for package filter: throughput and round-trip latency of
// an L4 proxy over loopback, with
//
//	_direct           no proxy: the client talks to the server
//	_iocopy           a plain proxy: io.Copy both ways (splice(2) on Linux)
//	_iocopyUserspace  a plain proxy copying through a 32 KiB user-space buffer
//	_wirekit          the filter chain's copy loop (Conn.ReadFrom), empty chain
//	_wirekitSniff     the same with the sniff filter (Redis parsed both ways)
//	_wirekitTcpcopy   the same with tcpcopy sampling on (every connection,
//	                  written to a pcapng file)
//
// The wirekit proxy loop is the one of examples/tcpproxy (session.pump):
// ReadFrom per direction, an atomic activity stamp per read, a write
// deadline per write, CloseWrite at EOF.
//
// The workload is Redis-shaped so sniff has real work: the client sends
// SET requests with a 16 KiB value (throughput, pipelined) or PING
// (latency, one at a time); the server answers +OK / +PONG per request.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/filter/sniff"
	"github.com/wirekit/wirekit/filter/tcpcopy"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redis"
)

// fixedServer answers every request of exactly reqLen bytes with reply.
func fixedServer(tb testing.TB, reqLen int, reply []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 64<<10)
				pending := 0
				out := make([]byte, 0, 64<<10)
				for {
					n, err := c.Read(buf)
					pending += n
					out = out[:0]
					for pending >= reqLen {
						pending -= reqLen
						out = append(out, reply...)
					}
					if len(out) > 0 {
						if _, werr := c.Write(out); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

// benchProxy accepts connections and hands each, with a fresh upstream
// connection, to handle.
func benchProxy(tb testing.TB, upstream string, handle func(down, up *net.TCPConn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c.(*net.TCPConn), up.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().String()
}

func ioCopyHandle(userspace bool) func(down, up *net.TCPConn) {
	return func(down, up *net.TCPConn) {
		cp := func(dst, src *net.TCPConn) {
			if userspace {
				buf := make([]byte, 32<<10)
				// Hide ReaderFrom/WriterTo so io.CopyBuffer really copies.
				_, _ = io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf)
			} else {
				_, _ = io.Copy(dst, src)
			}
			dst.CloseWrite()
		}
		done := make(chan struct{})
		go func() { cp(up, down); close(done) }()
		cp(down, up)
		<-done
		down.Close()
		up.Close()
	}
}

type deadlineWriter struct {
	c       *net.TCPConn
	timeout time.Duration
	set     time.Time // when the deadline was last moved
}

// Write moves the write deadline to now+timeout, but only when it was last
// moved more than a tenth of the timeout ago: setting a deadline costs a
// runtime timer update, too much to pay on every write of a busy
// connection; a stuck write then fails after 90% to 100% of the timeout.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(w.set) > w.timeout/10 {
		w.set = now
		w.c.SetWriteDeadline(now.Add(w.timeout))
	}
	return w.c.Write(p)
}

// wirekitHandle is examples/tcpproxy's session loop on chain ch.
func wirekitHandle(ch *filter.Chain) func(down, up *net.TCPConn) {
	const idle = 10 * time.Minute
	return func(down, up *net.TCPConn) {
		closeBoth := func(error) { down.Close(); up.Close() }
		fc, err := ch.NewConn(filter.ConnInfo{LocalAddr: down.LocalAddr(), RemoteAddr: down.RemoteAddr()},
			filter.ConnOptions{Downstream: &deadlineWriter{c: down, timeout: idle}, OnClose: closeBoth})
		if err != nil {
			closeBoth(err)
			return
		}
		defer fc.Release()
		if fc.Start() != nil || fc.SetUpstream(&deadlineWriter{c: up, timeout: idle}, up.RemoteAddr()) != nil {
			return
		}
		var last atomic.Int64
		pump := func(dir int, src, dst *net.TCPConn) {
			src.SetReadDeadline(time.Now().Add(idle))
			for {
				_, err := fc.ReadFrom(dir, src)
				if err == nil {
					if now := time.Now().UnixNano(); now-last.Load() > int64(100*time.Millisecond) {
						last.Store(now)
					}
					continue
				}
				if errors.Is(err, io.EOF) {
					dst.CloseWrite()
					return
				}
				fc.Close(err)
				return
			}
		}
		done := make(chan struct{})
		go func() { pump(filter.ReadPath, down, up); close(done) }()
		pump(filter.WritePath, up, down)
		<-done
		fc.Close(nil)
	}
}

type proxyImpl struct {
	name  string
	setup func(b *testing.B, upstream string) (addr string, report func())
}

func proxyImpls() []proxyImpl {
	wk := func(mk func(b *testing.B) (*filter.Chain, func())) func(b *testing.B, upstream string) (string, func()) {
		return func(b *testing.B, upstream string) (string, func()) {
			ch, report := mk(b)
			return benchProxy(b, upstream, wirekitHandle(ch)), report
		}
	}
	return []proxyImpl{
		{"direct", func(b *testing.B, upstream string) (string, func()) { return upstream, nil }},
		{"iocopy", func(b *testing.B, upstream string) (string, func()) {
			return benchProxy(b, upstream, ioCopyHandle(false)), nil
		}},
		{"iocopyUserspace", func(b *testing.B, upstream string) (string, func()) {
			return benchProxy(b, upstream, ioCopyHandle(true)), nil
		}},
		{"wirekit", wk(func(b *testing.B) (*filter.Chain, func()) { return filter.NewChain(), nil })},
		{"wirekitSniff", wk(func(b *testing.B) (*filter.Chain, func()) {
			var exchanges, other atomic.Int64
			// A deep pipeline: allow more pending requests than the default
			// 1024, or the oldest are reported Unanswered (evicted).
			f, err := sniff.New([]*parser.Protocol{redis.Protocol()}, parser.SnifferOptions{Conn: parser.ConnOptions{MaxPending: 1 << 16}},
				func(_ *filter.Conn, ex *parser.Exchange) {
					if ex.Kind == parser.Complete {
						exchanges.Add(1)
					} else {
						other.Add(1)
					}
				})
			if err != nil {
				b.Fatal(err)
			}
			return filter.NewChain(f), func() {
				b.ReportMetric(float64(exchanges.Load())/float64(b.N), "exchanges/op")
				if n := other.Load(); n > 0 {
					b.Errorf("%d exchanges not complete", n)
				}
			}
		})},
		{"wirekitTcpcopy", wk(func(b *testing.B) (*filter.Chain, func()) {
			dir, err := os.MkdirTemp("", "tcpcopy-bench")
			if err != nil {
				b.Fatal(err)
			}
			cfg, _ := json.Marshal(map[string]any{
				"strategy":         json.RawMessage(`{"switch":"ON","interval":1,"duration":1,"cpu_max_rate":100,"mem_max_rate":100}`),
				"conn_sample_rate": 1,
				"output":           map[string]any{"dir": dir, "format": "pcapng", "max_total_bytes": 256 << 20},
			})
			fac, err := tcpcopy.NewCreator(nil)(cfg)
			if err != nil {
				b.Fatal(err)
			}
			f := fac.(*tcpcopy.Factory)
			return filter.NewChain(f), func() {
				_ = f.Close()
				st := f.Dumper().Stats()
				total := st.AcceptedBytes + st.DroppedQueueFullBytes + st.DroppedGateBytes
				if total > 0 {
					b.ReportMetric(100*float64(st.WrittenBytes)/float64(total), "%recorded")
				}
				os.RemoveAll(dir)
			}
		})},
	}
}

// procCPU is the process's user+system CPU time. Client, proxy and server
// run in this process, so the CPU per op compares implementations even on a
// loaded machine, where wall time mostly measures the scheduler.
func procCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(procCPU()-start)/float64(b.N), "cpu-ns/op")
}

func implNamed(name string) proxyImpl {
	for _, p := range proxyImpls() {
		if p.name == name {
			return p
		}
	}
	panic("no proxy impl " + name)
}

// BenchmarkFilterProxyThroughput_*: pipelined SETs with a 16 KiB value,
// client writing and reading concurrently; MB/s counts request bytes.
func BenchmarkFilterProxyThroughput_direct(b *testing.B)  { proxyThroughput(b, implNamed("direct")) }
func BenchmarkFilterProxyThroughput_iocopy(b *testing.B)  { proxyThroughput(b, implNamed("iocopy")) }
func BenchmarkFilterProxyThroughput_wirekit(b *testing.B) { proxyThroughput(b, implNamed("wirekit")) }
func BenchmarkFilterProxyThroughput_iocopyUserspace(b *testing.B) {
	proxyThroughput(b, implNamed("iocopyUserspace"))
}
func BenchmarkFilterProxyThroughput_wirekitSniff(b *testing.B) {
	proxyThroughput(b, implNamed("wirekitSniff"))
}
func BenchmarkFilterProxyThroughput_wirekitTcpcopy(b *testing.B) {
	proxyThroughput(b, implNamed("wirekitTcpcopy"))
}

func proxyThroughput(b *testing.B, impl proxyImpl) {
	value := bytes.Repeat([]byte("x"), 16<<10)
	req := []byte(fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$%d\r\n%s\r\n", len(value), value))
	reply := []byte("+OK\r\n")
	b.SetBytes(int64(len(req)))
	c, finish := startProxyRun(b, impl, len(req), reply)
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			if _, err := c.Write(req); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	if _, err := io.CopyN(io.Discard, c, int64(b.N*len(reply))); err != nil {
		b.Fatal(err)
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	finish()
}

// startProxyRun starts a server answering reply to every request of
// reqLen bytes, impl in front of it, and a client connection through impl,
// then starts the timer and the CPU count. finish stops them, reports the
// CPU time per op, closes the client and lets impl report.
func startProxyRun(b *testing.B, impl proxyImpl, reqLen int, reply []byte) (c net.Conn, finish func()) {
	addr, report := impl.setup(b, fixedServer(b, reqLen, reply))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	b.ReportAllocs()
	b.ResetTimer()
	cpu := procCPU()
	return c, func() {
		b.StopTimer()
		reportCPU(b, cpu)
		c.Close()
		if report != nil {
			time.Sleep(20 * time.Millisecond) // let the proxy see the close
			report()
		}
	}
}

// BenchmarkFilterProxyLatency_*: one PING, one +PONG, wait, repeat: ns/op
// is the round trip; the proxy's added latency is the difference to
// _direct.
func BenchmarkFilterProxyLatency_direct(b *testing.B)  { proxyLatency(b, implNamed("direct")) }
func BenchmarkFilterProxyLatency_iocopy(b *testing.B)  { proxyLatency(b, implNamed("iocopy")) }
func BenchmarkFilterProxyLatency_wirekit(b *testing.B) { proxyLatency(b, implNamed("wirekit")) }
func BenchmarkFilterProxyLatency_iocopyUserspace(b *testing.B) {
	proxyLatency(b, implNamed("iocopyUserspace"))
}
func BenchmarkFilterProxyLatency_wirekitSniff(b *testing.B) {
	proxyLatency(b, implNamed("wirekitSniff"))
}
func BenchmarkFilterProxyLatency_wirekitTcpcopy(b *testing.B) {
	proxyLatency(b, implNamed("wirekitTcpcopy"))
}

func proxyLatency(b *testing.B, impl proxyImpl) {
	req := []byte("*1\r\n$4\r\nPING\r\n")
	reply := []byte("+PONG\r\n")
	c, finish := startProxyRun(b, impl, len(req), reply)
	buf := make([]byte, len(reply))
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	finish()
}
