//go:build !race

package export_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/export"
	"github.com/wirekit/wirekit/redact"
)

func TestAppendJSONAllocatesNothing(t *testing.T) {
	x := httpExchange()
	for _, o := range []export.Options{{}, {Redactor: redact.New(redact.Default)}, {NoRedaction: true}} {
		enc := export.NewEncoder(o)
		buf := enc.AppendJSON(nil, meta, x)
		require.Zero(t, testing.AllocsPerRun(100, func() { buf = enc.AppendJSON(buf[:0], meta, x) }))
	}
}
