package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// TestRedactorCache: the cache gives the policy's answer for every key,
// including a key whose bytes are reused for another key that falls in
// the same slot (attribute keys may alias a message buffer), and stops
// growing at maxKnownKeys.
func TestRedactorCache(t *testing.T) {
	r := newRedactor(redact.Default)
	buf := []byte("http.path")
	key := parser.UnsafeString(buf)
	require.True(t, r.changes(key))
	copy(buf, "xxxp.xxxh") // same length and sampled bytes: the same slot
	require.False(t, r.changes(key), "a stale answer for reused bytes")
	copy(buf, "http.path")
	require.True(t, r.changes(key))
	p := redact.New(redact.Default)
	for i := range maxKnownKeys + 500 {
		for _, k := range []string{fmt.Sprintf("p.x%d", i), fmt.Sprintf("p.g.token%d", i), fmt.Sprintf("http.header.x%d", i)} {
			require.Equal(t, p.Changes(k), r.changes(k), k)
		}
	}
	require.LessOrEqual(t, len(r.known), maxKnownKeys)
	for _, k := range []string{"http.path", "http.header.authorization", "redis.error", "redis.key", "dubbo2.attachments", ""} {
		require.Equal(t, p.Changes(k), r.changes(k), k)
		require.Equal(t, p.Changes(k), r.changes(k), k) // from the cache now
	}
	var off *redactor
	require.False(t, off.changes("http.path"))
	require.Equal(t, "/a?token=abc", string(off.appendString(nil, "http.path", "/a?token=abc")))
}
