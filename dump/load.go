package dump

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Load is one sample of CPU and memory use, in percent. A figure that could
// not be measured (no previous sample to diff against, no cgroup limit, not
// Linux) is -1.
type Load struct {
	// CPU and Mem are what the gate compares with the strategy's ceilings:
	// the highest of the measured scopes below, because dumping is optional
	// work that should back off when any of them is hot.
	CPU, Mem float64

	// ProcessCPU is this process's CPU time over the interval, relative to
	// the CPUs it may use (the cgroup quota when there is one, else all).
	ProcessCPU float64
	// HostCPU is the busy share of all host CPUs (/proc/stat).
	HostCPU float64
	// CgroupCPU is the container's CPU usage relative to its quota (cgroup
	// v2 cpu.max / v1 cfs_quota_us), or to all CPUs when unlimited.
	CgroupCPU float64
	// ProcessMem is this process's RSS relative to the cgroup memory limit,
	// or to host memory when there is none.
	ProcessMem float64
	// HostMem is (MemTotal - MemAvailable) / MemTotal.
	HostMem float64
	// CgroupMem is the container's working set (usage minus inactive file
	// cache, as kubelet counts it) relative to its memory limit; -1 when
	// the cgroup has no limit.
	CgroupMem float64
}

// Probe measures load. The Dumper calls Sample from its control goroutine
// every Config.MonitorPeriod, never from the submission path.
type Probe interface {
	Sample() (Load, error)
}

// SystemProbeOptions locate the files a SystemProbe reads. The zero value
// reads the running system.
type SystemProbeOptions struct {
	// ProcRoot is the procfs mount, default "/proc".
	ProcRoot string
	// CgroupRoot is the cgroup mount, default "/sys/fs/cgroup".
	CgroupRoot string
	// NumCPU is the host CPU count used when no quota applies, default
	// runtime.NumCPU().
	NumCPU int
	// ClockTicks is USER_HZ, the unit of /proc/self/stat times, default 100
	// (its value on every Linux architecture Go supports).
	ClockTicks int
	// Now is the wall clock used to turn CPU time into a rate, default
	// time.Now.
	Now func() time.Time
}

// SystemProbe is the default Probe on Linux: it reads /proc/stat,
// /proc/meminfo, /proc/self/stat, /proc/self/status and the process's
// cgroup (v2 unified hierarchy, or v1 cpu,cpuacct and memory controllers).
// CPU figures are rates between two samples, so the first sample has none.
// Each Sample reads about eight small files into a reused buffer.
type SystemProbe struct {
	mu   sync.Mutex
	o    SystemProbeOptions
	buf  []byte
	init bool
	// resolved cgroup files ("" when absent)
	cgCPUUsage, cgCPUMax, cgQuota, cgPeriod string
	cgMemCur, cgMemMax, cgMemStat           string
	cgV2                                    bool
	// previous sample
	havePrev             bool
	prevWall             time.Time
	prevBusy, prevTotal  uint64
	prevProcTicks        uint64
	prevCgUsageNS        uint64
	prevCgOK, prevProcOK bool
}

// NewSystemProbe returns a probe reading the files o points at.
func NewSystemProbe(o SystemProbeOptions) *SystemProbe {
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = "/sys/fs/cgroup"
	}
	if o.NumCPU <= 0 {
		o.NumCPU = runtime.NumCPU()
	}
	if o.ClockTicks <= 0 {
		o.ClockTicks = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &SystemProbe{o: o, buf: make([]byte, 0, 8<<10)}
}

// ErrProbe: the probe could not read the basic host figures.
var ErrProbe = errors.New("dump: load probe failed")

// Sample reads the files and returns the load. It fails only when the host
// figures (/proc/stat, /proc/meminfo) cannot be read; missing process or
// cgroup files leave those figures at -1. Each source has its own reader:
// sampleHost (load_host.go), sampleCgroup (load_cgroup.go) and
// sampleProcess (load_process.go); Sample turns their counters into rates
// against the previous sample.
func (p *SystemProbe) Sample() (Load, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.init {
		p.resolveCgroup()
		p.init = true
	}
	l := Load{CPU: -1, Mem: -1, ProcessCPU: -1, HostCPU: -1, CgroupCPU: -1, ProcessMem: -1, HostMem: -1, CgroupMem: -1}
	wall := p.o.Now()
	host, err := p.sampleHost(&l)
	if err != nil {
		return l, err
	}
	cg := p.sampleCgroup(&l, host.memTotal)
	proc := p.sampleProcess(&l, host.memTotal, cg.memLimit)

	if p.havePrev {
		if dt := host.total - p.prevTotal; host.total > p.prevTotal {
			l.HostCPU = pct(float64(host.busy-min(host.busy, p.prevBusy)), float64(dt))
		}
		secs := wall.Sub(p.prevWall).Seconds()
		if secs > 0 {
			if proc.ok && p.prevProcOK && proc.ticks >= p.prevProcTicks {
				used := float64(proc.ticks-p.prevProcTicks) / float64(p.o.ClockTicks)
				l.ProcessCPU = pct(used, secs*cg.cores)
			}
			if cg.usageOK && p.prevCgOK && cg.usageNS >= p.prevCgUsageNS {
				used := float64(cg.usageNS-p.prevCgUsageNS) / 1e9
				l.CgroupCPU = pct(used, secs*cg.cores)
			}
		}
	}
	p.havePrev, p.prevWall, p.prevBusy, p.prevTotal = true, wall, host.busy, host.total
	p.prevProcTicks, p.prevProcOK, p.prevCgUsageNS, p.prevCgOK = proc.ticks, proc.ok, cg.usageNS, cg.usageOK

	l.CPU = max(l.ProcessCPU, l.HostCPU, l.CgroupCPU)
	l.Mem = max(l.ProcessMem, l.HostMem, l.CgroupMem)
	return l, nil
}

func pct(a, b float64) float64 {
	if b <= 0 {
		return -1
	}
	return min(100*a/b, 100)
}

// read reads a small file into the probe's reused buffer (valid until the
// next read).
func (p *SystemProbe) read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p.buf = p.buf[:0]
	for {
		if len(p.buf) == cap(p.buf) {
			if cap(p.buf) >= 1<<20 { // procfs files we read are far smaller
				return p.buf, nil
			}
			p.buf = append(p.buf, 0)[:len(p.buf)]
		}
		n, err := f.Read(p.buf[len(p.buf):cap(p.buf)])
		p.buf = p.buf[:len(p.buf)+n]
		if err != nil || n == 0 {
			return p.buf, nil
		}
	}
}

func readInt(p *SystemProbe, path string) int64 {
	b, err := p.read(path)
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return v
}

func readUint(p *SystemProbe, path string) (uint64, bool) {
	b, err := p.read(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	return v, err == nil
}

// fieldKB returns the number after key in a "Key:   123 kB" file.
func fieldKB(b []byte, key string) uint64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+len(key):])
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseUint(string(f[0]), 10, 64)
	return v
}

// statField returns the value of a "key value" line.
func statField(b []byte, key string) (uint64, bool) {
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = bytes.Cut(b, []byte{'\n'})
		if k, v, ok := bytes.Cut(ln, []byte{' '}); ok && string(k) == key {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
