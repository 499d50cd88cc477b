package reassembly

import (
	"math/bits"
	"math/rand/v2"
)

// connTable maps connection keys to streams: open addressing with linear
// probing over a power-of-two array, and backward-shift deletion so that no
// tombstone slots build up. It replaces a Go map on the per-packet path
// because hashing the 40-byte key with a few multiplications is cheaper
// than the general map hash, and each probe looks at one slot holding both
// the key and the stream. The hash is keyed by a random seed per table, so
// crafted addresses cannot be chosen to collide.
type connTable struct {
	slots []tableSlot
	mask  uint64
	n     int
	seed  [2]uint64
}

type tableSlot struct {
	key connKey
	s   *Stream // nil: empty
}

const minTableSize = 64

func newConnTable() connTable {
	t := connTable{seed: [2]uint64{rand.Uint64() | 1, rand.Uint64()}}
	t.resize(minTableSize)
	return t
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (t *connTable) hash(k *connKey) uint64 {
	h := mix(k.aHi^t.seed[0], k.aLo^0x9e3779b97f4a7c15)
	h = mix(h^k.bHi, k.bLo^t.seed[1])
	return mix(h^k.ports, 0xbf58476d1ce4e5b9)
}

func (t *connTable) len() int { return t.n }

func (t *connTable) get(k *connKey) *Stream {
	for i := t.hash(k) & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.s == nil {
			return nil
		}
		if sl.key == *k {
			return sl.s
		}
	}
}

// put inserts or replaces k.
func (t *connTable) put(k *connKey, s *Stream) {
	if (t.n+1)*4 > len(t.slots)*3 { // keep the load under 3/4
		t.resize(len(t.slots) * 2)
	}
	for i := t.hash(k) & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		if sl.s == nil {
			sl.key, sl.s = *k, s
			t.n++
			return
		}
		if sl.key == *k {
			sl.s = s
			return
		}
	}
}

// del removes k and shifts later members of its probe run back into the
// hole, so lookups never need tombstones.
func (t *connTable) del(k *connKey) {
	i := t.hash(k) & t.mask
	for {
		sl := &t.slots[i]
		if sl.s == nil {
			return
		}
		if sl.key == *k {
			break
		}
		i = (i + 1) & t.mask
	}
	for j := (i + 1) & t.mask; ; j = (j + 1) & t.mask {
		sj := &t.slots[j]
		if sj.s == nil {
			break
		}
		// Move sj into the hole at i if its home slot is not in (i, j].
		home := t.hash(&sj.key) & t.mask
		if (j-home)&t.mask >= (j-i)&t.mask {
			t.slots[i] = *sj
			i = j
		}
	}
	t.slots[i] = tableSlot{}
	t.n--
	if len(t.slots) > minTableSize && t.n*8 < len(t.slots) {
		t.resize(len(t.slots) / 2) // give memory back after a burst of connections
	}
}

func (t *connTable) resize(size int) {
	old := t.slots
	t.slots = make([]tableSlot, size)
	t.mask = uint64(size - 1)
	t.n = 0
	for i := range old {
		if old[i].s != nil {
			t.put(&old[i].key, old[i].s)
		}
	}
}
