package dump

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// cgroup files leave those figures at -1.
func (p *SystemProbe) Sample() (Load, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.init {
		p.resolveCgroup()
		p.init = true
	}
	l := Load{CPU: -1, Mem: -1, ProcessCPU: -1, HostCPU: -1, CgroupCPU: -1, ProcessMem: -1, HostMem: -1, CgroupMem: -1}
	wall := p.o.Now()

	// Host CPU: first line of /proc/stat, "cpu  user nice system idle iowait irq softirq steal ...".
	b, err := p.read(filepath.Join(p.o.ProcRoot, "stat"))
	if err != nil {
		return l, fmt.Errorf("%w: %v", ErrProbe, err)
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return l, fmt.Errorf("%w: unexpected /proc/stat", ErrProbe)
	}
	var total, idle uint64
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(string(v), 10, 64)
		if i == 8 || i == 9 { // guest, guest_nice are already in user/nice
			continue
		}
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	busy := total - idle

	// Host memory.
	b, err = p.read(filepath.Join(p.o.ProcRoot, "meminfo"))
	if err != nil {
		return l, fmt.Errorf("%w: %v", ErrProbe, err)
	}
	memTotal := fieldKB(b, "MemTotal:") * 1024
	memAvail := fieldKB(b, "MemAvailable:") * 1024
	if memTotal > 0 {
		l.HostMem = pct(float64(memTotal-min(memAvail, memTotal)), float64(memTotal))
	}

	// Cgroup limits and usage.
	cores := float64(p.o.NumCPU)
	var cgUsageNS uint64
	cgOK := false
	if p.cgCPUMax != "" { // v2 "max 100000" or "200000 100000"
		if b, err := p.read(p.cgCPUMax); err == nil {
			q, per, _ := bytes.Cut(bytes.TrimSpace(b), []byte{' '})
			if qv, err := strconv.ParseFloat(string(q), 64); err == nil {
				if pv, err := strconv.ParseFloat(string(per), 64); err == nil && pv > 0 && qv > 0 {
					cores = qv / pv
				}
			}
		}
	} else if p.cgQuota != "" {
		qv := readInt(p, p.cgQuota)
		pv := readInt(p, p.cgPeriod)
		if qv > 0 && pv > 0 {
			cores = float64(qv) / float64(pv)
		}
	}
	if p.cgCPUUsage != "" {
		if b, err := p.read(p.cgCPUUsage); err == nil {
			if p.cgV2 {
				if us, ok := statField(b, "usage_usec"); ok {
					cgUsageNS, cgOK = us*1000, true
				}
			} else if ns, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64); err == nil {
				cgUsageNS, cgOK = ns, true
			}
		}
	}
	var memLimit uint64
	if p.cgMemMax != "" {
		if b, err := p.read(p.cgMemMax); err == nil {
			v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
			// v2 writes "max"; v1 writes a huge number when unlimited.
			if err == nil && v > 0 && v < 1<<60 && (memTotal == 0 || v < memTotal) {
				memLimit = v
			}
		}
	}
	if memLimit > 0 && p.cgMemCur != "" {
		if cur, ok := readUint(p, p.cgMemCur); ok {
			inactive := uint64(0)
			if p.cgMemStat != "" {
				if b, err := p.read(p.cgMemStat); err == nil {
					key := "inactive_file"
					if !p.cgV2 {
						key = "total_inactive_file"
					}
					inactive, _ = statField(b, key)
				}
			}
			ws := cur - min(inactive, cur)
			l.CgroupMem = pct(float64(ws), float64(memLimit))
		}
	}

	// Process CPU and memory.
	var procTicks uint64
	procOK := false
	if b, err := p.read(filepath.Join(p.o.ProcRoot, "self", "stat")); err == nil {
		// The command name (field 2) may hold spaces: fields are counted
		// after the last ')'.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			pf := bytes.Fields(b[i+1:])
			if len(pf) > 12 { // pf[0] is field 3 (state); utime is 14, stime 15
				ut, e1 := strconv.ParseUint(string(pf[11]), 10, 64)
				st, e2 := strconv.ParseUint(string(pf[12]), 10, 64)
				if e1 == nil && e2 == nil {
					procTicks, procOK = ut+st, true
				}
			}
		}
	}
	if b, err := p.read(filepath.Join(p.o.ProcRoot, "self", "status")); err == nil {
		rss := fieldKB(b, "VmRSS:") * 1024
		den := memTotal
		if memLimit > 0 {
			den = memLimit
		}
		if den > 0 && rss > 0 {
			l.ProcessMem = pct(float64(rss), float64(den))
		}
	}

	if p.havePrev {
		if dt := total - p.prevTotal; total > p.prevTotal {
			l.HostCPU = pct(float64(busy-min(busy, p.prevBusy)), float64(dt))
		}
		secs := wall.Sub(p.prevWall).Seconds()
		if secs > 0 {
			if procOK && p.prevProcOK && procTicks >= p.prevProcTicks {
				used := float64(procTicks-p.prevProcTicks) / float64(p.o.ClockTicks)
				l.ProcessCPU = pct(used, secs*cores)
			}
			if cgOK && p.prevCgOK && cgUsageNS >= p.prevCgUsageNS {
				used := float64(cgUsageNS-p.prevCgUsageNS) / 1e9
				l.CgroupCPU = pct(used, secs*cores)
			}
		}
	}
	p.havePrev, p.prevWall, p.prevBusy, p.prevTotal = true, wall, busy, total
	p.prevProcTicks, p.prevProcOK, p.prevCgUsageNS, p.prevCgOK = procTicks, procOK, cgUsageNS, cgOK

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

