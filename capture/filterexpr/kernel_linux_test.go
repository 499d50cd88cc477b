//go:build linux

package filterexpr_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"

	"github.com/wirekit/wirekit/capture/filterexpr"
)

// attach installs prog on fd with SO_ATTACH_FILTER: the kernel's own
// checker (bpf_check_classic) validates it.
func attach(fd int, prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return err
	}
	return attachInstructions(fd, raw)
}

// attachInstructions installs raw on fd with SO_ATTACH_FILTER.
func attachInstructions(fd int, raw []bpf.RawInstruction) error {
	sf := make([]syscall.SockFilter, len(raw))
	for i, r := range raw {
		sf[i] = syscall.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	fp := syscall.SockFprog{Len: uint16(len(sf)), Filter: &sf[0]}
	_, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&fp)), unsafe.Sizeof(fp), 0)
	if e != 0 {
		return e
	}
	return nil
}

// The kernel accepts every program of the differential table, on every
// link and with VLANMetadata: its checker is stricter than x/net/bpf's
// (scratch memory read before written, unknown extensions, ...). A UDP
// socket takes a classic filter without privileges.
func TestKernelAcceptsPrograms(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Skipf("no UDP socket: %v", err)
	}
	defer syscall.Close(fd)
	n := 0
	for _, tc := range diffExprs {
		for _, o := range []filterexpr.Options{
			{Link: filterexpr.LinkEthernet}, {Link: filterexpr.LinkEthernet, VLANMetadata: true},
			{Link: filterexpr.LinkCooked}, {Link: filterexpr.LinkRaw},
		} {
			o.Snaplen = 65535
			prog, err := filterexpr.CompileWith(tc.expr, o)
			if err != nil {
				continue // link-specific rejection, tested elsewhere
			}
			if err := filterexpr.Validate(prog); err != nil {
				t.Errorf("Validate refuses %q (%v): %v", tc.expr, o.Link, err)
			}
			if err := attach(fd, prog); err != nil {
				t.Errorf("kernel refuses %q (%v, VLANMetadata=%v): %v\n%v", tc.expr, o.Link, o.VLANMetadata, err, prog)
			}
			n++
		}
	}
	if n < 3*len(diffExprs) {
		t.Fatalf("only %d programs attached", n)
	}
	t.Logf("kernel accepted %d programs", n)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// On lo, a packet socket with a compiled filter receives only the frames
// the expression selects (Ethernet framing with SOCK_RAW, cooked with
// SOCK_DGRAM, where the protocol comes from the ExtProto extension).
// Needs root (CAP_NET_RAW): skipped otherwise, except in CI.
func TestKernelFiltersLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must run this test as root (AF_PACKET needs CAP_NET_RAW)")
		}
		t.Skip("not root: AF_PACKET sockets need CAP_NET_RAW")
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	// Two UDP listeners: one the filter selects, one it must not.
	want, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	wantPort := uint16(want.LocalAddr().(*net.UDPAddr).Port)
	otherPort := uint16(other.LocalAddr().(*net.UDPAddr).Port)
	expr := fmt.Sprintf("udp dst port %d and udp[8:4] = 0x77697265", wantPort) // payload starts "wire"

	const rounds = 20
	for _, tc := range []struct {
		name     string
		prefix   string
		link     filterexpr.Link
		sotype   int
		udpOffs  int // where the UDP header starts in what the socket returns
		min, max int
	}{
		// lo shows each datagram going out and coming in.
		{"ethernet", "", filterexpr.LinkEthernet, syscall.SOCK_RAW, 14 + 20, rounds, 2 * rounds},
		{"cooked", "", filterexpr.LinkCooked, syscall.SOCK_DGRAM, 20, rounds, 2 * rounds},
		// inbound keeps exactly one copy of each.
		{"ethernet inbound", "inbound and ", filterexpr.LinkEthernet, syscall.SOCK_RAW, 14 + 20, rounds, rounds},
		{"cooked outbound", "outbound and ", filterexpr.LinkCooked, syscall.SOCK_DGRAM, 20, rounds, rounds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := compile(t, tc.prefix+expr, tc.link)
			// Open with protocol 0 (receives nothing), attach the filter,
			// then bind to lo for every protocol: no unfiltered frame gets in.
			fd, err := syscall.Socket(syscall.AF_PACKET, tc.sotype, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(fd)
			if err := attach(fd, prog); err != nil {
				t.Fatalf("attach: %v", err)
			}
			if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: lo.Index}); err != nil {
				t.Fatal(err)
			}
			tv := syscall.NsecToTimeval(int64(500 * time.Millisecond))
			if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
				t.Fatal(err)
			}
			send := func(port uint16, payload string) {
				c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Write([]byte(payload)); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < rounds; i++ {
				send(wantPort, fmt.Sprintf("wirekit %d", i)) // selected
				send(otherPort, "wirekit")                   // wrong port
				send(wantPort, "other payload")              // wrong payload
			}
			got := 0
			buf := make([]byte, 65536)
			for {
				n, _, err := syscall.Recvfrom(fd, buf, 0)
				if err != nil {
					break // timeout: nothing more
				}
				f := buf[:n]
				if len(f) < tc.udpOffs+12 {
					t.Fatalf("short frame %x", f)
				}
				dport := binary.BigEndian.Uint16(f[tc.udpOffs+2:])
				if dport != wantPort || string(f[tc.udpOffs+8:tc.udpOffs+12]) != "wire" {
					t.Fatalf("filter let through a frame to port %d payload %q", dport, f[tc.udpOffs+8:])
				}
				got++
			}
			if got < tc.min || got > tc.max {
				t.Fatalf("received %d frames, want %d to %d", got, tc.min, tc.max)
			}
			t.Logf("%s: %d selected frames received, none other", tc.name, got)
		})
	}
}

