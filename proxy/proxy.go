package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirekit/wirekit/filter"
)

// Proxy is an L4 proxy: listeners that accept connections, run each
// through the listener's filter chain and copy both directions to an
// upstream host.
type Proxy struct {
	log       *slog.Logger
	listeners []*listener
	graceful  time.Duration

	mu       sync.Mutex
	sessions map[*session]struct{}
	closing  bool
	wg       sync.WaitGroup // sessions and accept loops
}

type listener struct {
	name    string
	address string
	ln      net.Listener
	chain   *filter.Chain
	cluster *cluster
	idle    time.Duration
	maxBuf  int
}

type cluster struct {
	name    string
	hosts   []string
	timeout time.Duration
	next    atomic.Uint64
}

func (c *cluster) pick() string {
	return c.hosts[(c.next.Add(1)-1)%uint64(len(c.hosts))]
}

// New builds a proxy from cfg, creating every filter chain with reg (see
// NewRegistry for the built-in filters), so any configuration error
// surfaces here, before a socket is opened. log receives the proxy's
// connection and shutdown lines (slog.New(slog.DiscardHandler) for none).
func New(cfg *Config, reg *filter.Registry, log *slog.Logger) (*Proxy, error) {
	p := &Proxy{log: log, sessions: make(map[*session]struct{}), graceful: defaultGraceful}
	clusters := map[string]*cluster{}
	for _, cc := range cfg.ClusterManager.Clusters {
		cl := &cluster{name: cc.Name, timeout: time.Duration(cc.ConnectTimeout)}
		if cl.timeout == 0 {
			cl.timeout = defaultConnTimeout
		}
		for _, h := range cc.Hosts {
			if _, _, err := net.SplitHostPort(h.Address); err != nil {
				return nil, fmt.Errorf("%w: cluster %q: host %q: %v", ErrConfig, cc.Name, h.Address, err)
			}
			cl.hosts = append(cl.hosts, h.Address)
		}
		clusters[cc.Name] = cl
	}
	seen := map[string]bool{}
	for _, sc := range cfg.Servers {
		if sc.GracefulTimeout != 0 {
			p.graceful = time.Duration(sc.GracefulTimeout)
		}
		for _, lc := range sc.Listeners {
			if lc.Name == "" || seen[lc.Name] {
				return nil, fmt.Errorf("%w: listener name %q empty or duplicate", ErrConfig, lc.Name)
			}
			seen[lc.Name] = true
			l, err := newListener(lc, reg, clusters)
			if err != nil {
				return nil, fmt.Errorf("listener %q: %w", lc.Name, err)
			}
			p.listeners = append(p.listeners, l)
		}
	}
	if len(p.listeners) == 0 {
		return nil, fmt.Errorf("%w: no listeners", ErrConfig)
	}
	return p, nil
}

func newListener(lc ListenerConfig, reg *filter.Registry, clusters map[string]*cluster) (*listener, error) {
	if len(lc.FilterChains) != 1 {
		return nil, fmt.Errorf("%w: need exactly one filter chain, got %d", ErrConfig, len(lc.FilterChains))
	}
	fs := lc.FilterChains[0].Filters
	if len(fs) == 0 || fs[len(fs)-1].Type != "tcp_proxy" {
		return nil, fmt.Errorf("%w: the last filter must be tcp_proxy", ErrConfig)
	}
	var tc TCPProxyConfig
	if err := filter.DecodeConfig(fs[len(fs)-1].Config, &tc); err != nil {
		return nil, fmt.Errorf("%w: tcp_proxy: %v", ErrConfig, err)
	}
	cl := clusters[tc.Cluster]
	if cl == nil {
		return nil, fmt.Errorf("%w: tcp_proxy: unknown cluster %q", ErrConfig, tc.Cluster)
	}
	for _, s := range fs[:len(fs)-1] {
		if s.Type == "tcp_proxy" {
			return nil, fmt.Errorf("%w: tcp_proxy must be the last filter only", ErrConfig)
		}
	}
	chain, err := reg.NewChain(fs[:len(fs)-1]...)
	if err != nil {
		return nil, err
	}
	l := &listener{name: lc.Name, address: lc.Address, chain: chain, cluster: cl, idle: defaultIdle, maxBuf: tc.MaxBuffer}
	if tc.IdleTimeout != nil {
		l.idle = time.Duration(*tc.IdleTimeout)
	}
	if tc.MaxBuffer < 0 {
		return nil, fmt.Errorf("%w: tcp_proxy: max_buffer %d", ErrConfig, tc.MaxBuffer)
	}
	return l, nil
}

