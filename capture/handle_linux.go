package capture

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/wirekit/wirekit/internal/nocopy"
	"github.com/wirekit/wirekit/reassembly"
)

// Handle is an open live capture: one AF_PACKET socket with a memory-mapped
// TPACKET_V3 ring per worker, all bound to one interface and, with two or
// more workers, joined in one PACKET_FANOUT group. Open it, Run it (or run
// the Exchanges pipeline on it), and Close it; Stats may be read at any
// time from any goroutine.
type Handle struct {
	_       nocopy.NoCopy
	opts    Options
	link    reassembly.LinkType
	cooked  bool
	ifindex int
	loIndex int // ifindex of the loopback device, for dropping its outgoing copies
	rings   []*ring
	efd     int // eventfd that wakes the workers to stop
	stop    atomic.Bool
	rec     *recorder

	mu      sync.Mutex
	state   int // stateOpen, stateRunning, stateDone, stateClosed
	done    chan struct{}
	kstats  [3]uint64 // packets, drops, freezes read from the sockets so far
	closeMu sync.Mutex
}

const (
	stateOpen = iota
	stateRunning
	stateDone
	stateClosed
)

// ring is one worker's socket and mapped ring.
type ring struct {
	fd  int
	mem []byte
	bs  int
	n   int
	cur int

	mu  sync.Mutex
	pub Stats // published after each block

	kstored uint64 // frames the kernel stored in this ring (tp_packets - tp_drops), under Handle.mu
}

// Consumer receives the frames of one worker, on that worker's goroutine,
// so it needs no locking of its own state. A Consumer must not call the
// Handle's Close (cancel Run's context instead).
type Consumer interface {
	// Packet is called for every captured frame. p and p.Data are valid
	// only during the call.
	Packet(p *Packet)
	// Idle is called about every 100ms, with the wall clock, whether or
	// not frames arrive: the place for time-driven work such as
	// reassembly.Assembler.FlushOlderThan.
	Idle(now time.Time)
	// Close is called once, after the worker's last frame.
	Close()
}

// PacketFunc adapts a function to a Consumer with no Idle or Close work.
type PacketFunc func(p *Packet)

// Packet calls f(p).
func (f PacketFunc) Packet(p *Packet) { f(p) }

// Idle does nothing.
func (PacketFunc) Idle(time.Time) {}

// Close does nothing.
func (PacketFunc) Close() {}

// Open opens the interface for capture: for each worker it creates an
// AF_PACKET socket, attaches a filter that rejects everything, sets up and
// maps the TPACKET_V3 ring, binds the socket to the interface, releases
// anything already in the ring, joins the fan-out group and only then
// attaches the real filter, so that no frame the filter would reject is
// ever seen (libpcap's order). It needs CAP_NET_RAW.
func Open(opts Options) (*Handle, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Handle{opts: opts, efd: -1, done: make(chan struct{})}
	if err := h.open(); err != nil {
		h.release()
		return nil, err
	}
	return h, nil
}

