package dump

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// cgroupSample is what the process's cgroup files gave.
type cgroupSample struct {
	cores    float64 // CPUs the process may use: the quota, else all
	usageNS  uint64  // the cgroup's CPU time
	usageOK  bool
	memLimit uint64 // bytes; 0 when unlimited (or above host memory)
}

// sampleCgroup reads the cgroup (v2 or v1) CPU quota and usage and memory
// limit and working set, and sets l.CgroupMem. Missing files leave their
// figures unset.
func (p *SystemProbe) sampleCgroup(l *Load, memTotal uint64) cgroupSample {
	c := cgroupSample{cores: float64(p.o.NumCPU)}
	if p.cgCPUMax != "" { // v2 "max 100000" or "200000 100000"
		if b, err := p.read(p.cgCPUMax); err == nil {
			q, per, _ := bytes.Cut(bytes.TrimSpace(b), []byte{' '})
			if qv, err := strconv.ParseFloat(string(q), 64); err == nil {
				if pv, err := strconv.ParseFloat(string(per), 64); err == nil && pv > 0 && qv > 0 {
					c.cores = qv / pv
				}
			}
		}
	} else if p.cgQuota != "" {
		qv := readInt(p, p.cgQuota)
		pv := readInt(p, p.cgPeriod)
		if qv > 0 && pv > 0 {
			c.cores = float64(qv) / float64(pv)
		}
	}
	if p.cgCPUUsage != "" {
		if b, err := p.read(p.cgCPUUsage); err == nil {
			if p.cgV2 {
				if us, ok := statField(b, "usage_usec"); ok {
					c.usageNS, c.usageOK = us*1000, true
				}
			} else if ns, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64); err == nil {
				c.usageNS, c.usageOK = ns, true
			}
		}
	}
	if p.cgMemMax != "" {
		if b, err := p.read(p.cgMemMax); err == nil {
			v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
			// v2 writes "max"; v1 writes a huge number when unlimited.
			if err == nil && v > 0 && v < 1<<60 && (memTotal == 0 || v < memTotal) {
				c.memLimit = v
			}
		}
	}
	if c.memLimit > 0 && p.cgMemCur != "" {
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
			l.CgroupMem = pct(float64(ws), float64(c.memLimit))
		}
	}
	return c
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
