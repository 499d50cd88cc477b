package bench

import (
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/pcaptest"
)

// Dubbo2 on the shared sayHi payloads (../shared/bench-payloads, copied to
// dubbo2/testdata): wirekit's trees against dubbo-go-hessian2 decoding the
// same body. Pairs: <Case>_wirekit / <Case>_hessian2.
//
//	Request:     header + Dubbo version, service, version, method, parameter
//	             types (hessian2: the five leading strings of the body)
//	RequestFull: all of that + argument values + attachments
//	             (hessian2: every value of the body)
//	Response:    header + status + response type (hessian2: the type and value)
//	ResponseFull: + attachments (hessian2: every value of the body)
//
// The hessian2 side is the library alone, decoding bodies it handles well,
// with one Decoder reused through Reset as its documentation advises (a
// new Decoder per message would charge it for allocations a careful user
// avoids). What differs: Request and Response read less on the wirekit
// side than on the hessian2 side (wirekit reads the leading strings, or
// the status and response type, and skips the rest by framing); the Full
// cases are the ones where both sides decode every value of the body.
// wirekit does not use it at run time: dubbo2's
// TestHessian2LibraryPanicsOnWellFormedInput holds valid Dubbo bodies on
// which it panics.

// The wirekit cases run the bodies dubbo2's own benchmarks run
// (pcaptest.Bench*), with the CPU time reported.

func BenchmarkDubbo2FastFail_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchFastFail(b, dubbo2.Protocol().Request, payload(b, "dubbo2", "dubbo2_sayhi_req"), false)
}

func BenchmarkDubbo2Header_wirekit(b *testing.B) {
	req := payload(b, "dubbo2", "dubbo2_sayhi_req")
	b.ReportAllocs()
	b.SetBytes(dubbo2.HeaderLen)
	defer cpuPerOp(b)()
	for b.Loop() {
		if h, err := dubbo2.ParseHeader(req); err != nil || h.RequestID != 1001 {
			b.Fatal(err)
		}
	}
}

func benchDubbo2(b *testing.B, opts dubbo2.Options, name string, response bool) {
	msg := payload(b, "dubbo2", name)
	defer cpuPerOp(b)()
	if response {
		pcaptest.BenchParse(b, dubbo2.NewProtocol(opts), nil, nil, msg)
	} else {
		pcaptest.BenchParse(b, dubbo2.NewProtocol(opts), nil, msg, nil)
	}
}

// benchHessian decodes n values (all when n < 0) of the body of a
// payload with dubbo-go-hessian2.
func benchHessian(b *testing.B, name string, n int) {
	msg := payload(b, "dubbo2", name)
	body := msg[dubbo2.HeaderLen:]
	d := hessian.NewDecoder(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	defer cpuPerOp(b)()
	for b.Loop() {
		d.Reset(body)
		for i := 0; n < 0 || i < n; i++ {
			if _, err := d.Decode(); err != nil {
				if n < 0 {
					break // end of body
				}
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkDubbo2Request_wirekit(b *testing.B) {
	benchDubbo2(b, dubbo2.Options{}, "dubbo2_sayhi_req", false)
}

func BenchmarkDubbo2Request_hessian2(b *testing.B) { benchHessian(b, "dubbo2_sayhi_req", 5) }

func BenchmarkDubbo2RequestFull_wirekit(b *testing.B) {
	benchDubbo2(b, dubbo2.Options{DecodeAttachments: true, DecodeArguments: true}, "dubbo2_sayhi_req", false)
}

func BenchmarkDubbo2RequestFull_hessian2(b *testing.B) { benchHessian(b, "dubbo2_sayhi_req", -1) }

func BenchmarkDubbo2RequestAttachments_wirekit(b *testing.B) {
	benchDubbo2(b, dubbo2.Options{DecodeAttachments: true}, "dubbo2_sayhi_req", false)
}

func BenchmarkDubbo2Response_wirekit(b *testing.B) {
	benchDubbo2(b, dubbo2.Options{}, "dubbo2_sayhi_resp", true)
}

func BenchmarkDubbo2Response_hessian2(b *testing.B) { benchHessian(b, "dubbo2_sayhi_resp", 2) }

func BenchmarkDubbo2ResponseFull_wirekit(b *testing.B) {
	benchDubbo2(b, dubbo2.Options{DecodeAttachments: true}, "dubbo2_sayhi_resp", true)
}

func BenchmarkDubbo2ResponseFull_hessian2(b *testing.B) { benchHessian(b, "dubbo2_sayhi_resp", -1) }

func BenchmarkDubbo2RequestResponse_wirekit(b *testing.B) {
	defer cpuPerOp(b)()
	pcaptest.BenchParse(b, dubbo2.Protocol(), nil, payload(b, "dubbo2", "dubbo2_sayhi_req"), payload(b, "dubbo2", "dubbo2_sayhi_resp"))
}