func (h *Handle) open() error {
	o := &h.opts
	// Probe the interface on a throw-away socket.
	probe, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("capture: socket(AF_PACKET): %w", err)
	}
	defer unix.Close(probe)
	sockType := unix.SOCK_DGRAM
	h.cooked = true
	h.link = reassembly.LinkLinuxSLL
	if lo, err := ifIndex(probe, "lo"); err == nil {
		h.loIndex = lo
	}
	if o.Interface != "any" {
		if h.ifindex, err = ifIndex(probe, o.Interface); err != nil {
			return fmt.Errorf("capture: interface %q: %w", o.Interface, err)
		}
		ifr, err := unix.NewIfreq(o.Interface)
		if err != nil {
			return fmt.Errorf("capture: interface %q: %w", o.Interface, err)
		}
		if err := unix.IoctlIfreq(probe, unix.SIOCGIFHWADDR, ifr); err != nil {
			return fmt.Errorf("capture: interface %q: SIOCGIFHWADDR: %w", o.Interface, err)
		}
		if hw := ifr.Uint16(); hw == unix.ARPHRD_ETHER || hw == unix.ARPHRD_LOOPBACK {
			sockType, h.cooked, h.link = unix.SOCK_RAW, false, reassembly.LinkEthernet
		}
		if h.ifindex != h.loIndex {
			h.loIndex = -1 // only the loopback device has outgoing duplicates
		}
	}
	prog, err := h.program()
	if err != nil {
		return err
	}
	if h.efd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fmt.Errorf("capture: eventfd: %w", err)
	}
	if o.Record != nil {
		h.rec = newRecorder(o.Record, h.link, o.Snaplen, o.Interface)
		h.rec.setWorkers(o.Workers)
	}
	fanoutID := -1
	for i := 0; i < o.Workers; i++ {
		r := &ring{fd: -1, bs: o.BlockSize, n: o.BlockCount}
		h.rings = append(h.rings, r)
		if err := h.openRing(r, sockType, i == 0); err != nil {
			return err
		}
		if o.Workers > 1 {
			if fanoutID, err = joinFanout(r.fd, fanoutID); err != nil {
				return err
			}
		}
	}
	for _, r := range h.rings {
		if err := attach(r.fd, prog); err != nil {
			return fmt.Errorf("capture: attaching the filter: %w", err)
		}
	}
	return nil
}

func ifIndex(fd int, name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint32()), nil
}

var rejectAll = []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}

func attach(fd int, prog []unix.SockFilter) error {
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
}

func (h *Handle) openRing(r *ring, sockType int, first bool) error {
	o := &h.opts
	fd, err := unix.Socket(unix.AF_PACKET, sockType|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("capture: socket(AF_PACKET): %w", err)
	}
	r.fd = fd
	if err := attach(fd, rejectAll); err != nil {
		return fmt.Errorf("capture: attaching the reject-all filter: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fmt.Errorf("capture: PACKET_VERSION TPACKET_V3: %w", err)
	}
	const frameSize = 2048 // only checked by the kernel in V3; frames fill blocks densely
	req := unix.TpacketReq3{
		Block_size:     uint32(r.bs),
		Block_nr:       uint32(r.n),
		Frame_size:     frameSize,
		Frame_nr:       uint32(r.bs / frameSize * r.n),
		Retire_blk_tov: uint32(o.FrameTimeout / time.Millisecond),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fmt.Errorf("capture: PACKET_RX_RING (%d blocks of %d bytes): %w", r.n, r.bs, err)
	}
	if r.mem, err = unix.Mmap(fd, 0, r.bs*r.n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return fmt.Errorf("capture: mmap of the ring: %w", err)
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: h.ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("capture: bind to %q: %w", o.Interface, err)
	}
	if first && o.Promiscuous && h.ifindex != 0 {
		mreq := unix.PacketMreq{Ifindex: int32(h.ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fmt.Errorf("capture: promiscuous mode: %w", err)
		}
	}
	// Drain: nothing passes the reject-all filter, but give back any block
	// the kernel handed over anyway before the real filter goes on.
	for i := 0; i < r.n; i++ {
		if r.status(i)&statusUser != 0 {
			r.setStatus(i, 0)
		}
	}
	return nil
}

// joinFanout puts fd into a hash fan-out group with IP defragmentation. The
// first socket asks the kernel for a group ID no other socket uses
// (PACKET_FANOUT_FLAG_UNIQUEID), so an unrelated capture can never share
// the group; the others join that ID.
func joinFanout(fd, id int) (int, error) {
	mode := unix.PACKET_FANOUT_HASH | unix.PACKET_FANOUT_FLAG_DEFRAG
	if id < 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, (mode|unix.PACKET_FANOUT_FLAG_UNIQUEID)<<16); err != nil {
			return 0, fmt.Errorf("capture: PACKET_FANOUT: %w", err)
		}
		v, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
		if err != nil {
			return 0, fmt.Errorf("capture: reading the PACKET_FANOUT group: %w", err)
		}
		return v & 0xffff, nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, id|mode<<16); err != nil {
		return 0, fmt.Errorf("capture: joining PACKET_FANOUT group %d: %w", id, err)
	}
	return id, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// program builds the socket filter: a prefix that drops the outgoing copy
// of loopback frames, then the user's program (BPF, Filter compiled, or
// accept-all with the snaplen).
func (h *Handle) program() ([]unix.SockFilter, error) {
	o := &h.opts
	user := o.BPF
	switch {
	case user != nil:
	case o.Filter != "":
		var err error
		if user, err = compileFilter(o.Filter, h.cooked, uint32(o.Snaplen)); err != nil {
			return nil, fmt.Errorf("capture: filter %q: %w", o.Filter, err)
		}
	default:
		user = []bpf.Instruction{bpf.RetConstant{Val: uint32(o.Snaplen)}}
	}
	var prog []bpf.Instruction
	switch {
	case h.loIndex > 0 && h.ifindex == 0: // "any": lo's outgoing copies only
		prog = append(prog,
			bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(h.loIndex), SkipTrue: 3},
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: pktTypeOutgoing, SkipTrue: 1},
			bpf.RetConstant{Val: 0})
	case h.loIndex > 0:
		prog = append(prog,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: pktTypeOutgoing, SkipTrue: 1},
			bpf.RetConstant{Val: 0})
	}
	if prog != nil {
		prog = append(prog, bpf.LoadConstant{Dst: bpf.RegA, Val: 0}) // A starts at 0 for the user's program
	}
	prog = append(prog, user...)
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("capture: BPF program: %w", err)
	}
	if len(raw) > 4096 { // BPF_MAXINSNS
		return nil, fmt.Errorf("capture: BPF program of %d instructions is over the kernel's 4096", len(raw))
	}
	out := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		out[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return out, nil
}

