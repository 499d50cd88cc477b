package dump

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// TestDefaultCPUMaxRateOnBusyHost is issue 19.6's cpu_max_rate as its doc
// states it, through the real SystemProbe on a synthetic /proc: with the
// default ceiling (80), a host 85 % busy with other work closes the gate
// although this process uses 0.5 % of the CPUs; submissions are then
// DroppedGate and counted; the gate stays closed at 78 % (within the
// hysteresis) and reopens at 75 %.
func TestDefaultCPUMaxRateOnBusyHost(t *testing.T) {
	s, err := ParseStrategy([]byte(`{"switch":"ON","interval":3600,"duration":3600}`))
	require.NoError(t, err)
	require.Equal(t, float64(DefaultCPUMaxRate), s.CPUMaxRate, "the default ceiling")
	proc, cg := t.TempDir(), t.TempDir()
	var now atomic.Int64
	now.Store(1000)
	probe := NewSystemProbe(SystemProbeOptions{ProcRoot: proc, CgroupRoot: cg, NumCPU: 2,
		Now: func() time.Time { return time.Unix(now.Load(), 0) }})
	var busy, idle, ticks int
	write := func(busyPct, procTicks int) { // one second of a 2-CPU host at USER_HZ 100: 200 ticks
		busy += 2 * busyPct
		idle += 200 - 2*busyPct
		ticks += procTicks
		writeTree(t, proc, map[string]string{
			"stat":        "cpu  " + itoa(busy) + " 0 0 " + itoa(idle) + " 0 0 0 0 0 0\n",
			"meminfo":     "MemTotal:       16000000 kB\nMemFree:  1 kB\nMemAvailable:   12000000 kB\n",
			"self/stat":   "4242 (proxy) S 1 2 3 4 5 6 7 8 9 10 " + itoa(ticks) + " 0 0 0\n",
			"self/status": "Name: proxy\nVmRSS:\t  100000 kB\n",
			"self/cgroup": "0::/\n",
		})
	}
	write(0, 0)
	r := newRig(t, s, func(c *Config) { c.Probe = probe; c.MonitorPeriod = time.Second })
	c := r.d.Open(ConnInfo{ID: 1})
	require.True(t, r.d.GateOpen(), "no CPU figure before a second sample")
	for i, st := range []struct {
		host int
		open bool
	}{
		{50, true}, {85, false}, {78, false}, {75, true}, {81, false},
	} {
		write(st.host, 1) // the process: 1 tick of 200, 0.5 %
		now.Add(1)
		r.step(time.Second)
		l := r.d.Load()
		assert.InDelta(t, float64(st.host), l.HostCPU, 1e-9, "step %d", i)
		assert.InDelta(t, 0.5, l.ProcessCPU, 1e-9, "step %d", i)
		assert.InDelta(t, float64(st.host), l.CPU, 1e-9, "step %d: the host figure decides", i)
		assert.Equal(t, st.open, r.d.GateOpen(), "step %d host %d%%", i, st.host)
		v := c.Append(parser.Request, []byte("GET / HTTP/1.1\r\n\r\n"))
		if st.open {
			assert.Equal(t, Accepted, v, "step %d", i)
		} else {
			assert.Equal(t, DroppedGate, v, "step %d", i)
		}
	}
	st := r.drain()
	assert.Equal(t, uint64(3), st.DroppedGate)
	assert.Equal(t, uint64(3*18), st.DroppedGateBytes)
	assert.Equal(t, uint64(2), st.GateCloses)
}
