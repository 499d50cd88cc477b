package kafka

import (
	"encoding/base64"
	"sync"
)

// TopicCache maps topic ids (16-byte UUIDs) to topic names. Recent Kafka
// versions name topics by id only (Fetch and Produce v13+, OffsetCommit and
// OffsetFetch v10, ...), so an observer learns the names from the Metadata
// responses (v10+ carry both) it has seen and resolves ids with them.
//
// The cache is bounded: past MaxEntries the oldest entry is evicted (and
// counted). It is safe for concurrent use, so one cache can serve every
// connection to a cluster. Steady-state lookups and re-observing known
// pairs do not allocate; learning a new name copies it once.
type TopicCache struct {
	mu        sync.RWMutex
	max       int
	names     map[[16]byte]string
	order     [][16]byte // insertion ring, for eviction
	next      int
	evictions uint64
}

// NewTopicCache returns a cache holding at most maxEntries ids (at least 1).
func NewTopicCache(maxEntries int) *TopicCache {
	if maxEntries < 1 {
		maxEntries = 1
	}
	return &TopicCache{max: maxEntries, names: make(map[[16]byte]string)}
}

// Lookup returns the name of a topic id.
func (c *TopicCache) Lookup(id [16]byte) (string, bool) {
	c.mu.RLock()
	name, ok := c.names[id]
	c.mu.RUnlock()
	return name, ok
}

// Store records that id names topic name (replacing an older name).
func (c *TopicCache) Store(id [16]byte, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.names[id]; ok {
		c.names[id] = name
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, id)
	} else {
		delete(c.names, c.order[c.next])
		c.order[c.next] = id
		c.next = (c.next + 1) % c.max
		c.evictions++
	}
	c.names[id] = name
}

// Len is the number of ids cached.
func (c *TopicCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.names)
}

// Evictions is how many entries were dropped to stay within the bound.
func (c *TopicCache) Evictions() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.evictions
}

// observe records id -> name from message bytes, copying name only when
// the pair is new.
func (c *TopicCache) observe(id [16]byte, name []byte) {
	if id == ([16]byte{}) || len(name) == 0 {
		return
	}
	c.mu.RLock()
	old, ok := c.names[id]
	c.mu.RUnlock()
	if ok && old == string(name) {
		return
	}
	c.Store(id, string(name))
}

// FormatTopicID returns a topic id in Kafka's text form (as kafka-topics.sh
// prints it): URL-safe base64 without padding, 22 characters.
func FormatTopicID(id [16]byte) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}