func (r *ring) statusPtr(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[i*r.bs+blkStatusOff]))
}

func (r *ring) status(i int) uint32       { return atomic.LoadUint32(r.statusPtr(i)) }
func (r *ring) setStatus(i int, v uint32) { atomic.StoreUint32(r.statusPtr(i), v) }

// LinkType is the link-layer type of the frames the Handle delivers.
func (h *Handle) LinkType() reassembly.LinkType { return h.link }

// Workers is the number of workers (fan-out sockets).
func (h *Handle) Workers() int { return len(h.rings) }

// Run captures until ctx is cancelled or Close is called, on one goroutine
// per worker, each handing its frames to the Consumer that newConsumer
// returns for its index. When it stops, each worker attaches a reject-all
// filter, processes what is still in its ring until it has seen every
// frame the kernel stored there (the kernel hands over a partly filled
// block within FrameTimeout; a worker gives up after 2×FrameTimeout+1s), calls
// its Consumer's Close, and Run returns after every worker has. It returns
// ErrClosed if the Handle was closed or has run before, and the recording
// error, if any.
func (h *Handle) Run(ctx context.Context, newConsumer func(worker int) Consumer) error {
	h.mu.Lock()
	if h.state != stateOpen {
		h.mu.Unlock()
		return ErrClosed
	}
	h.state = stateRunning
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.state = stateDone
		h.mu.Unlock()
		close(h.done)
	}()

	if h.rec != nil {
		h.rec.start()
	}
	cons := make([]Consumer, len(h.rings))
	for i := range h.rings {
		cons[i] = newConsumer(i)
	}
	finished := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			h.signalStop()
		case <-finished:
		}
	}()
	var wg sync.WaitGroup
	for i, r := range h.rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.work(i, r, cons[i])
		}()
	}
	wg.Wait()
	close(finished)
	<-watched
	if h.rec != nil {
		return h.rec.error()
	}
	return nil
}