// Start opens every listener and starts accepting.
func (p *Proxy) Start() error {
	for _, l := range p.listeners {
		ln, err := net.Listen("tcp", l.address)
		if err != nil {
			p.closeListeners()
			return err
		}
		p.mu.Lock()
		l.ln = ln
		p.mu.Unlock()
		p.log.Info("listening", "listener", l.name, "address", ln.Addr().String(),
			"filters", l.chain.Names(), "cluster", l.cluster.name)
	}
	for _, l := range p.listeners {
		p.wg.Add(1)
		go p.accept(l)
	}
	return nil
}

// Addr returns the bound address of the named listener (nil before Start
// has bound it). It may be called from any goroutine, for example while
// Run starts.
func (p *Proxy) Addr(name string) net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.listeners {
		if l.name == name && l.ln != nil {
			return l.ln.Addr()
		}
	}
	return nil
}

func (p *Proxy) closeListeners() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.listeners {
		if l.ln != nil {
			l.ln.Close()
		}
	}
}

// GracefulTimeout is how long Run's shutdown waits for open connections:
// the configuration's graceful_timeout, default 30s.
func (p *Proxy) GracefulTimeout() time.Duration { return p.graceful }

// Run starts the proxy, serves until ctx is done, then shuts down
// gracefully within GracefulTimeout. It returns Start's error, or nil once
// every connection has ended (forced or not; the log says which).
//
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	err := p.Run(ctx)
func (p *Proxy) Run(ctx context.Context) error {
	if err := p.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), p.graceful)
	defer cancel()
	start := time.Now()
	err := p.Shutdown(sctx)
	p.log.Info("stopped", "took", time.Since(start), "forced", err != nil)
	return nil
}

// Shutdown stops accepting, waits for open connections to end until ctx is
// done, then closes those left. It returns ctx.Err() if it had to.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closing = true
	open := len(p.sessions)
	p.mu.Unlock()
	p.closeListeners()
	p.log.Info("shutting down", "open_connections", open)
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	for s := range p.sessions {
		s.abort(ErrShutdown)
	}
	p.mu.Unlock()
	<-done
	return ctx.Err()
}

// Reasons a connection was closed by the proxy, as its "closed" log line
// and the filter chain's OnClose report them.
var (
	// ErrShutdown: the shutdown deadline passed with the connection open.
	ErrShutdown = errors.New("proxy: shutdown deadline passed")
	// ErrIdle: neither side sent anything for the idle timeout.
	ErrIdle = errors.New("proxy: idle timeout")
)

