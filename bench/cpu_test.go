package bench

import "testing"

// cpuPerOp starts measuring the process's CPU time (user + system, from
// getrusage: garbage collection and other goroutines included) and returns
// a function that reports it per operation as cpu-ns/op. Benchmarks call
// it as `defer cpuPerOp(b)()` just before their b.Loop loop, which runs
// once per benchmark run, so the figure covers every iteration. bench/run.sh
// shows it beside the wall-clock ns/op: on a busy host wall time includes
// waiting for a core, CPU time does not.
func cpuPerOp(b *testing.B) func() {
	start := procCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(procCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