func (h *Handle) signalStop() {
	h.stop.Store(true)
	var one [8]byte
	le.PutUint64(one[:], 1)
	unix.Write(h.efd, one[:]) // a full counter (EAGAIN) is still readable, so it is not checked
}

const idleEvery = 100 * time.Millisecond

func (h *Handle) work(w int, r *ring, c Consumer) {
	// A worker keeps its thread: it blocks in poll when idle anyway, and
	// staying put keeps its ring and assembler warm in that CPU's cache.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer c.Close()
	pfd := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN | unix.POLLERR}, {Fd: int32(h.efd), Events: unix.POLLIN}}
	var cnt Stats
	var it blockIter
	p := Packet{Link: h.link, Worker: w}
	lastIdle := time.Now()
	var deadline, grace time.Time
	stopping := false
	for {
		if r.status(r.cur)&statusUser != 0 {
			h.block(r, c, &it, &p, &cnt)
		} else {
			if stopping {
				// Done when every frame the kernel stored in this ring
				// has been seen (after a short grace for a frame being
				// stored as the reject-all filter went on), or at the
				// latest after the hard deadline.
				now := time.Now()
				if !now.Before(deadline) || (!now.Before(grace) && h.ringDrained(r, cnt.Packets+cnt.Outgoing)) {
					return
				}
			}
			fds := pfd
			if stopping {
				fds = pfd[:1] // the eventfd stays readable
			}
			if _, err := unix.Poll(fds, int(idleEvery/time.Millisecond)); err != nil && err != unix.EINTR {
				// Poll on a valid fd only fails for lack of memory;
				// back off instead of spinning.
				time.Sleep(idleEvery)
			}
		}
		if !stopping && h.stop.Load() {
			stopping = true
			attach(r.fd, rejectAll) // nothing new enters; what is in the ring is processed
			now := time.Now()
			grace = now.Add(5 * time.Millisecond)
			deadline = now.Add(2*h.opts.FrameTimeout + time.Second)
		}
		if now := time.Now(); now.Sub(lastIdle) >= idleEvery {
			lastIdle = now
			c.Idle(now)
		}
	}
}

// block hands the frames of the ring's current block to c, records them,
// gives the block back to the kernel and publishes the worker's counters.
func (h *Handle) block(r *ring, c Consumer, it *blockIter, p *Packet, cnt *Stats) {
	b := r.mem[r.cur*r.bs : (r.cur+1)*r.bs]
	if it.reset(b, h.cooked) {
		for it.next(p) {
			if p.PacketType == pktTypeOutgoing && h.loIndex > 0 && (h.ifindex == h.loIndex || p.Ifindex == h.loIndex) {
				cnt.Outgoing++
				continue
			}
			cnt.Packets++
			cnt.Bytes += uint64(len(p.Data))
			if p.Length > len(p.Data) {
				cnt.Truncated++
			}
			if h.rec != nil {
				h.rec.add(p)
			}
			c.Packet(p)
		}
	}
	if it.bad {
		cnt.BadBlocks++
		cnt.LastBadBlock = describeBadBlock(b, it)
	}
	cnt.Blocks++
	if h.rec != nil {
		h.rec.flush(p.Worker)
	}
	r.setStatus(r.cur, 0)
	r.cur++
	if r.cur == r.n {
		r.cur = 0
	}
	r.mu.Lock()
	r.pub.Packets, r.pub.Bytes, r.pub.Outgoing = cnt.Packets, cnt.Bytes, cnt.Outgoing
	r.pub.Truncated, r.pub.Blocks, r.pub.BadBlocks = cnt.Truncated, cnt.Blocks, cnt.BadBlocks
	r.pub.LastBadBlock = cnt.LastBadBlock
	r.mu.Unlock()
}

// publish sets the pipeline counters of worker w, called by the pipeline's
// Consumer on the worker's goroutine.
func (h *Handle) publish(w int, f func(st *Stats)) {
	r := h.rings[w]
	r.mu.Lock()
	f(&r.pub)
	r.mu.Unlock()
}