// Validate refuses what the kernel refuses.
func TestValidateAgreesWithKernel(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Skipf("no UDP socket: %v", err)
	}
	defer syscall.Close(fd)
	ret := bpf.RetConstant{Val: 1}
	long := make([]bpf.Instruction, filterexpr.MaxInstructions+1)
	for i := range long {
		long[i] = ret
	}
	for _, tc := range []struct {
		name string
		prog []bpf.Instruction
		ok   bool
	}{
		{"accept all", []bpf.Instruction{ret}, true},
		{"scratch written then read", []bpf.Instruction{bpf.LoadConstant{Dst: bpf.RegA, Val: 1}, bpf.StoreScratch{Src: bpf.RegA, N: 2}, bpf.LoadScratch{Dst: bpf.RegX, N: 2}, ret}, true},
		{"extensions", []bpf.Instruction{bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}, bpf.LoadExtension{Num: bpf.ExtType}, bpf.LoadExtension{Num: bpf.ExtLen}, ret}, true},
		{"4096 instructions", long[:filterexpr.MaxInstructions], true},
		{"4097 instructions", long, false},
		{"no return at the end", []bpf.Instruction{ret, bpf.LoadConstant{Dst: bpf.RegA, Val: 1}}, false},
		{"division by constant 0", []bpf.Instruction{bpf.RawInstruction{Op: 0x34}, ret}, false},
		{"modulus by constant 0", []bpf.Instruction{bpf.RawInstruction{Op: 0x94}, ret}, false},
		{"shift by 32", []bpf.Instruction{bpf.RawInstruction{Op: 0x64, K: 32}, ret}, false},
		{"scratch read before written", []bpf.Instruction{bpf.LoadScratch{Dst: bpf.RegA, N: 3}, ret}, false},
		{"scratch written on one path only", []bpf.Instruction{
			bpf.LoadAbsolute{Off: 0, Size: 1},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 1},
			bpf.StoreScratch{Src: bpf.RegA, N: 0},
			bpf.LoadScratch{Dst: bpf.RegA, N: 0}, ret}, false},
		{"jump past the end", []bpf.Instruction{bpf.RawInstruction{Op: 0x05, K: 1}, ret}, false},
		{"conditional past the end", []bpf.Instruction{bpf.RawInstruction{Op: 0x15, Jt: 1}, ret}, false},
		{"unknown extension", []bpf.Instruction{bpf.LoadAbsolute{Off: 0xfffff000 + 100, Size: 4}, ret}, false},
		{"bad opcode", []bpf.Instruction{bpf.RawInstruction{Op: 0xff}, ret}, false},
		{"scratch slot 16", []bpf.Instruction{bpf.RawInstruction{Op: 0x02, K: 16}, ret}, false},
	} {
		verr := filterexpr.Validate(tc.prog)
		var kerr error
		if len(tc.prog) > 0 {
			kerr = attachRaw(fd, tc.prog)
		}
		if (verr == nil) != tc.ok || (kerr == nil) != tc.ok {
			t.Errorf("%s: Validate: %v, kernel: %v, want ok=%v", tc.name, verr, kerr, tc.ok)
		}
	}
	if filterexpr.Validate(nil) == nil {
		t.Error("Validate accepts an empty program")
	}
}

// attachRaw attaches prog without x/net/bpf's own checks where possible:
// each instruction is assembled alone, not the program.
func attachRaw(fd int, prog []bpf.Instruction) error {
	raw := make([]bpf.RawInstruction, len(prog))
	for i, in := range prog {
		r, err := in.Assemble()
		if err != nil {
			return err
		}
		raw[i] = r
	}
	return attachInstructions(fd, raw)
}
