package parser_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/parser"
)

// nginxBinary finds nginx (Debian package nginx, which .ci/run installs).
// Without it the test skips, except in CI, where it must run.
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is not installed: .ci/run must install the Debian package nginx")
	}
	t.Skip("nginx is not installed (Debian package nginx); this test runs it on 127.0.0.1")
	return ""
}

// nginx is one nginx process the test started: in the foreground (no
// daemon, no master process), with its prefix, configuration, logs and
// temp directories in a temp dir, listening on 127.0.0.1 only.
type nginx struct {
	addr      string
	accessLog string
	errorLog  string
}

// startNginx writes a configuration with two locations and starts nginx
// on a free loopback port; it is stopped when the test ends:
//
//   - /small has client_max_body_size 1k, so nginx answers a larger
//     declared body with 413 right after the head, before reading it;
//   - /upload proxies to upstream with request buffering off (HTTP/1.1
//     to the upstream), so the body streams through as it arrives and
//     the upstream's answer reaches the client while it is still sending.
func startNginx(t *testing.T, upstream string) *nginx {
	bin := nginxBinary(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	n := &nginx{addr: addr, accessLog: filepath.Join(dir, "access.log"), errorLog: filepath.Join(dir, "error.log")}
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[3]s info;
events { worker_connections 64; }
http {
	log_format early '$status "$request" $request_length $body_bytes_sent';
	access_log %[2]s early;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	default_type text/plain;
	server {
		listen %[4]s;
		# After an early answer nginx reads and discards the rest of the
		# request before closing: by default it does so only when it has
		# begun reading the body, so a 501 given at the head could close
		# on a client still sending (EPIPE on its side).
		lingering_close always;
		lingering_time 30s;
		lingering_timeout 5s;
		location /small {
			client_max_body_size 1k;
			return 200 "never: the body is over the limit\n";
		}
		location /upload {
			client_max_body_size 10m;
			proxy_pass http://%[5]s;
			proxy_http_version 1.1;
			proxy_request_buffering off;
		}
	}
}
`, dir, n.accessLog, n.errorLog, addr, upstream)
	confPath := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o644))
	var out bytes.Buffer
	cmd := exec.Command(bin, "-p", dir, "-e", n.errorLog, "-c", confPath)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return n
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(n.errorLog)
			t.Fatalf("nginx exited: %v\n%s\n%s", err, out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not listening on %s after 10s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accessLines waits for the access log to hold want lines and returns them.
func (n *nginx) accessLines(t *testing.T, want int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(n.accessLog)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(b) == 0 {
			lines = nil
		}
		if len(lines) >= want || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// relay is a loopback TCP relay in front of addr that feeds every byte it
// relays, in the order it relays it, to a parser.Conn with httpx, and
// counts the bytes each way.
type relay struct {
	ln    net.Listener
	mu    sync.Mutex
	conn  *parser.Conn
	got   []*parser.Exchange
	bytes [2]int
	errs  [2]error // why each pump stopped, other than EOF
	done  chan struct{}
}

func newRelay(t *testing.T, addr string) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{ln: ln, done: make(chan struct{})}
	r.conn = parser.NewConn(httpx.Protocol(), parser.ConnOptions{}, func(e *parser.Exchange) {
		r.got = append(r.got, e.Clone())
	})
	go func() {
		defer close(r.done)
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			return
		}
		var wg sync.WaitGroup
		pump := func(dir parser.Direction, from, to net.Conn) {
			defer wg.Done()
			buf := make([]byte, 16<<10)
			for {
				n, err := from.Read(buf)
				if n > 0 {
					r.mu.Lock()
					r.conn.Feed(dir, buf[:n], time.Now())
					r.bytes[dir] += n
					r.mu.Unlock()
					if _, werr := to.Write(buf[:n]); werr != nil {
						r.mu.Lock()
						r.errs[dir] = werr
						r.mu.Unlock()
						break
					}
				}
				if err != nil {
					if err != io.EOF {
						r.mu.Lock()
						r.errs[dir] = err
						r.mu.Unlock()
					}
					break
				}
			}
			to.(*net.TCPConn).CloseWrite()
		}
		wg.Add(2)
		go pump(parser.Request, c, s)
		go pump(parser.Response, s, c)
		wg.Wait()
		c.Close()
		s.Close()
		r.mu.Lock()
		r.conn.Close(time.Now())
		r.mu.Unlock()
	}()
	return r
}

// earlyUpload is one client connection: it sends head and then body in
// pieces, the first first bytes of it at once, then waits for the
// response head, then the rest a piece every pause (the server has
// answered by then: an early response), then half-closes and reads to the
// end. It returns the response and how many request bytes were sent when
// the response head arrived.
func earlyUpload(t *testing.T, addr, head string, body [][]byte, first int) (*http.Response, int, int) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	var sent atomic.Int64
	answered := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		write := func(b []byte) error {
			_, err := c.Write(b)
			sent.Add(int64(len(b)))
			return err
		}
		if err := write([]byte(head)); err != nil {
			werr <- err
			return
		}
		n, waited := 0, false
		for _, p := range body {
			if n >= first && !waited {
				waited = true
				select { // the server answers while the rest is unsent
				case <-answered:
				case <-time.After(10 * time.Second):
				}
			}
			if n >= first {
				time.Sleep(2 * time.Millisecond) // slowly
			}
			if err := write(p); err != nil {
				werr <- err
				return
			}
			n += len(p)
		}
		werr <- c.(*net.TCPConn).CloseWrite()
	}()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	sentAtAnswer := int(sent.Load())
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	close(answered)
	require.NoError(t, <-werr, "the client sent the whole request")
	io.Copy(io.Discard, br) // to the server's close or our own half-close answered
	return resp, sentAtAnswer, int(sent.Load())
}

// TestEarlyResponseNginx is issue 19.3 against a real nginx (1.22 on
// Debian), through a relay that feeds parser.Conn:
//
//   - an Expect-less 300 KiB POST to a location with client_max_body_size
//     1k: nginx answers 413 after the head (the client has sent 64 KiB of
//     body), then reads and discards the rest (lingering close);
//   - a 300 KiB chunked upload through nginx as a reverse proxy
//     (proxy_request_buffering off) to a Go net/http upstream that reads
//     32 KiB of the body, answers 201 and flushes, then reads on (full
//     duplex): nginx relays the 201 while the client is mid-body, stops
//     forwarding, and discards the rest of the client's body;
//   - a chunked upload with Transfer-Encoding "gzip, chunked", which nginx
//     does not implement: 501 after the head, the rest discarded.
//
// Each must be one Complete exchange flagged parser.EarlyResponse with
// nginx's status, its request framed to the last byte the client sent,
// nothing Unanswered or UnmatchedResponse, and nginx's access log agrees
// (status and request line). Before parser commit 06b5879 each was an
// Unanswered request plus an UnmatchedResponse.
func TestEarlyResponseNginx(t *testing.T) {
	const size = 300 << 10
	upstreamGot := make(chan int64, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.EnableFullDuplex(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		n, _ := io.CopyN(io.Discard, r.Body, 32<<10)
		w.Header().Set("Content-Length", "8")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("created\n"))
		rc.Flush()
		rest, _ := io.Copy(io.Discard, r.Body)
		upstreamGot <- n + rest
	}))
	defer up.Close()
	ng := startNginx(t, up.Listener.Addr().String())

	pieces := func(chunked bool) (body [][]byte, total int) {
		for n := 0; n < size; n += 16 << 10 {
			p := bytes.Repeat([]byte{'a' + byte(n>>14)%26}, 16<<10)
			if chunked {
				p = append([]byte(strconv.FormatInt(int64(len(p)), 16)+"\r\n"), append(p, "\r\n"...)...)
			}
			body = append(body, p)
			total += len(p)
		}
		if chunked {
			body = append(body, []byte("0\r\n\r\n"))
			total += 5
		}
		return body, total
	}
	for i, tt := range []struct {
		name, path string
		coding     string // Transfer-Encoding, "" for Content-Length
		status     int
	}{
		{"413 before an Expect-less body", "/small", "", http.StatusRequestEntityTooLarge},
		{"201 mid chunked upload, proxied", "/upload", "chunked", http.StatusCreated},
		{"501 for a transfer coding nginx does not implement", "/upload", "gzip, chunked", http.StatusNotImplemented},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, bodyLen := pieces(tt.coding != "")
			head := "POST " + tt.path + " HTTP/1.1\r\nHost: wirekit.test\r\nUser-Agent: wirekit-early\r\n"
			if tt.coding != "" {
				head += "Transfer-Encoding: " + tt.coding + "\r\n\r\n"
			} else {
				head += "Content-Length: " + strconv.Itoa(bodyLen) + "\r\n\r\n"
			}
			rl := newRelay(t, ng.addr)
			resp, atAnswer, sent := earlyUpload(t, rl.ln.Addr().String(), head, body, 64<<10)
			<-rl.done
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, len(head)+bodyLen, sent)
			assert.Less(t, atAnswer, sent, "nginx answered before the request was whole")
			t.Logf("answered %d after %d of %d request bytes; relayed %d request, %d response bytes",
				resp.StatusCode, atAnswer, sent, rl.bytes[parser.Request], rl.bytes[parser.Response])

			rl.mu.Lock()
			defer rl.mu.Unlock()
			assert.Equal(t, [2]error{}, rl.errs, "nginx took every byte")
			assert.Equal(t, sent, rl.bytes[parser.Request])
			st := rl.conn.Stats()
			require.Len(t, rl.got, 1, "%+v", st)
			e := rl.got[0]
			assert.Equal(t, parser.Complete, e.Kind, "%+v", st)
			assert.NotZero(t, e.ResponseFlags&parser.EarlyResponse, "flagged early")
			assert.Zero(t, e.RequestFlags&parser.Truncated)
			assert.Equal(t, sent, e.RequestSize, "request framed to its last byte")
			assert.Equal(t, rl.bytes[parser.Response], e.ResponseSize)
			code, _ := e.Response.Int(httpx.AttrStatusCode)
			assert.EqualValues(t, tt.status, code)
			method, _ := e.Request.String(httpx.AttrMethod)
			path, _ := e.Request.String(httpx.AttrPath)
			assert.Equal(t, "POST", method)
			assert.Equal(t, tt.path, path)
			if tt.coding != "" {
				te, _ := e.Request.String(httpx.AttrTransferEncoding)
				assert.Equal(t, tt.coding, te)
			} else {
				cl, _ := e.Request.Int(httpx.AttrContentLength)
				assert.EqualValues(t, bodyLen, cl)
			}
			assert.Equal(t, uint64(1), st.Exchanges)
			assert.Equal(t, uint64(1), st.EarlyResponses)
			assert.Zero(t, st.Unanswered)
			assert.Zero(t, st.Unmatched)
			assert.Zero(t, st.ParseErrors[0]+st.ParseErrors[1])
			assert.Zero(t, st.FramingErrors[0]+st.FramingErrors[1])
			assert.Zero(t, st.SkippedBytes[0]+st.SkippedBytes[1])

			// nginx's own record of the request.
			lines := ng.accessLines(t, i+1)
			require.Len(t, lines, i+1, "access log")
			f := strings.SplitN(lines[i], " ", 2)
			require.Len(t, f, 2, lines[i])
			assert.Equal(t, strconv.Itoa(tt.status), f[0], "access log status")
			assert.True(t, strings.HasPrefix(f[1], `"`+method+" "+path+` HTTP/1.1" `), "access log request line: %s", lines[i])
			t.Logf("nginx access log: %s", lines[i])
		})
	}
	if t.Failed() {
		b, _ := os.ReadFile(ng.errorLog)
		t.Logf("nginx error log:\n%s", b)
	}
	// The upstream read the 32 KiB it asked for before answering, through
	// nginx's unbuffered proxying. Once the upstream has answered, nginx
	// 1.22 stops forwarding the body and closes the upstream connection
	// (the upstream gets what it had before the answer, 64 KiB here) and
	// reads and discards the rest from the client, which is what the relay
	// saw and framed.
	_, total := pieces(false)
	select {
	case n := <-upstreamGot:
		assert.GreaterOrEqual(t, n, int64(32<<10), "upstream body bytes")
		assert.LessOrEqual(t, n, int64(total), "upstream body bytes")
		t.Logf("the upstream read %d of the %d body bytes", n, total)
	case <-time.After(5 * time.Second):
		t.Error("the upstream handler did not finish")
	}
}
