//go:build unix

package kafka

import (
	"syscall"
	"testing"
)

// procCPU is the process's user+system CPU time in nanoseconds: steadier
// than wall time on a shared machine, where a benchmark is descheduled.
func procCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU reports the CPU time per iteration since start (procCPU) as
// cpu-ns/op; call it after the benchmark loop.
func reportCPU(b *testing.B, start int64) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(procCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}
