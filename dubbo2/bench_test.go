package dubbo2

import (
	"path/filepath"
	"testing"

	"github.com/apache/dubbo-go-hessian2/java_exception"
	"github.com/wirekit/wirekit/pcaptest"
)

// payload reads a shared benchmark payload (hex) from testdata.
func payload(tb testing.TB, name string) []byte {
	return pcaptest.HexFile(tb, filepath.Join("testdata", name+".hex"))
}

func BenchmarkFastFail(b *testing.B) {
	pcaptest.BenchFastFail(b, Protocol().Request, payload(b, "dubbo2_sayhi_req"), false)
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
	pcaptest.BenchParse(b, NewProtocol(opts), nil, payload(b, "dubbo2_sayhi_req"), nil)
}

func BenchmarkResponse(b *testing.B) {
	benchResponse(b, Options{})
}

func BenchmarkResponseAttachments(b *testing.B) {
	benchResponse(b, Options{DecodeAttachments: true})
}

func benchResponse(b *testing.B, opts Options) {
	pcaptest.BenchParse(b, NewProtocol(opts), nil, nil, payload(b, "dubbo2_sayhi_resp"))
}

func BenchmarkRequestResponse(b *testing.B) {
	pcaptest.BenchParse(b, Protocol(), nil, payload(b, "dubbo2_sayhi_req"), payload(b, "dubbo2_sayhi_resp"))
}

func BenchmarkSplit(b *testing.B) {
	pcaptest.BenchSplit(b, Protocol(), payload(b, "dubbo2_sayhi_req"), nil)
}

// BenchmarkExceptionResponse reads the class and message of a Throwable
// result (the default tree; the corpus's Fail response).
func BenchmarkExceptionResponse(b *testing.B) {
	resp := frame(2, byte(StatusOK), 12, encode(b, int32(3), java_exception.NewThrowable("provider refused: quota exceeded"),
		map[string]any{"dubbo": "2.0.2", "path": "org.corpus.dubbo.UserProvider"}))
	pcaptest.BenchParse(b, Protocol(), nil, nil, resp)
}

func BenchmarkHeartbeat(b *testing.B) {
	pcaptest.BenchParse(b, Protocol(), nil, frame(FlagRequest|FlagTwoWay|FlagEvent|2, 0, 28, []byte{'N'}), nil)
}
