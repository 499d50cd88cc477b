package parser

import (
	"fmt"
	"sync/atomic"
)

// DefaultBudgetBytes is the size of the budget Conns and Sniffers share
// when their options name none: 32 MiB, sized for an agent beside the
// services it watches. A process that sees many large messages at once
// sets its own with NewBudget.
const DefaultBudgetBytes = 32 << 20

// ErrOverBudget is why a direction stopped when buffering the rest of its
// message would take the shared Budget past its limit. It wraps
// ErrTooLarge.
var ErrOverBudget = fmt.Errorf("parser: memory budget exhausted: %w", ErrTooLarge)

// Budget caps the memory all the Conns and Sniffers sharing it hold for
// messages still incomplete: the capacity of each direction's buffer
// (charged as it grows, released as soon as the message is done, the
// direction stops or the Conn closes) and a Sniffer's held bytes. A
// direction whose buffer would take the total past the limit stops with
// ErrOverBudget, its buffer released and every byte it then drops counted
// (ConnStats.SkippedBytes, Budget.Shed). Whole messages framed straight
// from Feed's slices cost nothing. A Budget is safe for concurrent use.
//
// What a connection costs on top of its budgeted bytes is its fixed state
// (a Conn with its message, exchange and pending ring: about 2 KiB, see
// TestBudgetBoundsHeap) plus the protocol's per-connection state.
type Budget struct {
	limit int64
	used  atomic.Int64
	shed  atomic.Uint64
	peak  atomic.Int64
}

// NewBudget returns a Budget of limit bytes (DefaultBudgetBytes when
// limit <= 0).
func NewBudget(limit int) *Budget {
	if limit <= 0 {
		limit = DefaultBudgetBytes
	}
	return &Budget{limit: int64(limit)}
}

// defaultBudget is shared by every Conn and Sniffer whose options name
// no Budget.
var defaultBudget = NewBudget(DefaultBudgetBytes)

// DefaultBudget returns the Budget shared by Conns and Sniffers whose
// options name none.
func DefaultBudget() *Budget { return defaultBudget }

// Limit is the most bytes the budget lets its users hold.
func (b *Budget) Limit() int64 { return b.limit }

// Used is how many bytes are held now.
func (b *Budget) Used() int64 { return b.used.Load() }

// Peak is the most bytes held at once so far.
func (b *Budget) Peak() int64 { return b.peak.Load() }

// Shed counts the bytes dropped because the budget was exhausted: the
// buffered part of each message that could not grow, and what its
// direction received after.
func (b *Budget) Shed() uint64 { return b.shed.Load() }

// take reserves n bytes, reporting false (reserving nothing) when that
// would pass the limit.
func (b *Budget) take(n int) bool {
	if n <= 0 {
		return true
	}
	u := b.used.Add(int64(n))
	if u > b.limit {
		b.used.Add(-int64(n))
		return false
	}
	for p := b.peak.Load(); u > p && !b.peak.CompareAndSwap(p, u); p = b.peak.Load() {
	}
	return true
}

// give releases n bytes taken before.
func (b *Budget) give(n int) {
	if n > 0 {
		b.used.Add(-int64(n))
	}
}
