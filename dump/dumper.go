package dump

import (
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirekit/wirekit/internal/nocopy"
)

// The state word packs everything the per-read check needs into one atomic
// load: the switch, the window flag, the load gate, whether per-connection
// sampling is active, whether the dumper is closed, and the current window's
// sequence number in the upper 32 bits.
const (
	stSwitch uint64 = 1 << iota
	stWindow
	stGate
	stConnSample
	stClosed

	stOpen   = stSwitch | stWindow | stGate
	winShift = 32
)

// Dumper is a sampled, load-gated traffic recorder. Create it with New, call
// Start, feed it from any number of goroutines, and Close it to drain what
// was accepted into the sinks. A Dumper holds no package-level state: several
// with different configurations can run in one process.
//
// The check a proxy makes on every read (Sampling, and the first step of
// Conn.Flow and Record) is one atomic load of a state word that a background
// goroutine keeps up to date with the window schedule and the load gate; it
// makes no system call, takes no lock and allocates nothing. Accepted bytes
// are copied into pooled buffers and queued for a worker; when the queue is
// full they are dropped and counted, never waited for.
type Dumper struct {
	_     nocopy.NoCopy
	_     [64]byte // keep the hot read-mostly words off the counters' lines
	state atomic.Uint64
	// connThreshold: a connection is sampled when its hash is below it
	// (meaningful only while stConnSample is set).
	connThreshold atomic.Uint64
	_             [48]byte

	sub counters // written by submitters
	_   [64]byte
	wrk counters // written by workers
	_   [64]byte

	cfg      Config
	clock    Clock
	instance uint64 // upper half of window ids, random per Dumper
	salt     uint64 // per-Dumper salt of the connection-sampling hash
	shards   []*shard
	maxArena int64 // MaxQueuedBytes per shard
	sinks    []*sinkState

	ctl       sync.Mutex // serializes every writer of state and the fields below
	strategy  Strategy
	rate      float64
	started   bool
	closed    bool
	epoch     time.Time // origin of the window schedule
	curStart  time.Time // start of the current (or last) window
	winSeq    uint32
	inWindow  bool
	gateOpen  bool
	load      Load
	snapshots map[string]uint64
	kick      chan struct{}
	stop      chan struct{}
	loopDone  sync.WaitGroup
	workDone  sync.WaitGroup

	loops       atomic.Uint64 // control-loop iterations, for tests to sync on
	windows     atomic.Uint64
	gateCloses  atomic.Uint64
	probeErrors atomic.Uint64
}

// counters are split in a submitter-side and a worker-side set on separate
// cache lines, so the worker's updates do not slow the submission path.
type counters struct {
	accepted, acceptedBytes   atomic.Uint64
	written, writtenBytes     atomic.Uint64
	dropGate, dropGateBytes   atomic.Uint64
	dropQueue, dropQueueBytes atomic.Uint64
	dropWrite, dropWriteBytes atomic.Uint64
	partial, partialBytes     atomic.Uint64
	duplicateBytes            atomic.Uint64
}

// shard is one worker's queue: items and an arena holding copies of their
// bytes, both appended under a mutex that is held for a copy only. The
// worker swaps both out with a spare pair and hands them to the sinks
// outside the lock, so in steady state nothing is allocated and a
// submission costs one uncontended lock and one copy.
type shard struct {
	mu      sync.Mutex
	items   []Item
	arena   []byte
	waiting bool // the worker is blocked on wake
	closed  bool
	wake    chan struct{}
	_       [64]byte
}

type sinkState struct {
	mu      sync.Mutex
	s       Sink
	written atomic.Uint64
	failed  atomic.Uint64
	// payload bytes of the items written and failed
	writtenBytes, failedBytes atomic.Uint64
	errors                    atomic.Uint64
	down                      atomic.Bool
	downUntil                 time.Time
	backoff                   time.Duration
	lastErr                   atomic.Pointer[error]
}

