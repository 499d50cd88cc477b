//go:build linux

// Package copies copies, by value, every wirekit type that embeds
// nocopy.NoCopy. It is never built by the tests; TestVetFlagsCopies runs
// go vet on it and expects one copylocks report per function.
package copies

import (
	"github.com/wirekit/wirekit/capture"
	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/filter"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/internal/nocopy"
	"github.com/wirekit/wirekit/reassembly"
	"github.com/wirekit/wirekit/redis"
)

type holder struct {
	_ nocopy.NoCopy
	n int
}

func copyHolder(h *holder) int { c := *h; return c.n }

func copyRedisState(s *redis.State) int { c := *s; return c.Skipped }

func copyHTTPState(s *httpx.State) any { c := *s; return &c }

func copyAssembler(a *reassembly.Assembler) any { c := *a; return &c }

func copyDumper(d *dump.Dumper) any { c := *d; return &c }

func copyHandle(h *capture.Handle) any { c := *h; return &c }

func copyConn(fc *filter.Conn) any { c := *fc; return &c }

// plain has no NoCopy: copying it is not reported.
type plain struct{ n int }

func copyPlain(p *plain) int { c := *p; return c.n }