func (p *Proxy) accept(l *listener) {
	defer p.wg.Done()
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failures (EMFILE...): back off like net/http.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			p.log.Warn("accept failed", "listener", l.name, "error", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s := &session{p: p, l: l, down: c.(*net.TCPConn)}
		p.mu.Lock()
		if p.closing {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.sessions[s] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go s.run()
	}
}

// session is one proxied connection.
type session struct {
	p     *Proxy
	l     *listener
	down  *net.TCPConn
	up    atomic.Pointer[net.TCPConn]
	fc    atomic.Pointer[filter.Conn]
	start time.Time

	aborted  atomic.Bool
	lastRead atomic.Int64 // unix nanos of the last read on either side
}

// closeSockets closes both sockets, which ends both pumps. It is safe to
// call any number of times from any goroutine, including from the filter
// chain's OnClose.
func (s *session) closeSockets() {
	s.down.Close()
	if up := s.up.Load(); up != nil {
		up.Close()
	}
}

// abort ends the session with reason err (recorded as the filter.Conn's
// close reason unless one was recorded before).
func (s *session) abort(err error) {
	s.aborted.Store(true)
	if fc := s.fc.Load(); fc != nil {
		fc.Close(err) // runs OnClose (closeSockets) the first time
	}
	s.closeSockets()
}

func (s *session) run() {
	p, l := s.p, s.l
	defer func() {
		p.mu.Lock()
		delete(p.sessions, s)
		p.mu.Unlock()
		p.wg.Done()
	}()
	s.start = time.Now()
	info := filter.ConnInfo{Listener: l.name, LocalAddr: s.down.LocalAddr(), RemoteAddr: s.down.RemoteAddr(), Start: s.start}
	fc, err := l.chain.NewConn(info, filter.ConnOptions{
		Downstream: s.writer(s.down),
		MaxBuffer:  l.maxBuf,
		OnClose:    func(error) { s.closeSockets() },
	})
	if err != nil {
		p.log.Error("connection refused", "listener", l.name, "remote", info.RemoteAddr.String(), "error", err)
		s.down.Close()
		return
	}
	s.fc.Store(fc)
	defer fc.Release()
	log := p.log.With("listener", l.name, "conn", fc.ID(), "remote", info.RemoteAddr.String())
	if s.aborted.Load() { // shut down before the chain existed
		return
	}
	if err := fc.Start(); err != nil {
		log.Info("connection refused by filter", "error", err)
		s.down.Close()
		return
	}
	if fc.Closed() {
		return
	}
	host := l.cluster.pick()
	d := net.Dialer{Timeout: l.cluster.timeout}
	uc, err := d.Dial("tcp", host)
	if err != nil {
		log.Warn("upstream dial failed", "upstream", host, "error", err)
		s.abort(err)
		return
	}
	up := uc.(*net.TCPConn)
	s.up.Store(up)
	if s.aborted.Load() || fc.Closed() { // aborted while dialing
		up.Close()
		return
	}
	if err := fc.SetUpstream(s.writer(up), up.RemoteAddr()); err != nil {
		log.Warn("upstream write failed", "error", err)
		s.abort(err)
		return
	}
	log.Debug("connected", "upstream", host)

	s.lastRead.Store(time.Now().UnixNano())
	errc := make(chan error, 1)
	go func() { errc <- s.pump(fc, filter.ReadPath, s.down, up) }()
	respErr := s.pump(fc, filter.WritePath, up, s.down)
	reqErr := <-errc
	s.abort(nil) // both directions ended: close both sockets

	cause := fc.Err()
	if cause == nil {
		cause = firstErr(reqErr, respErr)
	}
	in, out := fc.Stats(filter.ReadPath), fc.Stats(filter.WritePath)
	attrs := []any{"upstream", host, "duration", time.Since(s.start),
		"bytes_in", in.Forwarded, "bytes_out", out.Forwarded}
	if in.Held+out.Held > 0 {
		// Bytes a filter was holding when the connection ended are not
		// forwarded; say so rather than lose them silently.
		attrs = append(attrs, "held_at_close", in.Held+out.Held)
	}
	if in.Drained+out.Drained > 0 {
		attrs = append(attrs, "drained", in.Drained+out.Drained)
	}
	if cause != nil {
		log.Info("closed", append(attrs, "error", cause)...)
	} else {
		log.Debug("closed", attrs...)
	}
}

// writer returns the destination the filter chain writes to: the socket,
// with a write deadline of the idle timeout so a peer that stops reading
// cannot pin the connection forever.
func (s *session) writer(c *net.TCPConn) io.Writer {
	if s.l.idle <= 0 {
		return c
	}
	return &deadlineWriter{c: c, timeout: s.l.idle}
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

// pump copies one direction through the filter chain until EOF or an
// error. At EOF it half-closes the destination, so the other direction can
// finish (a client that shut down its writes still gets its replies).
func (s *session) pump(fc *filter.Conn, dir int, src, dst *net.TCPConn) error {
	idle := s.l.idle
	if idle > 0 {
		src.SetReadDeadline(time.Now().Add(idle))
	}
	for {
		_, err := fc.ReadFrom(dir, src)
		if err == nil {
			if idle > 0 {
				// The deadline is only moved when it fires (below), not on
				// every read; the activity stamp is written at most every
				// 100 ms (an atomic write per read would be shared-cache
				// traffic for nothing).
				if now := time.Now().UnixNano(); now-s.lastRead.Load() > int64(100*time.Millisecond) {
					s.lastRead.Store(now)
				}
			}
			continue
		}
		if idle > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			last := time.Unix(0, s.lastRead.Load())
			if time.Since(last) < idle { // the other direction was active
				src.SetReadDeadline(last.Add(idle))
				continue
			}
			s.abort(ErrIdle)
			return ErrIdle
		}
		if errors.Is(err, io.EOF) {
			dst.CloseWrite()
			return nil
		}
		s.abort(err)
		return err
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil && !errors.Is(e, net.ErrClosed) {
			return e
		}
	}
	return nil
}

// LoadConfig reads and decodes a configuration file (see ParseConfig).
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(b)
}
