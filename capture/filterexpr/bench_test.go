package filterexpr_test

import (
	"testing"

	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

var benchExprs = []struct{ name, expr string }{
	{"port", "tcp port 6379"},
	{"hostports", "host 10.0.0.1 and (port 80 or port 8080)"},
	{"flags", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 and not src net 192.168.0.0/16"},
}

func BenchmarkCompile(b *testing.B) {
	for _, be := range benchExprs {
		b.Run(be.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(be.expr)))
			for i := 0; i < b.N; i++ {
				if _, err := filterexpr.Compile(be.expr, filterexpr.LinkEthernet, 262144); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVM runs each program over the corpus frames in x/net/bpf's VM
// (the kernel's interpreter or JIT is faster; this compares programs).
// The libpcap sub-benchmarks run tcpdump -dd's program for the same
// expression, for scale.
func BenchmarkVM(b *testing.B) {
	frames := corpusPackets(b)
	for _, be := range benchExprs {
		progs := map[string][]bpf.Instruction{"wirekit": compile(b, be.expr, filterexpr.LinkEthernet)}
		if tcpdump, err := lookTcpdump(); err == nil {
			if ref, err := tcpdumpProgram(b, tcpdump, be.expr, "EN10MB", true); err == nil {
				progs["libpcap"] = ref
			}
		}
		for _, who := range []string{"wirekit", "libpcap"} {
			prog, ok := progs[who]
			if !ok {
				continue
			}
			b.Run(be.name+"/"+who, func(b *testing.B) {
				vm, err := bpf.NewVM(prog)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ReportMetric(float64(len(prog)), "insns")
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := vm.Run(frames[i%len(frames)].eth); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