// resolveCgroup finds this process's cgroup directory. With a cgroup
// namespace (the usual container setup) /proc/self/cgroup says "/" and the
// files are at the mount root; otherwise the listed path is tried first.
func (p *SystemProbe) resolveCgroup() {
	self, _ := os.ReadFile(filepath.Join(p.o.ProcRoot, "self", "cgroup"))
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }
	pick := func(dirs []string, file string) string {
		for _, d := range dirs {
			if f := filepath.Join(d, file); exists(f) {
				return f
			}
		}
		return ""
	}
	if exists(filepath.Join(p.o.CgroupRoot, "cgroup.controllers")) {
		p.cgV2 = true
		dirs := []string{p.o.CgroupRoot}
		for _, ln := range bytes.Split(self, []byte{'\n'}) {
			if rest, ok := bytes.CutPrefix(ln, []byte("0::")); ok && len(rest) > 0 {
				dirs = []string{filepath.Join(p.o.CgroupRoot, string(rest)), p.o.CgroupRoot}
			}
		}
		p.cgCPUUsage = pick(dirs, "cpu.stat")
		p.cgCPUMax = pick(dirs, "cpu.max")
		p.cgMemCur = pick(dirs, "memory.current")
		p.cgMemMax = pick(dirs, "memory.max")
		p.cgMemStat = pick(dirs, "memory.stat")
		return
	}
	// v1: "N:controller[,controller]:/path" lines.
	path := func(ctrl string) string {
		for _, ln := range bytes.Split(self, []byte{'\n'}) {
			parts := bytes.SplitN(ln, []byte{':'}, 3)
			if len(parts) == 3 {
				for _, c := range bytes.Split(parts[1], []byte{','}) {
					if string(c) == ctrl {
						return string(parts[2])
					}
				}
			}
		}
		return "/"
	}
	var cpuDirs []string
	for _, m := range []string{"cpu,cpuacct", "cpuacct,cpu", "cpuacct", "cpu"} {
		base := filepath.Join(p.o.CgroupRoot, m)
		cpuDirs = append(cpuDirs, filepath.Join(base, path("cpuacct")), base)
	}
	p.cgCPUUsage = pick(cpuDirs, "cpuacct.usage")
	p.cgQuota = pick(cpuDirs, "cpu.cfs_quota_us")
	p.cgPeriod = pick(cpuDirs, "cpu.cfs_period_us")
	memBase := filepath.Join(p.o.CgroupRoot, "memory")
	memDirs := []string{filepath.Join(memBase, path("memory")), memBase}
	p.cgMemCur = pick(memDirs, "memory.usage_in_bytes")
	p.cgMemMax = pick(memDirs, "memory.limit_in_bytes")
	p.cgMemStat = pick(memDirs, "memory.stat")
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
