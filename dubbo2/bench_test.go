package dubbo2

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/dubbo-go-hessian2/java_exception"

	"github.com/wirekit/wirekit/parser"
)

// payload reads a shared benchmark payload (hex) from testdata.
func payload(tb testing.TB, name string) []byte {
	tb.Helper()
	h, err := os.ReadFile(filepath.Join("testdata", name+".hex"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func BenchmarkFastFail(b *testing.B) {
	req := payload(b, "dubbo2_sayhi_req")
	p := Protocol()
	m := parser.Message{Data: req}
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if p.Request.FastFail(&m) {
			b.Fatal("fast fail")
		}
	}
}

func BenchmarkParseHeader(b *testing.B) {
	req := payload(b, "dubbo2_sayhi_req")
	b.ReportAllocs()
	b.SetBytes(HeaderLen)
	for b.Loop() {
		h, err := ParseHeader(req)
		if err != nil || h.RequestID != 1001 {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequest is the default tree: header, Dubbo version, service,
// version, method and parameter types.
func BenchmarkRequest(b *testing.B) {
	benchRequest(b, Options{})
}

// BenchmarkRequestAttachments adds stepping over the arguments and the
// attachments map (read without the hessian library).
func BenchmarkRequestAttachments(b *testing.B) {
	benchRequest(b, Options{DecodeAttachments: true})
}

// BenchmarkRequestFull decodes arguments with dubbo-go-hessian2 too.
func BenchmarkRequestFull(b *testing.B) {
	benchRequest(b, Options{DecodeAttachments: true, DecodeArguments: true})
}

func benchRequest(b *testing.B, opts Options) {
	req := payload(b, "dubbo2_sayhi_req")
	p := NewProtocol(opts)
	var m parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if !p.ParseRequest(&m, req, nil) {
			b.Fatal(m.Err)
		}
	}
}

func BenchmarkResponse(b *testing.B) {
	benchResponse(b, Options{})
}

func BenchmarkResponseAttachments(b *testing.B) {
	benchResponse(b, Options{DecodeAttachments: true})
}

func benchResponse(b *testing.B, opts Options) {
	resp := payload(b, "dubbo2_sayhi_resp")
	p := NewProtocol(opts)
	var m parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(resp)))
	for b.Loop() {
		if !p.ParseResponse(&m, resp, nil, nil) {
			b.Fatal(m.Err)
		}
	}
}

func BenchmarkRequestResponse(b *testing.B) {
	req := payload(b, "dubbo2_sayhi_req")
	resp := payload(b, "dubbo2_sayhi_resp")
	p := Protocol()
	var mq, ms parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	for b.Loop() {
		if !p.ParseRequest(&mq, req, nil) || !p.ParseResponse(&ms, resp, &mq.Attrs, nil) {
			b.Fatal(mq.Err, ms.Err)
		}
	}
}

func BenchmarkSplit(b *testing.B) {
	req := payload(b, "dubbo2_sayhi_req")
	split := Protocol().Split(nil, parser.Request)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if n, tok, err := split(req, false); n != len(req) || tok == nil || err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExceptionResponse reads the class and message of a Throwable
// result (the default tree; the corpus's Fail response).
func BenchmarkExceptionResponse(b *testing.B) {
	resp := frame(2, byte(StatusOK), 12, encode(b, int32(3), java_exception.NewThrowable("provider refused: quota exceeded"),
		map[string]any{"dubbo": "2.0.2", "path": "org.corpus.dubbo.UserProvider"}))
	p := Protocol()
	var m parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(resp)))
	for b.Loop() {
		if !p.ParseResponse(&m, resp, nil, nil) {
			b.Fatal(m.Err)
		}
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	hb := frame(FlagRequest|FlagTwoWay|FlagEvent|2, 0, 28, []byte{'N'})
	p := Protocol()
	var m parser.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(hb)))
	for b.Loop() {
		if !p.ParseRequest(&m, hb, nil) {
			b.Fatal(m.Err)
		}
	}
}
