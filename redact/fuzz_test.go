package redact_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/redact"
	"github.com/wirekit/wirekit/redis"
)

// FuzzRedact checks the properties of every class on arbitrary values: no
// panic; a request-target keeps its path and every sensitive query value
// (every value at Strict) reads Mask; a JSON rendering comes out valid JSON
// with every sensitive member masked, or masked whole; a reply keeps its
// text outside quotes.
func FuzzRedact(f *testing.F) {
	f.Add("/a?token=x&b=2", `{"password":"p","x":[{"secret":1}]}`, "ERR 'x' y")
	f.Add("/?=&&;x=%zz#frag", `[1,"a",{"k":{"key":null}}]`, `say "hi`)
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, target, rendering, reply string) {
		for _, level := range []redact.Level{redact.Default, redact.Strict} {
			p := redact.New(level)
			out := string(p.AppendString(nil, httpx.AttrPath, target))
			path, _, hasQuery := strings.Cut(target, "?")
			if !strings.HasPrefix(out, path) {
				t.Fatalf("path %q lost: %q", path, out)
			}
			if hasQuery {
				_, q, _ := strings.Cut(out, "?")
				q, _, _ = strings.Cut(q, "#")
				for _, pair := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
					name, value, hasValue := strings.Cut(pair, "=")
					if !hasValue && level < redact.Strict {
						continue // a bare name (?debug) has no value to mask at Default
					}
					un, err := url.QueryUnescape(name)
					if err != nil {
						un = name
					}
					if (level == redact.Strict || p.Sensitive(un)) && value != redact.Mask {
						t.Fatalf("%s: %q -> %q: %q not masked", level, target, out, pair)
					}
				}
			}

			js := string(p.AppendString(nil, dubbo2.AttrArguments, rendering))
			if js != redact.Mask {
				var v any
				dec := json.NewDecoder(strings.NewReader(js))
				dec.UseNumber() // a number past float64's range is still JSON
				if err := dec.Decode(&v); err != nil {
					t.Fatalf("%q -> %q: not JSON: %v", rendering, js, err)
				}
				checkMasked(t, p, v, js)
			}

			r := string(p.AppendString(nil, redis.AttrError, reply))
			if level == redact.Default && r != reply {
				t.Fatalf("reply changed at Default: %q -> %q", reply, r)
			}
			if i := strings.IndexAny(reply, `'"`); i >= 0 && level == redact.Strict && !strings.HasPrefix(r, reply[:i+1]) {
				t.Fatalf("reply text before the quote lost: %q -> %q", reply, r)
			}
		}
	})
}

func checkMasked(t *testing.T, p *redact.Policy, v any, js string) {
	switch v := v.(type) {
	case map[string]any:
		for k, m := range v {
			if p.Sensitive(k) {
				if m != redact.Mask {
					t.Fatalf("member %q not masked in %s", k, js)
				}
				continue
			}
			checkMasked(t, p, m, js)
		}
	case []any:
		for _, m := range v {
			checkMasked(t, p, m, js)
		}
	}
}
