package filterexpr_test

import (
	"testing"

	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

// FuzzCompile: any expression either fails with an *Error or compiles to a
// program that assembles, fits the kernel's limit, ends every path in a
// return, and runs on any packet in the VM without error.
func FuzzCompile(f *testing.F) {
	pkt := []byte{
		0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, // Ethernet, IPv4
		0x45, 0, 0, 0x28, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4 TCP 10.0.0.1 > 10.0.0.2
		0x18, 0xeb, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0, 0, 0, 0, 0, // 6379 > 80 SYN
	}
	for i, tc := range diffExprs {
		f.Add(tc.expr, pkt, uint8(i%3))
	}
	for _, tc := range errorCases {
		if len(tc.expr) < 200 {
			f.Add(tc.expr, pkt[:20], uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, expr string, pkt []byte, link uint8) {
		opts := filterexpr.Options{Link: filterexpr.Link(link % 3), Snaplen: 1500, VLANMetadata: link&4 != 0}
		prog, err := filterexpr.CompileWith(expr, opts)
		if err != nil {
			if _, ok := err.(*filterexpr.Error); !ok {
				t.Fatalf("Compile(%q): error %T is not an *Error", expr, err)
			}
			return
		}
		if len(prog) == 0 || len(prog) > filterexpr.MaxInstructions {
			t.Fatalf("Compile(%q): %d instructions", expr, len(prog))
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatalf("Compile(%q): does not assemble: %v", expr, err)
		}
		// The VM only knows the length extension: give the others values.
		run := make([]bpf.Instruction, len(prog))
		for i, in := range prog {
			if le, ok := in.(bpf.LoadExtension); ok && le.Num != bpf.ExtLen {
				in = bpf.LoadConstant{Dst: bpf.RegA, Val: 0x0800}
			}
			run[i] = in
		}
		vm, err := bpf.NewVM(run)
		if err != nil {
			t.Fatalf("Compile(%q): VM refuses the program: %v", expr, err)
		}
		n, err := vm.Run(pkt)
		if err != nil {
			t.Fatalf("Compile(%q): VM: %v", expr, err)
		}
		if n != 0 && n != 1500 {
			t.Fatalf("Compile(%q): program returned %d, want 0 or the snaplen", expr, n)
		}
		// The optimizer must not change any decision.
		old := filterexpr.SetOptimize(false)
		plain, err := filterexpr.CompileWith(expr, opts)
		filterexpr.SetOptimize(old)
		if err != nil {
			t.Fatalf("Compile(%q) fails unoptimized: %v", expr, err)
		}
		for i, in := range plain {
			if le, ok := in.(bpf.LoadExtension); ok && le.Num != bpf.ExtLen {
				plain[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: 0x0800}
			}
		}
		pvm, err := bpf.NewVM(plain)
		if err != nil {
			t.Fatalf("Compile(%q) unoptimized: VM refuses the program: %v", expr, err)
		}
		if pn, _ := pvm.Run(pkt); pn != n {
			t.Fatalf("Compile(%q): optimized program returns %d, unoptimized %d\noptimized:   %v\nunoptimized: %v", expr, n, pn, prog, plain)
		}
	})
}

// FuzzValidate: any raw program (8 bytes an instruction) is judged
// without panicking, and one Validate accepts runs in the VM.
func FuzzValidate(f *testing.F) {
	for _, tc := range diffExprs[:20] {
		prog, err := filterexpr.Compile(tc.expr, filterexpr.LinkEthernet, 1500)
		if err != nil {
			continue
		}
		raw, _ := bpf.Assemble(prog)
		b := make([]byte, 0, 8*len(raw))
		for _, r := range raw {
			b = append(b, byte(r.Op), byte(r.Op>>8), r.Jt, r.Jf, byte(r.K), byte(r.K>>8), byte(r.K>>16), byte(r.K>>24))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var prog []bpf.Instruction
		for i := 0; i+8 <= len(b) && len(prog) <= filterexpr.MaxInstructions; i += 8 {
			prog = append(prog, bpf.RawInstruction{Op: uint16(b[i]) | uint16(b[i+1])<<8, Jt: b[i+2], Jf: b[i+3],
				K: uint32(b[i+4]) | uint32(b[i+5])<<8 | uint32(b[i+6])<<16 | uint32(b[i+7])<<24})
		}
		if filterexpr.Validate(prog) != nil {
			return
		}
		raw := make([]bpf.RawInstruction, len(prog))
		for i, in := range prog {
			raw[i] = in.(bpf.RawInstruction)
		}
		dis, _ := bpf.Disassemble(raw)
		for i, in := range dis {
			if le, ok := in.(bpf.LoadExtension); ok && le.Num != bpf.ExtLen {
				dis[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: 1}
			}
		}
		vm, err := bpf.NewVM(dis)
		if err != nil {
			return // x/net/bpf is stricter in places (it cannot run every valid opcode)
		}
		_, _ = vm.Run(make([]byte, 64))
	})
}
