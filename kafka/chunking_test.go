package kafka

import (
	"testing"

	"github.com/wirekit/wirekit/pcaptest"
)

// FuzzChunking feeds conversations (seeded from the corpus connections)
// to the real Protocol through parser.Conn and parser.Sniffer, whole and
// cut in 1-byte, 7-byte and random pieces, and checks every cutting
// reports the same exchanges and counters as the whole one (issue 14.4).
func FuzzChunking(f *testing.F) { pcaptest.FuzzChunking(f, Protocol(), "kafka", 1024) }
