package main

import (
	"io"
	"time"
)

// idleReader reads a pipe or live source ahead on its own goroutine, so
// that when the source goes quiet for idle the decoding goroutine, which
// is waiting in Read, can call onIdle (write and flush the rows held for
// ordering) instead of sitting on them until more bytes come. onIdle runs
// on the goroutine that calls Read, between packets, like everything else
// the decoder does.
type idleReader struct {
	full   chan chunk
	free   chan []byte
	cur    []byte
	buf    []byte
	err    error
	idle   time.Duration
	onIdle func()
	timer  *time.Timer
}

type chunk struct {
	b   []byte
	buf []byte
	err error
}

func newIdleReader(r io.Reader, idle time.Duration, onIdle func()) *idleReader {
	ir := &idleReader{full: make(chan chunk, 2), free: make(chan []byte, 3), idle: idle, onIdle: onIdle}
	for range 3 {
		ir.free <- make([]byte, 64<<10)
	}
	go func() {
		for {
			buf := <-ir.free
			n, err := r.Read(buf)
			ir.full <- chunk{b: buf[:n], buf: buf, err: err}
			if err != nil {
				return
			}
		}
	}()
	return ir
}

func (ir *idleReader) Read(p []byte) (int, error) {
	for len(ir.cur) == 0 {
		if ir.buf != nil {
			ir.free <- ir.buf
			ir.buf = nil
		}
		if ir.err != nil {
			return 0, ir.err
		}
		var c chunk
		select {
		case c = <-ir.full:
		default:
			if ir.timer == nil {
				ir.timer = time.NewTimer(ir.idle)
			} else {
				ir.timer.Reset(ir.idle)
			}
			select {
			case c = <-ir.full:
				ir.timer.Stop()
			case <-ir.timer.C:
				ir.onIdle()
				continue
			}
		}
		ir.cur, ir.buf, ir.err = c.b, c.buf, c.err
	}
	n := copy(p, ir.cur)
	ir.cur = ir.cur[n:]
	return n, nil
}
