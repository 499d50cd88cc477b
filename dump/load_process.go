package dump

import (
	"bytes"
	"path/filepath"
	"strconv"
)

// procSample is what /proc/self gave.
type procSample struct {
	ticks uint64 // user + system CPU time in clock ticks
	ok    bool
}

// sampleProcess reads this process's CPU time (/proc/self/stat) and RSS
// (/proc/self/status) and sets l.ProcessMem, relative to the cgroup memory
// limit when there is one, else to host memory.
func (p *SystemProbe) sampleProcess(l *Load, memTotal, memLimit uint64) procSample {
	var s procSample
	if b, err := p.read(filepath.Join(p.o.ProcRoot, "self", "stat")); err == nil {
		// The command name (field 2) may hold spaces: fields are counted
		// after the last ')'.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 {
			pf := bytes.Fields(b[i+1:])
			if len(pf) > 12 { // pf[0] is field 3 (state); utime is 14, stime 15
				ut, e1 := strconv.ParseUint(string(pf[11]), 10, 64)
				st, e2 := strconv.ParseUint(string(pf[12]), 10, 64)
				if e1 == nil && e2 == nil {
					s.ticks, s.ok = ut+st, true
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
	return s
}
