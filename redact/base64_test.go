package redact

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSensitiveBase64Names(t *testing.T) {
	p := New(Default)
	for _, name := range []string{"token", "Password", "x-api-key", "a-much-longer-session-identifier-name"} {
		enc := base64.StdEncoding.EncodeToString([]byte(name))
		assert.True(t, p.sensitiveBase64(enc), "%s as %s", name, enc)
	}
	for _, name := range []string{"dHJhY2VJZA==", "path", "abc", "dG9rZW4", "dG9r=W4=", "dG9rZW4=dG9rZW4=", "dG9rZW4*"} {
		assert.False(t, p.sensitiveBase64(name), name) // traceId; not base64 of a secret; unpadded; bad padding; bad char
	}
	var a = New(Strict)
	got := a.AppendString(nil, "dubbo2.attachments", `{"dG9rZW4=":"v","dHJhY2VJZA==":"t"}`)
	assert.Equal(t, `{"dG9rZW4=":"***","dHJhY2VJZA==":"t"}`, string(got))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		p.sensitiveBase64("YS1tdWNoLWxvbmdlci1zZXNzaW9uLWlkZW50aWZpZXItbmFtZQ==")
	}))
}
