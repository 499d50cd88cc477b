package dump

import "time"

// worker drains one shard: it swaps out everything queued, hands it to every
// sink in batches of at most BatchSize items and BatchBytes bytes, accounts
// for it, and reuses the swapped-out slices next time. It ends when Close
// has marked the shard closed and the shard is empty, so everything
// accepted is written.
func (d *Dumper) worker(sh *shard) {
	defer d.workDone.Done()
	var spareItems []Item
	var spareArena []byte
	for {
		sh.mu.Lock()
		for len(sh.items) == 0 {
			if sh.closed {
				sh.mu.Unlock()
				return
			}
			sh.waiting = true
			sh.mu.Unlock()
			<-sh.wake
			sh.mu.Lock()
		}
		items, arena := sh.items, sh.arena
		sh.items, sh.arena = spareItems[:0], spareArena[:0]
		sh.mu.Unlock()

		for rest := items; len(rest) > 0; {
			n, bytes := 0, 0
			for n < len(rest) && n < d.cfg.BatchSize && (n == 0 || bytes < d.cfg.BatchBytes) {
				bytes += len(rest[n].Data)
				n++
			}
			d.writeBatch(rest[:n])
			rest = rest[n:]
		}
		clear(items) // drop references to connections and strings
		spareItems, spareArena = items[:0], arena[:0]
		if len(items) < d.cfg.BatchSize/2 && d.cfg.Linger > 0 {
			// Let a batch accumulate instead of waking up per item: while
			// the worker is not blocked, a submission does not have to wake
			// it, which is most of the cost of a hand-off.
			time.Sleep(d.cfg.Linger)
		}
	}
}

func (d *Dumper) writeBatch(batch []Item) {
	now := d.clock.Now()
	var n, b uint64
	for i := range batch {
		n, b = n+1, b+uint64(len(batch[i].Data))
	}
	ok := 0
	for _, ss := range d.sinks {
		ss.mu.Lock()
		if d.writeSink(ss, batch, now) {
			ok++
			ss.writtenBytes.Add(b)
		} else {
			ss.failedBytes.Add(b)
		}
		ss.mu.Unlock()
	}
	// A sink takes or fails a whole batch. Items no sink wrote are lost;
	// items some sink wrote are written (and counted as partial when
	// another sink failed them). Failed items are counted before written
	// ones: a reader that sees Accepted == Written + DroppedWriteError then
	// sees final values.
	switch {
	case ok == 0 && len(d.sinks) > 0:
		d.wrk.dropWriteBytes.Add(b)
		d.wrk.dropWrite.Add(n)
		return
	case ok < len(d.sinks):
		d.wrk.partialBytes.Add(b)
		d.wrk.partial.Add(n)
	}
	d.wrk.writtenBytes.Add(b)
	d.wrk.written.Add(n)
}

// writeSink hands the batch to one sink (ss.mu held) and applies the retry
// back-off policy.
func (d *Dumper) writeSink(ss *sinkState, batch []Item, now time.Time) bool {
	n := uint64(len(batch))
	if ss.down.Load() && now.Before(ss.downUntil) {
		ss.failed.Add(n)
		return false
	}
	var err error
	for i := range batch {
		if err = ss.s.Write(&batch[i]); err != nil {
			break
		}
	}
	if err == nil {
		err = ss.s.Flush()
	}
	if err != nil {
		ss.failed.Add(n)
		ss.errors.Add(1)
		ss.lastErr.Store(&err)
		if ss.backoff == 0 {
			ss.backoff = d.cfg.RetryBackoff
		} else {
			ss.backoff = min(2*ss.backoff, d.cfg.MaxRetryBackoff)
		}
		ss.downUntil = now.Add(ss.backoff)
		ss.down.Store(true)
		return false
	}
	ss.written.Add(n)
	ss.backoff = 0
	ss.down.Store(false)
	return true
}
