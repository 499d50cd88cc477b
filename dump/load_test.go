package dump

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	for p, c := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
}

// The probe on synthetic /proc and cgroup trees: two samples one second
// apart with known deltas.
func TestSystemProbeCgroupV2(t *testing.T) {
	proc, cg := t.TempDir(), t.TempDir()
	now := time.Unix(1000, 0)
	p := NewSystemProbe(SystemProbeOptions{ProcRoot: proc, CgroupRoot: cg, NumCPU: 8, Now: func() time.Time { return now }})
	write := func(busy, idle, procTicks, cgUsec int) {
		writeTree(t, proc, map[string]string{
			"stat":        "cpu  " + itoa(busy) + " 0 0 " + itoa(idle) + " 0 0 0 0 0 0\ncpu0 1 2 3 4\n",
			"meminfo":     "MemTotal:       16000000 kB\nMemFree:  1 kB\nMemAvailable:    4000000 kB\n",
			"self/stat":   "4242 (my proc (x)) S 1 2 3 4 5 6 7 8 9 10 " + itoa(procTicks) + " 0 0 0\n",
			"self/status": "Name: x\nVmRSS:\t  1000000 kB\n",
			"self/cgroup": "0::/\n",
		})
		writeTree(t, cg, map[string]string{
			"cgroup.controllers": "cpu memory\n",
			"cpu.max":            "200000 100000\n", // 2 CPUs
			"cpu.stat":           "usage_usec " + itoa(cgUsec) + "\nuser_usec 1\n",
			"memory.max":         "4096000000\n",
			"memory.current":     "3000000000\n",
			"memory.stat":        "anon 1\ninactive_file 952000000\n",
		})
	}
	write(100, 900, 0, 0)
	l, err := p.Sample()
	require.NoError(t, err)
	assert.Equal(t, -1.0, l.HostCPU, "no CPU figure before a second sample")
	assert.InDelta(t, 75, l.HostMem, 1e-9)
	assert.InDelta(t, 50, l.CgroupMem, 1e-9, "working set 2048 MB of 4096 MB")
	assert.InDelta(t, 1024000000.0/4096000000*100, l.ProcessMem, 1e-9, "RSS against the cgroup limit")
	assert.InDelta(t, 75, l.Mem, 1e-9)

	now = now.Add(time.Second)
	write(100+600, 900+400, 50, 1500000) // host 60 % busy; process 0.5 CPU-s; cgroup 1.5 CPU-s
	l, err = p.Sample()
	require.NoError(t, err)
	assert.InDelta(t, 60, l.HostCPU, 1e-9)
	assert.InDelta(t, 25, l.ProcessCPU, 1e-9, "0.5 of 2 quota CPUs")
	assert.InDelta(t, 75, l.CgroupCPU, 1e-9, "1.5 of 2 quota CPUs")
	assert.InDelta(t, 75, l.CPU, 1e-9)
}

func TestSystemProbeCgroupV1AndMissing(t *testing.T) {
	proc, cg := t.TempDir(), t.TempDir()
	now := time.Unix(1000, 0)
	p := NewSystemProbe(SystemProbeOptions{ProcRoot: proc, CgroupRoot: cg, NumCPU: 4, Now: func() time.Time { return now }})
	writeTree(t, proc, map[string]string{
		"stat":        "cpu  10 0 0 90 0 0 0 0 0 0\n",
		"meminfo":     "MemTotal: 1000 kB\nMemAvailable: 500 kB\n",
		"self/cgroup": "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n",
	})
	writeTree(t, cg, map[string]string{
		"cpu,cpuacct/docker/abc/cpuacct.usage":     "0\n",
		"cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  "-1\n",
		"cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
		"memory/docker/abc/memory.limit_in_bytes":  "9223372036854771712\n", // unlimited
		"memory/docker/abc/memory.usage_in_bytes":  "100\n",
	})
	_, err := p.Sample()
	require.NoError(t, err)
	now = now.Add(2 * time.Second)
	writeTree(t, cg, map[string]string{"cpu,cpuacct/docker/abc/cpuacct.usage": "4000000000\n"})
	l, err := p.Sample()
	require.NoError(t, err)
	assert.InDelta(t, 50, l.CgroupCPU, 1e-9, "4 CPU-s over 2 s of 4 CPUs (no quota)")
	assert.Equal(t, -1.0, l.CgroupMem, "no memory limit")
	assert.Equal(t, -1.0, l.ProcessCPU, "no /proc/self/stat")
	assert.InDelta(t, 50, l.HostMem, 1e-9)

	bad := NewSystemProbe(SystemProbeOptions{ProcRoot: t.TempDir(), CgroupRoot: cg})
	_, err = bad.Sample()
	assert.ErrorIs(t, err, ErrProbe)
}

func TestSystemProbeLive(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no procfs")
	}
	p := NewSystemProbe(SystemProbeOptions{})
	_, err := p.Sample()
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond)
	l, err := p.Sample()
	require.NoError(t, err)
	assert.True(t, l.HostMem > 0 && l.HostMem <= 100, "%+v", l)
	assert.True(t, l.ProcessMem > 0 && l.ProcessMem <= 100, "%+v", l)
	assert.GreaterOrEqual(t, l.CPU, 0.0)
}

func itoa(n int) string { return strconv.Itoa(n) }
