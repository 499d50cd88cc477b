//go:build !race

package parser

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConnSteadyStateAllocatesNothing(t *testing.T) {
	c := NewConn(lineProto(PairByKey), ConnOptions{}, func(*Exchange) {})
	req := []byte("Q 1 a\nQ 2 b\nQ 3 c\n")
	resp := []byte("A 2 x\nA 1 y\nA 3 z\n")
	allocs := testing.AllocsPerRun(100, func() {
		c.Feed(Request, req[:8], t0) // split mid-message: exercises the buffer
		c.Feed(Request, req[8:], t0)
		c.Feed(Response, resp, t0)
	})
	assert.Zero(t, allocs)
	c = NewConn(lineProto(PairInOrder), ConnOptions{}, func(*Exchange) {})
	allocs = testing.AllocsPerRun(100, func() {
		c.Feed(Request, req[:8], t0)
		c.Feed(Request, req[8:], t0)
		c.Feed(Response, resp, t0)
	})
	assert.Zero(t, allocs)
}

func TestDetectorAllocatesNothing(t *testing.T) {
	d := NewDetector(lineProto(PairInOrder))
	b := []byte("Q 1 a\n")
	assert.Zero(t, testing.AllocsPerRun(100, func() { d.Detect(Request, b, 0) }))
}
