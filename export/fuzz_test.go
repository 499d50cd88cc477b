package export_test

import (
	"encoding/json"
	"testing"

	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/redact"
)

// FuzzAppendJSON: whatever the attribute keys and values (a parser keeps
// the bytes it saw), the line is valid JSON, and a sensitive header's
// value never appears in it.
func FuzzAppendJSON(f *testing.F) {
	f.Add("http.path", "/a?token=s3cr3t&x=1", "http.header.cookie", "s3cr3t")
	f.Add("dubbo2.arguments", `["s3cr3t"]`, "dubbo2.attachment.auth", "s3cr3t")
	f.Add("redis.key", "\xff\x00\"\\", "x.y.password", "s3cr3t")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		req := new(parser.Attributes)
		req.SetString(k1, v1)
		req.SetString("http.header.authorization", v2)
		req.SetBytes(k2, []byte(v2))
		x := &parser.Exchange{Protocol: k1, Kind: parser.OneWayRequest, Request: req, RequestErr: parser.ErrClosed}
		for _, o := range []export.Options{{}, {Redactor: redact.New(redact.Default)}, {NoRedaction: true}} {
			line := export.NewEncoder(o).AppendJSON(nil, export.Meta{ConnID: 1}, x)
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			if o.NoRedaction {
				continue
			}
			r := m["request"].(map[string]any)
			if got, ok := r["http.header.authorization"].(string); !ok || got != redact.Mask {
				t.Fatalf("authorization not masked: %q", line)
			}
		}
	})
}