// New validates cfg, applies defaults and returns a stopped Dumper.
func New(cfg Config) (*Dumper, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Dumper{
		cfg:       cfg,
		clock:     cfg.Clock,
		instance:  uint64(rand.Uint32()|1) << winShift,
		salt:      rand.Uint64(),
		strategy:  cfg.Strategy,
		gateOpen:  true,
		load:      Load{CPU: -1, Mem: -1},
		snapshots: make(map[string]uint64),
		kick:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
	}
	d.shards = make([]*shard, cfg.Workers)
	for i := range d.shards {
		d.shards[i] = &shard{wake: make(chan struct{}, 1)}
	}
	d.maxArena = max(cfg.MaxQueuedBytes/int64(cfg.Workers), 1)
	for _, s := range cfg.Sinks {
		d.sinks = append(d.sinks, &sinkState{s: s})
	}
	d.setRateLocked(cfg.ConnSampleRate)
	return d, nil
}

// Start samples the load once, opens the first window if the switch is ON,
// writes a snapshot of the strategy and starts the control goroutine (window
// schedule and load monitor) and the writer workers.
func (d *Dumper) Start() error {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	if d.closed {
		return ErrClosed
	}
	if d.started {
		return ErrStarted
	}
	d.started = true
	now := d.clock.Now()
	d.epoch = now
	d.sampleLoadLocked()
	for _, sh := range d.shards {
		d.workDone.Add(1)
		go d.worker(sh)
	}
	d.scheduleLocked(now)
	d.snapshotStrategyLocked()
	d.loopDone.Add(1)
	go d.run()
	return nil
}

