//go:build !linux

package capture

import (
	"context"
	"time"

	"github.com/wirekit/wirekit/reassembly"
)

// Handle is an open live capture. Live capture needs Linux AF_PACKET; on
// other systems Open returns ErrUnsupported.
type Handle struct{}

// Consumer receives the frames of one worker (see the Linux documentation).
type Consumer interface {
	Packet(p *Packet)
	Idle(now time.Time)
	Close()
}

// Open returns ErrUnsupported: live capture needs Linux.
func Open(opts Options) (*Handle, error) { return nil, ErrUnsupported }

// Run returns ErrUnsupported.
func (h *Handle) Run(ctx context.Context, newConsumer func(worker int) Consumer) error {
	return ErrUnsupported
}

func (h *Handle) publish(int, func(*Stats)) {}

// Stats returns zero counters.
func (h *Handle) Stats() Stats { return Stats{} }

// Close does nothing.
func (h *Handle) Close() error { return nil }

// LinkType returns 0.
func (h *Handle) LinkType() reassembly.LinkType { return 0 }

// Workers returns 0.
func (h *Handle) Workers() int { return 0 }
