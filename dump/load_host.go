package dump

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
)

// hostSample is what the host's /proc files gave.
type hostSample struct {
	total, busy uint64 // CPU ticks of all CPUs since boot: all, and not idle
	memTotal    uint64 // bytes
}

// sampleHost reads the host's CPU counters (/proc/stat) and memory
// (/proc/meminfo) and sets l.HostMem. Without them there is no sample.
func (p *SystemProbe) sampleHost(l *Load) (hostSample, error) {
	var h hostSample
	// First line of /proc/stat, "cpu  user nice system idle iowait irq softirq steal ...".
	b, err := p.read(filepath.Join(p.o.ProcRoot, "stat"))
	if err != nil {
		return h, fmt.Errorf("%w: %v", ErrProbe, err)
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return h, fmt.Errorf("%w: unexpected /proc/stat", ErrProbe)
	}
	var idle uint64
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(string(v), 10, 64)
		if i == 8 || i == 9 { // guest, guest_nice are already in user/nice
			continue
		}
		h.total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	h.busy = h.total - idle

	b, err = p.read(filepath.Join(p.o.ProcRoot, "meminfo"))
	if err != nil {
		return h, fmt.Errorf("%w: %v", ErrProbe, err)
	}
	h.memTotal = fieldKB(b, "MemTotal:") * 1024
	memAvail := fieldKB(b, "MemAvailable:") * 1024
	if h.memTotal > 0 {
		l.HostMem = pct(float64(h.memTotal-min(memAvail, h.memTotal)), float64(h.memTotal))
	}
	return h, nil
}
