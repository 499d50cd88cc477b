package redact

import (
	"strings"
	"testing"
)

// classOfSlow is ClassOf without its fast paths: every map looked up for
// the key and each of its dotted prefixes.
func classOfSlow(p *Policy, key string) (Class, string) {
	if c, ok := p.Classes[key]; ok {
		return c, ""
	}
	if c, ok := builtin[key]; ok {
		return c, ""
	}
	if _, ok := statementMaskers[key]; ok {
		return Statement, ""
	}
	for i := len(key) - 1; i > 0; i-- {
		if key[i] != '.' {
			continue
		}
		if c, ok := p.Classes[key[:i+1]]; ok {
			return c, key[i+1:]
		}
		if c, ok := builtin[key[:i+1]]; ok {
			return c, key[i+1:]
		}
	}
	if i := strings.IndexByte(key, '.'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '.'); j >= 0 {
			return Named, key[i+1+j+1:]
		}
	}
	return Plain, ""
}

// TestClassOfFastPaths: the key-bit filter and the dot count give the
// same class and name as looking everything up, for every built-in and
// registered key, their prefixes, suffixed and truncated forms, keys with
// no, one and several dots, and a user's one-dot prefix.
func TestClassOfFastPaths(t *testing.T) {
	keys := []string{"", ".", "..", "redis", "redis.", "redis.command", "redis.key", "kafka.api_name", "x.y.z",
		"proto.group.password", "http.header.", "http.header.x-api-key", "my.secret", "my.token.value", "a.b.c.d"}
	for k := range builtin {
		keys = append(keys, k, k+"x", k+".x", k[:len(k)-1], "z"+k)
	}
	for k := range statementMaskers {
		keys = append(keys, k, k+"s", k[:len(k)-1])
	}
	for _, p := range []*Policy{New(Strict), {Level: Default, Classes: map[string]Class{"my.": Secret, "my.token.value": Plain, "app.": Named}}} {
		for _, k := range append(keys, "app.password", "app.name") {
			c, n := p.ClassOf(k)
			wc, wn := classOfSlow(p, k)
			if c != wc || n != wn {
				t.Errorf("ClassOf(%q) = %v %q, want %v %q", k, c, n, wc, wn)
			}
		}
	}
}

func BenchmarkChanges(b *testing.B) {
	p := New(Strict)
	keys := []string{"redis.command", "redis.key", "redis.type", "http.method", "http.path", "http.header.authorization", "kafka.api_name", "postgres.command_tag"}
	b.ReportAllocs()
	for b.Loop() {
		for _, k := range keys {
			p.Changes(k)
		}
	}
}
