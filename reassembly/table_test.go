package reassembly

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConnTableMatchesMap: random inserts, replacements and deletions, with
// keys drawn from a small space so probe runs collide and wrap, agree with
// a Go map at every step.
func TestConnTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tab := newConnTable()
	ref := map[connKey]*Stream{}
	streams := make([]*Stream, 16)
	for i := range streams {
		streams[i] = &Stream{}
	}
	key := func() connKey {
		return connKey{aLo: uint64(rng.IntN(40)), bLo: uint64(rng.IntN(40)), ports: uint64(rng.IntN(3))}
	}
	for step := 0; step < 200000; step++ {
		k := key()
		switch rng.IntN(3) {
		case 0, 1:
			s := streams[rng.IntN(len(streams))]
			tab.put(&k, s)
			ref[k] = s
		case 2:
			tab.del(&k)
			delete(ref, k)
		}
		require.Equal(t, len(ref), tab.len(), "step %d", step)
		q := key()
		require.Equal(t, ref[q], tab.get(&q), "step %d", step)
	}
	for k, s := range ref {
		require.Equal(t, s, tab.get(&k))
	}
}