// Close stops sampling, waits for submitters already past the check, drains
// every accepted item into the sinks, then closes the sinks. It returns the
// sinks' Close errors joined. Calling Close again returns nil.
func (d *Dumper) Close() error {
	d.ctl.Lock()
	if d.closed {
		d.ctl.Unlock()
		return nil
	}
	d.closed = true
	d.state.Store(stClosed)
	started := d.started
	close(d.stop)
	d.ctl.Unlock()

	d.loopDone.Wait()
	// A submitter that loaded the state before the Store above may still
	// push; the shard's closed flag, set under its lock, refuses it (it is
	// not counted as accepted), and the worker drains the rest.
	for _, sh := range d.shards {
		sh.mu.Lock()
		sh.closed = true
		sh.mu.Unlock()
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
	if started {
		d.workDone.Wait()
	}
	var errs []error
	for _, ss := range d.sinks {
		ss.mu.Lock()
		if err := ss.s.Close(); err != nil {
			errs = append(errs, err)
		}
		ss.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Sampling reports whether bytes of connection connID would be recorded
// now: switch ON, inside a window, load gate open, and the connection
// selected by ConnSampleRate. It is the cheap check to make before doing any
// work to prepare a submission.
func (d *Dumper) Sampling(connID uint64) bool {
	s := d.state.Load()
	if s&stOpen != stOpen {
		return false
	}
	return s&stConnSample == 0 || d.connSelected(connHash(connID, d.salt))
}

func (d *Dumper) connSelected(h uint64) bool { return h < d.connThreshold.Load() }

// connHash is splitmix64's finalizer over the salted id: cheap and well
// mixed, so any fraction of ids is selected uniformly.
func connHash(id, salt uint64) uint64 {
	z := id ^ salt
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Window returns the id of the open sampling window, 0 when none is open.
// Ids are unique per Dumper: a random per-Dumper half and a sequence number.
func (d *Dumper) Window() uint64 {
	s := d.state.Load()
	if s&stWindow == 0 {
		return 0
	}
	return d.instance | s>>winShift
}

func (d *Dumper) windowID(s uint64) uint64 {
	if s>>winShift == 0 {
		return 0
	}
	return d.instance | s>>winShift
}

// GateOpen reports whether the load gate is open.
func (d *Dumper) GateOpen() bool { return d.state.Load()&stGate != 0 }

// Strategy returns the strategy in force.
func (d *Dumper) Strategy() Strategy {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	return d.strategy
}

// UpdateStrategy replaces the strategy while traffic flows. A change of the
// switch, interval or duration restarts the schedule at once: if the switch
// is ON a new window (new id) opens now. A change of the ceilings is applied
// to the last load sample at once. A snapshot of the new strategy is written
// if its content changed. Invalid strategies are rejected and the old one
// stays in force.
func (d *Dumper) UpdateStrategy(s Strategy) error {
	if err := s.Validate(); err != nil {
		return err
	}
	d.ctl.Lock()
	defer d.ctl.Unlock()
	if d.closed {
		return ErrClosed
	}
	old := d.strategy
	d.strategy = s
	if !d.started {
		return nil
	}
	now := d.clock.Now()
	if old.Switch != s.Switch || old.Interval != s.Interval || old.Duration != s.Duration {
		d.epoch = now
		d.curStart = time.Time{}
	}
	d.evalGateLocked()
	d.scheduleLocked(now)
	d.snapshotStrategyLocked()
	select {
	case d.kick <- struct{}{}:
	default:
	}
	return nil
}

// SetConnSampleRate changes the fraction of connections recorded, in
// (0, 1]. Connections whose hash falls under the new threshold are recorded
// from their next read on.
func (d *Dumper) SetConnSampleRate(rate float64) error {
	if !(rate > 0 && rate <= 1) {
		return ErrInvalidConfig
	}
	d.ctl.Lock()
	defer d.ctl.Unlock()
	d.setRateLocked(rate)
	d.publishLocked()
	return nil
}

func (d *Dumper) setRateLocked(rate float64) {
	d.rate = rate
	if rate >= 1 {
		d.connThreshold.Store(math.MaxUint64)
	} else {
		d.connThreshold.Store(uint64(rate * (1 << 63) * 2))
	}
}

// publishLocked recomputes the state word from the control fields.
func (d *Dumper) publishLocked() {
	if d.closed {
		return
	}
	var s uint64
	if d.strategy.On() {
		s |= stSwitch
	}
	if d.inWindow {
		s |= stWindow
	}
	if d.gateOpen {
		s |= stGate
	}
	if d.rate < 1 {
		s |= stConnSample
	}
	s |= uint64(d.winSeq) << winShift
	d.state.Store(s)
}

// scheduleLocked updates the window flag for time now and returns how long
// until the next window event (0: none scheduled, the switch is OFF).
// Windows start at epoch + k*Interval and last Duration; windows that fell
// entirely between two evaluations (a stalled clock) are skipped.
func (d *Dumper) scheduleLocked(now time.Time) time.Duration {
	defer d.publishLocked()
	if !d.strategy.On() {
		d.inWindow = false
		return 0
	}
	iv, du := d.strategy.IntervalDuration(), d.strategy.WindowDuration()
	el := now.Sub(d.epoch)
	if el < 0 {
		el = 0
	}
	start := d.epoch.Add(el / iv * iv)
	end := start.Add(du)
	if now.Before(end) {
		if !d.inWindow || !d.curStart.Equal(start) {
			d.curStart = start
			d.winSeq++
			if d.winSeq == 0 { // 2^32 windows later: skip the "no window" value
				d.winSeq = 1
			}
			d.inWindow = true
			d.windows.Add(1)
			d.publishLocked()
			d.enqueueControl(Item{Kind: KindWindow, Window: d.instance | uint64(d.winSeq), Time: start})
		}
		return end.Sub(now)
	}
	d.inWindow = false
	return start.Add(iv).Sub(now)
}

// run is the control goroutine: it flips the window flag on schedule and
// samples the load every MonitorPeriod.
func (d *Dumper) run() {
	defer d.loopDone.Done()
	mon := d.clock.NewTimer(d.cfg.MonitorPeriod)
	defer func() { mon.Stop() }()
	for {
		d.ctl.Lock()
		wait := d.scheduleLocked(d.clock.Now())
		d.ctl.Unlock()
		var winC <-chan time.Time
		var win Timer
		if wait > 0 {
			win = d.clock.NewTimer(wait)
			winC = win.C()
		}
		d.loops.Add(1)
		select {
		case <-d.stop:
			if win != nil {
				win.Stop()
			}
			return
		case <-d.kick:
		case <-winC:
		case <-mon.C():
			d.ctl.Lock()
			d.sampleLoadLocked()
			d.ctl.Unlock()
			mon = d.clock.NewTimer(d.cfg.MonitorPeriod)
		}
		if win != nil {
			win.Stop()
		}
	}
}

func (d *Dumper) sampleLoadLocked() {
	l, err := d.cfg.Probe.Sample()
	if err != nil {
		// Keep the gate as it was: a probe that cannot read /proc must not
		// switch dumping on or off by itself.
		d.probeErrors.Add(1)
		return
	}
	d.load = l
	d.evalGateLocked()
	d.publishLocked()
}

// evalGateLocked closes the gate when a figure is above its ceiling and
// reopens it only when both are at least Hysteresis points below, so a load
// hovering at the ceiling does not flap the gate every sample.
func (d *Dumper) evalGateLocked() {
	s, h, l := d.strategy, d.cfg.Hysteresis, d.load
	if d.gateOpen {
		if l.CPU > s.CPUMaxRate || l.Mem > s.MemMaxRate {
			d.gateOpen = false
			d.gateCloses.Add(1)
		}
	} else if l.CPU <= s.CPUMaxRate-h && l.Mem <= s.MemMaxRate-h {
		d.gateOpen = true
	}
	d.publishLocked()
}

// Load returns the last load sample.
func (d *Dumper) Load() Load {
	d.ctl.Lock()
	defer d.ctl.Unlock()
	return d.load
}

func (d *Dumper) snapshotStrategyLocked() {
	b, _ := d.strategy.MarshalJSON() // cannot fail: plain fields
	d.snapshotLocked("strategy", b)
}

// Snapshot records a configuration snapshot under name (for example the
// proxy's whole configuration as JSON). It is written only when its content
// differs from the last snapshot of that name the sinks were handed, and it
// is written whatever the window and gate (configuration is context for the
// traffic, and small). It reports whether the snapshot was queued.
func (d *Dumper) Snapshot(name string, data []byte) (bool, error) {
	if len(data) > d.cfg.MaxRecordSize {
		return false, ErrTooLarge
	}
	d.ctl.Lock()
	defer d.ctl.Unlock()
	if d.closed {
		return false, ErrClosed
	}
	return d.snapshotLocked(name, data), nil
}

func (d *Dumper) snapshotLocked(name string, data []byte) bool {
	h := fnv.New64a()
	h.Write(data)
	sum := h.Sum64()
	if old, ok := d.snapshots[name]; ok && old == sum {
		return false
	}
	it := Item{Kind: KindSnapshot, Window: d.windowID(d.state.Load()), Time: d.clock.Now(), Type: name, Hash: sum}
	if d.push(0, &it, data) != Accepted {
		return false // not remembered: the next call retries
	}
	d.snapshots[name] = sum
	return true
}

// enqueueControl queues a small control item (window opening). Dropped like
// any item when the queue is full.
func (d *Dumper) enqueueControl(it Item) { d.push(0, &it, nil) }

// push copies data into the shard's arena and queues it with data as its
// Data, without ever blocking; it counts acceptance or the drop.
func (d *Dumper) push(i int, it *Item, data []byte) Verdict {
	sh := d.shards[i]
	n := len(data)
	sh.mu.Lock()
	if sh.closed {
		sh.mu.Unlock()
		return NotSampled
	}
	// A connection's close item is kept even over QueueSize (it has no
	// payload, and a connection closes once), so a pcapng has the FIN of
	// every connection it has data for.
	if (len(sh.items) >= d.cfg.QueueSize && it.Kind != KindClose) || int64(len(sh.arena)+n) > d.maxArena {
		sh.mu.Unlock()
		d.sub.dropQueue.Add(1)
		d.sub.dropQueueBytes.Add(uint64(n))
		return DroppedQueueFull
	}
	start := len(sh.arena)
	sh.arena = append(sh.arena, data...)
	it.Data = sh.arena[start:len(sh.arena):len(sh.arena)]
	sh.items = append(sh.items, *it)
	wake := sh.waiting
	sh.waiting = false
	sh.mu.Unlock()
	if wake {
		select {
		case sh.wake <- struct{}{}:
		default:
		}
	}
	d.sub.accepted.Add(1)
	d.sub.acceptedBytes.Add(uint64(n))
	return Accepted
}

// Verdict is the outcome of a submission.
type Verdict uint8

// Verdicts.
const (
	// NotSampled: switch OFF, outside a window, connection not selected,
	// dumper not started or closed. Not counted: nothing was meant to be
	// recorded.
	NotSampled Verdict = iota
	// Accepted: queued; the worker will hand it to the sinks.
	Accepted
	// Duplicate: every byte had been recorded before (the caller showed a
	// buffer again); nothing queued.
	Duplicate
	// DroppedGate: inside a window but the load gate is closed; counted.
	DroppedGate
	// DroppedQueueFull: the queue (or its byte cap) was full; counted.
	DroppedQueueFull
)

var verdictNames = [...]string{"not-sampled", "accepted", "duplicate", "dropped-gate", "dropped-queue-full"}

// String returns a short name of the verdict.
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "unknown"
}

// Record queues a user-defined record (Layotto's "portrait data"): a
// business type and a payload, written like flow data only inside a window
// and with the gate open. The payload is copied.
func (d *Dumper) Record(businessType string, payload []byte) (Verdict, error) {
	if len(payload) > d.cfg.MaxRecordSize {
		return NotSampled, ErrTooLarge
	}
	s := d.state.Load()
	if s&stOpen != stOpen {
		if s&(stSwitch|stWindow) == stSwitch|stWindow && s&stClosed == 0 {
			d.sub.dropGate.Add(1)
			d.sub.dropGateBytes.Add(uint64(len(payload)))
			return DroppedGate, nil
		}
		return NotSampled, nil
	}
	it := Item{Kind: KindRecord, Window: d.windowID(s), Time: d.clock.Now(), Type: businessType}
	return d.push(0, &it, payload), nil
}

// Stats is a snapshot of a Dumper's counters. Items and bytes are counted
// at submission (Accepted*) and at the sinks (Written*, DroppedWriteError*);
// once the queue is drained, Accepted = Written + DroppedWriteError.
type Stats struct {
	Accepted, AcceptedBytes uint64
	// Written counts items at least one sink wrote; WrittenBytes their
	// payload. With several sinks, one failing does not hide what the
	// others wrote: see Sinks for each sink's own counts.
	Written, WrittenBytes uint64
	// WrittenPartial counts the Written items that some sink failed to
	// write (or skipped while down) although another wrote them.
	WrittenPartial, WrittenPartialBytes uint64
	// DroppedGate counts submissions inside a window refused by the closed
	// load gate.
	DroppedGate, DroppedGateBytes uint64
	// DroppedQueueFull counts submissions refused because the queue or its
	// byte cap was full.
	DroppedQueueFull, DroppedQueueFullBytes uint64
	// DroppedWriteError counts accepted items no sink wrote (every sink
	// failed them or was down).
	DroppedWriteError, DroppedWriteErrorBytes uint64
	// DuplicateBytes counts bytes shown again by the caller and not
	// recorded twice.
	DuplicateBytes uint64
	// Queued is the payload bytes waiting in queues now (not counting a
	// batch a worker is writing).
	Queued int64
	// Windows is the number of windows opened; Window the open one (0 if
	// none).
	Windows, Window uint64
	// GateOpen is the load gate; GateCloses how often it closed.
	GateOpen   bool
	GateCloses uint64
	// Load is the last load sample; ProbeErrors counts failed samples.
	Load        Load
	ProbeErrors uint64
	Sinks       []SinkStats
}

// Stats returns the counters.
func (d *Dumper) Stats() Stats {
	st := Stats{
		Accepted: d.sub.accepted.Load(), AcceptedBytes: d.sub.acceptedBytes.Load(),
		Written: d.wrk.written.Load(), WrittenBytes: d.wrk.writtenBytes.Load(),
		DroppedGate: d.sub.dropGate.Load(), DroppedGateBytes: d.sub.dropGateBytes.Load(),
		DroppedQueueFull: d.sub.dropQueue.Load(), DroppedQueueFullBytes: d.sub.dropQueueBytes.Load(),
		DroppedWriteError: d.wrk.dropWrite.Load(), DroppedWriteErrorBytes: d.wrk.dropWriteBytes.Load(),
		WrittenPartial: d.wrk.partial.Load(), WrittenPartialBytes: d.wrk.partialBytes.Load(),
		DuplicateBytes: d.sub.duplicateBytes.Load(),
		Queued:         d.queuedBytes(),
		Windows:        d.windows.Load(), Window: d.Window(),
		GateOpen: d.GateOpen(), GateCloses: d.gateCloses.Load(),
		Load: d.Load(), ProbeErrors: d.probeErrors.Load(),
	}
	for _, ss := range d.sinks {
		s := SinkStats{Name: ss.s.Name(), Written: ss.written.Load(), Failed: ss.failed.Load(),
			WrittenBytes: ss.writtenBytes.Load(), FailedBytes: ss.failedBytes.Load(),
			Errors: ss.errors.Load(), Down: ss.down.Load()}
		if e := ss.lastErr.Load(); e != nil {
			s.LastError = *e
		}
		st.Sinks = append(st.Sinks, s)
	}
	return st
}

func (d *Dumper) queuedBytes() int64 {
	var n int64
	for _, sh := range d.shards {
		sh.mu.Lock()
		n += int64(len(sh.arena))
		sh.mu.Unlock()
	}
	return n
}
