package redis

import (
	"testing"

	"github.com/wirekit/wirekit/pcaptest"
)

// FuzzChunking feeds conversations (seeded from the corpus connections)
// to the real Protocol through parser.Conn and parser.Sniffer, whole and
// cut in 1-byte, 7-byte and random pieces, and checks every cutting
// reports the same exchanges and counters as the whole one (issue 14.4).
func FuzzChunking(f *testing.F) {
	if err := pcaptest.SeedChunking(f, "redis_", 1024); err != nil {
		f.Fatal(err)
	}
	p := Protocol()
	f.Fuzz(func(t *testing.T, conv []byte, cuts uint64) {
		if err := pcaptest.CheckChunking(p, pcaptest.DecodeConversation(conv), cuts); err != nil {
			t.Fatal(err)
		}
	})
}
