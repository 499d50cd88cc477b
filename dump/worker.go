package dump

import "time"

// worker drains one queue. It takes one item (blocking), then whatever else
// is already queued up to BatchSize/BatchBytes, hands the batch to every
// sink and accounts for it. It ends when Close closes the queue and the
// queue is empty, so everything accepted is written.
func (d *Dumper) worker(_ int, q chan queued) {
	defer d.workDone.Done()
	batch := make([]queued, 0, d.cfg.BatchSize)
	failed := make([]bool, d.cfg.BatchSize)
	for first := range q {
		batch = append(batch[:0], first)
		bytes := len(first.Data)
	drain:
		for len(batch) < d.cfg.BatchSize && bytes < d.cfg.BatchBytes {
			select {
			case it, ok := <-q:
				if !ok {
					break drain
				}
				batch = append(batch, it)
				bytes += len(it.Data)
			default:
				break drain
			}
		}
		d.writeBatch(batch, failed[:len(batch)])
		for i := range batch {
			batch[i].Item = Item{} // drop references held by the array
			d.release(&batch[i])
		}
		d.queued.Add(-int64(bytes))
	}
}

func (d *Dumper) writeBatch(batch []queued, failed []bool) {
	clear(failed)
	now := d.clock.Now()
	for _, ss := range d.sinks {
		ss.mu.Lock()
		ok := d.writeSink(ss, batch, now)
		ss.mu.Unlock()
		if !ok {
			for i := range failed {
				failed[i] = true
			}
		}
	}
	for i := range batch {
		n := uint64(len(batch[i].Data))
		if failed[i] {
			d.ctr.dropWrite.Add(1)
			d.ctr.dropWriteBytes.Add(n)
		} else {
			d.ctr.written.Add(1)
			d.ctr.writtenBytes.Add(n)
		}
	}
}

// writeSink hands the batch to one sink (ss.mu held) and applies the retry
// back-off policy.
func (d *Dumper) writeSink(ss *sinkState, batch []queued, now time.Time) bool {
	n := uint64(len(batch))
	if ss.down.Load() && now.Before(ss.downUntil) {
		ss.failed.Add(n)
		return false
	}
	var err error
	for i := range batch {
		if err = ss.s.Write(&batch[i].Item); err != nil {
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