// Stats returns the counters summed over the workers, with the kernel's
// counters read from the sockets now (or at Close).
func (h *Handle) Stats() Stats {
	var st Stats
	for _, r := range h.rings {
		r.mu.Lock()
		p := r.pub
		r.mu.Unlock()
		st.Packets += p.Packets
		st.Bytes += p.Bytes
		st.Outgoing += p.Outgoing
		st.Truncated += p.Truncated
		st.Blocks += p.Blocks
		st.BadBlocks += p.BadBlocks
		if p.LastBadBlock != "" {
			st.LastBadBlock = p.LastBadBlock
		}
		st.DecodeErrors += p.DecodeErrors
		st.NotTCP += p.NotTCP
		st.Fragments += p.Fragments
		addAssembler(&st.Assembler, &p.Assembler)
	}
	h.mu.Lock()
	if h.state != stateClosed {
		h.readKernelStats()
	}
	st.KernelPackets, st.KernelDrops, st.KernelFreezes = h.kstats[0], h.kstats[1], h.kstats[2]
	h.mu.Unlock()
	if h.rec != nil {
		st.RecordedPackets, st.RecordErrors = h.rec.counts()
	}
	return st
}

// readKernelStats adds the sockets' PACKET_STATISTICS, which reset on every
// read, to h.kstats. h.mu is held.
func (h *Handle) readKernelStats() {
	for _, r := range h.rings {
		if r.fd < 0 {
			continue
		}
		ks, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
		if err != nil {
			continue
		}
		h.kstats[0] += uint64(ks.Packets)
		h.kstats[1] += uint64(ks.Drops)
		h.kstats[2] += uint64(ks.Freeze_q_cnt)
		r.kstored += uint64(ks.Packets - ks.Drops)
	}
}

// ringDrained reports whether worker r has seen every frame the kernel
// stored in its ring.
func (h *Handle) ringDrained(r *ring, seen uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.readKernelStats()
	return seen >= r.kstored
}

// addAssembler adds every counter of s to d (by reflection, so that
// counters added to reassembly.Stats are summed too; Stats is not a hot
// path).
func addAssembler(d, s *reassembly.Stats) {
	dv, sv := reflect.ValueOf(d).Elem(), reflect.ValueOf(s).Elem()
	for i := 0; i < dv.NumField(); i++ {
		f := dv.Field(i)
		switch f.Kind() {
		case reflect.Uint64, reflect.Uint32, reflect.Uint:
			f.SetUint(f.Uint() + sv.Field(i).Uint())
		case reflect.Int, reflect.Int64, reflect.Int32:
			f.SetInt(f.Int() + sv.Field(i).Int())
		}
	}
}

// Close stops a running capture (as cancelling Run's context does), waits
// until Run has flushed every worker and returned, then closes the sockets
// and unmaps the rings. The kernel counters are read one last time first,
// so Stats stays valid after Close. Calling Close again does nothing.
func (h *Handle) Close() error {
	h.closeMu.Lock()
	defer h.closeMu.Unlock()
	h.mu.Lock()
	switch h.state {
	case stateClosed:
		h.mu.Unlock()
		return nil
	case stateRunning:
		h.mu.Unlock()
		h.signalStop()
		<-h.done
		h.mu.Lock()
	}
	h.readKernelStats()
	h.state = stateClosed // from here on Run and Stats leave the sockets alone
	h.mu.Unlock()
	return h.release()
}

func (h *Handle) release() error {
	var errs []error
	for _, r := range h.rings {
		if r.mem != nil {
			errs = append(errs, unix.Munmap(r.mem))
			r.mem = nil
		}
		if r.fd >= 0 {
			errs = append(errs, unix.Close(r.fd))
			r.fd = -1
		}
	}
	if h.efd >= 0 {
		errs = append(errs, unix.Close(h.efd))
		h.efd = -1
	}
	return errors.Join(errs...)
}
