//go:build !race

package dubbo2

import (
	"testing"

	"github.com/apache/dubbo-go-hessian2/java_exception"
	"github.com/stretchr/testify/assert"

	"github.com/wirekit/wirekit/parser"
)

// TestAllocs holds the allocation budgets: the default trees allocate
// nothing per message (the leading strings alias the message), exception
// results included; the opt-in JSON renderings allocate their output.
func TestAllocs(t *testing.T) {
	req := payload(t, "dubbo2_sayhi_req")
	resp := payload(t, "dubbo2_sayhi_resp")
	exc := frame(2, byte(StatusOK), 1, encode(t, int32(3), java_exception.NewThrowable("boom"), map[string]any{"a": "b"}))
	errResp := frame(2, byte(StatusServiceNotFound), 1, encode(t, "no such service"))
	hb := frame(FlagRequest|FlagTwoWay|FlagEvent|2, 0, 1, []byte{'N'})
	fast := Protocol()
	full := NewProtocol(Options{DecodeAttachments: true, DecodeArguments: true})
	attach := NewProtocol(Options{DecodeAttachments: true})
	var m parser.Message
	tests := []struct {
		name   string
		budget float64
		run    func() bool
	}{
		{"request", 0, func() bool { return fast.ParseRequest(&m, req, nil) }},
		{"truncated request", 0, func() bool { return fast.ParseRequest(&m, req[:70], nil) }},
		{"response", 0, func() bool { return fast.ParseResponse(&m, resp, nil, nil) }},
		{"exception response", 0, func() bool { return fast.ParseResponse(&m, exc, nil, nil) }},
		{"error response", 0, func() bool { return fast.ParseResponse(&m, errResp, nil, nil) }},
		{"heartbeat", 0, func() bool { return fast.ParseRequest(&m, hb, nil) }},
		{"split", 0, func() bool { _, tok, _ := fast.Split(nil, parser.Request)(req, false); return tok != nil }},
		// attachments: the value scratch buffer and the JSON object
		{"request with attachments", 2, func() bool { return attach.ParseRequest(&m, req, nil) }},
		// plus the arguments' JSON array
		{"request with arguments", 3, func() bool { return full.ParseRequest(&m, req, nil) }},
		{"response with attachments", 2, func() bool { return full.ParseResponse(&m, resp, nil, nil) }},
	}
	for _, tt := range tests {
		assert.True(t, tt.run(), tt.name)
		n := testing.AllocsPerRun(200, func() { tt.run() })
		assert.LessOrEqual(t, n, tt.budget, tt.name)
	}
}
