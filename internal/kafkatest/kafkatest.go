// Package kafkatest holds what the tests of the Kafka producers
// (dump/kafkasink, export) share: holding a kfake broker's produce
// requests, and counting heap allocations per produced record.
package kafkatest

import (
	"runtime"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// HoldProduce makes c hold every produce request (unanswered, the
// connection kept) until release is called; after that they pass.
// Call release once.
func HoldProduce(c *kfake.Cluster) (release func()) {
	ch := make(chan struct{})
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		select {
		case <-ch:
		default:
			c.SleepControl(func() { <-ch })
		}
		return nil, nil, false
	})
	return func() { close(ch) }
}

// AllocsPerRecord is the process's heap allocations per record over 5
// rounds of n records (produce(i) each, then flush, which must wait until
// every record is settled), after one unmeasured round that c holds until
// all n are pending, so that a producer's pool has what it will need. It
// counts the whole process: the client's and an in-process broker's
// allocations too, so compare it with a bare client's figure.
func AllocsPerRecord(c *kfake.Cluster, n int, produce func(i int), flush func()) float64 {
	release := HoldProduce(c)
	for i := range n {
		produce(i)
	}
	release()
	flush()
	const rounds = 5
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range rounds {
		for i := range n {
			produce(i)
		}
		flush()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / float64(rounds*n)
}
